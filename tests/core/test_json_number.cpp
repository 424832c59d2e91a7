// Checked integer reads from outside JSON: whole numbers pass (also when written as floats, as some
// writers do), anything else is an invalid_argument naming the field and the value, never a cast.
#include <catch2/catch.hpp>

#include <minidl/minidl.h>

#include "support/fixtures.h"

using namespace minidl;
using nlohmann::json;

TEST_CASE("json_int: integers and integral floats in range", "[core][json]") {
  CHECK(json_int(json(7), "filters") == 7);
  CHECK(json_int(json(-3), "axis") == -3);
  CHECK(json_int(json(2.0), "strides") == 2);
  CHECK(json_int(json(-9.007199254740992e15), "x") == -9007199254740992LL);
  CHECK(json_int(json(std::uint64_t{9223372036854775807ULL}), "x") == INT64_MAX);
  CHECK(json_uint(json(std::uint64_t{18446744073709551615ULL}), "seed") == UINT64_MAX);
  CHECK(json_uint(json(1337.0), "seed") == 1337);
  CHECK(json_uint(json(std::int64_t{8}), "seed") == 8);  // signed storage of a non-negative value
  CHECK(json_int_or(json::object(), "groups", 1) == 1);
  CHECK(json_int_or(json{{"groups", 4}}, "groups", 1) == 4);
}

TEST_CASE("json_int: out of range, fractional and non-numbers are named errors", "[core][json]") {
  REQUIRE_THROWS_WITH_ALL(json_int(json(2e66), "strides"), std::invalid_argument, "strides", "2e+66");
  // 2^63 is one past int64's maximum.
  REQUIRE_THROWS_WITH_ALL(json_int(json(9223372036854775808.0), "units"), std::invalid_argument, "units");
  REQUIRE_THROWS_WITH_ALL(json_int(json(std::uint64_t{9223372036854775808ULL}), "units"), std::invalid_argument,
                          "units", "9223372036854775808");
  REQUIRE_THROWS_WITH_ALL(json_int(json(2.5), "kernel_size"), std::invalid_argument, "kernel_size", "2.5");
  REQUIRE_THROWS_WITH_ALL(json_int(json(std::nan("")), "axis"), std::invalid_argument, "axis");
  REQUIRE_THROWS_WITH_ALL(json_int(json("3"), "filters"), std::invalid_argument, "filters", "\"3\"");
  REQUIRE_THROWS_WITH_ALL(json_uint(json(-1), "seed"), std::invalid_argument, "seed", "-1");
  REQUIRE_THROWS_WITH_ALL(json_int_or(json{{"groups", 1e300}}, "groups", 1), std::invalid_argument, "groups");
}
