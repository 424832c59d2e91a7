// Shape (core/shape.cpp): extents, strides, axis normalisation and NumPy broadcasting rules.
#include "support/fixtures.h"

using namespace minidl;

TEST_CASE("Shape: extents, numel, strides, negative indexing", "[shape]") {
  Shape s{2, 3, 4};
  REQUIRE(s.ndim() == 3);
  REQUIRE(s.numel() == 24);
  REQUIRE(s[0] == 2);
  REQUIRE(s[-1] == 4);
  REQUIRE(s.at(-3) == 2);
  REQUIRE(s.strides() == std::vector<std::int64_t>{12, 4, 1});
  REQUIRE(Shape{}.numel() == 1);  // a scalar holds one element
  REQUIRE(Shape{}.strides().empty());
  REQUIRE(Shape{3, 0}.numel() == 0);
  REQUIRE(Shape{-1, 3}.ndim() == 2);
  REQUIRE_FALSE(Shape{-1, 3}.is_fully_defined());
  REQUIRE(Shape{2, 3}.is_fully_defined());
  REQUIRE(Shape(std::vector<std::int64_t>{2, 3}) == Shape{2, 3});
  REQUIRE(Shape{2, 3} != Shape{3, 2});
  REQUIRE_THROWS_WITH_ALL(s[3], std::out_of_range, "axis=3", "rank 3", "-3 to 2");
  REQUIRE_THROWS_WITH_ALL(s[-4], std::out_of_range, "axis=-4");
  REQUIRE_THROWS_WITH_ALL(Shape({2, -5}), std::invalid_argument, ">= 0", "-5", "axis 1");
}

TEST_CASE("broadcast_shapes follows NumPy: align right, 1 stretches", "[shape]") {
  REQUIRE(broadcast_shapes({2, 3, 4}, {3, 1}, "op") == Shape{2, 3, 4});
  REQUIRE(broadcast_shapes({4}, {2, 1, 4}, "op") == Shape{2, 1, 4});
  REQUIRE(broadcast_shapes({3, 1, 2}, {1, 4, 1}, "op") == Shape{3, 4, 2});
  REQUIRE(broadcast_shapes({}, {2, 3}, "op") == Shape{2, 3});
  REQUIRE(broadcast_shapes({2, 3}, {}, "op") == Shape{2, 3});
  REQUIRE(broadcast_shapes({}, {}, "op") == Shape{});
  REQUIRE(broadcast_shapes({1}, {0}, "op") == Shape{0});  // 1 stretches to 0, as in NumPy
  REQUIRE(broadcast_shapes({5, 1}, {1, 1}, "op") == Shape{5, 1});
}

TEST_CASE("broadcast_shapes errors name the op, both shapes and the clashing axis", "[shape][errors]") {
  REQUIRE_THROWS_WITH_ALL(broadcast_shapes({2, 3}, {4}, "add"), std::invalid_argument, "add:", "(2, 3)", "(4,)",
                          "cannot be broadcast", "axis 1 from the end", "3 vs 4");
  REQUIRE_THROWS_WITH_ALL(broadcast_shapes({2, 3, 4}, {5, 3, 4}, "matmul batch axes"), std::invalid_argument,
                          "matmul batch axes", "axis 3 from the end", "2 vs 5");
  REQUIRE_THROWS_WITH_ALL(broadcast_shapes({2}, {0}, "mul"), std::invalid_argument, "mul", "2 vs 0");
}

TEST_CASE("normalize_axis maps negative axes and rejects the rest", "[shape]") {
  REQUIRE(normalize_axis(0, 3) == 0);
  REQUIRE(normalize_axis(2, 3) == 2);
  REQUIRE(normalize_axis(-1, 3) == 2);
  REQUIRE(normalize_axis(-3, 3) == 0);
  REQUIRE_THROWS_WITH_ALL(normalize_axis(3, 3), std::out_of_range, "axis=3", "rank 3", "allowed: -3 to 2");
  REQUIRE_THROWS_WITH_ALL(normalize_axis(-4, 3), std::out_of_range, "axis=-4", "rank 3");
  REQUIRE_THROWS_WITH_ALL(normalize_axis(2, 2, "concat axis"), std::out_of_range, "concat axis=2", "rank 2");
  REQUIRE_THROWS_WITH_ALL(normalize_axis(0, 0), std::out_of_range, "axis=0", "rank 0");  // a scalar has no axes
}

TEST_CASE("normalize_axes sorts, rejects repeats, and empty means every axis", "[shape]") {
  REQUIRE(normalize_axes({}, 3) == std::vector<std::int64_t>{0, 1, 2});
  REQUIRE(normalize_axes({}, 0).empty());
  REQUIRE(normalize_axes({-1, 0}, 3) == std::vector<std::int64_t>{0, 2});
  REQUIRE(normalize_axes({2, 1}, 4) == std::vector<std::int64_t>{1, 2});
  REQUIRE_THROWS_WITH_ALL(normalize_axes({1, -2}, 3), std::invalid_argument, "axes", "repeat", "[1, -2]");
  REQUIRE_THROWS_WITH_ALL(normalize_axes({0, 3}, 3, "sum axes"), std::out_of_range, "sum axes=3", "-3 to 2");
}

TEST_CASE("parse_dtype reads Keras's dtype strings", "[shape][dtype]") {
  REQUIRE(parse_dtype("float32") == DType::Float32);
  REQUIRE(parse_dtype("float64") == DType::Float64);
  REQUIRE(dtype_size(DType::Float32) == 4);
  REQUIRE(dtype_size(DType::Float64) == 8);
  REQUIRE_THROWS_WITH_ALL(parse_dtype("float16"), std::invalid_argument, "dtype", "'float16'", "float32");
}
