// libFuzzer harness: any bytes given to the safetensors parser either parse or throw
// std::runtime_error / std::invalid_argument; never a crash, hang or sanitizer report.
#include <cstddef>
#include <cstdint>
#include <span>
#include <stdexcept>

#include <minidl/core/io/safetensors.h>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    const auto contents = minidl::io::parse_safetensors(
        std::span<const std::byte>(reinterpret_cast<const std::byte*>(data), size), "fuzz");
    for (const auto& [name, tensor] : contents.tensors) (void)tensor.numel();
  } catch (const std::runtime_error&) {
  } catch (const std::invalid_argument&) {
  }
  return 0;
}
