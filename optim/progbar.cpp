#include "minidl/optim/progbar.h"

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <iostream>

#include <fmt/format.h>

namespace minidl::optim {

namespace {

std::string repeat(const char* glyph, std::int64_t n) {
  std::string s;
  for (std::int64_t i = 0; i < n; ++i) s += glyph;
  return s;
}

}  // namespace

bool is_terminal(const std::ostream& out) { return &out == &std::cout && ::isatty(STDOUT_FILENO) == 1; }

Progbar::Progbar(std::int64_t target, int verbose, std::ostream& out, bool dynamic, int width, double interval)
    : target_(target),
      verbose_(verbose),
      out_(out),
      dynamic_(dynamic),
      width_(width),
      interval_(interval),
      start_(std::chrono::steady_clock::now()) {}

double Progbar::seconds_since_start() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

std::string Progbar::format_value(double v) {
  return std::abs(v) > 1e-3 ? fmt::format("{:.4f}", v) : fmt::format("{:.4e}", v);
}

std::string Progbar::format_time_per_unit(double t, const std::string& unit) {
  if (t >= 1 || t == 0) return fmt::format("{:.0f}s/{}", t, unit);
  if (t >= 1e-3) return fmt::format("{:.0f}ms/{}", t * 1e3, unit);
  return fmt::format("{:.0f}us/{}", t * 1e6, unit);
}

std::string Progbar::format_eta(double eta) {
  const auto e = static_cast<std::int64_t>(eta);
  if (eta > 3600) return fmt::format("{}:{:02d}:{:02d}", e / 3600, (e % 3600) / 60, e % 60);
  if (eta > 60) return fmt::format("{}:{:02d}", e / 60, e % 60);
  return fmt::format("{}s", e);
}

double Progbar::step_duration(std::int64_t current, double now) {
  // Keras's _estimate_step_duration: the first step (graph tracing, caches) is left out once possible.
  if (current <= 0) return 0.0;
  double per = (time_after_first_step_ >= 0 && current > 1) ? (now - time_after_first_step_) / double(current - 1)
                                                            : now / double(current);
  if (current == 1) time_after_first_step_ = now;
  return per;
}

void Progbar::update(std::int64_t current, const std::map<std::string, double>& values, bool finalize) {
  const double now = seconds_since_start();
  const double per_step = step_duration(current, now);
  if (verbose_ == 1) {
    if (!finalize && (!dynamic_ || now - last_update_ < interval_)) return;
    const bool colour = dynamic_;
    auto style = [colour](const char* code, const std::string& s) {
      return colour ? std::string(code) + s + "\x1b[0m" : s;
    };
    std::string bar, info;
    std::size_t visible = 0;
    if (target_ > 0) {
      const int digits = static_cast<int>(std::log10(static_cast<double>(target_))) + 1;
      const std::string count = fmt::format("{:>{}}/{}", current, digits, target_);
      const auto filled = std::min<std::int64_t>(width_, width_ * current / target_);
      bar = style("\x1b[1m", count) + " ";
      if (filled > 0) bar += style("\x1b[32m", repeat("━", filled));
      bar += style("\x1b[37m", repeat("━", width_ - filled));
      visible = count.size() + 1 + static_cast<std::size_t>(width_);
    } else {
      bar = fmt::format("{:>7}/Unknown", current);
      visible = bar.size();
    }
    const std::string when = (target_ > 0 && !finalize) ? format_eta(per_step * double(target_ - current))
                                                       : fmt::format("{:.0f}s", now);
    info.append(1, ' ').append(style("\x1b[1m", when)).append(1, ' ').append(format_time_per_unit(per_step));
    visible += 2 + when.size() + format_time_per_unit(per_step).size();
    for (const auto& [k, v] : values) {
      const std::string item = fmt::format(" - {}: {}", k, format_value(v));
      info += item;
      visible += item.size();
    }
    std::string message = dynamic_ ? "\r" : "";
    message += bar + info;
    if (dynamic_ && prev_width_ > visible) message += std::string(prev_width_ - visible, ' ');
    if (finalize) message += "\n";
    out_ << message << std::flush;
    prev_width_ = visible;
  } else if (verbose_ == 2 && finalize) {
    const int digits = target_ > 0 ? static_cast<int>(std::log10(static_cast<double>(target_))) + 1 : 1;
    std::string line = fmt::format("{:>{}}/{} - {:.0f}s - {}", current, digits, target_, now,
                                   format_time_per_unit(per_step));
    // Keras's semi-verbose branch tests `avg > 1e-3` without abs(): negative values print as {:.4e}.
    for (const auto& [k, v] : values)
      line += fmt::format(" - {}: {}", k, v > 1e-3 ? fmt::format("{:.4f}", v) : fmt::format("{:.4e}", v));
    out_ << line << "\n" << std::flush;
  }
  last_update_ = now;
}

}  // namespace minidl::optim
