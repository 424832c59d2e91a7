#!/usr/bin/python3
"""Reference values for layer_norm (keras.layers.LayerNormalization) and gather (keras.layers.Embedding),
computed with PyTorch in float64.

Regenerate with Debian's interpreter (it has torch; Keras is not needed):
    /usr/bin/python3 tests/reference/norm_embedding_reference.py
which writes tests/fixtures/norm_embedding_reference.json.

How Keras semantics map onto PyTorch here:
- LayerNormalization: Keras normalizes over `axis` with the biased variance (mean of squared
  deviations) and epsilon inside the square root, which is F.layer_norm(x, normalized_shape,
  gamma, beta, eps) when the axes are the trailing ones. Other axes are permuted to the end (in
  increasing order) for torch and back. Keras reshapes gamma/beta (whose shape is the axes' extents in
  the order given) to the broadcast shape, so their flat data is laid over the axes in increasing
  order: torch gets them reshaped to the sorted extents, which is the same thing.
- rms_scaling=True: Keras computes x * rsqrt(var(x) + eps) * gamma with the CENTRED variance and no
  centring of x (keras-team/keras#21234), which is neither F.layer_norm nor F.rms_norm; it is
  written out with torch ops here.
- Embedding: F.embedding(indices, weight) (Keras's ops.take(weight, indices, axis=0)); indices
  repeat, so the gradient checks scatter-add accumulation.
Gradients are of sum(y * w) for a fixed random w (stored), so every output element matters.
"""
import json
import os

import numpy as np
import torch
import torch.nn.functional as F

rng = np.random.default_rng(7)
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "norm_embedding_reference.json")


def js(t):
    t = t.detach().double().contiguous()
    return {"shape": list(t.shape), "data": [float(v) for v in t.flatten().tolist()]}


def rand(shape, low=-2.0, high=2.0):
    return torch.tensor(rng.uniform(low, high, shape), dtype=torch.float64)


def layer_norm_keras(x, gamma, beta, axes, eps, rms):
    nd = x.dim()
    norm = sorted(a % nd for a in axes)
    perm = [i for i in range(nd) if i not in norm] + norm
    inv = [perm.index(i) for i in range(nd)]
    xp = x.permute(perm)
    sorted_shape = tuple(x.shape[a] for a in norm)
    g = gamma.reshape(sorted_shape) if gamma is not None else None
    b = beta.reshape(sorted_shape) if beta is not None else None
    if rms:
        dims = tuple(range(nd - len(norm), nd))
        var = xp.var(dim=dims, unbiased=False, keepdim=True)
        yp = xp * torch.rsqrt(var + eps)
        if g is not None:
            yp = yp * g
    else:
        yp = F.layer_norm(xp, sorted_shape, g, b, eps)
    return yp.permute(inv)


layer_norm_cases = []
# (input shape, axis as Keras takes it, scale, center, rms_scaling, epsilon)
for shape, axis, scale, center, rms, eps in [
    ((4, 6), -1, True, True, False, 1e-3),
    ((3, 2, 5), [-1], True, False, False, 1e-3),
    ((2, 3, 4, 5), [1, 2, 3], True, True, False, 1e-3),
    ((2, 3, 4, 5), [1, 3], True, True, False, 1e-3),
    ((2, 3, 4, 5), [3, 1], True, True, False, 1e-3),
    ((5, 4, 3), 1, False, False, False, 1e-2),
    ((4, 6), -1, True, True, True, 1e-3),
    ((2, 3, 4), [0, 2], True, True, True, 1e-3),
]:
    axes = axis if isinstance(axis, list) else [axis]
    param_shape = tuple(shape[a] for a in axes)
    # Inputs with a per-row offset: the mean matters, so centring and rms scaling differ.
    x = (rand(shape) + 1.5).requires_grad_()
    gamma = rand(param_shape, 0.5, 1.5).requires_grad_() if (scale or rms) else None
    beta = rand(param_shape).requires_grad_() if (center and not rms) else None
    y = layer_norm_keras(x, gamma, beta, axes, eps, rms)
    w = rand(tuple(y.shape))
    (y * w).sum().backward()
    case = {"shape": list(shape), "axis": axis, "epsilon": eps, "scale": scale, "center": center,
            "rms_scaling": rms, "x": js(x), "y": js(y), "w": js(w), "grad_x": js(x.grad)}
    if gamma is not None:
        case["gamma"], case["grad_gamma"] = js(gamma), js(gamma.grad)
    if beta is not None:
        case["beta"], case["grad_beta"] = js(beta), js(beta.grad)
    layer_norm_cases.append(case)

embedding_cases = []
for vocab, dim, idx_shape in [(7, 3, (2, 4)), (5, 2, (3, 2, 2)), (4, 5, (6,))]:
    weight = rand((vocab, dim)).requires_grad_()
    # Every row but the last picked at least once, some several times; the last never (zero gradient).
    idx = rng.integers(0, vocab - 1, size=idx_shape)
    idx.flat[0] = idx.flat[1]  # a guaranteed repeat
    indices = torch.tensor(idx, dtype=torch.long)
    y = F.embedding(indices, weight)
    w = rand(tuple(y.shape))
    (y * w).sum().backward()
    embedding_cases.append({"input_dim": vocab, "output_dim": dim, "embeddings": js(weight),
                            "indices": js(indices.double()), "y": js(y), "w": js(w),
                            "grad_embeddings": js(weight.grad)})

with open(OUT, "w") as f:
    json.dump({"generator": f"tests/reference/norm_embedding_reference.py, torch {torch.__version__}",
               "layer_norm": layer_norm_cases, "embedding": embedding_cases}, f)
print(f"wrote {os.path.normpath(OUT)} ({os.path.getsize(OUT)} bytes)")
