#!/usr/bin/env python3
"""Make the image fixtures and their reference arrays (run from the repository root).

    python3 -m venv .venv && .venv/bin/pip install -r Scripts/requirements.txt
    .venv/bin/python Scripts/make_fixtures.py

Writes (all committed; tests never run Python):
  Tests/Fixtures/png/*.png        every PNG colour type and bit depth, Adam7, gAMA (our own encoder below:
                                  Pillow cannot write 16-bit RGB or low-depth gray), cross-checked with Pillow
  Tests/Fixtures/jpeg/*.jpg       baseline, progressive, gray, 4:4:4, EXIF orientations 1-8, CMYK (Pillow);
                                  a 12-bit JPEG taken from pydicom's JPGExtended.dcm
  Tests/Fixtures/dicom/<derived>  DICOM files derived from pydicom test files (MONOCHROME1 crop, VOI functions)
  Tests/Fixtures/reference/*.npy.gz  stored / modality / display arrays from pydicom 3.0.2 and Pillow 13.0.0
  Tests/Fixtures/reference/manifest.json

The definitions of the three stages are the contract with the Swift decoder (README.md, "Stages").
"""
import copy
import io
import json
import os
import struct
import zlib

import numpy as np
import pydicom
from PIL import Image, ImageOps
from pydicom.pixels import apply_color_lut, apply_modality_lut, apply_voi_lut

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
FIX = os.path.join(ROOT, "Tests", "Fixtures")
REF = os.path.join(FIX, "reference")
RNG = np.random.default_rng(20261125)


# ---------------------------------------------------------------- PNG encoder (filter 0, optional Adam7)
def _chunk(kind, payload):
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload) & 0xFFFFFFFF)


def _pack_rows(a, depth):
    """a: [h, w*channels] integer samples -> list of packed row bytes."""
    rows = []
    for row in a:
        if depth == 16:
            rows.append(row.astype(">u2").tobytes())
        elif depth == 8:
            rows.append(row.astype(np.uint8).tobytes())
        else:
            per = 8 // depth
            out = bytearray((len(row) + per - 1) // per)
            for i, v in enumerate(row):
                out[i // per] |= int(v) << (8 - depth * (i % per + 1))
            rows.append(bytes(out))
    return rows


ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]


def write_png(path, samples, color_type, depth, palette=None, trns=None, interlace=False, gamma=None):
    """samples: [h, w] or [h, w, c] stored sample values (palette indices for colour type 3)."""
    s = samples if samples.ndim == 3 else samples[:, :, None]
    h, w, c = s.shape
    raw = bytearray()
    passes = ADAM7 if interlace else [(0, 0, 1, 1)]
    for x0, y0, dx, dy in passes:
        sub = s[y0::dy, x0::dx, :]
        if sub.shape[0] == 0 or sub.shape[1] == 0:
            continue
        for packed in _pack_rows(sub.reshape(sub.shape[0], -1), depth):
            raw += b"\x00" + packed
    png = b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, depth, color_type, 0, 0, 1 if interlace else 0))
    if gamma is not None:
        png += _chunk(b"gAMA", struct.pack(">I", int(gamma * 100000)))
    if palette is not None:
        png += _chunk(b"PLTE", palette.astype(np.uint8).tobytes())
    if trns is not None:
        png += _chunk(b"tRNS", bytes(trns))
    png += _chunk(b"IDAT", zlib.compress(bytes(raw), 9)) + _chunk(b"IEND", b"")
    with open(path, "wb") as f:
        f.write(png)


def make_pngs():
    """Returns [(relative path, expected stored array)]."""
    out = []
    d = os.path.join(FIX, "png")
    os.makedirs(d, exist_ok=True)
    H, W = 17, 33

    def add(name, samples, color_type, depth, expected, **kw):
        write_png(os.path.join(d, name), samples, color_type, depth, **kw)
        out.append((f"png/{name}", expected))

    for depth in (1, 2, 4, 8, 16):
        g = RNG.integers(0, 2 ** depth, (H, W))
        exp = (g * (255 // (2 ** depth - 1))).astype(np.uint8) if depth < 8 else g.astype(np.uint8 if depth == 8 else np.uint16)
        add(f"gray{depth}.png", g, 0, depth, exp)
        if depth in (1, 8, 16):
            add(f"gray{depth}_adam7.png", g, 0, depth, exp, interlace=True)
    for depth in (8, 16):
        dt = np.uint8 if depth == 8 else np.uint16
        ga = RNG.integers(0, 2 ** depth, (H, W, 2))
        add(f"gray_alpha{depth}.png", ga, 4, depth, ga[:, :, 0].astype(dt))
        rgb = RNG.integers(0, 2 ** depth, (H, W, 3))
        add(f"rgb{depth}.png", rgb, 2, depth, rgb.astype(dt))
        rgba = RNG.integers(0, 2 ** depth, (H, W, 4))
        add(f"rgba{depth}.png", rgba, 6, depth, rgba[:, :, :3].astype(dt))
    rgb8 = RNG.integers(0, 256, (H, W, 3))
    add("rgb8_adam7.png", rgb8, 2, 8, rgb8.astype(np.uint8), interlace=True)
    for depth in (1, 2, 4, 8):
        n = 2 ** depth
        pal = RNG.integers(0, 256, (n, 3))
        idx = RNG.integers(0, n, (H, W))
        add(f"palette{depth}.png", idx, 3, depth, pal[idx].astype(np.uint8), palette=pal)
    pal = RNG.integers(0, 256, (16, 3))
    idx = RNG.integers(0, 16, (H, W))
    add("palette4_adam7.png", idx, 3, 4, pal[idx].astype(np.uint8), palette=pal, interlace=True)
    add("palette8_trns.png", idx, 3, 8, pal[idx].astype(np.uint8), palette=pal, trns=[0, 128, 255])
    g = RNG.integers(0, 256, (H, W))
    add("gray8_gamma.png", g, 0, 8, g.astype(np.uint8), gamma=0.45455)

    # Cross-check our encoder against Pillow wherever Pillow reads the file faithfully.
    for rel, exp in out:
        im = Image.open(os.path.join(FIX, rel))
        if "16" in rel and ("rgb" in rel or "alpha" in rel):
            continue  # Pillow reduces 16-bit colour to 8 bit
        conv = im.convert("RGB") if exp.ndim == 3 else (im if im.mode in ("I;16", "I", "L") else im.convert("L"))
        got = np.asarray(conv)
        assert np.array_equal(got.astype(np.int64), exp.astype(np.int64)), rel
    return out


# ---------------------------------------------------------------- JPEG fixtures
def make_jpegs():
    out = []
    d = os.path.join(FIX, "jpeg")
    os.makedirs(d, exist_ok=True)
    y, x = np.mgrid[0:24, 0:40]
    rgb = np.stack([x * 6, y * 10, (x + y) * 4], -1).clip(0, 255).astype(np.uint8)
    rgb = np.clip(rgb.astype(int) + RNG.integers(-10, 10, rgb.shape), 0, 255).astype(np.uint8)
    base = Image.fromarray(rgb)

    def add(name, save):
        p = os.path.join(d, name)
        save(p)
        im = ImageOps.exif_transpose(Image.open(p))
        arr = np.asarray(im.convert("L") if im.mode == "L" else im.convert("RGB"))
        out.append((f"jpeg/{name}", arr))

    add("baseline.jpg", lambda p: base.save(p, quality=90))
    add("progressive.jpg", lambda p: base.save(p, quality=90, progressive=True))
    add("gray.jpg", lambda p: base.convert("L").save(p, quality=90))
    add("subsampling444.jpg", lambda p: base.save(p, quality=95, subsampling=0))
    for o in range(1, 9):
        def save(p, o=o):
            exif = Image.Exif()
            exif[0x0112] = o
            base.save(p, quality=90, exif=exif.tobytes())
        add(f"orientation{o}.jpg", save)
    Image.fromarray(rgb).convert("CMYK").save(os.path.join(d, "cmyk.jpg"), quality=90)
    ds = pydicom.dcmread(os.path.join(os.path.dirname(pydicom.__file__), "data", "test_files", "JPGExtended.dcm"))
    from pydicom.encaps import generate_frames
    frame = next(generate_frames(ds.PixelData, number_of_frames=1))
    with open(os.path.join(d, "12bit.jpg"), "wb") as f:
        f.write(frame)
    return out


# ---------------------------------------------------------------- derived DICOM fixtures
def make_derived_dicoms():
    d = os.path.join(FIX, "dicom")
    import data_store  # the pydicom-data package (MIT); RG3_J2KR itself is too large to commit
    src = pydicom.dcmread(os.path.join(os.path.dirname(data_store.__file__), "data", "RG3_J2KR.dcm"))
    arr = src.pixel_array
    r0, c0 = arr.shape[0] // 2 - 128, arr.shape[1] // 2 - 128
    crop = np.ascontiguousarray(arr[r0:r0 + 256, c0:c0 + 256])
    ds = src.copy()
    ds.Rows, ds.Columns = 256, 256
    ds.PixelData = crop.astype(np.uint16).tobytes()
    ds.file_meta.TransferSyntaxUID = pydicom.uid.ExplicitVRLittleEndian
    ds.SOPInstanceUID = pydicom.uid.generate_uid(entropy_srcs=["MONOCHROME1_crop"])
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    ds.save_as(os.path.join(d, "MONOCHROME1_crop.dcm"), enforce_file_format=True)

    ct = os.path.join(d, "CT_small.dcm")
    for name, func in [("CT_small_sigmoid.dcm", "SIGMOID"), ("CT_small_linear_exact.dcm", "LINEAR_EXACT")]:
        ds = pydicom.dcmread(ct)
        ds.WindowCenter = [40, 300]
        ds.WindowWidth = [400, 1500]
        ds.VOILUTFunction = func
        ds.save_as(os.path.join(d, name))
    ds = pydicom.dcmread(ct)
    ds.WindowCenter = [40, 300]
    ds.WindowWidth = [400, 1500]
    ds.save_as(os.path.join(d, "CT_small_two_windows.dcm"))
    ds = pydicom.dcmread(os.path.join(d, "MR_small.dcm"))
    ds.PresentationLUTShape = "INVERSE"
    ds.save_as(os.path.join(d, "MR_small_inverse.dcm"))


# ---------------------------------------------------------------- DICOM references
REFUSED = {
    "JPEG-lossy.dcm": "JPEG Extended", "JPGExtended.dcm": "JPEG Extended",
    "MR_small_jpeg_ls_lossless.dcm": "JPEG-LS", "JPEG-LL.dcm": "JPEG Lossless",
}
BROKEN = {"MR_truncated.dcm", "meta_missing_tsyntax.dcm", "nested_priv_SQ.dcm", "priv_SQ.dcm",
          "UN_sequence.dcm", "empty_charset_LEI.dcm", "no_meta.dcm", "badVR.dcm"}
LOSSY_TS = {"1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.4.91"}


def per_frame_item(ds, frame, seq_tag):
    for holder in ("PerFrameFunctionalGroupsSequence", "SharedFunctionalGroupsSequence"):
        if holder in ds:
            items = ds[holder].value
            item = items[frame] if holder.startswith("PerFrame") else items[0]
            if seq_tag in item:
                return item[seq_tag].value[0]
    return None


def modality_of(ds, stored, frame):
    if "PerFrameFunctionalGroupsSequence" in ds or "SharedFunctionalGroupsSequence" in ds:
        pvt = per_frame_item(ds, frame, "PixelValueTransformationSequence")
        if pvt is not None:
            slope = float(getattr(pvt, "RescaleSlope", 1) or 1)
            icpt = float(getattr(pvt, "RescaleIntercept", 0) or 0)
            return stored.astype(np.float64) * slope + icpt
    return apply_modality_lut(stored, ds).astype(np.float64)


def windowing_range(ds):
    """The output range pydicom's apply_windowing uses (pydicom/pixels/processing.py)."""
    if ds.get("ModalityLUTSequence"):
        lo, hi = 0.0, float(2 ** ds.ModalityLUTSequence[0].LUTDescriptor[2] - 1)
    elif ds.PixelRepresentation == 0:
        lo, hi = 0.0, float(2 ** ds.BitsStored - 1)
    else:
        lo, hi = float(-(2 ** (ds.BitsStored - 1))), float(2 ** (ds.BitsStored - 1) - 1)
    slope, intercept = ds.get("RescaleSlope", None), ds.get("RescaleIntercept", None)
    if slope is not None and intercept is not None:
        lo, hi = lo * float(slope) + float(intercept), hi * float(slope) + float(intercept)
    return lo, hi


def display_of(ds, modality, frame, window):
    if "VOILUTSequence" in ds:
        out = apply_voi_lut(modality, ds, index=0, prefer_lut=True).astype(np.float64)
        v = out / float(2 ** ds.VOILUTSequence[0].LUTDescriptor[2] - 1)
    else:
        voi = per_frame_item(ds, frame, "FrameVOILUTSequence")
        center = width = None
        if voi is not None and "WindowCenter" in voi:
            center, width = voi.WindowCenter, voi.WindowWidth
            func = getattr(voi, "VOILUTFunction", "LINEAR")
        elif "WindowCenter" in ds:
            center, width = ds.WindowCenter, ds.WindowWidth
            func = getattr(ds, "VOILUTFunction", "LINEAR")
        if center is not None:
            c = float(center[window] if isinstance(center, pydicom.multival.MultiValue) else center)
            w = float(width[window] if isinstance(width, pydicom.multival.MultiValue) else width)
            tmp = copy.deepcopy(ds)  # Dataset.copy() is shallow: it would overwrite ds's windows
            tmp.WindowCenter, tmp.WindowWidth, tmp.VOILUTFunction = c, w, func
            lo, hi = windowing_range(tmp)
            v = (apply_voi_lut(modality, tmp, index=0).astype(np.float64) - lo) / (hi - lo)
        else:
            lo, hi = float(modality.min()), float(modality.max())
            v = (modality - lo) / (hi - lo) if hi > lo else np.zeros_like(modality)
    if ds.PhotometricInterpretation == "MONOCHROME1" or getattr(ds, "PresentationLUTShape", "") == "INVERSE":
        v = 1.0 - v
    return v


def save(name, arr):
    """Writes arr as a gzip-compressed .npy (mtime 0, so the bytes are reproducible)."""
    import gzip
    buf = io.BytesIO()
    np.save(buf, arr, allow_pickle=False)
    with open(os.path.join(REF, name + ".gz"), "wb") as f:
        f.write(gzip.compress(buf.getvalue(), compresslevel=9, mtime=0))
    return f"reference/{name}.gz"


def dicom_references():
    entries = []
    d = os.path.join(FIX, "dicom")
    for fname in sorted(os.listdir(d)):
        if not fname.endswith(".dcm"):
            continue
        rel = f"dicom/{fname}"
        if fname in REFUSED:
            entries.append({"file": rel, "error": "unsupported", "contains": REFUSED[fname]})
            continue
        if fname in BROKEN:
            entries.append({"file": rel, "error": "any"})
            continue
        ds = pydicom.dcmread(os.path.join(d, fname), force=True)
        if "PixelData" not in ds:
            continue
        try:
            arr = ds.pixel_array
        except Exception as e:  # pydicom cannot decode it either: expect a typed error from us
            print(f"  {fname}: pydicom cannot decode ({e}); expecting an error")
            entries.append({"file": rel, "error": "any"})
            continue
        frames = int(getattr(ds, "NumberOfFrames", 1) or 1)
        small = ds.Rows * ds.Columns <= 256 * 256
        chosen = [0] + ([frames - 1] if frames > 1 and small else [])
        colour = ds.PhotometricInterpretation not in ("MONOCHROME1", "MONOCHROME2")
        lossy = str(getattr(ds.file_meta, "TransferSyntaxUID", "")) in LOSSY_TS
        windows = [0]
        if "WindowCenter" in ds and isinstance(ds.WindowCenter, pydicom.multival.MultiValue) and ds.Rows * ds.Columns <= 256 * 256:
            windows = list(range(len(ds.WindowCenter)))
        for f in chosen:
            stored = arr[f] if frames > 1 else arr
            stem = fname[:-4]
            if colour:
                # Colour: modality = stored, display = stored / (2^bits - 1); the test derives both from
                # the stored reference, so only that is committed.
                if ds.PhotometricInterpretation == "PALETTE COLOR":
                    stored = apply_color_lut(stored, ds)
                    bits = ds.RedPaletteColorLookupTableDescriptor[2]
                else:
                    bits = ds.BitsStored
                entries.append({"file": rel, "frame": f, "lossy": lossy, "window": 0,
                                "stored": save(f"{stem}.f{f}.stored.npy", np.ascontiguousarray(stored)),
                                "displayDivisor": float(2 ** bits - 1)})
                continue
            else:
                modality = modality_of(ds, stored, f)
                display = None
            for win in (windows if small else [0]):
                disp = display if display is not None else display_of(ds, modality, f, win)
                suffix = f".f{f}" + (f".w{win}" if win else "")
                entry = {"file": rel, "frame": f, "lossy": lossy, "window": win,
                         "stored": save(f"{stem}.f{f}.stored.npy", np.ascontiguousarray(stored)),
                         "display": save(f"{stem}{suffix}.display.npy", disp.astype(np.float32))}
                # Without a Modality LUT, modality = stored; the test derives it then.
                if not np.array_equal(modality, stored.astype(np.float64)):
                    entry["modality"] = save(f"{stem}.f{f}.modality.npy", modality.astype(np.float32))
                entries.append(entry)
    return entries


def image_references(items, lossy):
    entries = []
    for rel, arr in items:
        stem = rel.replace("/", "_")[:-4]
        depth = 16 if arr.dtype == np.uint16 else 8
        entries.append({"file": rel, "frame": 0, "lossy": lossy, "window": 0,
                        "stored": save(f"{stem}.f0.stored.npy", np.ascontiguousarray(arr)),
                        "displayDivisor": float(2 ** depth - 1)})
    return entries


def main():
    os.makedirs(REF, exist_ok=True)
    for f in os.listdir(REF):
        os.remove(os.path.join(REF, f))
    make_derived_dicoms()
    pngs = make_pngs()
    jpegs = make_jpegs()
    entries = image_references(pngs, False) + image_references(jpegs, True)
    entries += [{"file": "jpeg/cmyk.jpg", "error": "unsupported", "contains": "CMYK"},
                {"file": "jpeg/12bit.jpg", "error": "unsupported", "contains": "12-bit"}]
    entries += dicom_references()
    with open(os.path.join(REF, "manifest.json"), "w") as f:
        json.dump(entries, f, indent=1)
    print(f"{len(entries)} manifest entries")


if __name__ == "__main__":
    main()
