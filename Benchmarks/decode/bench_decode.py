#!/usr/bin/env python3
"""Decode speed, MedInfer vs Pillow (PNG/JPEG) and pydicom (DICOM), in one run, alternating the two.

Files (made or fetched into Benchmarks/.data, never committed):
  png16_2048.png   2048x2048 16-bit grayscale PNG (smooth gradient + noise, zlib level 6, made with Pillow)
  rgb_1024.jpg     1024x1024 RGB baseline JPEG, quality 90, 4:2:0 (made with Pillow)
  RG1_UNCR.dcm     1955x1841 MONOCHROME1 CR, Explicit VR LE (pydicom-data, MIT)
  RG1_J2KR.dcm     the same image, JPEG 2000 lossless (pydicom-data, MIT)

Both sides decode bytes already in memory to stored pixel arrays (pydicom: dcmread + pixel_array;
Pillow: Image.open + load + numpy array). Usage: bench_decode.py PATH/TO/DecodeBenchmark [rounds]
"""
import io, json, os, shutil, statistics, subprocess, sys, time

import numpy as np
from PIL import Image
import pydicom

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", ".data")


def make_files():
    os.makedirs(DATA, exist_ok=True)
    rng = np.random.default_rng(0)
    p = os.path.join(DATA, "png16_2048.png")
    if not os.path.exists(p):
        y, x = np.mgrid[0:2048, 0:2048]
        a = ((x + y) * 8 + rng.integers(0, 512, (2048, 2048))).astype(np.uint16)
        Image.fromarray(a).save(p, compress_level=6)  # uint16 -> mode I;16
    j = os.path.join(DATA, "rgb_1024.jpg")
    if not os.path.exists(j):
        y, x = np.mgrid[0:1024, 0:1024]
        rgb = np.stack([(x // 4) % 256, (y // 4) % 256, ((x + y) // 8) % 256], -1).astype(np.uint8)
        rgb = np.clip(rgb.astype(int) + rng.integers(-20, 20, rgb.shape), 0, 255).astype(np.uint8)
        Image.fromarray(rgb).save(j, quality=90)
    import importlib.util
    spec = importlib.util.find_spec("data_store")
    src = os.path.join(os.path.dirname(spec.origin), "data") if spec else None
    for name in ["RG1_UNCR.dcm", "RG1_J2KR.dcm"]:
        d = os.path.join(DATA, name)
        if not os.path.exists(d):
            shutil.copy(os.path.join(src, name), d)
    return [p, j, os.path.join(DATA, "RG1_UNCR.dcm"), os.path.join(DATA, "RG1_J2KR.dcm")]


def reference_decode(path, data):
    if path.endswith(".dcm"):
        ds = pydicom.dcmread(io.BytesIO(data))
        return ds.pixel_array
    im = Image.open(io.BytesIO(data))
    im.load()
    return np.asarray(im)


def time_reference(path, iterations):
    data = open(path, "rb").read()
    for _ in range(2):
        reference_decode(path, data)
    t = []
    for _ in range(iterations):
        t0 = time.perf_counter()
        reference_decode(path, data)
        t.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(t)


def time_ours(binary, path, iterations):
    out = subprocess.run([binary, "--iterations", str(iterations), path], check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])["ms"]["median"]


def main():
    binary = sys.argv[1]
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    files = make_files()
    print(f"| file | MedInfer median ms | reference | reference median ms | ratio (ours / ref) |")
    print(f"|---|---|---|---|---|")
    for f in files:
        iters = 10 if f.endswith(".png") or "J2K" in f else 20
        ours, ref = [], []
        for _ in range(rounds):  # alternate so both see the same machine state
            ours.append(time_ours(binary, f, iters))
            ref.append(time_reference(f, iters))
        o, r = statistics.median(ours), statistics.median(ref)
        who = "pydicom 3.0.2" if f.endswith(".dcm") else "Pillow 13.0.0"
        print(f"| {os.path.basename(f)} | {o:.2f} | {who} | {r:.2f} | {o / r:.2f} |")


if __name__ == "__main__":
    main()
