#pragma once
// Saving and loading models (Model::save_weights, load_weights, save are defined in saving.cpp).
//
// Weights: a safetensors file whose tensor names are the weights' paths ("sequential/dense/kernel").
// Model: one safetensors file holding
//   - every weight under its path,
//   - the optimizer state (Optimizer::state()) under "optimizer/<key>",
//   - in "__metadata__": "format" = "minidl.model", "format_version" = "1", "config" = the JSON of
//     Model::to_json() (Keras's config.json: architecture, build_config, compile_config), and, when
//     the model has random generators (Dropout), "rng_state" = a JSON object layer path ->
//     Generator::state() (Layer::rng_states()). Generator states are text, not tensors: an
//     mt19937_64 state is 64-bit words, which float tensors cannot hold exactly.
// Written atomically (a crash leaves the previous file). A path that is an existing folder, or ends
// with a separator, gets "model.safetensors" inside it plus a readable copy of the JSON in
// "config.json". load_model rebuilds the layer through the layer registry, loads the weights,
// restores the generators, re-creates the compiled optimizer and restores its state, so training
// resumes exactly.
#include <filesystem>
#include <map>
#include <string>

#include "minidl/optim/layer_registry.h"
#include "minidl/optim/model.h"

namespace minidl::optim {

struct LoadModelOptions {
  bool compile = true;  // false: architecture and weights only (call compile() yourself)
  // Keras's custom_objects: layer classes known for this load only (a CustomObjectScope around it).
  std::map<std::string, LayerFactory> custom_objects{};
};

Model load_model(const std::filesystem::path& path, const LoadModelOptions& options = {});

// The file a model path refers to: itself, or "<folder>/model.safetensors".
std::filesystem::path model_file(const std::filesystem::path& path);

}  // namespace minidl::optim
