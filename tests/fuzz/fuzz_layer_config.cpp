// libFuzzer harness for the JSON configs a saved model carries. The first byte picks the entry point:
// a Conv2D, Conv2DTranspose or Dense config (from_config + get_config round trip), or a whole model
// config through optim::layer_from_config, the loader load_model uses (a Sequential with an
// InputLayer is built, so its weights are created). Any text either rebuilds or throws a
// std::exception subclass with a message (nlohmann's parse/type/range errors included); never a crash.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <string>

#include <nlohmann/json.hpp>

#include <minidl/minidl.h>

namespace {

// Whole models allocate their weights; keep every number and the layer count small so a config
// asking for a terabyte kernel is not what the fuzzer spends its time (and RSS limit) on.
bool small_enough(const nlohmann::json& j, int& layers) {
  if (j.is_number()) return std::abs(j.get<double>()) <= 64.0;
  if (j.is_object() && j.contains("class_name") && ++layers > 8) return false;
  if (j.is_structured())
    for (const auto& v : j)
      if (!small_enough(v, layers)) return false;
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const int which = data[0] % 4;
  const std::string text(reinterpret_cast<const char*>(data + 1), size - 1);
  try {
    const nlohmann::json config = nlohmann::json::parse(text);
    switch (which) {
      case 0: (void)minidl::layers::Conv2D::from_config(config).get_config(); break;
      case 1: (void)minidl::layers::Conv2DTranspose::from_config(config).get_config(); break;
      case 2: (void)minidl::layers::Dense::from_config(config).get_config(); break;
      default: {
        int layers = 0;
        if (!small_enough(config, layers)) return 0;
        const auto model = minidl::optim::layer_from_config(config);
        (void)model->get_config();
        break;
      }
    }
  } catch (const std::exception&) {
  }
  return 0;
}
