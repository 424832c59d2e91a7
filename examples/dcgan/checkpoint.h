#pragma once
// A DCGAN run's whole training state after an epoch, so a long run can stop and resume: what the
// TensorFlow tutorial's tf.train.Checkpoint holds (both networks, both optimizers) plus what makes
// the resumed run continue bit-identically (the noise/shuffling generator, each Dropout's generator,
// the epoch reached and the losses so far). One safetensors file, written atomically:
//   tensors   "generator/...", "discriminator/..."       the weights, under their paths
//             "generator_optimizer/<key>", "discriminator_optimizer/<key>"   Optimizer::state()
//   metadata  format = "minidl.dcgan_checkpoint", format_version, epoch, run (the settings that must
//             match to resume), rng_state, dropout_rng_states, losses
#include <string>

#include "dcgan.h"

namespace minidl::examples {

void save_dcgan_checkpoint(const std::string& path, DcganTrainer& trainer, const DcganOptions& options, int epoch,
                           const DcganHistory& history);

// Restores `trainer` from a checkpoint written for the same settings (seed, batch size, noise_dim,
// dropout, limit) and returns the epoch it was written after; `history` receives the losses of those
// epochs. Throws std::runtime_error for a missing or damaged file, std::invalid_argument when the
// run's settings differ from the checkpoint's (the message names the setting and both values).
int load_dcgan_checkpoint(const std::string& path, DcganTrainer& trainer, const DcganOptions& options,
                          DcganHistory& history);

}  // namespace minidl::examples
