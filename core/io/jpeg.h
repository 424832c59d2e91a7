#pragma once
// JPEG decoding for read_image / load_img, through Debian's libjpeg-turbo (the decoder PIL uses, so
// the pixels are PIL's). Grayscale JPEGs decode to 1 channel, YCbCr / RGB ones to 3; CMYK is refused.
#include <cstdint>
#include <span>
#include <string>

#include "minidl/core/io/images.h"

namespace minidl::io {

bool looks_like_jpeg(std::span<const std::uint8_t> bytes);  // the SOI marker and a marker after it
// `who` names the source in errors. A truncated file is an error (as in PIL), never gray filler.
Image decode_jpeg(std::span<const std::uint8_t> bytes, const std::string& who);

}  // namespace minidl::io
