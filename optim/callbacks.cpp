#include "minidl/optim/callbacks.h"

#include <cerrno>
#include <cmath>
#include <cstring>
#include <cstdio>

#include <fmt/args.h>
#include <fmt/format.h>

#include "minidl/core/error.h"
#include "minidl/optim/model.h"

namespace minidl::optim {

namespace {

void check_mode(const std::string& mode, std::string_view who) {
  if (mode != "auto" && mode != "min" && mode != "max")
    throw_invalid_argument("{}: mode must be 'auto', 'min' or 'max', received mode='{}'", who, mode);
}

// Keras's older "auto" rule (ModelCheckpoint, ReduceLROnPlateau): maximise accuracies.
bool maximize_by_name(const std::string& mode, const std::string& monitor) {
  if (mode == "max") return true;
  if (mode == "min") return false;
  return monitor.find("acc") != std::string::npos || monitor.rfind("fmeasure", 0) == 0;
}

// Python's repr(float): the shortest round-trip digits, with ".0" on integral values.
std::string python_float(double v) {
  std::string s = fmt::format("{}", v);
  if (s.find_first_of(".eEn") == std::string::npos) s += ".0";  // "n": nan, inf
  return s;
}

std::string available_keys(const Logs& logs) {
  std::string s;
  for (const auto& [k, v] : logs) s += (s.empty() ? "" : ",") + k;
  return s;
}

}  // namespace

Model& Callback::model() const {
  if (!model_)
    throw_invalid_argument("Callback: not attached to a model (callbacks are attached by Model::fit while it runs)");
  return *model_;
}

// ---- History ----

const std::vector<double>& History::operator[](const std::string& key) const {
  auto it = history.find(key);
  if (it == history.end()) {
    std::string keys;
    for (const auto& [k, v] : history) keys += (keys.empty() ? "" : ", ") + k;
    throw_out_of_range("History: no entry '{}'; the history holds: {}", key, keys.empty() ? "nothing" : keys);
  }
  return it->second;
}

void History::on_epoch_end(int e, Logs& logs) {
  epoch.push_back(e);
  for (const auto& [k, v] : logs) history[k].push_back(v);
}

// ---- EarlyStopping ----

EarlyStopping::EarlyStopping(const EarlyStoppingOptions& o) : o_(o), min_delta_(std::abs(o.min_delta)) {
  check_mode(o.mode, "EarlyStopping");
  if (o.patience < 0) throw_invalid_argument("EarlyStopping: patience must be >= 0, received patience={}", o.patience);
}

void EarlyStopping::set_monitor_op() {
  if (o_.mode == "min") minimize_ = true;
  else if (o_.mode == "max") minimize_ = false;
  else {
    std::string metric = o_.monitor;
    if (metric.rfind("val_", 0) == 0) metric = metric.substr(4);
    if (metric == "loss") minimize_ = true;
    for (const auto& m : model().metrics())
      if (m->name() == metric && !m->direction().empty()) minimize_ = m->direction() != "up";
  }
  if (!minimize_)
    throw_invalid_argument(
        "EarlyStopping callback received monitor={} but minidl isn't able to automatically determine whether that "
        "metric should be maximized or minimized. Pass `mode='max'` in order to do early stopping based on the highest "
        "metric value, or pass `mode='min'` in order to use the lowest value.",
        o_.monitor);
  if (*minimize_) min_delta_ = -min_delta_;
  best_ = *minimize_ ? std::numeric_limits<double>::infinity() : -std::numeric_limits<double>::infinity();
}

bool EarlyStopping::is_improvement(double value, double reference) const {
  return *minimize_ ? value - min_delta_ < reference : value - min_delta_ > reference;
}

void EarlyStopping::on_train_begin(Logs&) {
  wait_ = 0;
  stopped_epoch_ = 0;
  best_weights_.reset();
  best_epoch_ = 0;
}

void EarlyStopping::on_epoch_end(int epoch, Logs& logs) {
  if (!minimize_) set_monitor_op();  // once the metrics are known, as Keras
  auto it = logs.find(o_.monitor);
  if (it == logs.end()) {
    std::fprintf(stderr, "Warning: Early stopping conditioned on metric `%s` which is not available. Available metrics "
                         "are: %s\n", o_.monitor.c_str(), available_keys(logs).c_str());
    return;
  }
  if (epoch < o_.start_from_epoch) return;
  const double current = it->second;
  // Before any improvement the current weights are the best seen.
  if (o_.restore_best_weights && !best_weights_) {
    best_weights_ = model().get_weights();
    best_epoch_ = epoch;
  }
  ++wait_;
  if (is_improvement(current, best_)) {
    best_ = current;
    best_epoch_ = epoch;
    if (o_.restore_best_weights) best_weights_ = model().get_weights();
    // The wait restarts only when the value also beats the baseline.
    if (!o_.baseline || is_improvement(current, *o_.baseline)) wait_ = 0;
    return;
  }
  if (wait_ >= o_.patience && epoch > 0) {
    stopped_epoch_ = epoch;
    model().stop_training = true;
  }
}

void EarlyStopping::on_train_end(Logs&) {
  if (stopped_epoch_ > 0 && o_.verbose > 0) std::printf("Epoch %d: early stopping\n", stopped_epoch_ + 1);
  if (o_.restore_best_weights && best_weights_) {
    if (o_.verbose > 0) std::printf("Restoring model weights from the end of the best epoch: %d.\n", best_epoch_ + 1);
    model().set_weights(*best_weights_);
  }
}

// ---- ModelCheckpoint ----

std::string format_filepath(const std::string& pattern, int epoch_one_based, const Logs& logs) {
  fmt::dynamic_format_arg_store<fmt::format_context> args;
  args.push_back(fmt::arg("epoch", epoch_one_based));
  for (const auto& [k, v] : logs) args.push_back(fmt::arg(k.c_str(), v));  // names point into `logs`
  try {
    return fmt::vformat(pattern, args);
  } catch (const fmt::format_error& e) {
    std::string keys = "epoch";
    for (const auto& [k, v] : logs) keys += ", " + k;
    throw_invalid_argument("Failed to format this callback filepath: \"{}\". Reason: {} (available names: {})", pattern,
                           e.what(), keys);
  }
}

ModelCheckpoint::ModelCheckpoint(std::string filepath, const ModelCheckpointOptions& o)
    : filepath_(std::move(filepath)), o_(o), maximize_(maximize_by_name(o.mode, o.monitor)) {
  check_mode(o.mode, "ModelCheckpoint");
  if (filepath_.empty()) throw_invalid_argument("ModelCheckpoint: filepath is empty");
  best_ = o.initial_value_threshold ? *o.initial_value_threshold
                                    : (maximize_ ? -std::numeric_limits<double>::infinity()
                                                 : std::numeric_limits<double>::infinity());
}

std::string ModelCheckpoint::file_path(int epoch, const Logs& logs) const {
  return format_filepath(filepath_, epoch + 1, logs);
}

void ModelCheckpoint::on_epoch_end(int epoch, Logs& logs) {
  const std::string path = file_path(epoch, logs);
  auto save = [&] {
    try {
      if (o_.save_weights_only) model().save_weights(path);
      else model().save(path);
    } catch (const std::runtime_error& e) {  // I/O: say which callback argument led there
      throw_runtime_error("ModelCheckpoint: cannot save epoch {} to filepath='{}': {}", epoch + 1, path, e.what());
    }
  };
  if (!o_.save_best_only) {
    if (o_.verbose > 0) std::printf("\nEpoch %d: saving model to %s\n", epoch + 1, path.c_str());
    save();
    return;
  }
  auto it = logs.find(o_.monitor);
  if (it == logs.end()) {
    std::fprintf(stderr, "Warning: Can save best model only with %s available, skipping.\n", o_.monitor.c_str());
    return;
  }
  const double current = it->second;
  if (maximize_ ? current > best_ : current < best_) {
    if (o_.verbose > 0)
      std::printf("\nEpoch %d: %s improved from %.5f to %.5f, saving model to %s\n", epoch + 1, o_.monitor.c_str(),
                  best_, current, path.c_str());
    best_ = current;
    save();
  } else if (o_.verbose > 0) {
    std::printf("\nEpoch %d: %s did not improve from %.5f\n", epoch + 1, o_.monitor.c_str(), best_);
  }
}

// ---- ReduceLROnPlateau ----

ReduceLROnPlateau::ReduceLROnPlateau(const ReduceLROnPlateauOptions& o) : o_(o) {
  if (!(o.factor < 1.0))
    throw_invalid_argument("ReduceLROnPlateau does not support a factor >= 1.0. Received factor={}", o.factor);
  check_mode(o.mode, "ReduceLROnPlateau");
  reset();
}

void ReduceLROnPlateau::reset() {
  maximize_ = maximize_by_name(o_.mode, o_.monitor);
  best_ = maximize_ ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
  cooldown_counter_ = 0;
  wait_ = 0;
}

void ReduceLROnPlateau::on_epoch_end(int epoch, Logs& logs) {
  Optimizer& opt = model().optimizer();
  logs["learning_rate"] = opt.learning_rate();
  auto it = logs.find(o_.monitor);
  if (it == logs.end()) {
    std::fprintf(stderr, "Warning: Learning rate reduction is conditioned on metric `%s` which is not available. "
                         "Available metrics are: %s.\n", o_.monitor.c_str(), available_keys(logs).c_str());
    return;
  }
  const double current = it->second;
  if (in_cooldown()) {
    --cooldown_counter_;
    wait_ = 0;
  }
  const bool better = maximize_ ? current > best_ + o_.min_delta : current < best_ - o_.min_delta;
  if (better) {
    best_ = current;
    wait_ = 0;
  } else if (!in_cooldown()) {
    ++wait_;
    if (wait_ >= o_.patience) {
      const double old_lr = opt.learning_rate();
      if (old_lr > static_cast<double>(static_cast<float>(o_.min_lr))) {
        const double new_lr = std::max(old_lr * o_.factor, o_.min_lr);
        opt.set_learning_rate(new_lr);
        if (o_.verbose > 0)
          std::printf("\nEpoch %d: ReduceLROnPlateau reducing learning rate to %s.\n", epoch + 1,
                      python_float(new_lr).c_str());
        cooldown_counter_ = o_.cooldown;
        wait_ = 0;
      }
    }
  }
}

// ---- CSVLogger ----

CSVLogger::CSVLogger(std::filesystem::path filename, const CSVLoggerOptions& o) : filename_(std::move(filename)), o_(o) {
  if (o.separator.empty()) throw_invalid_argument("CSVLogger: separator must not be empty");
}

void CSVLogger::on_train_begin(Logs&) {
  write_header_ = true;
  keys_.reset();
  if (o_.append && std::filesystem::exists(filename_)) {
    std::ifstream in(filename_);
    std::string first;
    write_header_ = !(std::getline(in, first) && !first.empty());
  }
  errno = 0;
  file_ = std::make_shared<std::ofstream>(filename_, o_.append ? std::ios::app : std::ios::trunc);
  if (!*file_)  // ofstream keeps the reason only in errno (set by the failed open on glibc)
    throw_runtime_error("CSVLogger: cannot open '{}' for writing: {}", filename_.string(),
                        errno ? std::strerror(errno) : "unknown error");
}

void CSVLogger::on_epoch_end(int epoch, Logs& logs) {
  if (!file_) return;
  if (!keys_) {
    keys_.emplace();
    for (const auto& [k, v] : logs) keys_->push_back(k);  // sorted: Logs is an ordered map
    if (write_header_) {
      *file_ << "epoch";
      for (const auto& k : *keys_) *file_ << o_.separator << k;
      *file_ << "\r\n";
    }
  }
  *file_ << epoch;
  for (const auto& k : *keys_) {
    auto it = logs.find(k);
    *file_ << o_.separator << (it == logs.end() ? std::string("NA") : python_float(it->second));
  }
  *file_ << "\r\n";
  file_->flush();
  if (!*file_) throw_runtime_error("CSVLogger: writing to '{}' failed", filename_.string());
}

void CSVLogger::on_train_end(Logs&) {
  if (file_) file_->close();
  file_.reset();
}

// ---- TerminateOnNaN ----

void TerminateOnNaN::on_train_batch_end(int batch, Logs& logs) {
  auto it = logs.find("loss");
  if (it != logs.end() && !std::isfinite(it->second)) {
    std::printf("Batch %d: Invalid loss, terminating training\n", batch);
    model().stop_training = true;
  }
}

}  // namespace minidl::optim
