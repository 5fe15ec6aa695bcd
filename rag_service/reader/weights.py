"""Int8 storage, float arithmetic: how the reader fits in 25 MB and still runs at float speed.

ONNX Runtime's dynamic quantisation (int8 arithmetic) was measured slower here than float (9 ms a pair
against 6 ms, two cores without int8 dot-product instructions) and made a sentence's logit depend on
the other sentences of its batch (activations are scaled by the batch's range). So only the *stored*
weights are int8: every large float initialiser ``W`` is written as ``W::int8`` (int8) and
``W::scale`` (one float per row, the row's largest magnitude / 127), and ``dequantized`` rebuilds the
float graph in memory when the reader loads. The arithmetic is float, batch-independent, and the
rounding costs well under 0.01 logit (the card's validation figures are measured after it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import onnx

MIN_ELEMENTS = 4096
"""Initialisers smaller than this (biases, layer norms) stay float: they are a rounding error in size."""
_Q, _S = "::int8", "::scale"


def quantized(model: onnx.ModelProto) -> onnx.ModelProto:
    """``model`` with its large float initialisers stored as int8 rows and their scales."""
    from onnx import TensorProto, numpy_helper

    graph = model.graph
    kept, added = [], []
    for tensor in graph.initializer:
        values = numpy_helper.to_array(tensor)
        if tensor.data_type != TensorProto.FLOAT or values.ndim != 2 or values.size < MIN_ELEMENTS:
            kept.append(tensor)
            continue
        scale = np.abs(values).max(axis=1, keepdims=True) / 127.0
        scale[scale == 0] = 1.0
        ints = np.clip(np.rint(values / scale), -127, 127).astype(np.int8)
        added += [
            numpy_helper.from_array(ints, tensor.name + _Q),
            numpy_helper.from_array(scale.astype(np.float32), tensor.name + _S),
        ]
    del graph.initializer[:]
    graph.initializer.extend(kept + added)
    return model


def dequantized(model: onnx.ModelProto) -> onnx.ModelProto:
    """The float graph ``quantized`` was made from (up to rounding), ready for ONNX Runtime."""
    from onnx import numpy_helper

    graph = model.graph
    tensors = {t.name: t for t in graph.initializer}
    rebuilt, kept = [], []
    for name, tensor in tensors.items():
        if name.endswith(_Q):
            base = name[: -len(_Q)]
            values = numpy_helper.to_array(tensor).astype(np.float32) * numpy_helper.to_array(
                tensors[base + _S]
            )
            rebuilt.append(numpy_helper.from_array(values.astype(np.float32), base))
        elif not name.endswith(_S):
            kept.append(tensor)
    del graph.initializer[:]
    graph.initializer.extend(kept + rebuilt)
    return model
