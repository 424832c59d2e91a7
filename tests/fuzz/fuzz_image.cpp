// libFuzzer harness for the PNG (stb_image) and JPEG (libjpeg-turbo) decoders behind io::load_img
// and the conversions after it: decode and convert, or throw, nothing else.
#include <cstddef>
#include <cstdint>
#include <span>
#include <stdexcept>

#include <minidl/core/io/images.h>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    const auto image = minidl::io::decode_image(std::span<const std::uint8_t>(data, size), "fuzz");
    (void)minidl::io::img_to_array(image, {.color_mode = "grayscale", .target_size = std::array<int, 2>{3, 5},
                                           .keep_aspect_ratio = true});
  } catch (const std::runtime_error&) {
  } catch (const std::invalid_argument&) {
  }
  return 0;
}
