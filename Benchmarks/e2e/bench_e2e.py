#!/usr/bin/env python3
"""End to end, default model: `medinfer analyze` vs a pydicom + numpy + ONNX Runtime pipeline (issue 9).

Inputs: 8 DICOM files made here from SampleImages/ch2_axial.dcm (MRIcron ch2 T1 slice, BSD-3-clause): the
181x217 slice padded to a square, resized to 512x512 (Pillow bicubic on float), scaled to 12 bits, a little
noise per file (seed = file index) so that no two files are equal; MR, Body Part BRAIN, MONOCHROME2, 16-bit
unsigned, Explicit VR Little Endian, new UIDs. Written to a temporary folder, removed at the end.

Both sides do the same thing, from the file on disk to a JSON report, and time it per batch (the model is
loaded before the clock starts; the first of --repeat rounds is a warm-up and is not counted):
- ours: `medinfer analyze DIR --format json --batch-size B --threads T --repeat R --timing` (the hidden
  --timing prints each batch's decode-to-report milliseconds on stderr);
- Python (a child process): pydicom dcmread + pixel_array, modality LUT, the manifest's preprocessing in numpy
  (min/max window, MONOCHROME1 inversion, 8-bit round half up, gray to RGB) and Pillow's Image.resize bicubic
  240x240 (the manifest's reference implementation of its resize), x/255, NHWC float32; ONNX Runtime
  InferenceSession (CPUExecutionProvider, ORT_ENABLE_ALL, intra_op = T, inter_op = 1, sequential); findings
  from the output (already softmaxed: activation none) sorted by probability with the manifest's thresholds,
  the modality/body-part guard, json.dumps of a report like ours.
Batch 1: per-image latency = median batch time. Batch 8: images/s = 8 / median batch time. Each configuration
runs --rounds times, alternating which side goes first; the figure is the median of the round medians.
Agreement: max |ours - ORT| over the 8 files' probabilities (from ours' JSON reports), and the top labels.

Usage: bench_e2e.py PATH/TO/medinfer [--rounds 3] [--repeat 4] [--threads 2]
       bench_e2e.py --python-side DIR --batch B --threads T --repeat R   (the child)
"""
import argparse, datetime, json, os, platform, shutil, statistics, subprocess, sys, tempfile, time

import numpy as np
import pydicom
from PIL import Image
from pydicom.pixels import apply_modality_lut

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
MODEL_DIR = os.path.join(ROOT, "Models", "brain-mri-tumor", "1")
SOURCE = os.path.join(ROOT, "SampleImages", "ch2_axial.dcm")
FILES = 8
SIZE = 512


def make_files(folder):
    src = pydicom.dcmread(SOURCE)
    a = src.pixel_array.astype(np.float32)
    side = max(a.shape)
    square = np.zeros((side, side), np.float32)
    y0, x0 = (side - a.shape[0]) // 2, (side - a.shape[1]) // 2
    square[y0:y0 + a.shape[0], x0:x0 + a.shape[1]] = a
    big = np.asarray(Image.fromarray(square, mode="F").resize((SIZE, SIZE), Image.Resampling.BICUBIC))
    big = (big - big.min()) / (big.max() - big.min()) * 4095.0
    paths = []
    for i in range(FILES):
        rng = np.random.default_rng(i)
        pixels = np.clip(np.rint(big + rng.normal(0, 20, big.shape)), 0, 4095).astype(np.uint16)
        ds = pydicom.dcmread(SOURCE)
        ds.Rows, ds.Columns = SIZE, SIZE
        ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 0
        ds.PhotometricInterpretation = "MONOCHROME2"
        ds.PixelSpacing = [f"{side / SIZE:.6f}", f"{side / SIZE:.6f}"]
        ds.PixelData = pixels.tobytes()
        ds["PixelData"].VR = "OW"
        ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID = pydicom.uid.generate_uid()
        ds.InstanceNumber = i + 1
        ds.file_meta.TransferSyntaxUID = pydicom.uid.ExplicitVRLittleEndian
        path = os.path.join(folder, f"mr512_{i}.dcm")
        ds.save_as(path, enforce_file_format=True)
        paths.append(path)
    return paths


# ---- the Python pipeline (child process) ----

def python_side(folder, batch, threads, repeat):
    import onnxruntime as ort
    manifest = json.load(open(os.path.join(MODEL_DIR, "model.json")))
    pre, out, inp = manifest["preprocessing"], manifest["outputs"][0], manifest["inputs"][0]
    opts = ort.SessionOptions()
    opts.intra_op_num_threads, opts.inter_op_num_threads = threads, 1
    opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    session = ort.InferenceSession(os.path.join(MODEL_DIR, "model.onnx"), opts, providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    width, height = pre["resize"]["width"], pre["resize"]["height"]
    scale = np.float32(pre["scale"])
    mean, std = np.float32(pre["mean"]), np.float32(pre["std"])

    def prepare(path):
        ds = pydicom.dcmread(path)
        m = apply_modality_lut(ds.pixel_array, ds).astype(np.float64)
        lo, hi = float(m.min()), float(m.max())  # window "minmax"
        v = (m - lo) / (hi - lo) if hi > lo else np.zeros_like(m)
        if pre["invertMonochrome1"] and ds.PhotometricInterpretation == "MONOCHROME1":
            v = 1.0 - v
        u8 = np.clip(np.floor(v * 255.0 + 0.5), 0, 255).astype(np.uint8)  # quantize 8 bits, half up
        rgb = Image.fromarray(u8, mode="L").convert("RGB").resize((width, height), Image.Resampling.BICUBIC)
        x = (np.asarray(rgb, dtype=np.float32) * scale - mean) / std
        warnings = []
        modality, body = str(ds.get("Modality", "")), str(ds.get("BodyPartExamined", ""))
        if modality not in inp["modalities"]:
            warnings.append(f"modality {modality} is not among the model's accepted modalities {inp['modalities']}")
        if body and body.upper() not in inp["bodyParts"]:
            warnings.append(f"body part {body} is not among the model's body parts {inp['bodyParts']}")
        source = {"path": path, "format": "dicom", "modality": modality, "rows": int(ds.Rows),
                  "columns": int(ds.Columns), "sopInstanceUID": str(ds.SOPInstanceUID)}
        return x, source, warnings, [lo, hi]

    def report(probs, source, warnings, window, index, n, ms):
        findings = sorted(({"label": l, "probability": float(p), "threshold": t, "positive": bool(p >= t)}
                           for l, p, t in zip(out["labels"], probs, out["thresholds"])),
                          key=lambda f: -f["probability"])
        return json.dumps({
            "createdAt": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "disclaimer": "decision aid, not a diagnosis",
            "engine": {"batchSize": n, "durationMs": round(ms, 1), "version": f"onnxruntime {ort.__version__}"},
            "findings": findings, "image": index,
            "model": {"name": manifest["name"], "version": str(manifest["version"])},
            "overlays": [], "preprocessing": {"normalize": "x/255", "resize": f"bicubic {width}x{height}",
                                              "window": window},
            "source": source, "warnings": warnings}, sort_keys=True)

    files = sorted(os.path.join(folder, f) for f in os.listdir(folder) if f.endswith(".dcm"))
    batches, last = [], {}
    index = 0
    for r in range(repeat):
        for start in range(0, len(files), batch):
            t0 = time.perf_counter()
            prepared = [prepare(p) for p in files[start:start + batch]]
            t1 = time.perf_counter()
            probs = session.run(None, {name: np.stack([p[0] for p in prepared])})[0]
            ms = (time.perf_counter() - t1) * 1e3
            for (x, source, warnings, window), p in zip(prepared, probs):
                line = report(p, source, warnings, window, index, len(prepared), ms)
                index += 1
                last[source["path"]] = p.tolist()
            batches.append({"round": r, "images": len(prepared), "ms": (time.perf_counter() - t0) * 1e3,
                            "inference_ms": ms})
    print(json.dumps({"timing": {"batch_size": batch, "threads": threads, "batches": batches}, "probs": last,
                      "last_report": line}))


# ---- the parent ----

def median_ms(timing):
    """Median batch time of the timed rounds (round 0 is the warm-up)."""
    return statistics.median(b["ms"] for b in timing["batches"] if b["round"] > 0)


def run_ours(binary, folder, batch, threads, repeat):
    p = subprocess.run([binary, "analyze", folder, "--format", "json", "--models-dir", os.path.join(ROOT, "Models"),
                        "--model", "brain-mri-tumor:1", "--batch-size", str(batch), "--threads", str(threads),
                        "--repeat", str(repeat), "--timing"], capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"medinfer analyze failed ({p.returncode}): {p.stderr}")
    timing = json.loads(next(l for l in p.stderr.splitlines() if l.startswith("timing: "))[len("timing: "):])
    probs, engine = {}, []
    lines = p.stdout.splitlines()
    for n, line in enumerate(lines):
        r = json.loads(line)
        if n >= len(lines) // repeat:  # the timed passes
            engine.append(r["engine"]["durationMs"])
        labels = [f["label"] for f in r["findings"]]
        probs[r["source"]["path"]] = [next(f["probability"] for f in r["findings"] if f["label"] == l)
                                      for l in ("glioma", "meningioma", "notumor", "pituitary")]
        assert len(labels) == 4 and not r["warnings"], r
    return median_ms(timing), probs, statistics.median(engine)


def run_python(folder, batch, threads, repeat):
    p = subprocess.run([sys.executable, os.path.abspath(__file__), "--python-side", folder, "--batch", str(batch),
                        "--threads", str(threads), "--repeat", str(repeat)], capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"Python side failed ({p.returncode}): {p.stderr}")
    out = json.loads(p.stdout.strip().splitlines()[-1])
    inference = statistics.median(b["inference_ms"] for b in out["timing"]["batches"] if b["round"] > 0)
    return median_ms(out["timing"]), out["probs"], inference


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binary", nargs="?")
    ap.add_argument("--python-side")
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=4, help="rounds over the 8 files per process, the first a warm-up")
    ap.add_argument("--rounds", type=int, default=3, help="alternations per configuration")
    a = ap.parse_args()
    if a.python_side:
        return python_side(a.python_side, a.batch, a.threads, a.repeat)
    import onnxruntime as ort
    import PIL
    version = subprocess.run([a.binary, "--version"], capture_output=True, text=True).stdout.strip()
    print(f"medinfer {version} ({a.binary}); Python {platform.python_version()}, pydicom {pydicom.__version__}, "
          f"numpy {np.__version__}, Pillow {PIL.__version__}, onnxruntime {ort.__version__}; "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at start")
    folder = tempfile.mkdtemp(prefix="medinfer-e2e-")
    try:
        make_files(folder)
        results, inference, diffs, tops = {}, {}, [], []
        for batch in (1, 8):
            ours_r, py_r, ours_inf, py_inf = [], [], [], []
            for r in range(a.rounds):
                sides = ["ours", "python"] if r % 2 == 0 else ["python", "ours"]
                for side in sides:
                    if side == "ours":
                        ms, ours_p, inf = run_ours(a.binary, folder, batch, a.threads, a.repeat)
                        ours_r.append(ms)
                        ours_inf.append(inf)
                    else:
                        ms, py_p, inf = run_python(folder, batch, a.threads, a.repeat)
                        py_r.append(ms)
                        py_inf.append(inf)
                for path, p in py_p.items():
                    diffs.append(float(np.max(np.abs(np.array(ours_p[path]) - np.array(p)))))
                    tops.append(int(np.argmax(ours_p[path])) == int(np.argmax(p)))
                print(f"batch {batch} round {r + 1} ({' first, '.join(sides)} second): ours {ours_r[-1]:.1f} ms, "
                      f"Python {py_r[-1]:.1f} ms per batch (of which inference: ours {ours_inf[-1]:.1f}, "
                      f"ORT {py_inf[-1]:.1f})", flush=True)
            results[batch] = (statistics.median(ours_r), statistics.median(py_r), ours_r, py_r)
            inference[batch] = (statistics.median(ours_inf), statistics.median(py_inf))
        o1, p1, o1r, p1r = results[1]
        o8, p8, o8r, p8r = results[8]
        print(f"\nload average {os.getloadavg()[0]:.1f} at the end; threads {a.threads}, {FILES} files of "
              f"{SIZE}x{SIZE}, {a.repeat - 1} timed passes per process, {a.rounds} alternating rounds\n")
        print("| measure | MedInfer | pydicom + ONNX Runtime | ratio (ours / Python) | rounds (ours; Python) |")
        print("|---|---|---|---|---|")
        print(f"| batch 1: decode-to-report latency per image, ms | {o1:.1f} | {p1:.1f} | {o1 / p1:.2f} | "
              f"{', '.join(f'{x:.1f}' for x in o1r)}; {', '.join(f'{x:.1f}' for x in p1r)} |")
        print(f"| batch 8: images/s | {8000 / o8:.2f} | {8000 / p8:.2f} | {p8 / o8:.2f} | "
              f"{', '.join(f'{8000 / x:.2f}' for x in o8r)}; {', '.join(f'{8000 / x:.2f}' for x in p8r)} |")
        for b in (1, 8):
            print(f"\nbatch {b}: inference alone (median of the round medians, ms per batch): ours "
                  f"{inference[b][0]:.1f} (the report's engine durationMs), ORT {inference[b][1]:.1f} (session.run)")
        print(f"\nagreement: max |ours - ORT| of the probabilities {max(diffs):.2e} over {len(diffs)} file results; "
              f"top label equal in {sum(tops)}/{len(tops)}")
        met = o1 < p1 and o8 < p8
        print(f"target (ours faster at batch 1 and batch 8): {'met' if met else 'NOT met'}")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
