// libFuzzer harness for the IDX parser (Fashion-MNIST's format): parse or throw, nothing else.
#include <cstddef>
#include <cstdint>
#include <span>
#include <stdexcept>

#include <minidl/core/io/idx.h>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    const auto array = minidl::io::parse_idx(std::span<const std::byte>(reinterpret_cast<const std::byte*>(data), size),
                                             "fuzz");
    (void)array;
  } catch (const std::runtime_error&) {
  } catch (const std::invalid_argument&) {
  }
  return 0;
}
