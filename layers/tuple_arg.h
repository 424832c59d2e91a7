#pragma once
// Keras's standardize_tuple check (keras/src/utils/argument_validation.py) for the int-tuple
// arguments of the 1-D layers, with Keras's message:
//   "The `padding` argument must be a tuple of 2 integers. Received padding=-1, including values
//    {-1} that do not satisfy `value >= 0`"
#include <cstdint>
#include <string>
#include <vector>

namespace minidl::layers {

// `values` as given (one int when `from_int`, else the tuple); `n` the tuple's length; allow_zero:
// values must be >= 0 (else > 0). Throws std::invalid_argument prefixed with `op`.
void check_int_tuple(const std::string& op, const std::string& name, const std::vector<std::int64_t>& values,
                     bool from_int, std::size_t n, bool allow_zero);

}  // namespace minidl::layers
