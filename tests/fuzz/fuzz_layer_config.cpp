// libFuzzer harness for the JSON configs a saved model carries: any text either rebuilds a layer
// (Conv2D, Conv2DTranspose or Dense, chosen by the first byte) or throws a std::exception subclass
// with a message (nlohmann's parse/type errors included); never a crash.
#include <cstddef>
#include <cstdint>
#include <exception>
#include <string>

#include <nlohmann/json.hpp>

#include <minidl/minidl.h>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const int which = data[0] % 3;
  const std::string text(reinterpret_cast<const char*>(data + 1), size - 1);
  try {
    const nlohmann::json config = nlohmann::json::parse(text);
    switch (which) {
      case 0: (void)minidl::layers::Conv2D::from_config(config).get_config(); break;
      case 1: (void)minidl::layers::Conv2DTranspose::from_config(config).get_config(); break;
      default: (void)minidl::layers::Dense::from_config(config).get_config(); break;
    }
  } catch (const std::exception&) {
  }
  return 0;
}
