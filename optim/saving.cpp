#include "minidl/optim/saving.h"

#include "minidl/optim/compile_outputs.h"

#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "minidl/core/error.h"
#include "minidl/core/io/file_util.h"
#include "minidl/core/io/safetensors.h"
#include "minidl/core/json_number.h"
#include "minidl/core/random.h"
#include "minidl/layers/weights_from_file.h"
#include "minidl/optim/layer_registry.h"

namespace minidl::optim {

namespace {

constexpr const char* kFormat = "minidl.model";
constexpr const char* kFormatVersion = "1";
constexpr const char* kOptimizerPrefix = "optimizer/";
constexpr const char* kRngStateKey = "rng_state";
constexpr const char* kModelFileName = "model.safetensors";

bool is_folder_path(const std::filesystem::path& path) {
  const std::string s = path.string();
  return std::filesystem::is_directory(path) || (!s.empty() && (s.back() == '/' || s.back() == '\\'));
}

// Runs a write for the user's call `who`: an I/O error from core/io gets that call in front, so the
// message says which Model method failed as well as the path and the reason.
template <class Write>
void write_as(std::string_view who, const Write& write) {
  try {
    write();
  } catch (const std::runtime_error& e) {
    throw_runtime_error("{}: {}", who, e.what());
  }
}

io::NamedTensors named_weights(const Model& model, std::string_view who) {
  io::NamedTensors out;
  std::map<std::string, int> seen;
  for (const auto& v : model.weights()) {
    if (seen[v->path]++)
      throw_invalid_argument("{}: two weights share the path '{}'; give the layers unique names", who, v->path);
    out.emplace_back(v->path, v->value.detach());
  }
  return out;
}

// Checks every entry against the model's weights before changing any, so a bad file leaves the
// model as it was.
void assign_weights(const Model& model, const io::NamedTensors& named, const std::filesystem::path& file,
                    std::string_view who) {
  const auto weights = model.weights();
  if (weights.empty() && !named.empty())
    throw_runtime_error("{}: '{}' holds {} weights but the model has none yet; build the model (call it once or give "
                        "it an input_shape) before loading",
                        who, file.string(), named.size());
  std::map<std::string, const Tensor*> by_name;
  for (const auto& [name, t] : named) by_name[name] = &t;
  std::vector<std::pair<VariablePtr, Tensor>> updates;
  for (const auto& v : weights) {
    auto it = by_name.find(v->path);
    if (it == by_name.end())
      throw_runtime_error("{}: '{}' has no tensor for the model's weight '{}' (shape {})", who, file.string(), v->path,
                          v->value.shape());
    const Tensor& t = *it->second;
    if (t.shape() != v->value.shape())
      throw_runtime_error("{}: in '{}', weight '{}' has shape {} but the model's weight has shape {}", who,
                          file.string(), v->path, t.shape(), v->value.shape());
    updates.emplace_back(v, t.dtype() == v->value.dtype() ? t : t.to(v->value.dtype()).detach());
    by_name.erase(it);
  }
  if (!by_name.empty())
    throw_runtime_error("{}: '{}' holds the tensor '{}', which matches no weight of the model", who, file.string(),
                        by_name.begin()->first);
  for (auto& [v, t] : updates) v->value.copy_(t);
}

// The file's "rng_state" (layer path -> Generator::state()) must name exactly the model's generators;
// every entry is checked before any is applied.
void restore_rng_states(layers::Layer& network, const std::string& text, const std::filesystem::path& file) {
  nlohmann::json saved;
  try {
    saved = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw_runtime_error("load_model: '{}' has a malformed {} entry: {}", file.string(), kRngStateKey, e.what());
  }
  if (!saved.is_object())
    throw_runtime_error("load_model: in '{}', {} is not a JSON object", file.string(), kRngStateKey);
  std::map<std::string, std::string> states;
  for (const auto& [path, state] : saved.items()) {
    if (!state.is_string())
      throw_runtime_error("load_model: in '{}', the {} of '{}' is not a string", file.string(), kRngStateKey, path);
    try {
      Generator().set_state(state.get<std::string>());
    } catch (const std::invalid_argument& e) {
      throw_runtime_error("load_model: in '{}', the random state of '{}' is damaged: {}", file.string(), path,
                          e.what());
    }
    states.emplace(path, state.get<std::string>());
  }
  for (const auto& [path, state] : network.rng_states())
    if (!states.erase(path))
      throw_runtime_error("load_model: '{}' has no random state for the model's layer '{}'", file.string(), path);
  if (!states.empty())
    throw_runtime_error("load_model: '{}' holds the random state of '{}', which matches no layer of the model",
                        file.string(), states.begin()->first);
  network.set_rng_states(saved.get<std::map<std::string, std::string>>());
}

// build_config's "input_shape": one shape ([null, 3]) or, for several inputs, a list of shapes
// ([[null, 3], [null, 5]]), as Keras 3 writes them.
std::vector<Shape> build_shapes(const nlohmann::json& input_shape) {
  if (!input_shape.is_array()) throw_invalid_argument("build_config.input_shape is not a list");
  const bool several = !input_shape.empty() && input_shape[0].is_array();
  std::vector<Shape> shapes;
  for (const auto& one : several ? input_shape : nlohmann::json::array({input_shape})) {
    if (!one.is_array()) throw_invalid_argument("build_config.input_shape mixes shapes and extents: {}", input_shape.dump());
    std::vector<std::int64_t> d;
    for (const auto& v : one) d.push_back(v.is_null() ? -1 : json_int(v, "build_config.input_shape"));
    shapes.emplace_back(d.begin(), d.end());
  }
  return shapes;
}

}  // namespace

std::filesystem::path model_file(const std::filesystem::path& path) {
  return is_folder_path(path) ? path / kModelFileName : path;
}

void Model::save_weights(const std::filesystem::path& path) const {
  const auto tensors = named_weights(*this, "Model.save_weights");
  write_as("Model.save_weights", [&] { io::save_safetensors(path, tensors, {{"format", "minidl.weights"}}); });
}

void Model::load_weights(const std::filesystem::path& path) {
  auto contents = io::load_safetensors(model_file(path));
  // A whole-model file works too (Keras's load_weights reads a .keras file): its weights only.
  const auto format = contents.metadata.find("format");
  if (format != contents.metadata.end() && format->second == kFormat)
    std::erase_if(contents.tensors, [](const auto& named) { return named.first.rfind(kOptimizerPrefix, 0) == 0; });
  assign_weights(*this, contents.tensors, model_file(path), "Model.load_weights");
}

void Model::save(const std::filesystem::path& path) const {
  io::NamedTensors tensors = named_weights(*this, "Model.save");
  if (optimizer_)
    for (auto& [key, t] : optimizer_->state()) tensors.emplace_back(kOptimizerPrefix + key, t);
  const nlohmann::json config = to_json();
  const std::filesystem::path file = model_file(path);
  if (is_folder_path(path)) {
    // Not the throwing overload: its filesystem_error names neither Model.save nor what to fix.
    std::error_code ec;
    std::filesystem::create_directories(path, ec);
    if (ec)
      throw_runtime_error("Model.save: cannot create the folder '{}' to save into: {}", path.string(), ec.message());
  }
  std::map<std::string, std::string> metadata{
      {"format", kFormat}, {"format_version", kFormatVersion}, {"config", config.dump()}};
  if (const auto rng = network_->rng_states(); !rng.empty()) metadata[kRngStateKey] = nlohmann::json(rng).dump();
  write_as("Model.save", [&] { io::save_safetensors(file, tensors, metadata); });
  if (is_folder_path(path)) {  // the readable copy goes last: a failed model write leaves no stray config.json
    io::AtomicFileWriter writer(path / "config.json", "Model.save");
    const std::string text = config.dump(2) + "\n";
    writer.write(std::as_bytes(std::span(text.data(), text.size())));
    writer.commit();
  }
}

Model load_model(const std::filesystem::path& path, const LoadModelOptions& options) {
  const std::filesystem::path file = model_file(path);
  const auto contents = io::load_safetensors(file);  // names the file on any I/O or format error
  auto meta = [&](const char* key) -> std::string {
    auto it = contents.metadata.find(key);
    return it == contents.metadata.end() ? std::string() : it->second;
  };
  if (meta("format") != kFormat)
    throw_runtime_error("load_model: '{}' is not a minidl model file (its metadata has format '{}', expected '{}'); "
                        "weight files are read with Model::load_weights",
                        file.string(), meta("format"), kFormat);
  if (meta("format_version") != kFormatVersion)
    throw_runtime_error("load_model: '{}' has format_version '{}', this minidl reads version {}", file.string(),
                        meta("format_version"), kFormatVersion);
  nlohmann::json config;
  try {
    config = nlohmann::json::parse(meta("config"));
  } catch (const nlohmann::json::exception& e) {
    throw_runtime_error("load_model: '{}' has a malformed model config: {}", file.string(), e.what());
  }
  try {
    if (!config.is_object()) throw_invalid_argument("the config is not a JSON object");
    const CustomObjectScope custom_objects(options.custom_objects);
    // Building runs the initializers, custom callables (not in the config) included: assign_weights
    // overwrites whatever they make. Functional graphs build while being rebuilt.
    std::optional<initializers::WeightsFromFileScope> from_file(std::in_place);
    Model model(layer_from_config(config));
    const nlohmann::json build = config.value("build_config", nlohmann::json());
    // Keras writes {"input_shape": null} for a functional model (built by its inputs); ours were
    // written by Model::to_json, which knows the shapes fit() or build() saw.
    if (build.is_object() && build.contains("input_shape") && !build["input_shape"].is_null() &&
        model.input_shapes().empty())
      model.build(build_shapes(build["input_shape"]));
    from_file.reset();
    io::NamedTensors weights;
    std::vector<std::pair<std::string, Tensor>> state;
    const std::string prefix = kOptimizerPrefix;
    for (const auto& [name, t] : contents.tensors) {
      if (name.rfind(prefix, 0) == 0) state.emplace_back(name.substr(prefix.size()), t);
      else weights.emplace_back(name, t);
    }
    assign_weights(model, weights, file, "load_model");
    // Files written before generators were saved have no entry: their Dropouts restart from the seed.
    if (contents.metadata.count(kRngStateKey)) restore_rng_states(model.network(), meta(kRngStateKey), file);

    const nlohmann::json cc = config.value("compile_config", nlohmann::json());
    // Keras writes {} for a model that was never compiled.
    if (options.compile && cc.is_object() && !cc.empty()) {
      CompileOptions co{.optimizer = OptimizerArg(cc.at("optimizer"))};
      detail::read_compile_outputs(cc, co);  // loss(es), loss_weights, metrics: one or per output
      model.compile(std::move(co));
      // Slots exist for the variables the optimizer had updated: create exactly those, then restore.
      std::vector<VariablePtr> with_slots;
      for (const auto& v : model.trainable_weights())
        for (const auto& [key, t] : state)
          if (key.rfind(v->path + "/", 0) == 0) {
            with_slots.push_back(v);
            break;
          }
      // minidl always writes "iterations"; a file without any optimizer state (its config.json
      // written by Keras, say) gets a fresh optimizer, as Keras compiles one from compile_config.
      if (!state.empty()) model.optimizer().load_state(state, with_slots);
    }
    return model;
  } catch (const std::exception& e) {
    throw_runtime_error("load_model: cannot rebuild the model saved in '{}': {}", file.string(), e.what());
  }
}

}  // namespace minidl::optim
