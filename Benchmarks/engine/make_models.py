#!/usr/bin/env python3
# Copied from the reference ONNX Runtime benchmark study that preceded this repository (the source of
# the first ORT figures) so that this repository can regenerate the benchmark models on its own. Changes:
# this header and the usage lines of the docstring (it writes beside itself, to Benchmarks/engine/models/,
# git-ignored), the builder made rank-generic (2-D or 3-D from the shape; the 2-D graphs are unchanged) and
# the 3-D U-Net `unet3d`, which the reference study did not have.
# The graph construction, seeds and weights of the four reference models are unchanged: the sha256 of
# every model must equal the hash recorded in bench_engine.py's EXPECTED_SHA256 (bench_engine.py checks
# them before it runs; --check here compares with both the files and those hashes).
"""Generate the benchmark CNNs as ONNX files, bit-identically, with fixed-seed random weights.

Run:  .venv/bin/python Benchmarks/engine/make_models.py            (~10 s)
      .venv/bin/python Benchmarks/engine/make_models.py --check    (regenerate in memory, compare sha256
                  with the files and with bench_engine.py's recorded hashes, and cross-check the FLOP
                  formula by shape inference; exit status 1 on any difference)

Writes Benchmarks/engine/models/*.onnx (git-ignored) and models/models.json (FLOP counts, sha256, params).

Models (float32, opset 17, NCHW / NCDHW, dynamic batch dimension "batch"):
  resnet18      torchvision ResNet-18 layout, 7x7/2 stem conv + BN + ReLU + 3x3/2 maxpool,
                BasicBlocks 64/128/256/512 (2 each), GAP, FC -> 14, Sigmoid.  1x3x224x224.
  unet_convt    U-Net, 1x1x256x256, encoder 32/64/128/256 (2x [conv3x3+BN+ReLU] + maxpool 2),
                bottleneck 512, decoder up by ConvTranspose 2x2/2 (with bias), Concat skip,
                2x [conv3x3+BN+ReLU], final 1x1 conv -> 1 + Sigmoid.
  unet_resize   same, but up = Resize(nearest, x2) + conv3x3 (with bias) halving channels.
  densenet121   DenseNet-121 (growth 32, bn_size 4, blocks 6/12/24/16, BN-ReLU-Conv order,
                transitions BN-ReLU-conv1x1(C/2)-AvgPool 2x2/2), final BN+ReLU, GAP, FC -> 14,
                Sigmoid.  1x3x224x224.  Each dense layer's input is a Concat of all previous
                feature maps, as in a torchvision export.
  unet3d        3-D U-Net, 1x1x128x128x128 (NCDHW), no BN: encoder 8@128^3, 16@64^3, 32@32^3
                (2x [conv3x3x3 pad 1 + bias + ReLU] + MaxPool 2x2x2/2), bottleneck 64@16^3, decoder
                up by ConvTranspose 2x2x2/2 (with bias) halving channels, Concat skip,
                2x [conv3x3x3 + bias + ReLU] (32, 16, 8), final 1x1x1 conv (bias) -> 1 + Sigmoid.
                56.69 GFLOP/image; benchmarked at batch 1 only.

BatchNormalization stays as separate nodes (engines must fold it).  Weights: He-normal
(std = sqrt(2 / fan_in)) from numpy.random.default_rng(seed); BN gamma ~ 1 + 0.1 N(0,1)
(x 0.3 on the last BN of each ResNet residual branch, and the FC std x 0.25, else the
sigmoid saturates; likewise unet3d's final 1x1x1 conv std x 0.5), conv biases ~ 0.01 N(0,1),
beta, mean ~ 0.1 N(0,1), var ~ U(0.5, 1.5), drawn from the same generator.  Serialisation is deterministic, so the sha256 of each file
is stable across runs (checked by --check).

FLOPs are counted by formula while building: 2 x multiply-adds of Conv, ConvTranspose and
Gemm (per image, batch 1).  BN, ReLU, pooling, Concat, Resize and Sigmoid are not counted
(they are < 1 % of the FLOPs and are memory-bound).
"""
import argparse
import hashlib
import json
import math
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 17
RES_GAMMA = 0.3
FC_SCALE = 0.25
HEAD3D_SCALE = 0.5   # unet3d's final 1x1x1 conv: He std x 0.5 (logit std 2.7 -> 1.4, as unet_convt's 1.6)
HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "models")


class Builder:
    """Tiny graph builder that tracks (C, H, W) or (C, D, H, W) shapes and counts MACs per image.

    The spatial rank comes from the shape (len(shp) - 1), so the same methods build 2-D and 3-D graphs;
    for 2-D the attributes, weight shapes and generator draws are exactly those of the 2-D-only original
    (the four reference models stay bit-identical)."""

    def __init__(self, name, seed):
        self.name = name
        self.rng = np.random.default_rng(seed)
        self.nodes, self.inits = [], []
        self.n = 0
        self.macs = 0
        self.params = 0
        self.conv_macs = {}  # op type -> macs

    def _uid(self, prefix):
        self.n += 1
        return f"{prefix}_{self.n}"

    def _init(self, name, arr):
        arr = np.ascontiguousarray(arr.astype(np.float32))
        self.inits.append(numpy_helper.from_array(arr, name))
        self.params += arr.size

    def _count(self, op, macs):
        self.macs += macs
        self.conv_macs[op] = self.conv_macs.get(op, 0) + macs

    def conv(self, x, shp, cout, k, stride=1, pad=0, bias=False, scale=None):
        cin, *sp = shp
        nd = len(sp)
        name = self._uid("conv")
        wt = self.rng.standard_normal((cout, cin, *[k] * nd)) * math.sqrt(2.0 / (cin * k ** nd))
        if scale is not None:
            wt = wt * scale
        self._init(name + "_w", wt)
        inputs = [x, name + "_w"]
        if bias:
            self._init(name + "_b", self.rng.standard_normal(cout) * 0.01)
            inputs.append(name + "_b")
        osp = [(d + 2 * pad - k) // stride + 1 for d in sp]
        self.nodes.append(helper.make_node("Conv", inputs, [name], name=name, kernel_shape=[k] * nd,
                                           strides=[stride] * nd, pads=[pad] * (2 * nd)))
        self._count("Conv", cout * math.prod(osp) * cin * k ** nd)
        return name, (cout, *osp)

    def convtranspose(self, x, shp, cout, k=2, stride=2):
        cin, *sp = shp
        nd = len(sp)
        name = self._uid("convT")
        # ONNX ConvTranspose weight layout: (Cin, Cout, k...); fan_in as torch computes it
        wt = self.rng.standard_normal((cin, cout, *[k] * nd)) * math.sqrt(2.0 / (cout * k ** nd))
        self._init(name + "_w", wt)
        self._init(name + "_b", self.rng.standard_normal(cout) * 0.01)
        self.nodes.append(helper.make_node("ConvTranspose", [x, name + "_w", name + "_b"], [name], name=name,
                                           kernel_shape=[k] * nd, strides=[stride] * nd))
        osp = [(d - 1) * stride + k for d in sp]
        self._count("ConvTranspose", cin * math.prod(sp) * cout * k ** nd)
        return name, (cout, *osp)

    def bn(self, x, shp, gamma=1.0):
        c = shp[0]
        name = self._uid("bn")
        self._init(name + "_g", gamma * (1.0 + 0.1 * self.rng.standard_normal(c)))
        self._init(name + "_b", 0.1 * self.rng.standard_normal(c))
        self._init(name + "_m", 0.1 * self.rng.standard_normal(c))
        self._init(name + "_v", self.rng.uniform(0.5, 1.5, c))
        self.nodes.append(helper.make_node("BatchNormalization",
                                           [x, name + "_g", name + "_b", name + "_m", name + "_v"], [name],
                                           name=name, epsilon=1e-5))
        return name, shp

    def relu(self, x, shp):
        name = self._uid("relu")
        self.nodes.append(helper.make_node("Relu", [x], [name], name=name))
        return name, shp

    def add(self, a, b, shp):
        name = self._uid("add")
        self.nodes.append(helper.make_node("Add", [a, b], [name], name=name))
        return name, shp

    def maxpool(self, x, shp, k, stride, pad=0):
        c, *sp = shp
        nd = len(sp)
        name = self._uid("maxpool")
        self.nodes.append(helper.make_node("MaxPool", [x], [name], name=name, kernel_shape=[k] * nd,
                                           strides=[stride] * nd, pads=[pad] * (2 * nd)))
        return name, (c, *[(d + 2 * pad - k) // stride + 1 for d in sp])

    def avgpool(self, x, shp, k, stride):
        c, *sp = shp
        nd = len(sp)
        name = self._uid("avgpool")
        self.nodes.append(helper.make_node("AveragePool", [x], [name], name=name, kernel_shape=[k] * nd,
                                           strides=[stride] * nd))
        return name, (c, *[(d - k) // stride + 1 for d in sp])

    def concat(self, xs, shps):
        name = self._uid("concat")
        self.nodes.append(helper.make_node("Concat", xs, [name], name=name, axis=1))
        return name, (sum(s[0] for s in shps), *shps[0][1:])

    def resize2x(self, x, shp):
        c, *sp = shp
        name = self._uid("resize")
        scales = name + "_scales"
        self.inits.append(numpy_helper.from_array(np.array([1, 1] + [2] * len(sp), dtype=np.float32), scales))
        self.nodes.append(helper.make_node("Resize", [x, "", scales], [name], name=name, mode="nearest",
                                           coordinate_transformation_mode="asymmetric", nearest_mode="floor"))
        return name, (c, *[2 * d for d in sp])

    def head(self, x, shp, classes):
        """GAP -> Flatten -> Gemm(FC) -> Sigmoid."""
        c = shp[0]
        gap = self._uid("gap")
        self.nodes.append(helper.make_node("GlobalAveragePool", [x], [gap], name=gap))
        flat = self._uid("flatten")
        self.nodes.append(helper.make_node("Flatten", [gap], [flat], name=flat, axis=1))
        fc = self._uid("fc")
        # He std x FC_SCALE: keeps the logits at std ~1.5 so the sigmoid outputs are informative
        self._init(fc + "_w", self.rng.standard_normal((classes, c)) * math.sqrt(2.0 / c) * FC_SCALE)
        self._init(fc + "_b", np.zeros(classes))
        self.nodes.append(helper.make_node("Gemm", [flat, fc + "_w", fc + "_b"], [fc], name=fc, transB=1))
        self._count("Gemm", c * classes)
        return fc, (classes,)

    def sigmoid(self, x, shp, out="output"):
        self.nodes.append(helper.make_node("Sigmoid", [x], [out], name="sigmoid_out"))
        return out, shp

    def model(self, in_shape, out_shape):
        inp = helper.make_tensor_value_info("input", TensorProto.FLOAT, ["batch", *in_shape])
        out = helper.make_tensor_value_info("output", TensorProto.FLOAT, ["batch", *out_shape])
        g = helper.make_graph(self.nodes, self.name, [inp], [out], initializer=self.inits)
        m = helper.make_model(g, opset_imports=[helper.make_opsetid("", OPSET)],
                              producer_name="steering-bench-make_models", producer_version="1")
        m.ir_version = 8
        onnx.checker.check_model(m)
        return m


def conv_bn_relu(b, x, s, cout, k, stride=1, pad=0):
    x, s = b.conv(x, s, cout, k, stride, pad)
    x, s = b.bn(x, s)
    return b.relu(x, s)


def resnet18(classes=14, seed=18):
    b = Builder("resnet18", seed)
    x, s = "input", (3, 224, 224)
    x, s = conv_bn_relu(b, x, s, 64, 7, 2, 3)
    x, s = b.maxpool(x, s, 3, 2, 1)
    for cout, stride in [(64, 1), (128, 2), (256, 2), (512, 2)]:
        for blk in range(2):
            st = stride if blk == 0 else 1
            identity, ids = x, s
            y, ys = conv_bn_relu(b, x, s, cout, 3, st, 1)
            y, ys = b.conv(y, ys, cout, 3, 1, 1)
            # small gamma on the residual branch (as in trained nets / zero-init-residual), so
            # activations do not double per block and the sigmoid outputs are not saturated
            y, ys = b.bn(y, ys, gamma=RES_GAMMA)
            if st != 1 or s[0] != cout:
                identity, ids = b.conv(x, s, cout, 1, st, 0)
                identity, ids = b.bn(identity, ids)
            y, ys = b.add(y, identity, ys)
            x, s = b.relu(y, ys)
    x, s = b.head(x, s, classes)
    b.sigmoid(x, s)
    return b, b.model((3, 224, 224), (classes,))


def unet(variant="convt", seed=256):
    b = Builder(f"unet_{variant}", seed + (0 if variant == "convt" else 1))
    x, s = "input", (1, 256, 256)
    skips = []
    for c in [32, 64, 128, 256]:
        x, s = conv_bn_relu(b, x, s, c, 3, 1, 1)
        x, s = conv_bn_relu(b, x, s, c, 3, 1, 1)
        skips.append((x, s))
        x, s = b.maxpool(x, s, 2, 2)
    x, s = conv_bn_relu(b, x, s, 512, 3, 1, 1)
    x, s = conv_bn_relu(b, x, s, 512, 3, 1, 1)
    for c in [256, 128, 64, 32]:
        if variant == "convt":
            x, s = b.convtranspose(x, s, c, 2, 2)
        else:
            x, s = b.resize2x(x, s)
            x, s = b.conv(x, s, c, 3, 1, 1, bias=True)
        sk, sks = skips.pop()
        x, s = b.concat([x, sk], [s, sks])
        x, s = conv_bn_relu(b, x, s, c, 3, 1, 1)
        x, s = conv_bn_relu(b, x, s, c, 3, 1, 1)
    x, s = b.conv(x, s, 1, 1, 1, 0, bias=True)
    b.sigmoid(x, s)
    return b, b.model((1, 256, 256), (1, 256, 256))


def conv_relu(b, x, s, cout, k, stride=1, pad=0):
    x, s = b.conv(x, s, cout, k, stride, pad, bias=True)
    return b.relu(x, s)


def unet3d(seed=128, size=128, levels=(8, 16, 32)):
    """3-D U-Net, 1x1xSxSxS: per level 2x [conv3x3x3 (bias) + ReLU] then MaxPool 2x2x2/2; bottleneck
    2x [conv + ReLU] at 2x the last level's channels; decoder ConvTranspose 2x2x2/2 (bias) halving the
    channels, Concat skip, 2x [conv + ReLU]; conv1x1x1 (bias, He std x HEAD3D_SCALE) -> 1, Sigmoid.
    No BatchNormalization."""
    b = Builder("unet3d", seed)
    x, s = "input", (1, size, size, size)
    skips = []
    for c in levels:
        x, s = conv_relu(b, x, s, c, 3, 1, 1)
        x, s = conv_relu(b, x, s, c, 3, 1, 1)
        skips.append((x, s))
        x, s = b.maxpool(x, s, 2, 2)
    x, s = conv_relu(b, x, s, 2 * levels[-1], 3, 1, 1)
    x, s = conv_relu(b, x, s, 2 * levels[-1], 3, 1, 1)
    for c in reversed(levels):
        x, s = b.convtranspose(x, s, c, 2, 2)
        sk, sks = skips.pop()
        x, s = b.concat([x, sk], [s, sks])
        x, s = conv_relu(b, x, s, c, 3, 1, 1)
        x, s = conv_relu(b, x, s, c, 3, 1, 1)
    x, s = b.conv(x, s, 1, 1, 1, 0, bias=True, scale=HEAD3D_SCALE)
    b.sigmoid(x, s)
    return b, b.model((1, size, size, size), (1, size, size, size))


def densenet121(classes=14, seed=121, growth=32, bn_size=4, blocks=(6, 12, 24, 16)):
    b = Builder("densenet121", seed)
    x, s = "input", (3, 224, 224)
    x, s = conv_bn_relu(b, x, s, 64, 7, 2, 3)
    x, s = b.maxpool(x, s, 3, 2, 1)
    for bi, n_layers in enumerate(blocks):
        feats, fshps = [x], [s]
        for _ in range(n_layers):
            if len(feats) == 1:
                inp, ishp = feats[0], fshps[0]
            else:
                inp, ishp = b.concat(feats, fshps)
            y, ys = b.bn(inp, ishp)
            y, ys = b.relu(y, ys)
            y, ys = b.conv(y, ys, bn_size * growth, 1)
            y, ys = b.bn(y, ys)
            y, ys = b.relu(y, ys)
            y, ys = b.conv(y, ys, growth, 3, 1, 1)
            feats.append(y)
            fshps.append(ys)
        x, s = b.concat(feats, fshps)
        if bi != len(blocks) - 1:
            x, s = b.bn(x, s)
            x, s = b.relu(x, s)
            x, s = b.conv(x, s, s[0] // 2, 1)
            x, s = b.avgpool(x, s, 2, 2)
    x, s = b.bn(x, s)
    x, s = b.relu(x, s)
    x, s = b.head(x, s, classes)
    b.sigmoid(x, s)
    return b, b.model((3, 224, 224), (classes,))


def macs_from_graph(m):
    """Independent cross-check: MACs of Conv/ConvTranspose/Gemm from ONNX shape inference (batch 1)."""
    m2 = onnx.ModelProto()
    m2.CopyFrom(m)
    m2.graph.input[0].type.tensor_type.shape.dim[0].dim_value = 1
    m2 = onnx.shape_inference.infer_shapes(m2)
    shapes = {vi.name: [d.dim_value for d in vi.type.tensor_type.shape.dim]
              for vi in list(m2.graph.value_info) + list(m2.graph.output) + list(m2.graph.input)}
    inits = {t.name: list(t.dims) for t in m2.graph.initializer}
    macs = 0
    for n in m2.graph.node:      # any spatial rank: weights (Cout|Cin, Cin|Cout, k...), tensors (N, C, spatial...)
        if n.op_type == "Conv":
            co, ci, *ks = inits[n.input[1]]
            macs += co * ci * math.prod(ks) * math.prod(shapes[n.output[0]][2:])
        elif n.op_type == "ConvTranspose":
            ci, co, *ks = inits[n.input[1]]
            macs += ci * co * math.prod(ks) * math.prod(shapes[n.input[0]][2:])
        elif n.op_type == "Gemm":
            macs += inits[n.input[1]][0] * inits[n.input[1]][1]
    return macs


def build_all():
    return {
        "resnet18": resnet18(),
        "unet_convt": unet("convt"),
        "unet_resize": unet("resize"),
        "densenet121": densenet121(),
        "unet3d": unet3d(),
    }


def recorded_sha256():
    """The sha256 prefixes bench_engine.py checks the models against (its EXPECTED_SHA256)."""
    sys.path.insert(0, HERE)
    dont_write = sys.dont_write_bytecode
    sys.dont_write_bytecode = True      # no __pycache__ beside the scripts
    try:
        from bench_engine import EXPECTED_SHA256
    finally:
        sys.path.pop(0)
        sys.dont_write_bytecode = dont_write
    return EXPECTED_SHA256


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--check", action="store_true", help="rebuild in memory and compare sha256 with models/")
    args = ap.parse_args()
    os.makedirs(OUT, exist_ok=True)
    meta = {}
    ok = True
    recorded = recorded_sha256() if args.check else {}
    for name, (b, m) in build_all().items():
        data = m.SerializeToString()
        sha = hashlib.sha256(data).hexdigest()
        path = os.path.join(OUT, name + ".onnx")
        if args.check:
            old = hashlib.sha256(open(path, "rb").read()).hexdigest() if os.path.exists(path) else None
            same = old == sha
            ok &= same
            rec = recorded.get(name)
            ok &= rec is not None and sha.startswith(rec)
            gm = macs_from_graph(m)
            ok &= gm == b.macs
            print(f"{name}: {'identical' if same else 'DIFFERENT'} sha256={sha[:16]} "
                  f"{'= recorded' if rec and sha.startswith(rec) else f'!= recorded {rec}'}  "
                  f"MACs formula={b.macs} shape-inference={gm} {'match' if gm == b.macs else 'MISMATCH'}")
            continue
        with open(path, "wb") as f:
            f.write(data)
        meta[name] = {
            "file": os.path.relpath(path, HERE),
            "sha256": sha,
            "bytes": len(data),
            "params": b.params,
            "nodes": len(m.graph.node),
            "macs_per_image": b.macs,
            "gflop_per_image": 2 * b.macs / 1e9,
            "macs_by_op": b.conv_macs,
            "input": [d.dim_param or d.dim_value for d in m.graph.input[0].type.tensor_type.shape.dim],
        }
        print(f"{name:12s} params={b.params/1e6:6.2f}M nodes={len(m.graph.node):4d} "
              f"GMACs={b.macs/1e9:6.3f} GFLOP/img={2*b.macs/1e9:6.3f} size={len(data)/2**20:5.1f}MiB sha={sha[:12]}")
    if args.check:
        sys.exit(0 if ok else 1)
    with open(os.path.join(OUT, "models.json"), "w") as f:
        json.dump(meta, f, indent=1)


if __name__ == "__main__":
    main()
