#!/usr/bin/env python3
"""Generate the tiny ONNX test models of Tests/Fixtures/onnx-models/ with ONNX Runtime reference outputs.

Run (from the package root; about 5 s):
    python3 -m venv .venv-onnx && .venv-onnx/bin/pip install -r Scripts/requirements-onnx.txt
    .venv-onnx/bin/python Scripts/make_onnx_models.py            # (re)write the fixtures
    .venv-onnx/bin/python Scripts/make_onnx_models.py --check    # rebuild in memory, compare bytes

Every model is built with onnx.helper from fixed-seed numpy weights (numpy.random.default_rng), has a
dynamic batch dimension "N", float32 NCHW input(s) and is a few KB.  For each model that ONNX Runtime can
run, the folder holds:
    model.onnx                 (plus weights.bin for the external-data model)
    input_b1.npy  output_b1.npy    batch 1
    input_b3.npy  output_b3.npy    batch 3;  input_b3[1] == input_b1[0] (batch-invariance checks)
For models with more than one output, output_b1.npy / output_b3.npy hold the FIRST output and the others
are output_b1_<name>.npy / output_b3_<name>.npy (names sanitised: [^A-Za-z0-9._-] -> "_").
Reference outputs come from onnxruntime 1.32.0, CPUExecutionProvider, ORT_ENABLE_ALL, 1 thread.

manifest.json lists, per model: name, opset, input name and shape, output names and files, the
tolerance (max |ours - ORT| <= rtol * max(1, max |ORT|), rtol = 1e-4), what the model exercises, and for
the unsupported-op model the error the importer must report (no reference outputs).

Serialisation is deterministic (fixed node order, no timestamps), so --check detects any drift of the
generator, numpy, onnx or onnxruntime.
"""
import argparse
import io
import json
import math
import os
import re
import shutil
import sys
import tempfile

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
OUT = os.path.join(ROOT, "Tests", "Fixtures", "onnx-models")
RTOL = 1e-4
IR_FOR_OPSET = {7: 3, 9: 4, 11: 6, 13: 7, 17: 8}   # the IR version a contemporary exporter wrote


def sanitise(name):
    return re.sub(r"[^A-Za-z0-9._-]", "_", name)


class G:
    """Minimal graph builder: nodes, initializers, fixed-seed weights, unique names."""

    def __init__(self, seed, constant_nodes=False):
        self.rng = np.random.default_rng(seed)
        self.nodes, self.inits = [], []
        self.n = 0
        self.constant_nodes = constant_nodes   # weights as Constant nodes instead of initializers

    def uid(self, p):
        self.n += 1
        return f"{p}{self.n}"

    def const(self, name, arr, dtype=np.float32):
        arr = np.ascontiguousarray(np.asarray(arr).astype(dtype))
        if self.constant_nodes:
            self.nodes.append(helper.make_node("Constant", [], [name], name=name + "_const",
                                               value=numpy_helper.from_array(arr, name)))
        else:
            self.inits.append(numpy_helper.from_array(arr, name))
        return name

    def node(self, op, inputs, n_out=1, prefix=None, domain=None, **attrs):
        name = self.uid(prefix or op.lower())
        outs = [name] if n_out == 1 else [f"{name}_out{i}" for i in range(n_out)]
        kw = {"domain": domain} if domain else {}
        self.nodes.append(helper.make_node(op, inputs, outs, name=name, **kw, **attrs))
        return outs[0] if n_out == 1 else outs

    # layers -------------------------------------------------------------------------------------
    def conv(self, x, cin, cout, k, stride=1, pad=None, group=1, bias=True, dilation=1):
        pad = (k // 2) * dilation if pad is None else pad
        name = self.uid("conv")
        fan_in = cin // group * k * k
        w = self.const(name + "_w", self.rng.standard_normal((cout, cin // group, k, k)) * math.sqrt(2.0 / fan_in))
        ins = [x, w]
        if bias:
            ins.append(self.const(name + "_b", 0.1 * self.rng.standard_normal(cout)))
        self.nodes.append(helper.make_node("Conv", ins, [name], name=name, kernel_shape=[k, k],
                                           strides=[stride, stride], pads=[pad] * 4, group=group,
                                           dilations=[dilation, dilation]))
        return name

    def bn(self, x, c):
        name = self.uid("bn")
        g = self.const(name + "_scale", 1.0 + 0.2 * self.rng.standard_normal(c))
        b = self.const(name + "_bias", 0.2 * self.rng.standard_normal(c))
        m = self.const(name + "_mean", 0.2 * self.rng.standard_normal(c))
        v = self.const(name + "_var", self.rng.uniform(0.5, 1.5, c))
        self.nodes.append(helper.make_node("BatchNormalization", [x, g, b, m, v], [name], name=name,
                                           epsilon=1e-5))
        return name

    def convtranspose(self, x, cin, cout, k=2, stride=2):
        name = self.uid("convT")
        w = self.const(name + "_w", self.rng.standard_normal((cin, cout, k, k)) * math.sqrt(2.0 / (cout * k * k)))
        b = self.const(name + "_b", 0.1 * self.rng.standard_normal(cout))
        self.nodes.append(helper.make_node("ConvTranspose", [x, w, b], [name], name=name, kernel_shape=[k, k],
                                           strides=[stride, stride]))
        return name


def finish(g, name, inputs, outputs, opset, domains=()):
    """inputs/outputs: [(name, shape-with-'N')]; returns a checked ModelProto."""
    ins = [helper.make_tensor_value_info(n, TensorProto.FLOAT, s) for n, s in inputs]
    outs = [helper.make_tensor_value_info(n, TensorProto.FLOAT, s) for n, s in outputs]
    if IR_FOR_OPSET[opset] < 4:
        # IR 3 requires every initializer to be a graph input too (old exporters did this; the importer
        # must treat such inputs as constants, not as inputs the caller has to feed)
        ins += [helper.make_tensor_value_info(t.name, t.data_type, list(t.dims)) for t in g.inits]
    graph = helper.make_graph(g.nodes, name, ins, outs, initializer=g.inits)
    opsets = [helper.make_opsetid("", opset)] + [helper.make_opsetid(d, 1) for d in domains]
    m = helper.make_model(graph, opset_imports=opsets, producer_name="medinfer-make_onnx_models",
                          producer_version="1")
    m.ir_version = IR_FOR_OPSET[opset]
    if not domains:
        onnx.checker.check_model(m, full_check=True)
    return m


# models -----------------------------------------------------------------------------------------
def residual_bn():
    """conv-BN-relu stem, a residual block (conv-BN-relu, conv-BN, Add, Relu), maxpool, a stride-2
    conv-BN-relu, GAP, Flatten, Gemm -> logits, Sigmoid -> probs.  Two graph outputs."""
    g = G(401)
    x = g.node("Relu", [g.bn(g.conv("input", 3, 8, 3, bias=False), 8)])
    y = g.node("Relu", [g.bn(g.conv(x, 8, 8, 3, bias=False), 8)])
    y = g.bn(g.conv(y, 8, 8, 3, bias=False), 8)
    x = g.node("Relu", [g.node("Add", [y, x])])
    x = g.node("MaxPool", [x], kernel_shape=[2, 2], strides=[2, 2])                 # 16x16
    x = g.node("Relu", [g.bn(g.conv(x, 8, 16, 3, stride=2, bias=False), 16)])      # 8x8
    x = g.node("Flatten", [g.node("GlobalAveragePool", [x])], axis=1)
    w = g.const("fc_w", g.rng.standard_normal((5, 16)) * math.sqrt(1.0 / 16))
    b = g.const("fc_b", 0.1 * g.rng.standard_normal(5))
    g.nodes.append(helper.make_node("Gemm", [x, w, b], ["logits"], name="fc", transB=1))
    g.nodes.append(helper.make_node("Sigmoid", ["logits"], ["probs"], name="sigmoid"))
    return finish(g, "residual_bn", [("input", ["N", 3, 32, 32])], [("logits", ["N", 5]), ("probs", ["N", 5])], 17)


def mobilenet_block():
    """Stem conv 3x3/2 + BN + HardSwish; inverted residual: 1x1 expand + BN + HardSwish, depthwise 3x3 +
    BN + HardSwish, squeeze-excite (GAP, 1x1 conv + Relu, 1x1 conv + HardSigmoid, Mul), 1x1 project +
    BN, residual Add; a depthwise 3x3 stride-2 conv with Clip(0, 6) (relu6, input form)."""
    g = G(402)
    x = g.node("HardSwish", [g.bn(g.conv("input", 3, 8, 3, stride=2, bias=False), 8)])     # 8x16x16
    y = g.node("HardSwish", [g.bn(g.conv(x, 8, 16, 1, bias=False), 16)])
    y = g.node("HardSwish", [g.bn(g.conv(y, 16, 16, 3, group=16, bias=False), 16)])
    s = g.node("GlobalAveragePool", [y])
    s = g.node("Relu", [g.conv(s, 16, 4, 1)])
    s = g.node("HardSigmoid", [g.conv(s, 4, 16, 1)], alpha=1.0 / 6, beta=0.5)
    y = g.node("Mul", [y, s])
    y = g.bn(g.conv(y, 16, 8, 1, bias=False), 8)
    x = g.node("Add", [x, y])
    lo, hi = g.const("relu6_min", np.float32(0.0)), g.const("relu6_max", np.float32(6.0))
    x = g.conv(x, 8, 8, 3, stride=2, group=8)                                            # 8x8x8
    g.nodes.append(helper.make_node("Clip", [x, lo, hi], ["output"], name="relu6"))
    return finish(g, "mobilenet_block", [("input", ["N", 3, 32, 32])], [("output", ["N", 8, 8, 8])], 17)


def unet():
    """Encoder 4/8/16/32 channels (conv-BN-relu, maxpool) on 1x32x32; decoder up by ConvTranspose 2x2/2
    (4->8), Resize nearest x2 (asymmetric, floor; 8->16) and Resize linear x2 (half_pixel; 16->32),
    each followed by Concat with the skip and conv-relu; 1x1 conv + Sigmoid."""
    g = G(403)
    def cbr(x, cin, cout):
        return g.node("Relu", [g.bn(g.conv(x, cin, cout, 3, bias=False), cout)])
    e1 = cbr("input", 1, 4)                                                # 4x32x32
    e2 = cbr(g.node("MaxPool", [e1], kernel_shape=[2, 2], strides=[2, 2]), 4, 8)    # 8x16x16
    e3 = cbr(g.node("MaxPool", [e2], kernel_shape=[2, 2], strides=[2, 2]), 8, 16)   # 16x8x8
    b = cbr(g.node("MaxPool", [e3], kernel_shape=[2, 2], strides=[2, 2]), 16, 32)   # 32x4x4
    u = g.convtranspose(b, 32, 16)                                                  # 16x8x8
    u = cbr(g.node("Concat", [u, e3], axis=1), 32, 16)
    sc = g.const("scale2", np.array([1, 1, 2, 2], np.float32))
    u = g.node("Resize", [u, "", sc], mode="nearest", coordinate_transformation_mode="asymmetric",
               nearest_mode="floor")                                                # 16x16x16
    u = cbr(g.node("Concat", [g.conv(u, 16, 8, 3), e2], axis=1), 16, 8)
    u = g.node("Resize", [u, "", sc], mode="linear", coordinate_transformation_mode="half_pixel")  # 8x32x32
    u = cbr(g.node("Concat", [g.conv(u, 8, 4, 3), e1], axis=1), 8, 4)
    g.nodes.append(helper.make_node("Sigmoid", [g.conv(u, 4, 1, 1)], ["output"], name="sigmoid"))
    return finish(g, "unet", [("input", ["N", 1, 32, 32])], [("output", ["N", 1, 32, 32])], 17)


def constant_weights():
    """All weights are Constant nodes (no initializers), plus Identity, Dropout (inference) and a
    Reshape whose shape [0, -1] is a Constant node."""
    g = G(404, constant_nodes=True)
    x = g.node("Relu", [g.conv("input", 3, 6, 3)])
    x = g.node("Identity", [x])
    x = g.node("Dropout", [x])
    x = g.node("LeakyRelu", [g.conv(x, 6, 6, 3, stride=2)], alpha=0.1)                 # 6x16x16
    x = g.node("Add", [x, g.const("chan_bias", g.rng.standard_normal((6, 1, 1)))])
    x = g.node("AveragePool", [x], kernel_shape=[4, 4], strides=[4, 4])                 # 6x4x4
    shape = g.const("flat_shape", np.array([0, -1], np.int64), np.int64)
    g.nodes.append(helper.make_node("Reshape", [x, shape], ["output"], name="reshape"))
    assert not g.inits
    return finish(g, "constant_weights", [("input", ["N", 3, 32, 32])], [("output", ["N", 96])], 17)


def external_data():
    """conv-relu-conv-GAP-Gemm-Softmax with every initializer in the side file weights.bin
    (data_location = EXTERNAL, location "weights.bin", offsets/lengths set)."""
    g = G(405)
    x = g.node("Relu", [g.conv("input", 3, 8, 3)])
    x = g.node("Relu", [g.conv(x, 8, 16, 3, stride=2)])
    x = g.node("Flatten", [g.node("GlobalAveragePool", [x])], axis=1)
    w = g.const("fc_w", g.rng.standard_normal((16, 10)) * math.sqrt(1.0 / 16))
    b = g.const("fc_b", 0.1 * g.rng.standard_normal(10))
    x = g.node("Gemm", [x, w, b])
    g.nodes.append(helper.make_node("Softmax", [x], ["output"], name="softmax", axis=1))
    return finish(g, "external_data", [("input", ["N", 3, 32, 32])], [("output", ["N", 10])], 17)


def opset11():
    """Opset 11 forms: Clip with min/max inputs, Pad with pads input (reflect), Resize-11 with roi and
    scales inputs (linear, align_corners), Unsqueeze/Squeeze/ReduceMean with axes attributes,
    Softmax-11 (coerced to 2-D at axis)."""
    g = G(411)
    x = g.conv("input", 3, 4, 3)
    x = g.node("Clip", [x, g.const("clip_min", np.float32(-1.0)), g.const("clip_max", np.float32(1.5))])
    x = g.node("Pad", [x, g.const("pads", np.array([0, 0, 1, 2, 0, 0, 1, 2], np.int64), np.int64)],
               mode="reflect")                                                       # 4x34x36
    roi = g.const("roi", np.array([], np.float32))
    x = g.node("Resize", [x, roi, g.const("scales", np.array([1, 1, 0.5, 0.5], np.float32))], mode="linear",
               coordinate_transformation_mode="align_corners")                       # 4x17x18
    x = g.conv(x, 4, 4, 3, stride=2, pad=0)                                          # 4x8x8
    m = g.node("ReduceMean", [x], axes=[2, 3], keepdims=0)                             # N x 4
    m = g.node("Unsqueeze", [m], axes=[2])                                           # N x 4 x 1
    m = g.node("Squeeze", [m], axes=[2])
    g.nodes.append(helper.make_node("Softmax", [m], ["output"], name="softmax", axis=1))
    return finish(g, "opset11", [("input", ["N", 3, 32, 32])], [("output", ["N", 4])], 11)


def opset13():
    """Opset 13 forms: Unsqueeze/Squeeze/ReduceSum with axes inputs, Split with a split input, Pad
    (edge) and Clip (input forms), Resize-13 with sizes computed by a Shape/Gather/Mul/Concat chain
    (nearest, round_prefer_ceil, pytorch_half_pixel), Softmax-13 on axis 1 of a 4-D tensor."""
    g = G(413)
    x = g.conv("input", 3, 6, 3)
    a, b = g.node("Split", [x, g.const("split", np.array([2, 4], np.int64), np.int64)], n_out=2, axis=1)
    a = g.node("Clip", [a, g.const("lo", np.float32(0.0)), ""])                    # max omitted
    b = g.node("Pad", [b, g.const("pads", np.array([0, 0, 1, 1, 0, 0, 1, 1], np.int64), np.int64)], mode="edge")
    b = g.conv(b, 4, 2, 3, pad=0)                                                     # 2x32x32
    x = g.node("Concat", [a, b], axis=1)                                              # 4x32x32
    shp = g.node("Shape", [x])
    nc = g.node("Slice", [shp, g.const("s0", np.array([0], np.int64), np.int64),
                          g.const("s2", np.array([2], np.int64), np.int64)])
    hw = g.node("Slice", [shp, g.const("s2b", np.array([2], np.int64), np.int64),
                          g.const("s4", np.array([4], np.int64), np.int64)])
    hw = g.node("Div", [g.node("Mul", [hw, g.const("three", np.array([3], np.int64), np.int64)]),
                        g.const("four", np.array([4], np.int64), np.int64)])          # 24x24
    sizes = g.node("Concat", [nc, hw], axis=0)
    x = g.node("Resize", [x, "", "", sizes], mode="nearest", nearest_mode="round_prefer_ceil",
               coordinate_transformation_mode="pytorch_half_pixel")
    x = g.node("Softmax", [x], axis=1)
    s = g.node("ReduceSum", [x, g.const("axes", np.array([3], np.int64), np.int64)], keepdims=1)  # N,4,24,1
    s = g.node("Squeeze", [s, g.const("sq_axes", np.array([3], np.int64), np.int64)])             # N,4,24
    g.nodes.append(helper.make_node("Unsqueeze", [s, g.const("uq_axes", np.array([1], np.int64), np.int64)],
                                    ["output"], name="unsqueeze"))                               # N,1,4,24
    return finish(g, "opset13", [("input", ["N", 3, 32, 32])], [("output", ["N", 1, 4, 24])], 13)


def opset7():
    """Opset 7: Upsample-7 (scales attribute, nearest), Clip-6 (min/max attributes), Pad-2 (pads
    attribute, constant value), BatchNormalization-7, Gemm-7 after Flatten."""
    g = G(407)
    x = g.node("Relu", [g.bn(g.conv("input", 3, 4, 3), 4)])
    x = g.node("MaxPool", [x], kernel_shape=[2, 2], strides=[2, 2])                    # 4x16x16
    x = g.node("Upsample", [x], mode="nearest", scales=[1.0, 1.0, 2.0, 2.0])            # 4x32x32
    x = g.node("Clip", [x], min=0.0, max=2.0)
    x = g.node("Pad", [x], pads=[0, 0, 1, 1, 0, 0, 0, 0], mode="constant", value=0.5)   # 4x33x33
    x = g.conv(x, 4, 4, 3, stride=2, pad=0)                                              # 4x16x16
    x = g.node("Flatten", [g.node("GlobalAveragePool", [x])], axis=1)
    w = g.const("fc_w", g.rng.standard_normal((4, 3)) * 0.5)
    b = g.const("fc_b", 0.1 * g.rng.standard_normal(3))       # C is required before opset 11
    g.nodes.append(helper.make_node("Gemm", [x, w, b], ["output"], name="fc", alpha=0.5, beta=2.0))
    return finish(g, "opset7", [("input", ["N", 3, 32, 32])], [("output", ["N", 3])], 7)


def opset9():
    """Opset 9: Upsample-9 (scales input, linear), Clip-6 and Pad-2 attribute forms, Flatten-9,
    MatMul, Sigmoid."""
    g = G(409)
    x = g.node("Relu", [g.conv("input", 3, 4, 3)])
    x = g.node("AveragePool", [x], kernel_shape=[2, 2], strides=[2, 2])                 # 4x16x16
    x = g.node("Upsample", [x, g.const("scales", np.array([1, 1, 2, 2], np.float32))], mode="linear")
    x = g.node("Clip", [x], min=-0.5, max=1.0)
    x = g.node("Pad", [x], pads=[0, 0, 1, 0, 0, 0, 0, 1], mode="edge")                 # 4x33x33
    x = g.conv(x, 4, 2, 3, stride=4, pad=0)                                              # 2x8x8
    x = g.node("Flatten", [x], axis=1)                                                   # 128
    x = g.node("MatMul", [x, g.const("w", g.rng.standard_normal((128, 6)) * math.sqrt(1.0 / 128))])
    g.nodes.append(helper.make_node("Sigmoid", [x], ["output"], name="sigmoid"))
    return finish(g, "opset9", [("input", ["N", 3, 32, 32])], [("output", ["N", 6])], 9)


def unsupported_ops():
    """A graph the importer must reject with ONE error listing every unsupported op: TopK (node
    "topk1"), NonMaxSuppression (node "nms1") and the custom-domain op com.example.FancyPool (node
    "fancy1"), plus supported Conv/Relu around them.  No reference outputs."""
    g = G(499)
    x = g.node("Relu", [g.conv("input", 3, 4, 3)])
    y = g.node("FancyPool", [x], domain="com.example", prefix="fancy", size=2)
    f = g.node("Flatten", [x], axis=1)
    vals, idx = g.node("TopK", [f, g.const("k", np.array([5], np.int64), np.int64)], n_out=2, prefix="topk", axis=1)
    boxes = g.const("boxes", g.rng.uniform(0, 1, (1, 6, 4)))
    scores = g.const("scores", g.rng.uniform(0, 1, (1, 1, 6)))
    g.nodes.append(helper.make_node("NonMaxSuppression", [boxes, scores, g.const("max_out", np.array([3], np.int64), np.int64)],
                                    ["selected"], name="nms1"))
    g.nodes.append(helper.make_node("Identity", [vals], ["output"], name="out_identity"))
    g.nodes.append(helper.make_node("Identity", [y], ["pooled"], name="pooled_identity"))
    inp = [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 3, 32, 32])]
    outs = [helper.make_tensor_value_info("output", TensorProto.FLOAT, ["N", 5]),
            helper.make_tensor_value_info("pooled", TensorProto.FLOAT, ["N", 4, None, None]),
            helper.make_tensor_value_info("selected", TensorProto.INT64, [None, 3])]
    graph = helper.make_graph(g.nodes, "unsupported_ops", inp, outs, initializer=g.inits)
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("com.example", 1)],
                          producer_name="medinfer-make_onnx_models", producer_version="1")
    m.ir_version = 8
    onnx.checker.check_model(m)   # the custom domain is not checked by the checker's schema lookup
    return m


MODELS = [
    ("residual_bn", residual_bn, "Conv+BN+Relu, residual Add, MaxPool, GAP, Flatten, Gemm, Sigmoid; two outputs"),
    ("mobilenet_block", mobilenet_block, "depthwise conv, HardSwish, squeeze-excite (GAP, 1x1 conv, HardSigmoid, Mul), Clip relu6"),
    ("unet", unet, "ConvTranspose, Resize nearest (asymmetric/floor) and linear (half_pixel), Concat skips"),
    ("constant_weights", constant_weights, "weights in Constant nodes, Identity, Dropout, LeakyRelu, AveragePool, Reshape [0,-1]"),
    ("external_data", external_data, "all initializers in weights.bin (data_location EXTERNAL), Softmax"),
    ("opset7", opset7, "opset 7: Upsample-7 scales attribute, Clip-6/Pad-2 attributes, Gemm-7 alpha/beta"),
    ("opset9", opset9, "opset 9: Upsample-9 scales input (linear), Clip-6/Pad-2 (edge) attributes, MatMul"),
    ("opset11", opset11, "opset 11: Clip/Pad inputs, Resize-11 roi+scales align_corners, axes attributes, Softmax-11"),
    ("opset13", opset13, "opset 13: axes inputs, Split input, Shape/Slice/Mul/Div/Concat -> Resize sizes, Softmax-13 4-D"),
    ("unsupported_ops", unsupported_ops, "TopK, NonMaxSuppression and com.example.FancyPool: import must fail listing all three"),
]
UNSUPPORTED = {"unsupported_ops": ("FancyPool", "TopK", "NonMaxSuppression")}  # the importer must list all


def unsupported_entries(m, op_types):
    """What the importer must report: op type, domain, node name and the opset of that domain."""
    opsets = {o.domain: o.version for o in m.opset_import}
    return [{"op_type": n.op_type, "domain": n.domain, "node": n.name, "opset": opsets[n.domain]}
            for n in m.graph.node if n.op_type in op_types]


def npy_bytes(arr):
    buf = io.BytesIO()
    np.save(buf, np.ascontiguousarray(arr), allow_pickle=False)
    return buf.getvalue()


def model_files(name, m):
    """All files of one fixture folder as {relative name: bytes}, and its manifest entry."""
    files = {}
    if name == "external_data":
        with tempfile.TemporaryDirectory() as td:
            p = os.path.join(td, "model.onnx")
            onnx.save_model(m, p, save_as_external_data=True, all_tensors_to_one_file=True,
                            location="weights.bin", size_threshold=0, convert_attribute=False)
            for f in ("model.onnx", "weights.bin"):
                files[f] = open(os.path.join(td, f), "rb").read()
            run_path = p
            sess = None if name in UNSUPPORTED else make_session(run_path)
    else:
        files["model.onnx"] = m.SerializeToString()
        sess = None if name in UNSUPPORTED else make_session(files["model.onnx"])
    inp = m.graph.input[0]
    in_shape = [d.dim_param or d.dim_value for d in inp.type.tensor_type.shape.dim]
    entry = {"name": name, "dir": name, "opset": m.opset_import[0].version, "ir_version": m.ir_version,
             "input": inp.name, "input_shape": in_shape,
             "outputs": [o.name for o in m.graph.output],
             "tolerance": {"rtol": RTOL, "rule": "max|ours-ORT| <= rtol * max(1, max|ORT|)"}}
    if name in UNSUPPORTED:
        entry["expect_error"] = {"kind": "unsupportedOps", "ops": unsupported_entries(m, UNSUPPORTED[name])}
        return files, entry, None
    rng = np.random.default_rng(1000 + sum(map(ord, name)))
    chw = [int(d) for d in in_shape[1:]]
    x1 = rng.standard_normal([1, *chw]).astype(np.float32)
    x3 = rng.standard_normal([3, *chw]).astype(np.float32)
    x3[1] = x1[0]
    out_files = {}
    maxabs = {}
    for tag, x in (("b1", x1), ("b3", x3)):
        files[f"input_{tag}.npy"] = npy_bytes(x)
        ys = sess.run(None, {inp.name: x})
        for i, (oname, y) in enumerate(zip(entry["outputs"], ys)):
            assert y.dtype == np.float32 and y.shape[0] == x.shape[0], (name, oname, y.shape)
            fname = f"output_{tag}.npy" if i == 0 else f"output_{tag}_{sanitise(oname)}.npy"
            files[fname] = npy_bytes(y)
            out_files.setdefault(oname, {})[tag] = fname
            maxabs[oname] = max(maxabs.get(oname, 0.0), float(np.abs(y).max()))
        # batch invariance holds for ORT too (to well within the tolerance)
    entry["output_files"] = out_files
    entry["input_files"] = {"b1": "input_b1.npy", "b3": "input_b3.npy"}
    entry["output_shapes_b1"] = {o: list(y.shape) for o, y in zip(entry["outputs"], sess.run(None, {inp.name: x1}))}
    entry["max_abs_ort"] = {k: round(v, 6) for k, v in maxabs.items()}
    return files, entry, sess


def make_session(model):
    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    so.intra_op_num_threads = 1
    so.inter_op_num_threads = 1
    return ort.InferenceSession(model, so, providers=["CPUExecutionProvider"])


def build():
    allfiles, entries = {}, []
    for name, fn, what in MODELS:
        m = fn()
        files, entry, _ = model_files(name, m)
        entry["exercises"] = what
        entry["bytes"] = sum(len(b) for b in files.values())
        for f, data in files.items():
            allfiles[f"{name}/{f}"] = data
        entries.append(entry)
    manifest = {
        "generator": "Scripts/make_onnx_models.py",
        "versions": {"numpy": np.__version__, "onnx": onnx.__version__, "onnxruntime": ort.__version__},
        "reference": "onnxruntime CPUExecutionProvider, ORT_ENABLE_ALL, intra_op 1",
        "batch_note": "input_b3[1] == input_b1[0]; output files hold the first graph output as output_<b>.npy, "
                      "others as output_<b>_<sanitised name>.npy (see output_files)",
        "models": entries,
    }
    allfiles["manifest.json"] = (json.dumps(manifest, indent=1) + "\n").encode()
    return allfiles


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--check", action="store_true", help="compare with the committed files, write nothing")
    ap.add_argument("--out", default=OUT)
    a = ap.parse_args()
    want = {"numpy": "2.4.6", "onnx": "1.22.0", "onnxruntime": "1.32.0"}
    have = {"numpy": np.__version__, "onnx": onnx.__version__, "onnxruntime": ort.__version__}
    if have != want:
        print(f"warning: versions {have} differ from the pinned {want}; outputs may differ", file=sys.stderr)
    files = build()
    if a.check:
        bad = []
        for rel, data in sorted(files.items()):
            p = os.path.join(a.out, rel)
            if not os.path.exists(p) or open(p, "rb").read() != data:
                bad.append(rel)
        print("identical" if not bad else "DIFFERENT: " + ", ".join(bad))
        sys.exit(1 if bad else 0)
    readme = os.path.join(a.out, "README.md")
    keep = open(readme, "rb").read() if os.path.exists(readme) else None
    if os.path.isdir(a.out):
        shutil.rmtree(a.out)
    for rel, data in files.items():
        p = os.path.join(a.out, rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "wb") as f:
            f.write(data)
    if keep is not None:
        open(readme, "wb").write(keep)
    total = sum(len(d) for d in files.values())
    print(f"wrote {len(files)} files, {total / 1024:.1f} KiB, to {os.path.relpath(a.out, ROOT)}")


if __name__ == "__main__":
    main()
