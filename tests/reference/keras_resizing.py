"""The real Keras's image resizing for tests/autograd/test_resize.cpp and tests/layers/test_resizing.cpp:
keras.ops.image.resize (every interpolation of the JAX backend, antialias, crop / pad to the aspect
ratio, both data formats, one image or a batch), its gradient, the Resizing layer's get_config, and
UpSampling2D with the interpolations that go through resize.

Regenerate (pip's keras 3 + jax; building and testing minidl never needs them):
    KERAS_BACKEND=jax python3 tests/reference/keras_resizing.py
-> tests/fixtures/keras_resizing.json

Inputs are pattern(shape, seed) * 3 + 1 (pattern() is the twin of test::pattern). Each resize case keeps
the call's arguments, the float32 output and the gradient of sum(y * pattern(y.shape, seed + 500))
with respect to the images (jax.grad through Keras's op).
"""
import os

import jax
import jax.numpy as jnp
import numpy as np

import keras  # noqa: E402
from keras import layers, ops  # noqa: E402
from pattern import pattern, flat, write_fixture  # noqa: E402

assert keras.backend.backend() == "jax", "run with KERAS_BACKEND=jax"
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "keras_resizing.json")


def data(shape, seed):
    return (3.0 * pattern(shape, seed) + 1.0).astype(np.float32)


def resize_cases():
    specs = [
        # (input shape, size, kwargs) -- channels_last unless data_format says otherwise
        ((2, 5, 4, 3), (10, 8), {"interpolation": "bilinear"}),
        ((2, 5, 4, 3), (7, 9), {"interpolation": "bilinear"}),
        ((2, 9, 8, 2), (4, 3), {"interpolation": "bilinear"}),
        ((2, 9, 8, 2), (4, 3), {"interpolation": "bilinear", "antialias": True}),
        ((1, 6, 7, 2), (6, 11), {"interpolation": "bilinear"}),
        ((2, 5, 4, 3), (7, 9), {"interpolation": "nearest"}),
        ((2, 9, 8, 2), (4, 5), {"interpolation": "nearest"}),
        ((1, 3, 7, 1), (7, 3), {"interpolation": "nearest"}),
        ((2, 5, 4, 3), (11, 6), {"interpolation": "bicubic"}),
        ((2, 12, 10, 2), (5, 4), {"interpolation": "bicubic"}),
        ((2, 12, 10, 2), (5, 4), {"interpolation": "bicubic", "antialias": True}),
        ((1, 6, 5, 2), (13, 9), {"interpolation": "lanczos3"}),
        ((1, 14, 11, 2), (5, 6), {"interpolation": "lanczos3", "antialias": True}),
        ((1, 6, 5, 2), (13, 9), {"interpolation": "lanczos5"}),
        ((1, 16, 15, 1), (7, 4), {"interpolation": "lanczos5", "antialias": True}),
        ((2, 3, 5, 4), (6, 10), {"interpolation": "bilinear", "data_format": "channels_first"}),
        ((2, 3, 9, 8), (4, 5), {"interpolation": "bicubic", "antialias": True, "data_format": "channels_first"}),
        ((2, 3, 5, 4), (6, 7), {"interpolation": "nearest", "data_format": "channels_first"}),
        ((2, 8, 4, 3), (5, 5), {"interpolation": "bilinear", "crop_to_aspect_ratio": True}),
        ((2, 4, 9, 3), (6, 4), {"interpolation": "bicubic", "crop_to_aspect_ratio": True}),
        ((2, 8, 4, 3), (5, 5), {"interpolation": "bilinear", "pad_to_aspect_ratio": True}),
        ((2, 4, 9, 3), (6, 4), {"interpolation": "nearest", "pad_to_aspect_ratio": True, "fill_value": 0.5}),
        ((2, 3, 8, 4), (5, 5), {"interpolation": "bilinear", "pad_to_aspect_ratio": True, "fill_value": -1.0,
                                "data_format": "channels_first"}),
        ((2, 3, 4, 9), (4, 4), {"interpolation": "lanczos3", "crop_to_aspect_ratio": True,
                                "data_format": "channels_first"}),
        ((5, 4, 3), (10, 6), {"interpolation": "bilinear"}),
        ((3, 5, 4), (7, 8), {"interpolation": "bicubic", "data_format": "channels_first"}),
        ((2, 5, 4, 3), (5, 9), {"interpolation": "lanczos3"}),
        ((2, 5, 4, 3), (5, 4), {"interpolation": "bilinear"}),
    ]
    cases = []
    for seed, (shape, size, kwargs) in enumerate(specs, start=1):
        x = data(shape, seed)
        y = np.asarray(ops.image.resize(x, size, **kwargs))
        r = pattern(y.shape, seed + 500).astype(np.float32)
        grad = jax.grad(lambda t: jnp.sum(ops.image.resize(t, size, **kwargs) * r))(jnp.asarray(x))
        cases.append({"input_shape": list(shape), "seed": seed, "size": list(size), "kwargs": kwargs,
                      "output_shape": list(y.shape), "y": flat(y), "grad": flat(np.asarray(grad))})
    return cases


def resizing_layer_cases():
    cases = []
    for seed, (shape, kwargs) in enumerate([
            ((2, 6, 9, 3), {"height": 4, "width": 4}),
            ((2, 6, 9, 3), {"height": 5, "width": 3, "interpolation": "bicubic", "crop_to_aspect_ratio": True}),
            ((2, 3, 6, 9), {"height": 8, "width": 8, "interpolation": "nearest", "pad_to_aspect_ratio": True,
                            "fill_value": 2.0, "data_format": "channels_first"}),
            ((6, 9, 3), {"height": 3, "width": 4, "interpolation": "lanczos5", "antialias": True}),
    ], start=40):
        layer = layers.Resizing(name=f"resizing_{seed}", **kwargs)
        y = np.asarray(layer(data(shape, seed)))
        cases.append({"input_shape": list(shape), "seed": seed, "kwargs": kwargs, "output_shape": list(y.shape),
                      "y": flat(y), "config": layer.get_config()})
    return cases


def upsampling_cases():
    cases = []
    for seed, (shape, kwargs) in enumerate([
            ((2, 3, 4, 2), {"size": (2, 3), "interpolation": "bicubic"}),
            ((2, 3, 4, 2), {"size": (3, 2), "interpolation": "lanczos3"}),
            ((1, 2, 3, 4), {"size": (2, 2), "interpolation": "lanczos5", "data_format": "channels_first"}),
            ((2, 3, 4, 2), {"size": (2, 2), "interpolation": "Bilinear"}),
    ], start=60):
        layer = layers.UpSampling2D(name=f"up_sampling2d_{seed}", **kwargs)
        y = np.asarray(layer(data(shape, seed)))
        cases.append({"input_shape": list(shape), "seed": seed, "kwargs": {**kwargs, "size": list(kwargs["size"])},
                      "output_shape": list(y.shape), "y": flat(y), "config": layer.get_config()})
    return cases


if __name__ == "__main__":
    write_fixture(OUT, {"keras": keras.__version__, "jax": jax.__version__, "resize": resize_cases(),
                        "resizing": resizing_layer_cases(), "upsampling": upsampling_cases()})
