"""The real Keras's image utilities (keras.utils.array_to_img / save_img, load_img / img_to_array,
through PIL) on small images, for tests/core/test_images.cpp.

Regenerate (pip's keras 3 + jax + pillow; building and testing minidl never needs them):
    KERAS_BACKEND=jax python3 tests/reference/keras_images.py
-> tests/fixtures/keras_images.json and the source pictures tests/fixtures/images/*.png

- "array_to_img": arrays built from pattern() (the twin of test::pattern) times a factor plus an
  offset, in both data formats, 1, 3 and 4 channels, scale=True and False; the 8-bit pixels PIL
  holds (what save_img writes), row-major HWC.
- "load_img": PNGs written here by PIL in modes L, LA, RGB, RGBA and P (palette) with pixels from
  a fixed formula, read back by load_img in each color_mode, with and without target_size (nearest,
  with and without keep_aspect_ratio), as img_to_array gives them (float32 0..255, HWC).
- "load_img" also reads JPEGs written here by PIL (tests/fixtures/images/*.jpg): colour with 4:2:0,
  4:2:2 and 4:4:4 chroma subsampling, progressive, grayscale, sizes not a multiple of the 8x8 / 16x16
  blocks; decoded by PIL's libjpeg-turbo, which minidl uses too.
"""
import json
import os

import numpy as np
from PIL import Image

import keras  # noqa: E402
from pattern import pattern  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "..", "fixtures")
IMAGES = os.path.join(FIXTURES, "images")


def array_cases():
    cases = []
    for shape, seed, factor, offset, data_format, scale in [
        ((4, 5, 1), 1, 3.0, 0.0, "channels_last", True),
        ((3, 4, 3), 2, 0.5, 0.25, "channels_last", True),
        ((2, 3, 4), 3, 100.0, 20.0, "channels_last", True),
        ((3, 4, 2), 4, 1.0, 0.0, "channels_first", True),  # 3 channels of 4x2
        ((1, 3, 3), 5, 0.0, 7.0, "channels_first", True),  # constant: max 0, no division
        ((3, 3, 3), 6, 127.0, 128.0, "channels_last", False),  # already in [1, 255)
    ]:
        x = (factor * pattern(shape, seed) + offset).astype("float32")
        img = keras.utils.array_to_img(x, data_format=data_format, scale=scale)
        cases.append({"shape": list(shape), "seed": seed, "factor": factor, "offset": offset,
                      "data_format": data_format, "scale": scale, "mode": img.mode,
                      "pixels": np.asarray(img).reshape(-1).tolist()})
    return cases


def source_images():
    """name -> PIL image; pixel values from an integer formula (no randomness)."""
    h, w = 6, 9
    yy, xx = np.mgrid[0:h, 0:w]
    r = (xx * 29 + yy * 7) % 256
    g = (xx * 13 + yy * 41 + 50) % 256
    b = (xx * 3 + yy * 17 + 200) % 256
    a = (xx * 31 + yy * 5 + 10) % 256
    rgb = np.stack([r, g, b], -1).astype("uint8")
    rgba = np.stack([r, g, b, a], -1).astype("uint8")
    images = {
        "rgb": Image.fromarray(rgb, "RGB"),
        "rgba": Image.fromarray(rgba, "RGBA"),
        "l": Image.fromarray(r.astype("uint8"), "L"),
        "la": Image.fromarray(np.stack([g, a], -1).astype("uint8"), "LA"),
        "p": Image.fromarray(rgb, "RGB").quantize(colors=16, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE),
    }
    return images


def jpeg_images():
    """name -> (PIL image, save arguments); smooth gradients plus an edge, as photographs have."""
    h, w = 13, 21
    yy, xx = np.mgrid[0:h, 0:w]
    r = (xx * 11 + yy * 5) % 256
    g = (yy * 17 + 40 + 60 * (xx > 10)) % 256
    b = (200 - xx * 4 - yy * 3) % 256
    rgb = Image.fromarray(np.stack([r, g, b], -1).astype("uint8"), "RGB")
    return {
        "rgb420": (rgb, {"quality": 90}),
        "rgb422": (rgb, {"quality": 75, "subsampling": 1}),
        "rgb444": (rgb, {"quality": 95, "subsampling": 0}),
        "progressive": (rgb, {"quality": 85, "progressive": True}),
        "gray": (Image.fromarray(((xx * 9 + yy * 13) % 256).astype("uint8"), "L"), {"quality": 90}),
    }


def load_cases():
    os.makedirs(IMAGES, exist_ok=True)
    cases = []
    files = []
    for name, img in source_images().items():
        path = os.path.join(IMAGES, f"{name}.png")
        img.save(path)
        files.append((name + ".png", path))
    for name, (img, args) in jpeg_images().items():
        path = os.path.join(IMAGES, f"{name}.jpg")
        img.save(path, "JPEG", **args)
        files.append((name + ".jpg", path))
    # For the error test only: minidl refuses CMYK JPEGs (PIL would convert them).
    Image.new("CMYK", (4, 3), (10, 20, 30, 40)).save(os.path.join(IMAGES, "cmyk.jpg"), "JPEG")
    for file, path in files:
        for color_mode in ("grayscale", "rgb", "rgba"):
            for target_size, keep in ((None, False), ((4, 5), False), ((4, 5), True), ((11, 7), False), ((3, 8), True)):
                arr = keras.utils.img_to_array(keras.utils.load_img(
                    path, color_mode=color_mode, target_size=target_size, keep_aspect_ratio=keep))
                cases.append({"file": f"images/{file}", "color_mode": color_mode,
                              "target_size": list(target_size) if target_size else None, "keep_aspect_ratio": keep,
                              "shape": list(arr.shape), "pixels": arr.astype(int).reshape(-1).tolist()})
    return cases


def resampled_cases():
    """load_img with PIL's filters (bilinear ... lanczos) on the PNGs and one JPEG, every color_mode."""
    cases = []
    files = [f"{name}.png" for name in source_images()] + ["rgb444.jpg"]
    for file in files:
        path = os.path.join(IMAGES, file)
        for color_mode in ("grayscale", "rgb", "rgba"):
            for interpolation in ("bilinear", "bicubic", "hamming", "box", "lanczos"):
                for target_size, keep in (((4, 5), False), ((11, 7), False), ((3, 8), True), ((2, 3), False)):
                    arr = keras.utils.img_to_array(keras.utils.load_img(
                        path, color_mode=color_mode, target_size=target_size, interpolation=interpolation,
                        keep_aspect_ratio=keep))
                    cases.append({"file": f"images/{file}", "color_mode": color_mode, "interpolation": interpolation,
                                  "target_size": list(target_size), "keep_aspect_ratio": keep,
                                  "shape": list(arr.shape), "pixels": arr.astype(int).reshape(-1).tolist()})
    return cases


def main():
    assert keras.backend.backend() == "jax", "run with KERAS_BACKEND=jax"
    fixture = {"keras": keras.__version__, "pillow": Image.__version__,
               "array_to_img": array_cases(), "load_img": load_cases(), "load_img_resampled": resampled_cases()}
    with open(os.path.join(FIXTURES, "keras_images.json"), "w") as f:
        json.dump(fixture, f, separators=(",", ":"))
    print(len(fixture["array_to_img"]), "array cases,", len(fixture["load_img"]), "load cases,",
          len(fixture["load_img_resampled"]), "resampled load cases")


if __name__ == "__main__":
    main()
