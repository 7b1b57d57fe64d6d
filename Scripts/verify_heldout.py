#!/usr/bin/env python3
"""Checks `medinfer decode` against pydicom on DICOM files that are NOT committed as fixtures.

    .venv/bin/python Scripts/verify_heldout.py [.build/release/medinfer]

The held-out set is every DICOM file of pydicom 3.0.2's test_files and of pydicom-data 1.0.0 whose name is
not in Tests/Fixtures/dicom. For each, frame 0 is decoded at the three stages and compared with the
definitions in Scripts/make_fixtures.py (stored exact, or +-1 for lossy syntaxes; modality 1e-4 relative;
display 1e-3 absolute). Files pydicom cannot decode must give exit code 1 from medinfer (a clean error).
Prints a table and exits 1 on any mismatch or crash.
"""
import glob
import os
import subprocess
import sys
import tempfile

import numpy as np
import pydicom
from pydicom.pixels import apply_color_lut

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_fixtures as mf  # noqa: E402  (the stage definitions live there)

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")


def held_out():
    import data_store
    committed = set(os.listdir(os.path.join(ROOT, "Tests", "Fixtures", "dicom")))
    dirs = [os.path.join(os.path.dirname(pydicom.__file__), "data", "test_files"),
            os.path.join(os.path.dirname(data_store.__file__), "data")]
    files = sorted(f for d in dirs for f in glob.glob(os.path.join(d, "*.dcm")))
    return [f for f in files if os.path.basename(f).replace("+", "_") not in committed]


def expected(path):
    ds = pydicom.dcmread(path, force=True)
    if "PixelData" not in ds:
        return None, None
    arr = ds.pixel_array
    frames = int(getattr(ds, "NumberOfFrames", 1) or 1)
    stored = arr[0] if frames > 1 else arr
    lossy = str(getattr(ds.file_meta, "TransferSyntaxUID", "")) in mf.LOSSY_TS
    if ds.PhotometricInterpretation not in ("MONOCHROME1", "MONOCHROME2"):
        if ds.PhotometricInterpretation == "PALETTE COLOR":
            if not ds.original_encoding[1]:
                # pydicom 3.0.2's apply_color_lut reads 16-bit LUT data of big-endian files in host order;
                # give it little-endian words so the expected colours are the image's real ones.
                for c in ("Red", "Green", "Blue"):
                    kw = f"{c}PaletteColorLookupTableData"
                    if kw in ds:
                        ds[kw].value = np.frombuffer(ds[kw].value, ">u2").astype("<u2").tobytes()
            stored = apply_color_lut(stored, ds)
            bits = ds.RedPaletteColorLookupTableDescriptor[2]
        else:
            bits = ds.BitsStored
        modality = stored.astype(np.float64)
        return {"stored": stored, "modality": modality, "display": modality / float(2 ** bits - 1)}, lossy
    modality = mf.modality_of(ds, stored, 0)
    return {"stored": stored, "modality": modality, "display": mf.display_of(ds, modality, 0, 0)}, lossy


def main():
    binary = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, ".build", "release", "medinfer")
    failures = 0
    print("| file | result | stored max diff | modality max rel | display max diff |")
    print("|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for path in held_out():
            name = os.path.basename(path)
            try:
                ref, lossy = expected(path)
            except Exception as e:  # pydicom cannot decode it: nothing to compare, but we must not crash
                r = subprocess.run([binary, "decode", path, "--output", os.path.join(tmp, "x.npy")],
                                   capture_output=True, text=True)
                ok = r.returncode in (0, 1)
                failures += not ok
                what = {0: "decoded", 1: "clean error"}.get(r.returncode, f"FAIL exit {r.returncode}")
                print(f"| {name} | {what} (pydicom: {type(e).__name__}, not compared) | | | |")
                continue
            if ref is None:
                continue
            diffs, status = {}, "ok"
            for stage in ("stored", "modality", "display"):
                out = os.path.join(tmp, f"{stage}.npy")
                r = subprocess.run([binary, "decode", path, "--output", out, "--stage", stage], capture_output=True, text=True)
                if r.returncode != 0:
                    status = f"FAIL exit {r.returncode}: {r.stderr.strip()[:80]}"
                    break
                ours = np.load(out).astype(np.float64)
                want = ref[stage].astype(np.float64)
                if ours.shape != want.shape:
                    status = f"FAIL shape {ours.shape} vs {want.shape}"
                    break
                if stage == "modality":
                    diffs[stage] = float(np.max(np.abs(ours - want) / np.maximum(np.abs(want), 1))) if want.size else 0.0
                else:
                    diffs[stage] = float(np.max(np.abs(ours - want))) if want.size else 0.0
            if status == "ok":
                tol_stored = 1 if lossy else 0
                step = 1.0 / 255 if lossy else 0
                if diffs["stored"] > tol_stored or diffs["modality"] > (1e-4 if not lossy else 1.0) \
                        or diffs["display"] > 1e-3 + step:
                    status = "FAIL tolerance"
            failures += status != "ok"
            d = lambda k: f"{diffs[k]:.3g}" if k in diffs else ""
            print(f"| {name} | {status} | {d('stored')} | {d('modality')} | {d('display')} |")
    print(f"\n{failures} failure(s)")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
