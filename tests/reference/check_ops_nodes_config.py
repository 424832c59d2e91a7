"""Loads the functional configs minidl writes for models with op nodes into the real Keras 3 and
checks that they predict what Keras's own models predicted (tests/fixtures/keras_ops_nodes.json).

The C++ test "op nodes: the configs we write are Keras's (module, class, config, constants in args)"
writes them when MINIDL_OPS_NODES_EXPORT names a file (from the repository root, after building):
    MINIDL_OPS_NODES_EXPORT=/tmp/minidl_ops_nodes.json build/tests/test_layers "op nodes: the configs we write*"
    KERAS_BACKEND=jax /work/venv-keras/bin/python tests/reference/check_ops_nodes_config.py /tmp/minidl_ops_nodes.json

Weights are pattern(shape_j, seed + 100 + j) in model.weights order, as keras_ops_nodes.py sets them.
The unit tests never run this script.

Last run (minidl's kops branch, Keras 3.15.1 + jax): all four exported models (arithmetic 23 op nodes,
reductions 12, conv_nn 30, masked 9) loaded with keras.Model.from_config and predicted the fixture's
outputs within 1e-5.
"""
import json
import os
import sys

import numpy as np

import keras  # noqa: E402
from pattern import pattern, indices  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURE = os.path.join(HERE, "..", "fixtures", "keras_ops_nodes.json")


def main(path):
    expected = {c["name"]: c for c in json.load(open(FIXTURE))["cases"]}
    for case in json.load(open(path))["cases"]:
        c = expected[case["name"]]
        n_ops = len([l for l in case["config"]["layers"] if l["module"].startswith("keras.src.ops")])
        # A fresh name counter, as in a new program: the operation Embedding(mask_zero) makes for its
        # mask at load is "not_equal" then, as in the session that wrote the config.
        keras.utils.clear_session()
        model = keras.Model.from_config(case["config"])  # (it consumes its argument)
        seed = c["seed"]
        shapes = [tuple(s) for s in c["input_shapes"]]
        inputs = [(indices(s, seed + i, 7) if c["tokens"] else pattern(s, seed + i)).astype(np.float32)
                  for i, s in enumerate(shapes)]
        model.set_weights([pattern(tuple(w.shape), seed + 100 + j).astype(np.float32) for j, w in enumerate(model.weights)])
        outs = model(inputs[0])
        outs = outs if isinstance(outs, (list, tuple)) else [outs]
        for k, (o, e) in enumerate(zip(outs, c["outputs"])):
            np.testing.assert_allclose(np.asarray(o, dtype=np.float64).reshape(-1), e["y"], rtol=1e-5, atol=1e-6,
                                       err_msg=f"{case['name']} output {k}")
        print(case["name"], "loaded by Keras", keras.__version__, "and predicts the fixture's outputs:",
              len(outs), "outputs,", n_ops,
              "op nodes")


if __name__ == "__main__":
    main(sys.argv[1])
