#!/usr/bin/env python3
"""Writes engine/src/runtime/npy/npy-vectors.fixture.json: .npy files written by numpy
itself (base64) with the float32 values a reader must get, for the .npy codec's tests.

Run with Debian's python3-numpy (apt-get install python3-numpy):
    /usr/bin/python3 tools/npy_vectors.py
Each case: the file's bytes, and either the float32 values (exact doubles) and shape, or
the error code a reader must refuse it with. `written_by_save` marks files np.save wrote
with its default settings, which our writer must reproduce byte for byte.
"""
import base64
import io
import json
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parent.parent / "engine/src/runtime/npy/npy-vectors.fixture.json"


def saved(array, version=None):
    buffer = io.BytesIO()
    if version is None:
        np.save(buffer, array)
    else:
        np.lib.format.write_array(buffer, array, version=version)
    return buffer.getvalue()


def readable(name, array, version=None):
    as_f4 = np.asarray(array).astype("<f4")
    return {
        "name": name,
        "npy_base64": base64.b64encode(saved(array, version)).decode(),
        "written_by_save": version is None and array.dtype == np.dtype("<f4"),
        "shape": list(as_f4.shape),
        # repr of a float32 widened to a double is exact, so JSON round-trips bit for bit
        "values": [float(v) for v in as_f4.reshape(-1, order="C").tolist()],
    }


def refused(name, array, error):
    return {"name": name, "npy_base64": base64.b64encode(saved(array)).decode(), "error": error}


def main():
    rng = np.random.default_rng(6)
    latents = rng.standard_normal((1, 4, 8, 8)).astype("<f4")
    tricky = np.array([[0.1, -2.5, 3e-8], [1e30, -0.0, 7.0]], dtype="<f4")
    cases = [
        readable("float32 2x3 with a tiny, a huge and a negative zero", tricky),
        readable("float32 latents [1,4,8,8]", latents),
        readable("float32 1-d (3,)", np.array([1.5, -1.0, 2.25], dtype="<f4")),
        readable("float32 0-d scalar", np.array(3.75, dtype="<f4")),
        readable("float32 empty (0,2)", np.zeros((0, 2), dtype="<f4")),
        readable("float32 first axis of 1000 (shorter growth padding)", np.arange(1000, dtype="<f4").reshape(1000, 1)),
        readable("float32 written as format version 2.0", tricky, version=(2, 0)),
        readable("float64 rounded to float32", np.array([[0.1, 1 / 3], [2.0**-149 * 0.75, 16777217.0]], dtype="<f8")),
        readable("float16 widened to float32", np.array([0.1, -65504.0, 6e-8, 1.0], dtype="<f2")),
        refused("Fortran order", np.asfortranarray(np.arange(6, dtype="<f4").reshape(2, 3)), "fortran_order"),
        refused("big-endian float32", np.arange(3, dtype=">f4"), "unsupported_dtype"),
        refused("int64", np.arange(3, dtype="<i8"), "unsupported_dtype"),
    ]
    fixture = {"generator": "tools/npy_vectors.py", "numpy": np.__version__, "cases": cases}
    OUT.write_text(json.dumps(fixture, indent=1) + "\n")


if __name__ == "__main__":
    main()
