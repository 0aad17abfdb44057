"""The dynamically quantised MiniLM graph, derived once (:func:`quantize`) from the shipped one, and its edits.

``quantize_dynamic`` quantises each MatMul's activations with one scale for the whole input tensor, that
is for every token of every text in the batch. A text's vector then depends on the texts batched with
it: one text with a large activation coarsens the others' (between batch sizes 64 and 7 the same tweets'
vectors differed by cosine 0.989 on average and 0.91 at worst), so the same review could get another
sentiment, aspect or topic depending on the file it came in. :func:`quantize_per_token` gives every token
its own scale instead, which makes a text's vector the same in any batch and brings it closer to fp32
(cosine 0.997 against 0.992 on 3,000 tweets), for a bare-model rate about a sixth lower (BENCHMARKS.md).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort

#: The per-token quantisation is symmetric (``round(x / s)`` in [-127, 127], stored as uint8 with zero
#: point 128), so the scale is one maximum per token and the matrix product keeps ONNX Runtime's fused
#: u8 × s8 kernel, whose activation scale and zero point must be scalars.
_LEVELS = 127.0
_ZERO_POINT = 128
#: The derived model's second output: the sum of the hidden states after the embedding layer and after
#: each of the six layers, mean-pooled into the *layered* vector (see ``Embedder.encode_layered``).
LAYER_SUM = "layer_sum"


def quantize(source: Path, target: Path, *, per_token: bool = True) -> Path:
    """Derive the dynamic-int8 model from ``source`` and write it to ``target`` atomically.

    ``per_token=False`` leaves the activations quantised per tensor, as ``quantize_dynamic`` does
    (``benchmarks/bench_embed.py`` compares the two).

    Each writer works in its own temporary files in ``target``'s folder and renames the result into
    place, so a concurrent reader sees either no file or a whole one; two processes racing both
    produce the same bytes and the last rename wins.
    """
    from onnxruntime.quantization import QuantType, quantize_dynamic

    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".quantize-") as work:
        folded = Path(work) / "folded.onnx"
        options = ort.SessionOptions()
        # Basic level = constant folding and redundant-node removal only: it turns the in-graph
        # dequantisation of the int8 weights into plain fp32 initialisers that quantize_dynamic can see.
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_BASIC
        options.optimized_model_filepath = str(folded)
        ort.InferenceSession(str(source), options, providers=["CPUExecutionProvider"])
        quantized = Path(work) / "quantized.onnx"
        quantize_dynamic(
            folded, quantized, per_channel=True, op_types_to_quantize=["MatMul"], weight_type=QuantType.QInt8
        )
        if per_token:
            quantize_per_token(quantized)
        add_layer_sum(quantized, LAYER_SUM)
        os.replace(quantized, target)
    return target


def quantize_per_token(path: Path) -> None:
    """Rewrite the model at ``path`` so each MatMul quantises its activations per token, not per tensor.

    Each ``DynamicQuantizeLinear(x)`` becomes ``s = max|x| / 127`` over the last axis and
    ``QuantizeLinear(x / s, 1, 128)``; each ``MatMulInteger → Cast → Mul(x_scale · w_scale)`` becomes one
    ``MatMulIntegerToFloat`` with activation scale 1, followed by ``· s``. (Passing ``s`` to
    ``MatMulIntegerToFloat`` itself is not an option: the operator takes only a scalar activation scale,
    and ONNX Runtime's own fusion silently reads the first element of a per-token one.)
    """
    import onnx
    from onnx import helper, numpy_helper

    model = onnx.load(str(path))
    graph = model.graph
    nodes = list(graph.node)
    producer = {name: node for node in nodes for name in node.output}
    consumers: dict[str, list[Any]] = {}
    for node in nodes:
        for name in node.input:
            consumers.setdefault(name, []).append(node)
    token_scale = {n.output[1]: f"voxpop_{n.input[0]}_scale" for n in nodes if n.op_type == "DynamicQuantizeLinear"}
    if not token_scale:
        raise ValueError(f"{path}: no dynamically quantised activations to rewrite")
    graph.initializer.extend(
        numpy_helper.from_array(value, name)
        for name, value in (
            ("voxpop_levels", np.array(_LEVELS, np.float32)),
            ("voxpop_tiny", np.array(1e-12, np.float32)),
            ("voxpop_one", np.array(1.0, np.float32)),
            ("voxpop_zero_point", np.array(_ZERO_POINT, np.uint8)),
        )
    )
    replaced: set[str] = set()  # outputs of the nodes folded into MatMulIntegerToFloat, wherever they sit
    products = {
        id(node): _matmul_to_float(helper, path, node, producer, consumers, token_scale, replaced)
        for node in nodes
        if node.op_type == "MatMulInteger"
    }
    rewritten = []
    for node in nodes:
        if node.op_type == "DynamicQuantizeLinear":
            rewritten += _per_token_quantizer(helper, node.input[0], node.output[0])
        elif id(node) in products:
            rewritten += products[id(node)]
        elif not set(node.output) & replaced:
            rewritten.append(node)
    del graph.node[:]
    graph.node.extend(rewritten)
    if not any(opset.domain == "com.microsoft" for opset in model.opset_import):
        model.opset_import.append(helper.make_opsetid("com.microsoft", 1))
    onnx.save(model, str(path))


def _per_token_quantizer(helper: Any, x: str, quantized: str) -> list[Any]:
    """Nodes computing ``quantized`` (uint8, zero point 128) from ``x`` with one scale per token."""
    prefix = f"voxpop_{x}"
    return [
        helper.make_node("ReduceMax", [x], [f"{prefix}_high"], axes=[-1], keepdims=1),
        helper.make_node("ReduceMin", [x], [f"{prefix}_low"], axes=[-1], keepdims=1),
        helper.make_node("Neg", [f"{prefix}_low"], [f"{prefix}_minus_low"]),
        helper.make_node("Max", [f"{prefix}_high", f"{prefix}_minus_low", "voxpop_tiny"], [f"{prefix}_range"]),
        helper.make_node("Div", [f"{prefix}_range", "voxpop_levels"], [f"{prefix}_scale"]),
        helper.make_node("Div", ["voxpop_levels", f"{prefix}_range"], [f"{prefix}_inverse"]),
        helper.make_node("Mul", [x, f"{prefix}_inverse"], [f"{prefix}_scaled"]),
        helper.make_node("QuantizeLinear", [f"{prefix}_scaled", "voxpop_one", "voxpop_zero_point"], [quantized]),
    ]


def _matmul_to_float(
    helper: Any,
    path: Path,
    node: Any,
    producer: dict[str, Any],
    consumers: dict[str, list[Any]],
    token_scale: dict[str, str],
    replaced: set[str],
) -> list[Any]:
    """``MatMulInteger → Cast → Mul(x_scale · w_scale)`` as ``MatMulIntegerToFloat(scale 1) · s``."""
    activations, weights, _, weight_zero_point = node.input
    cast = _only_consumer(path, consumers, node.output[0], "Cast")
    rescale = _only_consumer(path, consumers, cast.output[0], "Mul")
    combined = next(name for name in rescale.input if name != cast.output[0])
    scales = producer.get(combined)
    if scales is None or scales.op_type != "Mul" or not set(scales.input) & token_scale.keys():
        raise ValueError(f"{path}: {node.name or node.output[0]} is not rescaled by its activations' scale")
    activation_scale = next(name for name in scales.input if name in token_scale)
    weight_scale = next(name for name in scales.input if name != activation_scale)
    if len(consumers[combined]) != 1:
        raise ValueError(f"{path}: the scales {combined} are shared")
    replaced.update({cast.output[0], rescale.output[0], combined})
    output = rescale.output[0]
    return [
        helper.make_node(
            "MatMulIntegerToFloat",
            [activations, weights, "voxpop_one", weight_scale, "voxpop_zero_point", weight_zero_point],
            [f"{output}_per_token"],
            domain="com.microsoft",
        ),
        helper.make_node("Mul", [f"{output}_per_token", token_scale[activation_scale]], [output]),
    ]


def _only_consumer(path: Path, consumers: dict[str, list[Any]], name: str, op_type: str) -> Any:
    found = consumers.get(name, [])
    if len(found) != 1 or found[0].op_type != op_type:
        raise ValueError(f"{path}: expected {name} to feed one {op_type}, found {[n.op_type for n in found]}")
    return found[0]


def add_layer_sum(path: Path, name: str) -> None:
    """Give the model at ``path`` a second output, ``name``: the sum of every layer's hidden states.

    In a BERT graph one LayerNorm follows the embeddings and two close each layer (after attention, after
    the feed-forward part); a layer's output is its second one. Sentiment reads the mean-pooled sum
    better than the last layer alone: the middle layers keep more of the wording (5-fold CV on the
    adapted benchmark's 80 %, a logistic regression on the vector alone: 0.815 -> 0.833; BENCHMARKS.md).
    """
    import onnx

    model = onnx.load(str(path))
    norms = [node.output[0] for node in model.graph.node if node.op_type == "LayerNormalization"]
    last = model.graph.output[0].name
    if len(norms) < 3 or len(norms) % 2 == 0 or norms[-1] != last:
        raise ValueError(f"{path}: not a BERT-like graph ({len(norms)} LayerNorms, output {last!r})")
    model.graph.node.append(onnx.helper.make_node("Sum", norms[0::2], [name], name="voxpop_layer_sum"))
    model.graph.output.append(onnx.helper.make_tensor_value_info(name, onnx.TensorProto.FLOAT, None))
    onnx.save(model, str(path))
