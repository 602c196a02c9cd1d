#!/usr/bin/env python3
"""Writes engine/src/runtime/image/canny.fixture.json: OpenCV's edge maps (cv2.Canny, with
and without a cv2.GaussianBlur first) of images drawn by integer formulas, for canny.test.ts.

    /usr/bin/python3 tools/canny_vectors.py     (Debian python3-opencv, python3-numpy)

Each case names a drawing recipe (the same recipes are in canny.test.ts; the drawn bytes'
SHA-256 is stored so a drift in either copy shows), thresholds, the L2 flag and the blur
kernel (0 = none; cv2.GaussianBlur(img, (k, k), 0)). Input is RGB, as ControlNet users pass
np.array(pil_image) straight to cv2.Canny; `gray` cases convert first with cv2.cvtColor.
The edge map is stored bit-packed (1 = 255), row-major, base64.
"""
import base64
import hashlib
import json
from pathlib import Path

import cv2
import numpy as np

OUT = Path(__file__).resolve().parent.parent / "engine/src/runtime/image/canny.fixture.json"


def draw(width, height, pattern):
    """Deterministic RGB test images from integer arithmetic only (no float or trig)."""
    img = np.zeros((height, width, 3), dtype=np.uint8)
    for y in range(height):
        for x in range(width):
            if pattern == "shapes":
                # gradient background, a red rectangle, a green disc: edges at every angle
                px = [x * 255 // max(width - 1, 1), y * 255 // max(height - 1, 1), 96]
                if width // 5 <= x < width // 2 and height // 4 <= y < 3 * height // 4:
                    px = [200, 40, 40]
                dx, dy, r = x - 2 * width // 3, y - height // 2, height // 4
                if dx * dx + dy * dy <= r * r:
                    px = [30, 180, 60]
            elif pattern == "rings":
                # a triangle wave of the squared radius: smooth ramps in all directions
                dx, dy = x - width // 3, y - height // 2
                v = ((dx * dx + dy * dy) // 6) % 256
                v = 2 * v if v < 128 else 2 * (255 - v)
                px = [v, v, v]
            elif pattern == "noise":
                px = [(x * 73 + y * 151 + c * 29 + ((x * y) % 23) * 17) % 256 for c in range(3)]
            elif pattern == "steps":
                # vertical steps of growing contrast with a slow vertical ramp
                v = ((x // 8) * 37) % 200 + (y * 40) // max(height - 1, 1)
                px = [v, (v * 3) // 4, 255 - v]
            elif pattern == "diagonal":
                v = 180 if ((x + 2 * y) // 6) % 2 else 60
                w = 150 if ((3 * x - y) // 9) % 2 else 90
                px = [v, w, (v + w) // 2]
            else:  # "blobs": overlapping quadratic bumps with soft and hard sides
                a = max(0, 255 - ((x - width // 4) ** 2 + (y - height // 3) ** 2) // 6)
                b = max(0, 220 - ((x - 3 * width // 4) ** 2 + 4 * (y - 2 * height // 3) ** 2) // 9)
                c = 255 if (x - width // 2) ** 2 + (y - height // 2) ** 2 < (height // 6) ** 2 else 0
                px = [min(255, a + c // 3), b, max(a, c) // 2]
            img[y, x] = px
    return img


def pack_bits(edges):
    return base64.b64encode(np.packbits((edges.reshape(-1) > 0).astype(np.uint8)).tobytes()).decode()


def main():
    images = {
        "shapes": (96, 64),
        "rings": (80, 80),
        "noise": (45, 37),
        "steps": (97, 61),
        "diagonal": (64, 48),
        "blobs": (72, 56),
    }
    settings = [
        # (low, high, L2, blur, gray)
        (100, 200, False, 0, False),  # the ControlNet papers' defaults
        (50, 150, False, 0, True),
        (20, 60, False, 0, False),
        (100, 200, True, 0, False),
        (30, 90, True, 0, True),
        (100, 200, False, 5, False),
        (10, 40, False, 3, True),
        (80, 120, True, 7, False),
        (200, 100, False, 0, False),  # swapped: OpenCV swaps them back
        (64, 64, False, 0, True),  # equal thresholds: no hysteresis range
    ]
    cases = []
    drawn = {}
    for pattern, (w, h) in images.items():
        img = draw(w, h, pattern)
        drawn[pattern] = {"size": [w, h], "sha256": hashlib.sha256(img.tobytes()).hexdigest()}
        for low, high, l2, blur, gray in settings:
            src = cv2.cvtColor(img, cv2.COLOR_RGB2GRAY) if gray else img
            if blur:
                src = cv2.GaussianBlur(src, (blur, blur), 0)
            edges = cv2.Canny(src, low, high, L2gradient=l2)
            cases.append({
                "pattern": pattern,
                "low": low,
                "high": high,
                "l2": l2,
                "blur": blur,
                "gray": gray,
                "edge_pixels": int((edges > 0).sum()),
                "edges": pack_bits(edges),
            })
    # cvtColor and GaussianBlur alone, checked separately so a Canny mismatch is not a blur one.
    extras = []
    for pattern in ["shapes", "noise"]:
        img = draw(*images[pattern], pattern)
        gray = cv2.cvtColor(img, cv2.COLOR_RGB2GRAY)
        extras.append({"pattern": pattern, "op": "gray", "sha256": hashlib.sha256(gray.tobytes()).hexdigest()})
        for k in (3, 5, 7):
            blurred = cv2.GaussianBlur(img, (k, k), 0)
            extras.append({"pattern": pattern, "op": f"blur{k}", "sha256": hashlib.sha256(blurred.tobytes()).hexdigest()})
    OUT.write_text(json.dumps({
        "generator": "tools/canny_vectors.py",
        "opencv": cv2.__version__,
        "images": drawn,
        "cases": cases,
        "extras": extras,
    }, indent=1) + "\n")


if __name__ == "__main__":
    main()
