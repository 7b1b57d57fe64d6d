#!/usr/bin/env python3
"""Make the Pillow resize fixtures for the Swift `Pipeline` target (run from anywhere).

    python3 -m venv .venv && .venv/bin/pip install -r Scripts/requirements-resample.txt
    .venv/bin/python Scripts/make_resample_fixtures.py

Writes (all committed; tests never run Python):
  Tests/Fixtures/resample/in_<name>.npy                       seeded random uint8 images, (H, W) or (H, W, 3)
  Tests/Fixtures/resample/out_<name>_<filter>_<W>x<H>.npy     Image.fromarray(in).resize((W, H), filter)
  Tests/Fixtures/resample/index.json                          one entry per output

The images are uniform noise on purpose: every sample hits the 0/255 clipping of the fixed-point path.
The fixture folder must stay under 1.5 MB, so 240x240 RGB outputs are made for BICUBIC only.
"""
import json
import os

import numpy as np
import PIL
from PIL import Image

assert PIL.__version__ == "13.0.0", PIL.__version__
assert np.__version__ == "2.4.6", np.__version__

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
OUT = os.path.join(ROOT, "Tests", "Fixtures", "resample")
RNG = np.random.default_rng(20261125)

FILTERS = {
    "bicubic": Image.Resampling.BICUBIC,
    "bilinear": Image.Resampling.BILINEAR,
    "box": Image.Resampling.BOX,
}

# name, (W, H), channels, sizes for every filter, extra sizes for BICUBIC only. Sizes are (W, H).
IMAGES = [
    ("gray_37x23", (37, 23), 1, [(240, 240), (17, 31), (37, 60), (12, 23), (10, 7)], []),
    ("gray_5x9", (5, 9), 1, [(240, 240), (2, 3), (5, 20), (1, 1), (17, 31), (5, 9)], []),
    ("rgb_64x64", (64, 64), 3, [(17, 31), (32, 32), (96, 96), (64, 100)], [(240, 240)]),
    ("rgb_300x200", (300, 200), 3, [(120, 80), (17, 31), (300, 30), (60, 200)], [(240, 240)]),
]


def main():
    os.makedirs(OUT, exist_ok=True)
    for f in os.listdir(OUT):
        if f.endswith(".npy") or f == "index.json":
            os.remove(os.path.join(OUT, f))
    index = []
    for name, (w, h), channels, sizes, bicubic_only in IMAGES:
        shape = (h, w) if channels == 1 else (h, w, channels)
        src = RNG.integers(0, 256, size=shape, dtype=np.uint8)
        np.save(os.path.join(OUT, f"in_{name}.npy"), src)
        im = Image.fromarray(src)
        assert im.mode == ("L" if channels == 1 else "RGB"), im.mode
        for fname, flt in FILTERS.items():
            for tw, th in sizes + (bicubic_only if fname == "bicubic" else []):
                out = np.asarray(im.resize((tw, th), flt), dtype=np.uint8)
                assert out.shape[:2] == (th, tw)
                ofile = f"out_{name}_{fname}_{tw}x{th}.npy"
                np.save(os.path.join(OUT, ofile), out)
                index.append({
                    "input": f"resample/in_{name}.npy", "output": f"resample/{ofile}",
                    "width": w, "height": h, "channels": channels,
                    "toWidth": tw, "toHeight": th, "filter": fname,
                })
    with open(os.path.join(OUT, "index.json"), "w") as fh:
        json.dump(index, fh, indent=1)
        fh.write("\n")
    total = sum(os.path.getsize(os.path.join(OUT, f)) for f in os.listdir(OUT))
    print(f"{len(index)} cases, {total} bytes in {OUT}")
    assert total < 1_500_000, total


if __name__ == "__main__":
    main()
