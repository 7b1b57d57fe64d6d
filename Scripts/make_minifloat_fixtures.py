#!/usr/bin/env python3
"""Writes Tests/Fixtures/minifloat/minifloat.json: ml_dtypes' decoding of every code and rounding of a fixed
set of float32 values for each reduced-precision float format the engine holds (float16, bfloat16, the ONNX
8-bit floats, E2M1), plus onnx.numpy_helper.to_float8e8m0 in each rounding mode. The reference for
Tests/TensorTests/MiniFloatTests.swift. Pinned: Scripts/requirements-onnx.txt (onnx 1.22.0, ml_dtypes 0.6.0).
Run from the repository root: python Scripts/make_minifloat_fixtures.py
"""
import json
import os
import warnings

import ml_dtypes
import numpy as np
import onnx.numpy_helper as nh

FORMATS = {  # name in MiniFloat: (ml_dtypes type, code bits)
    "float16": (np.float16, 16), "bfloat16": (ml_dtypes.bfloat16, 16),
    "float8e4m3fn": (ml_dtypes.float8_e4m3fn, 8), "float8e4m3fnuz": (ml_dtypes.float8_e4m3fnuz, 8),
    "float8e5m2": (ml_dtypes.float8_e5m2, 8), "float8e5m2fnuz": (ml_dtypes.float8_e5m2fnuz, 8),
    "float4e2m1": (ml_dtypes.float4_e2m1fn, 4),
}


def values():
    """Ties, near-overflow, subnormals, specials and seeded random magnitudes, as float32 bit patterns."""
    rng = np.random.default_rng(2026)
    v = [0.0, -0.0, 1.0, -1.0, 0.5, 0.25, 0.75, 1.25, 2.5, 3.5, 5.0, 6.0, 7.0, 1e-7, -1e-7, 1e-3, 0.01, 240, 248,
         256, 448, 464, 480, 57344, 61440, 65504, 65520, 1e5, 1e6, -1e6, 3.4e38, 6.1e-5, 5.96e-8, 2.98e-8, 1e-40,
         np.inf, -np.inf, np.nan]
    v += list(rng.standard_normal(60) * np.exp2(rng.integers(-20, 20, 60)))
    v += list(np.float32(1 + np.arange(1, 16) / 16.0) * np.float32(2.0) ** rng.integers(-10, 10, 15))
    return np.array(v, dtype=np.float32)


def main():
    warnings.simplefilter("ignore", RuntimeWarning)  # the overflowing casts are the point
    x = values()
    out = {"inputs": [int(b) for b in x.view(np.uint32)], "formats": {}}
    for name, (t, bits) in FORMATS.items():
        # Every code of the 8- and 4-bit formats; for the 16-bit ones every 61st code plus both ends of
        # each sign's range (the file stays small).
        if bits == 16:
            codes = np.unique(np.concatenate([np.arange(0, 65536, 61), np.arange(0x7BF0, 0x7C10), np.arange(0x7F70, 0x7FD0),
                                              np.arange(0xFBF0, 0xFC10), np.arange(0xFF70, 0x10000), np.arange(0, 16)])).astype(np.uint16)
            decoded = codes.view(t).astype(np.float32)
        elif bits == 8:
            codes = np.arange(256, dtype=np.uint8)
            decoded = codes.view(t).astype(np.float32)
        else:
            codes = np.arange(16, dtype=np.uint8)
            decoded = np.array([float(np.uint8(c).view(t)) for c in codes], np.float32)
        raw = x.astype(t).view(np.uint16 if bits == 16 else np.uint8)
        info = ml_dtypes.finfo(t)
        sat = np.clip(x, np.float32(info.min), np.float32(info.max)).astype(t).view(np.uint16 if bits == 16 else np.uint8)
        out["formats"][name] = {
            "codes": [int(c) for c in codes],
            "decode": [int(b) for b in decoded.view(np.uint32)],
            "encode": [int(c) for c in raw],
            "encodeSaturating": [int(c) for c in sat],
        }
    out["e8m0"] = {m: [int(c) for c in nh.to_float8e8m0(x, saturate=True, round_mode=m).view(np.uint8)]
                   for m in ("up", "down", "nearest")}
    out["e8m0NoSaturate"] = {m: [int(c) for c in nh.to_float8e8m0(x, saturate=False, round_mode=m).view(np.uint8)]
                             for m in ("up", "down", "nearest")}
    out["e8m0Decode"] = [int(b) for b in np.arange(256, dtype=np.uint8).view(ml_dtypes.float8_e8m0fnu).astype(np.float32).view(np.uint32)]
    os.makedirs("Tests/Fixtures/minifloat", exist_ok=True)
    with open("Tests/Fixtures/minifloat/minifloat.json", "w") as f:
        json.dump(out, f, separators=(",", ":"))


main()
