// One whole step of examples/dcgan against PyTorch in float64 (tests/reference/torch_dcgan_step.py):
// the fakes, the discriminator's outputs, both losses, every weight gradient of both networks and the
// generator's moving statistics. The per-op fixtures cannot catch a wrong wiring of the step (which
// loss reaches which network, gradients leaking between them, batch-norm momentum); this can.
#include "dcgan/dcgan.h"
#include "support/fixtures.h"

using namespace minidl;

namespace {

// The reference's weights: pattern(shape, seed) * scale + offset, in weights() order.
void set_pattern_weights(layers::Layer& model, const nlohmann::json& table) {
  const auto vars = model.weights();
  REQUIRE(vars.size() == table.size());
  std::vector<Tensor> values;
  for (std::size_t i = 0; i < vars.size(); ++i) {
    REQUIRE(vars[i]->path == table[i]["name"].get<std::string>());
    values.push_back(test::pattern(vars[i]->value.shape(), table[i]["seed"].get<std::int64_t>()) *
                         table[i]["scale"].get<double>() +
                     table[i]["offset"].get<double>());
  }
  model.set_weights(values);
}

// A summary written by the reference: 40 sampled elements within 1e-4 of the tensor's largest
// magnitude, and the dot product with a fixed pattern within 1e-4 of the sum of |products|.
void check_summary(const std::string& name, const Tensor& actual, const nlohmann::json& s) {
  INFO(name);
  REQUIRE(actual.shape() == test::shape_from_json(s["shape"]));
  const auto a = actual.to(DType::Float64).to_vector<double>();
  const double tol = 1e-4 * s["max_abs"].get<double>();
  for (const auto& sample : s["samples"]) {
    const auto i = sample[0].get<std::size_t>();
    INFO("element " << i << ": ours " << a[i] << ", PyTorch " << sample[1].get<double>());
    CHECK(std::abs(a[i] - sample[1].get<double>()) <= tol);
  }
  const auto probe = test::pattern(actual.shape(), s["probe_seed"].get<std::int64_t>(), DType::Float64).to_vector<double>();
  double dot = 0, magnitude = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    dot += a[i] * probe[i];
    magnitude += std::abs(a[i] * probe[i]);
  }
  INFO("dot with the probe: ours " << dot << ", PyTorch " << s["dot"].get<double>());
  CHECK(std::abs(dot - s["dot"].get<double>()) <= 1e-4 * magnitude);
}

}  // namespace

TEST_CASE("dcgan: one step equals PyTorch's (fakes, outputs, losses, every gradient, moving statistics)",
          "[examples]") {
  const auto ref = test::load_fixture("torch_dcgan_step.json");
  examples::DcganOptions o;
  o.dropout = 0.0;  // the reference has no dropout masks to share
  o.verbose = false;
  examples::DcganTrainer trainer(o);
  auto& g = trainer.generator();
  auto& d = trainer.discriminator();
  g.build({-1, ref["noise_dim"].get<std::int64_t>()});
  d.build({-1, 28, 28, 1});
  set_pattern_weights(g, ref["generator_weights"]);
  set_pattern_weights(d, ref["discriminator_weights"]);
  const std::int64_t b = ref["batch"];
  const Tensor noise = test::pattern({b, ref["noise_dim"]}, ref["noise"]["seed"]) * ref["noise"]["scale"].get<double>();
  const Tensor real = test::pattern({b, 28, 28, 1}, ref["real"]["seed"]);

  const auto step = trainer.gradients(real, noise);
  CHECK(step.losses.generator == Approx(ref["gen_loss"].get<double>()).epsilon(1e-5));
  CHECK(step.losses.discriminator == Approx(ref["disc_loss"].get<double>()).epsilon(1e-5));
  const auto g_vars = g.trainable_weights(), d_vars = d.trainable_weights();
  REQUIRE(step.generator.size() == g_vars.size());
  REQUIRE(step.generator.size() == ref["generator_grads"].size());
  for (std::size_t i = 0; i < g_vars.size(); ++i)
    check_summary("d gen_loss / d " + g_vars[i]->path, step.generator[i], ref["generator_grads"].at(g_vars[i]->path));
  REQUIRE(step.discriminator.size() == d_vars.size());
  REQUIRE(step.discriminator.size() == ref["discriminator_grads"].size());
  for (std::size_t i = 0; i < d_vars.size(); ++i)
    check_summary("d disc_loss / d " + d_vars[i]->path, step.discriminator[i], ref["discriminator_grads"].at(d_vars[i]->path));
  std::size_t moving = 0;
  for (const auto& v : g.non_trainable_weights()) {
    check_summary(v->path + " after the step", v->value, ref["moving_stats"].at(v->path));
    ++moving;
  }
  CHECK(moving == ref["moving_stats"].size());

  // The forward values themselves (a second training-mode pass sees the same batch statistics).
  NoGradGuard guard;
  const Tensor fake = g(noise, true);
  REQUIRE_CLOSE(fake, test::tensor_from_json(ref["fake"], DType::Float32), 1e-4, 1e-5);
  REQUIRE_CLOSE(d(real, true), test::tensor_from_json(ref["real_out"], DType::Float32), 1e-4, 1e-5);
  REQUIRE_CLOSE(d(fake, true), test::tensor_from_json(ref["fake_out"], DType::Float32), 1e-4, 1e-5);
}
