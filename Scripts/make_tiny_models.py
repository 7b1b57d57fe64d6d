#!/usr/bin/env python3
"""Generate the tiny model repository of Tests/Fixtures/tiny-models/ and the heatmap/mask references of
Tests/Fixtures/tiny-reference/ (ONNX Runtime outputs and numpy post-processing).

Run (from the package root; about 2 s):
    python3 -m venv .venv-onnx && .venv-onnx/bin/pip install -r Scripts/requirements-onnx.txt
    .venv-onnx/bin/python Scripts/make_tiny_models.py            # (re)write the fixtures
    .venv-onnx/bin/python Scripts/make_tiny_models.py --check    # rebuild in a temp folder, compare bytes

Two models, fixed-seed weights (numpy.random.default_rng), float32, dynamic batch "N", opset 13, each a
few KB, manifests with a canary (`checks`: an input .npy and ONNX Runtime's output, tolerance 1e-4):

tiny-classifier/1   image [N,1,64,64] gray NCHW
                    -> Conv 3x3 s2 (4) -> Relu -> Conv 3x3 s2 (8) -> Relu = "features" [N,8,16,16]
                    -> GlobalAveragePool -> Flatten -> Gemm (transB=1, W [3,8]) = "logits" [N,3]
                    manifest activation softmax, labels bright-spot, dark-spot, uniform.
                    The shape a class activation map (CAM) is found in.
tiny-segmenter/1    image [N,1,64,64] -> Conv 3x3 (4) -> Relu -> Conv 3x3 s2 (1) = "mask_logits" [N,1,32,32]
                    manifest activation sigmoid, label lesion, threshold 0.5. Weights are random around
                    a local mean, with a negative bias, so bright blobs come out positive.

References (tiny-reference/, described in index.json):
  classifier_input.npy     [1,1,64,64] a bright disc on a noisy background (values k/255, i.e. preprocessed)
  classifier_features.npy  ORT's "features" (the graph is given that extra output for the reference only)
  classifier_logits.npy    ORT's "logits"
  classifier_cam.npy       [16,16]  CAM of the top class: sum_c W[top,c] * F[c], ReLU, divided by its max
  classifier_cam_source.npy [96,80] that map resized to a 96-row x 80-column source image (bilinear below)
  segmenter_input.npy      [1,1,64,64] two discs
  segmenter_logits.npy     ORT's "mask_logits" [1,1,32,32]
  segmenter_prob_source.npy [100,120] sigmoid(logits) resized to a 100x120 source image (bilinear)
  segmenter_mask_source.npy [100,120] uint8, prob_source >= 0.5

Bilinear resize (what Sources/Imaging/Overlay.upsample does, pixel centres aligned like Pillow/OpenCV):
source coordinate s = clamp((i + 0.5) * src / dst - 0.5, 0, src - 1), i0 = floor(s), i1 = min(i0 + 1, src - 1).
Reference outputs come from onnxruntime 1.32.0, CPUExecutionProvider, 1 thread. Serialisation is
deterministic, so --check detects drift of the generator, numpy, onnx or onnxruntime.
"""
import argparse
import hashlib
import json
import os
import shutil
import sys
import tempfile

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
MODELS = os.path.join("Tests", "Fixtures", "tiny-models")
REFERENCE = os.path.join("Tests", "Fixtures", "tiny-reference")
OPSET, IR = 13, 7
SIZE = 64
TOLERANCE = 1e-4
CAM_SOURCE = (96, 80)    # rows, columns of the source image the CAM is resized to
SEG_SOURCE = (100, 120)


def conv(name, x, w, b, out, stride=1):
    return helper.make_node("Conv", [x, w, b], [out], name=name, kernel_shape=[3, 3], pads=[1, 1, 1, 1],
                            strides=[stride, stride])


def model(name, nodes, inits, output, output_shape):
    graph = helper.make_graph(
        nodes, name,
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["N", 1, SIZE, SIZE])],
        [helper.make_tensor_value_info(output, TensorProto.FLOAT, output_shape)],
        [numpy_helper.from_array(np.ascontiguousarray(v.astype(np.float32)), k) for k, v in inits.items()])
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="make_tiny_models.py")
    m.ir_version = IR
    onnx.checker.check_model(m)
    return m


def classifier():
    rng = np.random.default_rng(501)
    w1 = rng.normal(0, 0.4, (4, 1, 3, 3))
    w1[0] = 1 / 9            # filter 0 averages: it answers brightness, so a bright spot shows in the CAM
    inits = {
        "conv1.W": w1, "conv1.B": rng.normal(0, 0.05, (4,)),
        "conv2.W": rng.normal(0, 0.3, (8, 4, 3, 3)), "conv2.B": rng.normal(0, 0.05, (8,)),
        "fc.W": rng.normal(0, 1.0, (3, 8)), "fc.B": rng.normal(0, 0.1, (3,)),
    }
    nodes = [
        conv("conv1", "image", "conv1.W", "conv1.B", "conv1", stride=2),
        helper.make_node("Relu", ["conv1"], ["relu1"], name="relu1"),
        conv("conv2", "relu1", "conv2.W", "conv2.B", "conv2", stride=2),
        helper.make_node("Relu", ["conv2"], ["features"], name="relu2"),
        helper.make_node("GlobalAveragePool", ["features"], ["pooled"], name="gap"),
        helper.make_node("Flatten", ["pooled"], ["flat"], name="flatten", axis=1),
        helper.make_node("Gemm", ["flat", "fc.W", "fc.B"], ["logits"], name="fc", transB=1),
    ]
    return model("tiny_classifier", nodes, inits, "logits", ["N", 3]), inits


def segmenter():
    rng = np.random.default_rng(502)
    inits = {
        "conv1.W": rng.normal(1 / 9, 0.05, (4, 1, 3, 3)), "conv1.B": np.zeros(4),
        "conv2.W": rng.normal(0.3, 0.1, (1, 4, 3, 3)), "conv2.B": np.array([-4.0]),
    }
    nodes = [
        conv("conv1", "image", "conv1.W", "conv1.B", "conv1"),
        helper.make_node("Relu", ["conv1"], ["relu1"], name="relu1"),
        conv("conv2", "relu1", "conv2.W", "conv2.B", "mask_logits", stride=2),
    ]
    return model("tiny_segmenter", nodes, inits, "mask_logits", ["N", 1, SIZE // 2, SIZE // 2])


def disc_image(rng, discs, noise=12):
    """uint8-valued image scaled to [0, 1] (as the preprocessor's x/255 gives): discs on a noisy background."""
    yy, xx = np.mgrid[0:SIZE, 0:SIZE]
    img = rng.integers(0, noise, (SIZE, SIZE)).astype(np.float64)
    for (cy, cx, r, v) in discs:
        img[(yy - cy) ** 2 + (xx - cx) ** 2 <= r * r] = v
    return (np.round(img) / 255).astype(np.float32).reshape(1, 1, SIZE, SIZE)


def run(m, feeds):
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    s = ort.InferenceSession(m.SerializeToString(), opts, providers=["CPUExecutionProvider"])
    return s.run(None, feeds)


def upsample(a, rows, cols):
    """Bilinear, pixel centres aligned, edges clamped (float64)."""
    def taps(n, src):
        s = np.clip((np.arange(n) + 0.5) * src / n - 0.5, 0, src - 1)
        i0 = np.minimum(np.floor(s).astype(int), src - 1)
        return i0, np.minimum(i0 + 1, src - 1), s - i0
    y0, y1, fy = taps(rows, a.shape[0])
    x0, x1, fx = taps(cols, a.shape[1])
    top = a[y0][:, x0] * (1 - fx) + a[y0][:, x1] * fx
    bottom = a[y1][:, x0] * (1 - fx) + a[y1][:, x1] * fx
    return top * (1 - fy[:, None]) + bottom * fy[:, None]


def save_npy(path, a):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    np.save(path, np.ascontiguousarray(a), allow_pickle=False)


def write_version(out, name, m, task, output, activation, labels, extra, check_input):
    d = os.path.join(out, MODELS, name, "1")
    os.makedirs(os.path.join(d, "checks"), exist_ok=True)
    data = m.SerializeToString()
    with open(os.path.join(d, "model.onnx"), "wb") as f:
        f.write(data)
    save_npy(os.path.join(d, "checks", "input0.npy"), check_input)
    save_npy(os.path.join(d, "checks", "expected0.npy"), run(m, {"image": check_input})[0])
    manifest = {
        "name": name, "version": 1, "task": task,
        "inputs": [{"name": "image", "layout": "NCHW", "shape": [-1, 1, SIZE, SIZE], "dtype": "float32",
                    "channels": "gray"}],
        "preprocessing": {"window": "minmax", "resize": {"mode": "bilinear", "width": SIZE, "height": SIZE},
                          "scale": 1 / 255},
        "outputs": [{"name": output, "activation": activation, "labels": labels,
                     "thresholds": [0.5] * len(labels)}],
        **extra,
        "sha256": {"model.onnx": hashlib.sha256(data).hexdigest()},
        "license": "CC0-1.0",
        "source": "generated by Scripts/make_tiny_models.py (seeded random weights)",
        "intendedUse": "tests only",
        "limitations": "random weights: the outputs mean nothing, medically or otherwise",
        "checks": [{"input": {"image": "checks/input0.npy"}, "expected": {output: "checks/expected0.npy"},
                    "tolerance": TOLERANCE}],
    }
    with open(os.path.join(d, "model.json"), "w") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")
    assert len(data) < 100_000, f"{name} is {len(data)} bytes"


def generate(out):
    rng = np.random.default_rng(503)
    ref = os.path.join(out, REFERENCE)

    cls, inits = classifier()
    cls_in = disc_image(rng, [(20, 40, 8, 230)])
    write_version(out, "tiny-classifier", cls, "classification", "logits", "softmax",
                  ["bright-spot", "dark-spot", "uniform"], {"heatmap": "auto"},
                  np.concatenate([cls_in, disc_image(rng, [(44, 16, 10, 200)])]))
    # The reference run exposes the feature map as a second graph output.
    with_features = onnx.ModelProto()
    with_features.CopyFrom(cls)
    with_features.graph.output.append(helper.make_tensor_value_info("features", TensorProto.FLOAT, None))
    logits, features = run(with_features, {"image": cls_in})
    top = int(np.argmax(logits[0]))
    w = inits["fc.W"].astype(np.float32).astype(np.float64)
    cam = np.einsum("c,chw->hw", w[top], features[0].astype(np.float64))
    cam = np.maximum(cam, 0)
    cam = cam / cam.max() if cam.max() > 0 else cam
    save_npy(os.path.join(ref, "classifier_input.npy"), cls_in)
    save_npy(os.path.join(ref, "classifier_features.npy"), features)
    save_npy(os.path.join(ref, "classifier_logits.npy"), logits)
    save_npy(os.path.join(ref, "classifier_cam.npy"), cam.astype(np.float32))
    save_npy(os.path.join(ref, "classifier_cam_source.npy"), upsample(cam, *CAM_SOURCE).astype(np.float32))

    seg = segmenter()
    seg_in = disc_image(rng, [(22, 22, 12, 255), (46, 48, 5, 240)])
    write_version(out, "tiny-segmenter", seg, "segmentation", "mask_logits", "sigmoid", ["lesion"], {},
                  np.concatenate([seg_in, disc_image(rng, [(30, 30, 14, 180)])]))
    (seg_logits,) = run(seg, {"image": seg_in})
    prob = 1 / (1 + np.exp(-seg_logits[0, 0].astype(np.float64)))
    prob_src = upsample(prob, *SEG_SOURCE)
    mask = (prob_src >= 0.5).astype(np.uint8)
    save_npy(os.path.join(ref, "segmenter_input.npy"), seg_in)
    save_npy(os.path.join(ref, "segmenter_logits.npy"), seg_logits)
    save_npy(os.path.join(ref, "segmenter_prob_source.npy"), prob_src.astype(np.float32))
    save_npy(os.path.join(ref, "segmenter_mask_source.npy"), mask)

    index = {
        "generator": "Scripts/make_tiny_models.py",
        "onnxruntime": ort.__version__, "onnx": onnx.__version__, "numpy": np.__version__,
        "classifier": {"topClass": top, "featureShape": list(features.shape), "camSource": list(CAM_SOURCE)},
        "segmenter": {"source": list(SEG_SOURCE), "threshold": 0.5, "positivePixels": int(mask.sum()),
                      "positiveFraction": float(mask.mean()), "maxProbability": float(prob.max())},
    }
    with open(os.path.join(ref, "index.json"), "w") as f:
        json.dump(index, f, indent=2)
        f.write("\n")
    return index


def files(root):
    out = {}
    for folder in (MODELS, REFERENCE):
        for d, _, names in os.walk(os.path.join(root, folder)):
            for n in names:
                if n.endswith((".onnx", ".npy", ".json")):
                    p = os.path.join(d, n)
                    out[os.path.relpath(p, root)] = open(p, "rb").read()
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--check", action="store_true", help="rebuild in a temporary folder and compare bytes")
    args = ap.parse_args()
    if args.check:
        tmp = tempfile.mkdtemp()
        try:
            generate(tmp)
            new, old = files(tmp), files(ROOT)
            bad = sorted(k for k in new if new[k] != old.get(k))
            for k in bad:
                print(f"differs: {k}")
            sys.exit(1 if bad else 0)
        finally:
            shutil.rmtree(tmp)
    index = generate(ROOT)
    print(json.dumps(index, indent=2))


if __name__ == "__main__":
    main()
