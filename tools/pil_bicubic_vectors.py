#!/usr/bin/env python3
"""Writes engine/src/runtime/image/pil-bicubic.fixture.json: Pillow BICUBIC resizes of
images drawn by a formula, for pil-bicubic.test.ts (bit-exact comparison).

    /usr/bin/python3 tools/pil_bicubic_vectors.py     (Debian python3-pil)

Small outputs are stored in full (base64 RGB); big ones as a SHA-256 plus a few pixels.
The LAVIS case reproduces torchvision Resize(size, BICUBIC) + CenterCrop(size) on a PIL
image by hand (torchvision is not installed): shorter side to size, longer to
int(size * long / short), crop offsets int(round((h - size) / 2)).
"""
import base64
import hashlib
import json
from pathlib import Path

import PIL
from PIL import Image

OUT = Path(__file__).resolve().parent.parent / "engine/src/runtime/image/pil-bicubic.fixture.json"
FULL_LIMIT = 4096  # bytes of output stored in full


def draw(width, height, pattern):
    """Deterministic test images; the same recipes are in pil-bicubic.test.ts."""
    data = bytearray(width * height * 3)
    for y in range(height):
        for x in range(width):
            for c in range(3):
                if pattern == "stripes":
                    # high frequency with hard edges: stresses negative lobes and clipping
                    v = 255 if ((x // (1 + c)) + (y // 2)) % 2 else 0
                elif pattern == "gradient":
                    v = (x * 255 // max(width - 1, 1) + y * 3 + c * 40) % 256
                else:  # "noise": a hash-like pattern
                    v = (x * 73 + y * 151 + c * 29 + ((x * y) % 23) * 17) % 256
                data[(y * width + x) * 3 + c] = v
    return Image.frombytes("RGB", (width, height), bytes(data))


def describe(img):
    raw = img.tobytes()
    entry = {"width": img.width, "height": img.height, "sha256": hashlib.sha256(raw).hexdigest()}
    if len(raw) <= FULL_LIMIT:
        entry["rgb_base64"] = base64.b64encode(raw).decode()
    else:
        entry["pixels"] = {f"{x},{y}": list(img.getpixel((x, y))) for x, y in
                           [(0, 0), (img.width - 1, 0), (img.width // 2, img.height // 3), (img.width - 1, img.height - 1)]}
    return entry


def lavis_center_crop(img, size):
    w, h = img.size
    short, long = (w, h) if w <= h else (h, w)
    new_short, new_long = size, int(size * long / short)
    new_w, new_h = (new_short, new_long) if w <= h else (new_long, new_short)
    if (new_w, new_h) != (w, h):
        img = img.resize((new_w, new_h), Image.BICUBIC)
    top = int(round((new_h - size) / 2.0))
    left = int(round((new_w - size) / 2.0))
    return img.crop((left, top, left + size, top + size))


def main():
    cases = []
    resizes = [
        ("noise", 40, 30, 17, 13),     # downscale, non-integer factors
        ("stripes", 37, 23, 11, 29),   # down in x, up in y
        ("gradient", 9, 7, 31, 20),    # upscale
        ("stripes", 16, 16, 16, 5),    # vertical pass only
        ("noise", 25, 12, 8, 12),      # horizontal pass only
        ("noise", 300, 200, 224, 224), # BLIP-style straight resize to S×S
        ("gradient", 640, 480, 512, 512),
    ]
    for pattern, w, h, ow, oh in resizes:
        src = draw(w, h, pattern)
        out = src.resize((ow, oh), Image.BICUBIC)
        cases.append({"kind": "resize", "pattern": pattern, "src": [w, h], "size": [ow, oh], "expected": describe(out)})
    for pattern, w, h, s in [("noise", 45, 30, 16), ("stripes", 21, 40, 10), ("gradient", 300, 201, 224), ("noise", 33, 16, 16)]:
        out = lavis_center_crop(draw(w, h, pattern), s)
        cases.append({"kind": "center_crop", "pattern": pattern, "src": [w, h], "size": [s, s], "expected": describe(out)})
    OUT.write_text(json.dumps({"generator": "tools/pil_bicubic_vectors.py", "pillow": PIL.__version__, "cases": cases}, indent=1) + "\n")


if __name__ == "__main__":
    main()
