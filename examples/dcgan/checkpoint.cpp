#include "checkpoint.h"

#include <nlohmann/json.hpp>

#include "minidl/core/error.h"

namespace minidl::examples {

namespace {

constexpr const char* kFormat = "minidl.dcgan_checkpoint";
constexpr const char* kFormatVersion = "1";

// The settings a resumed run must share with the checkpoint's: anything else would change the
// networks, the batches or the random draws the saved state continues.
nlohmann::json run_settings(const DcganOptions& o) {
  return {{"seed", o.seed},
          {"batch_size", o.batch_size},
          {"noise_dim", o.noise_dim},
          {"dropout", o.dropout},
          {"limit", o.limit ? nlohmann::json(*o.limit) : nlohmann::json(nullptr)},
          {"learning_rate", o.learning_rate},
          {"beta_1", o.beta_1}};
}

std::vector<std::pair<std::string, Tensor>> with_prefix(const std::string& prefix,
                                                        std::vector<std::pair<std::string, Tensor>> named) {
  for (auto& [name, t] : named) name = prefix + name;
  return named;
}

}  // namespace

void save_dcgan_checkpoint(const std::string& path, DcganTrainer& trainer, const DcganOptions& options, int epoch,
                           const DcganHistory& history) {
  io::NamedTensors tensors = named_weights(trainer.generator());
  for (auto& entry : named_weights(trainer.discriminator())) tensors.push_back(std::move(entry));
  for (auto& entry : with_prefix("generator_optimizer/", trainer.generator_optimizer().state()))
    tensors.push_back(std::move(entry));
  for (auto& entry : with_prefix("discriminator_optimizer/", trainer.discriminator_optimizer().state()))
    tensors.push_back(std::move(entry));
  const nlohmann::json losses = {{"generator", history.generator_loss},
                                 {"discriminator", history.discriminator_loss}};
  io::save_safetensors(path, tensors,
                       {{"format", kFormat},
                        {"format_version", kFormatVersion},
                        {"epoch", std::to_string(epoch)},
                        {"run", run_settings(options).dump()},
                        {"rng_state", trainer.rng().state()},
                        {"dropout_rng_states", nlohmann::json(trainer.discriminator().rng_states()).dump()},
                        {"losses", losses.dump()}});
}

int load_dcgan_checkpoint(const std::string& path, DcganTrainer& trainer, const DcganOptions& options,
                          DcganHistory& history) {
  const auto file = io::load_safetensors(path);
  auto meta = [&](const char* key) {
    auto it = file.metadata.find(key);
    if (it == file.metadata.end())
      throw_runtime_error("DCGAN checkpoint '{}' has no '{}' entry in its metadata (is it a {} file?)", path, key,
                          kFormat);
    return it->second;
  };
  if (meta("format") != kFormat || meta("format_version") != kFormatVersion)
    throw_runtime_error("'{}' is not a DCGAN checkpoint: its metadata has format '{}' version '{}', expected '{}' "
                        "version {}",
                        path, meta("format"), meta("format_version"), kFormat, kFormatVersion);

  nlohmann::json run, dropout_states, losses;
  int epoch = 0;
  try {
    run = nlohmann::json::parse(meta("run"));
    dropout_states = nlohmann::json::parse(meta("dropout_rng_states"));
    losses = nlohmann::json::parse(meta("losses"));
    epoch = std::stoi(meta("epoch"));
    if (!run.is_object() || !dropout_states.is_object() || !losses.is_object())
      throw std::runtime_error("run, dropout_rng_states and losses must be JSON objects");
  } catch (const std::exception& e) {
    throw_runtime_error("DCGAN checkpoint '{}' has damaged metadata: {}", path, e.what());
  }
  // Checkpoints written before the optimizer flags existed trained with the tutorial's Adam(1e-4).
  if (!run.contains("learning_rate")) run["learning_rate"] = DcganOptions{}.learning_rate;
  if (!run.contains("beta_1")) run["beta_1"] = DcganOptions{}.beta_1;
  const nlohmann::json settings = run_settings(options);
  for (const auto& [key, wanted] : settings.items())
    if (!run.contains(key) || run[key] != wanted)
      throw_invalid_argument("--resume: '{}' was trained with {}={}, this run asks for {}={}; resume with the "
                             "checkpoint's settings or train from scratch in another --out folder",
                             path, key, run.value(key, nlohmann::json()).dump(), key, wanted.dump());
  if (epoch < 1) throw_runtime_error("DCGAN checkpoint '{}' has epoch {}, expected >= 1", path, epoch);
  for (const auto& [layer, state] : trainer.discriminator().rng_states())
    if (!dropout_states.contains(layer))
      throw_runtime_error("DCGAN checkpoint '{}' has no random state for the discriminator's layer '{}'", path, layer);

  auto entries_under = [&](const std::string& prefix) {
    std::vector<std::pair<std::string, Tensor>> out;
    for (const auto& [name, t] : file.tensors)
      if (name.rfind(prefix, 0) == 0) out.emplace_back(name.substr(prefix.size()), t);
    return out;
  };
  const auto generator_state = entries_under("generator_optimizer/");
  const auto discriminator_state = entries_under("discriminator_optimizer/");
  try {
    load_named_weights(trainer.generator(), file.tensors, path);
    load_named_weights(trainer.discriminator(), file.tensors, path);
    trainer.generator_optimizer().load_state(generator_state, trainer.generator().trainable_weights());
    trainer.discriminator_optimizer().load_state(discriminator_state, trainer.discriminator().trainable_weights());
    trainer.rng().set_state(meta("rng_state"));
    trainer.discriminator().set_rng_states(dropout_states.get<std::map<std::string, std::string>>());
    history.generator_loss = losses.at("generator").get<std::vector<double>>();
    history.discriminator_loss = losses.at("discriminator").get<std::vector<double>>();
  } catch (const std::exception& e) {
    throw_runtime_error("cannot resume from DCGAN checkpoint '{}': {}", path, e.what());
  }
  if (history.generator_loss.size() != std::size_t(epoch) || history.discriminator_loss.size() != std::size_t(epoch))
    throw_runtime_error("DCGAN checkpoint '{}' is at epoch {} but holds {} and {} epochs of losses", path, epoch,
                        history.generator_loss.size(), history.discriminator_loss.size());
  return epoch;
}

}  // namespace minidl::examples
