#pragma once
// Keras's callbacks (keras.callbacks.*): hooks fit() calls around training, with Keras's arguments
// and behaviour. Logs are name -> value maps, sorted by name as Keras 3 passes them; a callback may
// add entries (ReduceLROnPlateau adds "learning_rate") that later callbacks and History see.
// Order: the user's callbacks in their order, then History, then the progress bar (as Keras).
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "minidl/core/tensor.h"

namespace minidl::optim {

class Model;
using Logs = std::map<std::string, double>;

class Callback {
 public:
  virtual ~Callback() = default;
  void set_model(Model* model) { model_ = model; }
  Model& model() const;  // throws when the callback is not attached to a model

  virtual void on_train_begin(Logs&) {}
  virtual void on_train_end(Logs&) {}
  virtual void on_epoch_begin(int /*epoch*/, Logs&) {}
  virtual void on_epoch_end(int /*epoch*/, Logs&) {}
  virtual void on_train_batch_begin(int /*batch*/, Logs&) {}
  virtual void on_train_batch_end(int /*batch*/, Logs&) {}

 private:
  Model* model_ = nullptr;
};

using CallbackPtr = std::shared_ptr<Callback>;

// An entry of FitOptions::callbacks: a shared callback (to inspect it after fit) or one by value.
class CallbackArg {
 public:
  template <class C>
    requires std::is_base_of_v<Callback, C>
  CallbackArg(std::shared_ptr<C> callback) : ptr_(std::move(callback)) {}
  template <class C>
    requires(std::is_base_of_v<Callback, std::remove_cvref_t<C>> && !std::is_lvalue_reference_v<C>)
  CallbackArg(C&& callback) : ptr_(std::make_shared<std::remove_cvref_t<C>>(std::move(callback))) {}
  const CallbackPtr& get() const { return ptr_; }

 private:
  CallbackPtr ptr_;
};

// keras.callbacks.History: every epoch's logs. fit() returns it.
class History : public Callback {
 public:
  std::vector<int> epoch;
  std::map<std::string, std::vector<double>> history;

  // history.at(key), with an error naming the keys that exist.
  const std::vector<double>& operator[](const std::string& key) const;
  bool contains(const std::string& key) const { return history.count(key) > 0; }
  void on_train_begin(Logs&) override { epoch.clear(); }
  void on_epoch_end(int e, Logs& logs) override;
};

// "auto" resolves like Keras 3's EarlyStopping: "loss"/"val_loss" are minimised, a compiled
// metric's direction decides otherwise, and anything else needs an explicit mode.
// ModelCheckpoint and ReduceLROnPlateau keep Keras's older rule: max when "acc" is in the name.
struct EarlyStoppingOptions {
  std::string monitor = "val_loss";
  double min_delta = 0.0;
  int patience = 0;
  int verbose = 0;
  std::string mode = "auto";
  std::optional<double> baseline{};
  bool restore_best_weights = false;
  int start_from_epoch = 0;
};

class EarlyStopping : public Callback {
 public:
  explicit EarlyStopping(const EarlyStoppingOptions& options = {});
  void on_train_begin(Logs&) override;
  void on_epoch_end(int epoch, Logs& logs) override;
  void on_train_end(Logs&) override;
  int stopped_epoch() const { return stopped_epoch_; }
  int best_epoch() const { return best_epoch_; }
  double best() const { return best_; }
  int wait() const { return wait_; }

 private:
  void set_monitor_op();
  bool is_improvement(double value, double reference) const;
  EarlyStoppingOptions o_;
  double min_delta_;
  std::optional<bool> minimize_;
  double best_ = std::numeric_limits<double>::infinity();
  int wait_ = 0, stopped_epoch_ = 0, best_epoch_ = 0;
  std::optional<std::vector<Tensor>> best_weights_;
};

struct ModelCheckpointOptions {
  std::string monitor = "val_loss";
  int verbose = 0;
  bool save_best_only = false;
  bool save_weights_only = false;
  std::string mode = "auto";
  std::optional<double> initial_value_threshold{};
};

// Saves at the end of every epoch (Keras's save_freq="epoch") to `filepath` formatted with Python's
// str.format rules over epoch (1-based) and the logs: "ckpt-{epoch:02d}-{val_loss:.2f}.safetensors".
// save_weights_only -> Model::save_weights, else Model::save.
class ModelCheckpoint : public Callback {
 public:
  explicit ModelCheckpoint(std::string filepath, const ModelCheckpointOptions& options = {});
  void on_epoch_end(int epoch, Logs& logs) override;
  double best() const { return best_; }
  // The path for an epoch (0-based, as on_epoch_end receives it) and its logs.
  std::string file_path(int epoch, const Logs& logs) const;

 private:
  std::string filepath_;
  ModelCheckpointOptions o_;
  bool maximize_;
  double best_;
};

struct ReduceLROnPlateauOptions {
  std::string monitor = "val_loss";
  double factor = 0.1;
  int patience = 10;
  int verbose = 0;
  std::string mode = "auto";
  double min_delta = 1e-4;
  int cooldown = 0;
  double min_lr = 0.0;
};

class ReduceLROnPlateau : public Callback {
 public:
  explicit ReduceLROnPlateau(const ReduceLROnPlateauOptions& options = {});
  void on_train_begin(Logs&) override { reset(); }
  void on_epoch_end(int epoch, Logs& logs) override;

 private:
  void reset();
  bool in_cooldown() const { return cooldown_counter_ > 0; }
  ReduceLROnPlateauOptions o_;
  bool maximize_ = false;
  double best_ = 0.0;
  int cooldown_counter_ = 0, wait_ = 0;
};

struct CSVLoggerOptions {
  std::string separator = ",";
  bool append = false;
};

// One row per epoch: "epoch" (0-based) then the log keys sorted, values as Python's repr, lines
// ending "\r\n" (Python's csv module, which Keras uses).
class CSVLogger : public Callback {
 public:
  explicit CSVLogger(std::filesystem::path filename, const CSVLoggerOptions& options = {});
  void on_train_begin(Logs&) override;
  void on_epoch_end(int epoch, Logs& logs) override;
  void on_train_end(Logs&) override;

 private:
  std::filesystem::path filename_;
  CSVLoggerOptions o_;
  std::shared_ptr<std::ofstream> file_;  // shared: callbacks are movable values
  std::optional<std::vector<std::string>> keys_;
  bool write_header_ = true;
};

// Stops training (after the current batch) when the batch logs' loss is NaN or infinite.
class TerminateOnNaN : public Callback {
 public:
  void on_train_batch_end(int batch, Logs& logs) override;
};

struct LambdaCallbackOptions {
  std::function<void(int, Logs&)> on_epoch_begin{};
  std::function<void(int, Logs&)> on_epoch_end{};
  std::function<void(int, Logs&)> on_train_batch_begin{};
  std::function<void(int, Logs&)> on_train_batch_end{};
  std::function<void(Logs&)> on_train_begin{};
  std::function<void(Logs&)> on_train_end{};
};

class LambdaCallback : public Callback {
 public:
  explicit LambdaCallback(LambdaCallbackOptions options) : o_(std::move(options)) {}
  void on_epoch_begin(int e, Logs& l) override { if (o_.on_epoch_begin) o_.on_epoch_begin(e, l); }
  void on_epoch_end(int e, Logs& l) override { if (o_.on_epoch_end) o_.on_epoch_end(e, l); }
  void on_train_batch_begin(int b, Logs& l) override { if (o_.on_train_batch_begin) o_.on_train_batch_begin(b, l); }
  void on_train_batch_end(int b, Logs& l) override { if (o_.on_train_batch_end) o_.on_train_batch_end(b, l); }
  void on_train_begin(Logs& l) override { if (o_.on_train_begin) o_.on_train_begin(l); }
  void on_train_end(Logs& l) override { if (o_.on_train_end) o_.on_train_end(l); }

 private:
  LambdaCallbackOptions o_;
};

// Python's str.format over {epoch} (an int) and the logs (floats): "{epoch:02d}", "{val_loss:.2f}",
// "{{" for a brace. Unknown names and bad specs throw invalid_argument naming the pattern.
std::string format_filepath(const std::string& pattern, int epoch_one_based, const Logs& logs);

}  // namespace minidl::optim
