"""Writes the seed corpora of the fuzz harnesses (tests/fuzz/corpus/<harness>/), small valid files
plus a few near misses. Run with any python3:  python3 tests/fuzz/make_corpus.py"""
import gzip
import json
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


def put(folder, name, data):
    path = os.path.join(HERE, "corpus", folder, name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def safetensors(tensors, metadata=None):
    header, blob = {}, b""
    for name, (dtype, shape, raw) in tensors.items():
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(blob), len(blob) + len(raw)]}
        blob += raw
    if metadata:
        header["__metadata__"] = metadata
    h = json.dumps(header).encode()
    h += b" " * (-len(h) % 8)
    return struct.pack("<Q", len(h)) + h + blob


put("safetensors", "two_tensors", safetensors({"a": ("F32", [2, 2], struct.pack("<4f", 1, 2, 3, 4)),
                                               "b": ("F64", [1], struct.pack("<d", 0.5))}, {"format": "pt"}))
put("safetensors", "scalar", safetensors({"s": ("F32", [], struct.pack("<f", 3))}))
put("safetensors", "empty_tensor", safetensors({"e": ("F32", [0, 3], b"")}))
put("safetensors", "bad_dtype", safetensors({"x": ("I8", [1], b"\x01")}))
put("safetensors", "truncated", safetensors({"a": ("F32", [4], struct.pack("<4f", 1, 2, 3, 4))})[:-3])

images = struct.pack(">IIII", 0x803, 2, 3, 3) + bytes(range(18))
labels = struct.pack(">II", 0x801, 2) + bytes([3, 9])
put("idx", "images", images)
put("idx", "labels", labels)
put("idx", "images_gz", gzip.compress(images, mtime=0))
put("idx", "short", images[:-5])

for i, cfg in enumerate([
        {"name": "c", "filters": 4, "kernel_size": [3, 3], "strides": [2, 2], "padding": "same", "activation": "relu",
         "kernel_initializer": {"module": "keras.initializers", "class_name": "HeNormal", "config": {"seed": 3}}},
        {"filters": 2, "kernel_size": 3, "output_padding": [1, 1], "strides": 2, "data_format": "channels_first",
         "kernel_regularizer": {"class_name": "L1L2", "config": {"l1": 0.01, "l2": 0.0}}},
        {"units": 5, "activation": {"class_name": "leaky_relu", "config": {"negative_slope": 0.1}}, "use_bias": False,
         "kernel_constraint": {"class_name": "MaxNorm", "config": {"max_value": 2, "axis": [0]}}}]):
    put("layer_config", f"config_{i}", bytes([i]) + json.dumps(cfg).encode())
put("layer_config", "not_json", b"\x00{filters: 3")


def layer(class_name, **config):
    return {"module": "keras.layers", "class_name": class_name, "config": config, "registered_name": None}


model = {"class_name": "Sequential", "config": {"name": "decoder", "layers": [
    layer("InputLayer", batch_shape=[None, 4], dtype="float32", name="input_layer"),
    layer("Dense", units=8, activation="relu"),
    layer("Reshape", target_shape=[2, 2, 2]),
    layer("Conv2DTranspose", filters=3, kernel_size=[3, 3], strides=[2, 2], padding="same"),
    layer("BatchNormalization", momentum=0.9),
    layer("Conv2D", filters=1, kernel_size=3, padding="same", activation="sigmoid")]}}
put("layer_config", "model_0", bytes([3]) + json.dumps(model).encode())
put("layer_config", "model_no_input", bytes([3]) + json.dumps({"class_name": "Sequential", "config": {"layers": model["config"]["layers"][1:3]}}).encode())


def keras_tensor(name, shape, node=0):
    return {"class_name": "__keras_tensor__",
            "config": {"shape": shape, "dtype": "float32", "keras_history": [name, node, 0]}}


def call(*args):
    return [{"args": [args[0] if len(args) == 1 else list(args)], "kwargs": {}}]


# A functional graph in Keras 3's format (two branches merged, one layer shared) and in tf.keras's.
functional = {"class_name": "Functional", "config": {"name": "branches", "layers": [
    dict(layer("InputLayer", batch_shape=[None, 4], dtype="float32", name="x"), name="x", inbound_nodes=[]),
    dict(layer("Dense", name="a", units=3), name="a", inbound_nodes=call(keras_tensor("x", [None, 4]))),
    dict(layer("Dense", name="b", units=3), name="b", inbound_nodes=call(keras_tensor("x", [None, 4]))),
    dict(layer("Dense", name="s", units=3), name="s",
         inbound_nodes=call(keras_tensor("a", [None, 3])) + call(keras_tensor("b", [None, 3]))),
    dict(layer("Add", name="sum"), name="sum",
         inbound_nodes=call(keras_tensor("s", [None, 3]), keras_tensor("s", [None, 3], 1))),
    dict(layer("Concatenate", name="cat", axis=-1), name="cat",
         inbound_nodes=call(keras_tensor("sum", [None, 3]), keras_tensor("a", [None, 3])))],
    "input_layers": [["x", 0, 0]], "output_layers": [["cat", 0, 0]]}}
put("layer_config", "functional_keras3", bytes([3]) + json.dumps(functional).encode())
functional2 = {"class_name": "Functional", "config": {"name": "m", "layers": [
    {"class_name": "InputLayer", "name": "in", "config": {"batch_input_shape": [None, 2], "name": "in"}, "inbound_nodes": []},
    {"class_name": "Dense", "name": "d", "config": {"name": "d", "units": 2}, "inbound_nodes": [[["in", 0, 0, {}]]]},
    {"class_name": "Multiply", "name": "m", "config": {"name": "m"}, "inbound_nodes": [[["d", 0, 0, {}], ["in", 0, 0, {}]]]}],
    "input_layers": [["in", 0, 0]], "output_layers": [["m", 0, 0]]}}
put("layer_config", "functional_keras2", bytes([3]) + json.dumps(functional2).encode())

# A three-output model nested in another graph, read by tensor_index; Keras 3 numbers its call 0 in
# nodes but 1 in output_layers, tf.keras 1 in both.
def nested(keras2):
    inner = {"class_name": "Functional", "config": {"name": "enc", "layers": [
        dict(layer("InputLayer", batch_shape=[None, 4], dtype="float32", name="u"), name="u", inbound_nodes=[]),
        dict(layer("Dense", name="h", units=3), name="h", inbound_nodes=call(keras_tensor("u", [None, 4])))],
        "input_layers": [["u", 0, 0]], "output_layers": [["h", 0, 0], ["u", 0, 0]]}}
    n = 1 if keras2 else 0
    if keras2:
        uses = [[["enc", n, 0, {}], ["enc", n, 1, {}]]]
    else:
        uses = call(dict(keras_tensor("enc", [None, 3], n)), keras_tensor("enc", [None, 4], n))
        uses[0]["args"][0][1]["config"]["keras_history"][2] = 1
    return {"class_name": "Functional", "config": {"name": "outer", "layers": [
        dict(layer("InputLayer", batch_shape=[None, 4], dtype="float32", name="x"), name="x", inbound_nodes=[]),
        dict(inner, name="enc", inbound_nodes=[[["x", 0, 0, {}]]] if keras2 else call(keras_tensor("x", [None, 4]))),
        dict(layer("Concatenate", name="cat", axis=-1), name="cat", inbound_nodes=uses)],
        "input_layers": [["x", 0, 0]], "output_layers": [["cat", 0, 0], ["enc", 1, 0]]}}


put("layer_config", "nested_keras3", bytes([3]) + json.dumps(nested(False)).encode())
put("layer_config", "nested_keras2", bytes([3]) + json.dumps(nested(True)).encode())

# Inputs the fuzzers once crashed on, kept so they stay fixed (tests/core/test_fuzz_regressions.cpp
# replays every corpus file).
put("safetensors", "regress_number_overflow",
    b"@" + b"\x00" * 7 + b'{"x":77000000000000000007000000000000000016e4931826353tttttttttttt\x00{"d": aa{"')
put("layer_config", "regress_float_strides",
    b'\x00{"name": "c", "filters": 4, "kernel_size": [3, 3], "strides": [2, 2' + b"0" * 66 + b'], "padding": "same"}')
