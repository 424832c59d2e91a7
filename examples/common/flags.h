#pragma once
// A tiny --name value / --flag command-line parser for the examples, with errors that name the
// flag and what it expects.
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace minidl::examples {

class Flags {
 public:
  // `known`: flag names (without "--") and their help text; `switches`: flags that take no value.
  Flags(int argc, char** argv, std::map<std::string, std::string> known, std::set<std::string> switches = {});
  bool has(const std::string& name) const { return values_.count(name) > 0; }
  std::string get(const std::string& name, const std::string& fallback) const;
  std::int64_t get_int(const std::string& name, std::int64_t fallback, std::int64_t min_value = 0) const;
  double get_double(const std::string& name, double fallback) const;
  bool help() const { return has("help"); }
  std::string usage(const std::string& program) const;

 private:
  std::map<std::string, std::string> known_, values_;
  std::set<std::string> switches_;
};

}  // namespace minidl::examples
