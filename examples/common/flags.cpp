#include "flags.h"

#include <stdexcept>

#include <fmt/format.h>

namespace minidl::examples {

Flags::Flags(int argc, char** argv, std::map<std::string, std::string> known, std::set<std::string> switches)
    : known_(std::move(known)), switches_(std::move(switches)) {
  known_["help"] = "print this help";
  switches_.insert("help");
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.rfind("--", 0) != 0) throw std::invalid_argument(fmt::format("unexpected argument '{}' (flags start with --)", arg));
    std::string name = arg.substr(2), value;
    if (auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    } else if (!switches_.count(name)) {
      if (i + 1 >= argc) throw std::invalid_argument(fmt::format("flag --{} needs a value", name));
      value = argv[++i];
    }
    if (!known_.count(name)) throw std::invalid_argument(fmt::format("unknown flag --{} (see --help)", name));
    values_[name] = value;
  }
}

std::string Flags::get(const std::string& name, const std::string& fallback) const {
  auto it = values_.find(name);
  return it == values_.end() ? fallback : it->second;
}

std::int64_t Flags::get_int(const std::string& name, std::int64_t fallback, std::int64_t min_value) const {
  auto it = values_.find(name);
  if (it == values_.end()) return fallback;
  std::size_t used = 0;
  std::int64_t v = 0;
  try {
    v = std::stoll(it->second, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != it->second.size() || v < min_value)
    throw std::invalid_argument(fmt::format("--{} expects an integer >= {}, received '{}'", name, min_value, it->second));
  return v;
}

double Flags::get_double(const std::string& name, double fallback) const {
  auto it = values_.find(name);
  if (it == values_.end()) return fallback;
  std::size_t used = 0;
  double v = 0;
  try {
    v = std::stod(it->second, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != it->second.size()) throw std::invalid_argument(fmt::format("--{} expects a number, received '{}'", name, it->second));
  return v;
}

std::string Flags::usage(const std::string& program) const {
  std::string s = fmt::format("usage: {} [flags]\n", program);
  for (const auto& [name, help] : known_) s += fmt::format("  --{:<14} {}\n", name, help);
  return s;
}

}  // namespace minidl::examples
