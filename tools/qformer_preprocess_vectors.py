#!/usr/bin/env python3
"""Writes nodes/src/reproducibility-preprocess.fixture.json: the Q-Former's pixel_values for
pictures drawn by a formula, computed with Pillow and torch the way the reference
pipelines do, for nodes/src/reproducibility.test.ts.

    /usr/bin/python3 tools/qformer_preprocess_vectors.py   (Debian python3-pil, python3-torch)

squash (diffusers BlipImageProcessor): PIL BICUBIC straight to S×S.
center_crop (LAVIS BlipImageEvalProcessor): torchvision Resize(S, BICUBIC) + CenterCrop(S),
reproduced by hand on PIL (torchvision is not installed): shorter side to S, longer to
int(S * long / short), crop offsets int(round((h - S) / 2)).
Then ToTensor (uint8 / 255 in float32) and Normalize ((x - mean) / std in float32), NCHW.
The drawing recipe is the one in tools/pil_bicubic_vectors.py ("noise").
"""
import hashlib
import json
from pathlib import Path

import torch
from PIL import Image

OUT = Path(__file__).resolve().parent.parent / "nodes/src/reproducibility-preprocess.fixture.json"
MEAN = [0.48145466, 0.4578275, 0.40821073]
STD = [0.26862954, 0.26130258, 0.27577711]
SAMPLED = [0, 1, 77, 500, 1023, 2047, 3071]


def draw_noise(width, height):
    data = bytearray(width * height * 3)
    for y in range(height):
        for x in range(width):
            for c in range(3):
                data[(y * width + x) * 3 + c] = (x * 73 + y * 151 + c * 29 + ((x * y) % 23) * 17) % 256
    return Image.frombytes("RGB", (width, height), bytes(data))


def center_crop(img, size):
    w, h = img.size
    short, long = (w, h) if w <= h else (h, w)
    new_w, new_h = (size, int(size * long / short)) if w <= h else (int(size * long / short), size)
    if (new_w, new_h) != (w, h):
        img = img.resize((new_w, new_h), Image.BICUBIC)
    top = int(round((new_h - size) / 2.0))
    left = int(round((new_w - size) / 2.0))
    return img.crop((left, top, left + size, top + size))


def pixel_values(img):
    t = torch.tensor(list(img.tobytes()), dtype=torch.uint8).reshape(img.height, img.width, 3)
    t = t.permute(2, 0, 1).float().div(255)  # torchvision ToTensor
    mean = torch.tensor(MEAN, dtype=torch.float32).reshape(3, 1, 1)
    std = torch.tensor(STD, dtype=torch.float32).reshape(3, 1, 1)
    return ((t - mean) / std).unsqueeze(0).contiguous()  # torchvision Normalize


def main():
    cases = []
    for width, height, size in [(45, 30, 32), (23, 40, 32), (300, 201, 224)]:
        src = draw_noise(width, height)
        for mode in ["squash", "center_crop"]:
            img = src.resize((size, size), Image.BICUBIC) if mode == "squash" else center_crop(src, size)
            values = pixel_values(img)
            flat = values.reshape(-1)
            cases.append({
                "src": [width, height], "image_size": size, "mode": mode, "shape": list(values.shape),
                "sha256": hashlib.sha256(flat.numpy().astype("<f4").tobytes()).hexdigest(),
                "sampled": {str(i): float(flat[i]) for i in SAMPLED if i < flat.numel()},
            })
    OUT.write_text(json.dumps({"generator": "tools/qformer_preprocess_vectors.py", "torch": torch.__version__,
                               "pillow": Image.__version__, "mean": MEAN, "std": STD, "cases": cases}, indent=1) + "\n")


if __name__ == "__main__":
    main()
