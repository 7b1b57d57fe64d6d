#!/usr/bin/env python3
"""Writes the named ONNX regression inputs of Tests/Fuzz/regressions/onnx (run from the repository root):
each model once trapped or overflowed the engine while loading or planning. Pinned: Scripts/requirements-onnx.txt.
Fuzzer-found inputs sit beside them under descriptive names.
"""
import os
import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OUT = "Tests/Fuzz/regressions/onnx"
I64_MAX = np.iinfo(np.int64).max
I64_MIN = np.iinfo(np.int64).min


def save(name, nodes, inits, inputs=None, outputs=None, opset=13, ir=8):
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 5])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, None)
    g = helper.make_graph(nodes, name, inputs or [x], outputs or [y], initializer=inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = ir
    with open(os.path.join(OUT, name + ".onnx"), "wb") as f:
        f.write(m.SerializeToString())


def i64(name, values):
    return numpy_helper.from_array(np.array(values, dtype=np.int64), name)


os.makedirs(OUT, exist_ok=True)
# ddddocr 1.6.1's common_det.onnx: ends = INT64_MAX, read through Double, trapped in Int().
save("slice-int64-max-ends", [helper.make_node("Slice", ["x", "s", "e", "a"], ["y"], name="slice_9")],
     [i64("s", [1]), i64("e", [I64_MAX]), i64("a", [1])])
save("slice-int64-min-step", [helper.make_node("Slice", ["x", "s", "e", "a", "t"], ["y"], name="slice_r")],
     [i64("s", [I64_MAX]), i64("e", [I64_MIN]), i64("a", [1]), i64("t", [I64_MIN])])
save("expand-overflowing-shape", [helper.make_node("Expand", ["x", "s"], ["y"], name="expand_7")],
     [i64("s", [1 << 40, 1 << 40])])
save("tile-overflowing-repeats", [helper.make_node("Tile", ["x", "r"], ["y"], name="tile_7")],
     [i64("r", [I64_MAX, I64_MAX])])
save("reshape-overflowing-dims", [helper.make_node("Reshape", ["x", "s"], ["y"], name="reshape_7")],
     [i64("s", [1 << 62, 4, -1])])
save("maxpool-int64-max-kernel", [helper.make_node("MaxPool", ["x"], ["y"], name="pool_3", kernel_shape=[I64_MAX, 1])], [],
     inputs=[helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 1, 4, 4])])
save("pad-int64-max", [helper.make_node("Pad", ["x", "p"], ["y"], name="pad_1")], [i64("p", [0, I64_MAX, 0, 1])])
# An initializer declaring 2^40 x 2^40 floats with no data: must be refused before any allocation.
huge = TensorProto(name="w", data_type=TensorProto.FLOAT, dims=[1 << 40, 1 << 40])
save("initializer-huge-dims-no-data", [helper.make_node("Add", ["x", "w"], ["y"], name="add_w")], [huge])
# A node with no outputs and one reading a value nothing produces.
save("node-without-outputs", [helper.make_node("Identity", ["x"], [], name="id_0"),
                              helper.make_node("Relu", ["x"], ["y"], name="relu")], [])
save("input-produced-later", [helper.make_node("Relu", ["z"], ["y"], name="relu"),
                              helper.make_node("Relu", ["x"], ["z"], name="relu2")], [])
save("gather-on-scalar", [helper.make_node("Gather", ["c", "i"], ["y"], name="gather_s")],
     [numpy_helper.from_array(np.array(3.0, dtype=np.float32), "c"), i64("i", [0])])
print("wrote", len(os.listdir(OUT)), "files to", OUT)
