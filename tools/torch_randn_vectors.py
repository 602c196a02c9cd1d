#!/usr/bin/env python3
"""Writes engine/src/runtime/noise/torch-randn.fixture.json: torch.randn float32 values
for several seeds and sizes on this machine's CPU build, for TorchGenerator's tests.

Run with Debian's python3-torch (apt-get install python3-torch):
    /usr/bin/python3 tools/torch_randn_vectors.py [--full-dump out.json]
Big tensors are stored as a SHA-256 of their little-endian float32 bytes, their first and
last 64 values and a few sampled indices, so the fixture stays small.
"""
import hashlib
import json
import sys
from pathlib import Path

import torch

SEEDS = [0, 1, 42, 1234, 2**32 + 5, -3]
SIZES = [[1], [7], [16], [17], [2, 3, 5], [4, 64, 64]]
SAMPLED = [100, 1000, 4097, 9999, 16000]
OUT = Path(__file__).resolve().parent.parent / "engine/src/runtime/noise/torch-randn.fixture.json"


def floats(t):
    # repr of a float32 widened to double is exact, so the JSON round-trips bit for bit
    return [float(v) for v in t.reshape(-1).tolist()]


def describe(t):
    flat = t.reshape(-1).contiguous()
    if flat.numel() <= 64:
        return {"values": floats(flat)}
    return {
        "sha256": hashlib.sha256(flat.numpy().astype("<f4").tobytes()).hexdigest(),
        "head": floats(flat[:64]),
        "tail": floats(flat[-64:]),
        "sampled": {str(i): float(flat[i]) for i in SAMPLED if i < flat.numel()},
    }


def cpu_capability():
    # which normal_fill kernel torch dispatched to (AVX2 on most x86-64 machines)
    backends_cpu = getattr(torch.backends, "cpu", None)
    if backends_cpu is not None and hasattr(backends_cpu, "get_cpu_capability"):
        return backends_cpu.get_cpu_capability()
    return torch.__config__.show().split("CPU capability usage:")[-1].split("\n")[0].strip() or "unknown"


def main():
    cases = []
    full = {}
    for seed in SEEDS:
        for shape in SIZES:
            torch.manual_seed(seed)
            t = torch.randn(shape, dtype=torch.float32)
            cases.append({"seed": seed, "shape": shape, **describe(t)})
            full[f"{seed}:{shape}"] = floats(t)
    # One generator, several calls: the stream continues, and the scalar path's cached
    # second normal carries into the next small call.
    sequences = []
    for seed in [0, 99]:
        g = torch.Generator().manual_seed(seed)
        calls = [[3], [1], [20], [5], [16], [2, 9]]
        sequences.append({
            "seed": seed,
            "calls": [{"shape": s, **describe(torch.randn(s, generator=g))} for s in calls],
        })
    fixture = {
        "generator": "tools/torch_randn_vectors.py",
        "torch": torch.__version__,
        "cpu_capability": cpu_capability(),
        "cases": cases,
        "sequences": sequences,
    }
    OUT.write_text(json.dumps(fixture, indent=1) + "\n")
    if "--full-dump" in sys.argv:
        Path(sys.argv[sys.argv.index("--full-dump") + 1]).write_text(json.dumps(full))


if __name__ == "__main__":
    main()
