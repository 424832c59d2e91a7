#pragma once
// Cases from tests/fixtures/ops_reference.json (written by tests/reference/ops_reference.py with
// PyTorch): float64 inputs, PyTorch's output, a weight tensor and PyTorch's gradients of
// sum(output * weight). Each op test file maps a case's "op" and "params" to a minidl call and
// runs the same three checks on it: forward, backward against PyTorch, and gradcheck.
#include <algorithm>
#include <functional>
#include <iostream>
#include <string>
#include <vector>

#include "support/fixtures.h"

namespace minidl::test {

struct OpCase {
  std::string op;
  nlohmann::json params;
  std::vector<Tensor> inputs;
  Tensor output;
  Tensor weight;               // undefined when the op is not differentiable
  std::vector<Tensor> grads;   // one per input; undefined where PyTorch gives none
  std::string label;           // op, input shapes and params, for failure messages
};

using OpRunner = std::function<Tensor(const OpCase&, const std::vector<Tensor>&)>;

inline std::vector<OpCase> load_op_cases(const std::string& section) {
  static const nlohmann::json fixture = load_fixture("ops_reference.json");
  std::vector<OpCase> cases;
  for (const auto& j : fixture.at(section)) {
    OpCase c;
    c.op = j.at("op").get<std::string>();
    c.params = j.at("params");
    c.label = c.op;
    for (const auto& in : j.at("inputs")) {
      c.inputs.push_back(tensor_from_json(in));
      c.label += fmt::format(" {}", c.inputs.back().shape());
    }
    if (!c.params.empty()) c.label += fmt::format(" {}", c.params.dump());
    c.output = tensor_from_json(j.at("output"));
    if (j.contains("weight")) {
      c.weight = tensor_from_json(j.at("weight"));
      for (const auto& g : j.at("grads")) c.grads.push_back(g.is_null() ? Tensor() : tensor_from_json(g));
    }
    cases.push_back(std::move(c));
  }
  REQUIRE(!cases.empty());
  return cases;
}

// Fresh leaves (own buffers) so that gradcheck's in-place nudges never touch the fixture;
// inputs that PyTorch gave no gradient stay constants.
inline std::vector<Tensor> leaves_for(const OpCase& c, DType dtype = DType::Float64) {
  std::vector<Tensor> leaves;
  for (std::size_t i = 0; i < c.inputs.size(); ++i) {
    Tensor t = c.inputs[i].to(dtype).deep_copy();
    if (i < c.grads.size() && c.grads[i].defined()) t.set_requires_grad();
    leaves.push_back(t);
  }
  return leaves;
}

// Largest errors measured over a family, printed once so reports can quote them.
struct ErrorTally {
  std::string what;
  double max_abs = 0.0, max_rel = 0.0;
  int cases = 0;
  void add(const Closeness& c) {
    max_abs = std::max(max_abs, c.max_abs);
    max_rel = std::max(max_rel, c.max_rel);
    ++cases;
  }
  void add(const GradcheckResult& r) {
    max_abs = std::max(max_abs, r.max_abs_error);
    max_rel = std::max(max_rel, r.max_rel_error);
    ++cases;
  }
  ~ErrorTally() {
    std::cout << what << ": " << cases << " checks, max abs error " << max_abs << ", max rel error " << max_rel
              << '\n';
  }
};

// Forward in float64 (and in float32 with float32 tolerances) against PyTorch's float64 output.
inline void check_forward(const std::string& section, const OpRunner& run, DType dtype, double rtol, double atol) {
  ErrorTally tally{fmt::format("{} forward {} vs PyTorch", section, dtype)};
  for (const OpCase& c : load_op_cases(section)) {
    INFO(c.label);
    std::vector<Tensor> in;
    for (const auto& t : c.inputs) in.push_back(t.to(dtype));
    Tensor out = run(c, in);
    REQUIRE(out.dtype() == dtype);
    const Closeness closeness = compare(out, c.output, rtol, atol);
    INFO(closeness.detail);
    REQUIRE(closeness.ok);
    tally.add(closeness);
  }
}

// backward(weight) against PyTorch's gradients of sum(output * weight).
inline void check_backward(const std::string& section, const OpRunner& run) {
  ErrorTally tally{fmt::format("{} backward vs PyTorch", section)};
  for (const OpCase& c : load_op_cases(section)) {
    if (!c.weight.defined()) continue;
    INFO(c.label);
    std::vector<Tensor> leaves = leaves_for(c);
    run(c, leaves).backward(c.weight);
    for (std::size_t i = 0; i < leaves.size(); ++i) {
      INFO("input " << i);
      if (!c.grads[i].defined()) {
        REQUIRE_FALSE(leaves[i].grad().defined());
        continue;
      }
      REQUIRE(leaves[i].grad().defined());
      const Closeness closeness = compare(leaves[i].grad(), c.grads[i], 1e-12, 1e-12);
      INFO(closeness.detail);
      REQUIRE(closeness.ok);
      tally.add(closeness);
    }
  }
}

// Central differences on every fixture case (inputs are drawn away from the ops' kinks).
inline void check_fixture_gradients(const std::string& section, const OpRunner& run) {
  ErrorTally tally{fmt::format("{} gradcheck", section)};
  for (const OpCase& c : load_op_cases(section)) {
    if (!c.weight.defined()) continue;
    const auto f = [&c, &run](const std::vector<Tensor>& in) { return run(c, in); };
    const std::vector<Tensor> leaves = leaves_for(c);
    const GradcheckResult r = check_gradients(c.label, f, leaves);
    INFO(c.label << ": " << r.summary());
    REQUIRE(r.passed);
    tally.add(r);
  }
}

// Every op named in `runners` appears in the fixture and every fixture op has a runner.
inline void check_coverage(const std::string& section, const std::vector<std::string>& expected_ops) {
  std::vector<std::string> seen;
  for (const OpCase& c : load_op_cases(section))
    if (std::find(seen.begin(), seen.end(), c.op) == seen.end()) seen.push_back(c.op);
  for (const auto& op : expected_ops) {
    INFO("op " << op << " has no case in the fixture section " << section);
    CHECK(std::find(seen.begin(), seen.end(), op) != seen.end());
  }
  for (const auto& op : seen) {
    INFO("fixture op " << op << " is not run by the tests");
    CHECK(std::find(expected_ops.begin(), expected_ops.end(), op) != expected_ops.end());
  }
}

}  // namespace minidl::test
