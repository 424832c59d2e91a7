#include "minidl/core/io/jpeg.h"

#include <csetjmp>
#include <cstdio>  // jpeglib.h needs FILE
#include <stdexcept>

#include <fmt/format.h>
#include <jpeglib.h>
#include <jerror.h>  // the message codes

namespace minidl::io {

namespace {

constexpr JDIMENSION kMaxDimension = 1 << 14;  // as for PNGs: bounds what a hostile header allocates

// libjpeg reports errors by calling error_exit, which must not return (the default one exits the
// process). Ours jumps back into decode_jpeg. Only trivially destructible objects live between setjmp and the
// jump, so longjmp skips no destructor.
// Warnings about corrupt data (extraneous bytes, ...) are tolerated as PIL tolerates them, but a
// file that ends early is an error, as in PIL ("image file is truncated"), not gray filler.
struct ErrorManager {
  jpeg_error_mgr pub;
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
};

[[noreturn]] void on_error(j_common_ptr cinfo) {
  auto* err = reinterpret_cast<ErrorManager*>(cinfo->err);
  (*cinfo->err->format_message)(cinfo, err->message);
  std::longjmp(err->jump, 1);
}

void on_message(j_common_ptr cinfo, int level) {
  if (level < 0 && cinfo->err->msg_code == JWRN_JPEG_EOF) on_error(cinfo);
}

}  // namespace

bool looks_like_jpeg(std::span<const std::uint8_t> bytes) {
  return bytes.size() >= 3 && bytes[0] == 0xFF && bytes[1] == 0xD8 && bytes[2] == 0xFF;
}

Image decode_jpeg(std::span<const std::uint8_t> bytes, const std::string& who) {
  Image image;
  jpeg_decompress_struct cinfo{};
  ErrorManager err{};
  cinfo.err = jpeg_std_error(&err.pub);
  err.pub.error_exit = on_error;
  err.pub.emit_message = on_message;
  const char* volatile refusal = nullptr;  // set after setjmp
  if (setjmp(err.jump) != 0) {
    jpeg_destroy_decompress(&cinfo);
    throw std::runtime_error(fmt::format("{}: not a readable JPEG image ({})", who, err.message));
  }
  jpeg_create_decompress(&cinfo);
  jpeg_mem_src(&cinfo, bytes.data(), static_cast<unsigned long>(bytes.size()));
  jpeg_read_header(&cinfo, TRUE);
  if (cinfo.image_width > kMaxDimension || cinfo.image_height > kMaxDimension) {
    refusal = "larger than 16384 pixels on a side";
  } else if (cinfo.jpeg_color_space == JCS_CMYK || cinfo.jpeg_color_space == JCS_YCCK) {
    refusal = "CMYK JPEGs are not supported";
  } else {
    cinfo.out_color_space = cinfo.num_components == 1 ? JCS_GRAYSCALE : JCS_RGB;
    jpeg_start_decompress(&cinfo);
    image.width = static_cast<int>(cinfo.output_width);
    image.height = static_cast<int>(cinfo.output_height);
    image.channels = cinfo.output_components;
    image.pixels.resize(static_cast<std::size_t>(image.width) * image.height * image.channels);
    const std::size_t stride = static_cast<std::size_t>(image.width) * image.channels;
    while (cinfo.output_scanline < cinfo.output_height) {
      JSAMPROW row = image.pixels.data() + cinfo.output_scanline * stride;
      jpeg_read_scanlines(&cinfo, &row, 1);
    }
    jpeg_finish_decompress(&cinfo);
  }
  const JDIMENSION width = cinfo.image_width, height = cinfo.image_height;
  jpeg_destroy_decompress(&cinfo);
  if (refusal != nullptr)
    throw std::runtime_error(fmt::format("{}: a {}x{} JPEG image: {}", who, width, height, refusal));
  return image;
}

}  // namespace minidl::io
