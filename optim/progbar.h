#pragma once
// Keras's Progbar (keras.utils.Progbar) as fit/evaluate print it:
//   verbose=1 on a terminal: one line per epoch redrawn in place ("\r"), with the ETA while running
//     " 12/469 ━━━━━━━━━━━━━━━━━━━━ 3s 8ms/step - loss: 0.2731 - mae: 0.3100"
//     and the elapsed time once finished ("469/469 ━━━━━━━━━━━━━━━━━━━━ 4s 8ms/step - ...").
//   verbose=1 elsewhere (a file, a pipe, a string stream): only the finished line, without colours.
//   verbose=2: the finished line in Keras's semi-verbose form "469/469 - 4s - 8ms/step - loss: ...".
//   verbose=0: nothing.
// Values print as Keras does: "{:.4f}" when |v| > 1e-3, "{:.4e}" otherwise; the step time as
// s/ms/us per step, ignoring the first (warm-up) step once there are more.
#include <chrono>
#include <cstdint>
#include <iosfwd>
#include <map>
#include <string>

namespace minidl::optim {

class Progbar {
 public:
  // `dynamic`: redraw in place with colours (a terminal). width: the bar's length in characters.
  Progbar(std::int64_t target, int verbose, std::ostream& out, bool dynamic, int width = 20, double interval = 0.05);

  // `current` steps are done; `values` are shown as given (fit passes running means), sorted by name.
  // Only a `finalize` update ends the line (fit finalizes at the epoch's end, after validation).
  void update(std::int64_t current, const std::map<std::string, double>& values, bool finalize = false);

  // Keras's formatting pieces (exposed for tests).
  static std::string format_value(double v);
  static std::string format_time_per_unit(double seconds, const std::string& unit = "step");
  static std::string format_eta(double seconds);

 private:
  double step_duration(std::int64_t current, double now);
  double seconds_since_start() const;

  std::int64_t target_;
  int verbose_;
  std::ostream& out_;
  bool dynamic_;
  int width_;
  double interval_;
  std::chrono::steady_clock::time_point start_;
  double last_update_ = -1e300;
  double time_after_first_step_ = -1.0;
  std::size_t prev_width_ = 0;
};

// Whether `out` is std::cout writing to a terminal (where Keras redraws lines in place).
bool is_terminal(const std::ostream& out);

}  // namespace minidl::optim
