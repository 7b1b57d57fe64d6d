#!/usr/bin/env python3
"""Copies the ONNX backend node tests for the operators the engine supports into Tests/Fixtures/onnx-node/.

    .venv-onnx/bin/pip install onnx==1.22.0 && .venv-onnx/bin/python Scripts/copy_node_tests.py

onnx 1.22.0 is the last release that ships backend/test/data/node (Apache-2.0). A test is copied when every
node of its model has an op type of the issue's list (default domain) and it has one data set.
"""
import os
import shutil

import onnx

OPS = """Conv ConvTranspose BatchNormalization Relu LeakyRelu PRelu Elu Selu Sigmoid HardSigmoid HardSwish Tanh
Softplus Erf Gelu Clip MaxPool AveragePool GlobalAveragePool GlobalMaxPool Gemm MatMul Add Sub Mul Div Pow Sqrt
Exp Log Neg Abs Reciprocal Min Max Sum Mean Concat Split Slice Gather Reshape Flatten Transpose Squeeze Unsqueeze
Expand Tile Pad Resize Upsample Softmax LogSoftmax ReduceMean ReduceSum ReduceMax ReduceMin Shape Constant
ConstantOfShape Identity Dropout Cast InstanceNormalization LayerNormalization LRN
Where Equal ArgMax ArgMin Einsum""".split()

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
DST = os.path.join(ROOT, "Tests", "Fixtures", "onnx-node")
SRC = os.path.join(os.path.dirname(onnx.__file__), "backend", "test", "data", "node")


def main():
    if os.path.isdir(DST):
        for d in os.listdir(DST):
            if d.startswith("test_"):
                shutil.rmtree(os.path.join(DST, d))
    os.makedirs(DST, exist_ok=True)
    copied = 0
    for name in sorted(os.listdir(SRC)):
        path = os.path.join(SRC, name)
        try:
            m = onnx.load(os.path.join(path, "model.onnx"))
        except Exception:
            continue
        if not m.graph.node or any(n.domain not in ("", "ai.onnx") or n.op_type not in OPS for n in m.graph.node):
            continue
        sets = [d for d in os.listdir(path) if d.startswith("test_data_set_")]
        if sets != ["test_data_set_0"]:
            continue
        size = sum(os.path.getsize(os.path.join(dp, f)) for dp, _, fs in os.walk(path) for f in fs)
        if size > 1_000_000:  # none at onnx 1.22.0 (the largest, 3-D pooling, are 0.75 MB): keep the fixtures small
            continue
        shutil.copytree(path, os.path.join(DST, name))
        copied += 1
    print(f"copied {copied} node tests into {DST}")


if __name__ == "__main__":
    main()
