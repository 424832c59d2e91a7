"""TensorFlow's own DCGAN tutorial (tensorflow.org/tutorials/generative/dcgan), run as written with
tf.keras and GradientTape, on Debian's Fashion-MNIST instead of MNIST: the third opinion, beside
minidl's example and bench/dcgan_quality_torch.py, on what this recipe gives after a few epochs.

    python3 -m venv venv-tf && venv-tf/bin/pip install tensorflow-cpu pillow
    venv-tf/bin/python bench/dcgan_quality_tf.py [--epochs 5] [--out out/dcgan_tf] [--samples 1000]

Networks, initializers (Keras defaults), Adam(1e-4), batch 256, noise 100, BCE from logits and the
simultaneous generator/discriminator update are the tutorial's; images are scaled to [-1, 1] as
there. After every epoch a 4x4 grid like the example's; after the last one <out>/samples.npy, which
bench/gan_sample_quality.py scores (run that with Debian's python3, which has torch).
"""
import argparse
import gzip
import os
import time

import numpy as np
import tensorflow as tf
from PIL import Image

DATA = os.environ.get("MINIDL_FASHION_MNIST", "/usr/share/datasets/fashion-mnist")
L = tf.keras.layers


def train_images():
    with gzip.open(os.path.join(DATA, "train-images-idx3-ubyte.gz")) as f:
        raw = np.frombuffer(f.read(), dtype=np.uint8, offset=16)
    return (raw.reshape(-1, 28, 28, 1).astype("float32") - 127.5) / 127.5


def make_generator():
    return tf.keras.Sequential([
        L.Input((100,)),
        L.Dense(7 * 7 * 256, use_bias=False), L.BatchNormalization(), L.LeakyReLU(),
        L.Reshape((7, 7, 256)),
        L.Conv2DTranspose(128, (5, 5), strides=(1, 1), padding="same", use_bias=False),
        L.BatchNormalization(), L.LeakyReLU(),
        L.Conv2DTranspose(64, (5, 5), strides=(2, 2), padding="same", use_bias=False),
        L.BatchNormalization(), L.LeakyReLU(),
        L.Conv2DTranspose(1, (5, 5), strides=(2, 2), padding="same", use_bias=False, activation="tanh"),
    ])


def make_discriminator():
    return tf.keras.Sequential([
        L.Input((28, 28, 1)),
        L.Conv2D(64, (5, 5), strides=(2, 2), padding="same"), L.LeakyReLU(), L.Dropout(0.3),
        L.Conv2D(128, (5, 5), strides=(2, 2), padding="same"), L.LeakyReLU(), L.Dropout(0.3),
        L.Flatten(), L.Dense(1),
    ])


def write_grid(path, batch):
    x = ((batch[..., 0] + 1.0) * 127.5).clip(0, 255).astype(np.uint8)
    rows = [np.concatenate(list(x[r * 4:(r + 1) * 4]), axis=1) for r in range(4)]
    Image.fromarray(np.concatenate(rows, axis=0)).resize((224, 224), Image.NEAREST).save(path)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--out", default="out/dcgan_tf")
    ap.add_argument("--samples", type=int, default=1000)
    args = ap.parse_args()
    tf.keras.utils.set_random_seed(args.seed)
    os.makedirs(args.out, exist_ok=True)
    dataset = tf.data.Dataset.from_tensor_slices(train_images()).shuffle(60000).batch(256)
    generator, discriminator = make_generator(), make_discriminator()
    bce = tf.keras.losses.BinaryCrossentropy(from_logits=True)
    g_opt, d_opt = tf.keras.optimizers.Adam(1e-4), tf.keras.optimizers.Adam(1e-4)
    fixed = tf.random.normal([16, 100])

    @tf.function
    def train_step(images):
        noise = tf.random.normal([tf.shape(images)[0], 100])
        with tf.GradientTape() as gen_tape, tf.GradientTape() as disc_tape:
            generated = generator(noise, training=True)
            real_output = discriminator(images, training=True)
            fake_output = discriminator(generated, training=True)
            gen_loss = bce(tf.ones_like(fake_output), fake_output)
            disc_loss = bce(tf.ones_like(real_output), real_output) + bce(tf.zeros_like(fake_output), fake_output)
        g_opt.apply_gradients(zip(gen_tape.gradient(gen_loss, generator.trainable_variables), generator.trainable_variables))
        d_opt.apply_gradients(zip(disc_tape.gradient(disc_loss, discriminator.trainable_variables),
                                  discriminator.trainable_variables))
        return gen_loss, disc_loss

    for epoch in range(1, args.epochs + 1):
        start, g_sum, d_sum, steps = time.time(), 0.0, 0.0, 0
        for batch in dataset:
            gen_loss, disc_loss = train_step(batch)
            g_sum, d_sum, steps = g_sum + float(gen_loss), d_sum + float(disc_loss), steps + 1
        write_grid(os.path.join(args.out, f"epoch_{epoch:03d}.png"), generator(fixed, training=False).numpy())
        print(f"epoch {epoch}: gen_loss {g_sum / steps:.4f}  disc_loss {d_sum / steps:.4f}  ({time.time() - start:.0f} s)",
              flush=True)
    samples = generator(tf.random.normal([args.samples, 100], seed=args.seed + 2), training=False).numpy()
    np.save(os.path.join(args.out, "samples.npy"), samples[..., 0])


if __name__ == "__main__":
    main()
