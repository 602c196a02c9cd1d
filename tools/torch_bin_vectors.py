#!/usr/bin/env python3
"""Writes engine/src/runtime/checkpoint/torch-bin-vectors.fixture.json: PyTorch `.bin` files
written by torch.save itself (base64) with the float32 values a reader must get, and pickles
a reader must refuse, for the `.bin` reader's tests.

Run with Debian's python3-torch (apt-get install python3-torch):
    /usr/bin/python3 tools/torch_bin_vectors.py
Each readable case: the file's bytes and, per tensor, dtype, shape and the values as float32
(torch's own `.float()`, C order). Each refused case: the file's bytes and the global that a
reader must name when it refuses it. Refused pickles are written by torch.save too, so they
sit inside a well-formed archive and only the global is wrong.
"""
import base64
import builtins
import io
import json
import os
from collections import OrderedDict
from pathlib import Path

import torch

OUT = Path(__file__).resolve().parent.parent / "engine/src/runtime/checkpoint/torch-bin-vectors.fixture.json"

DTYPE_NAMES = {torch.float32: "float32", torch.float16: "float16", torch.bfloat16: "bfloat16",
               torch.float64: "float64", torch.int64: "int64", torch.int32: "int32", torch.uint8: "uint8",
               torch.bool: "bool"}


def saved(obj):
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    return buffer.getvalue()


def readable(name, state, description):
    tensors = {}
    for key, value in state.items():
        tensors[key] = {
            "dtype": DTYPE_NAMES[value.dtype],
            "shape": list(value.shape),
            # repr of a float32 widened to a double is exact, so JSON round-trips bit for bit
            "values": [float(v) for v in value.detach().float().reshape(-1).tolist()],
        }
    return {"name": name, "description": description, "bin_base64": base64.b64encode(saved(state)).decode(),
            "tensors": tensors}


class Exploit:
    """Pickles as a call to `func(*args)`: what a malicious checkpoint does to run code on load."""

    def __init__(self, func, args):
        self.func, self.args = func, args

    def __reduce__(self):
        return (self.func, self.args)


def refused(name, obj, global_name):
    return {"name": name, "bin_base64": base64.b64encode(saved(obj)).decode(), "refused_global": global_name}


def main():
    torch.manual_seed(0)
    base = torch.randn(4, 6)
    shared = torch.randn(10)
    module = torch.nn.Linear(3, 2)

    cases = [
        readable("dtypes", OrderedDict([
            ("f32", torch.randn(2, 3)),
            ("f16", torch.randn(3, 2).half()),
            # values past float16's range and below its precision: bfloat16 keeps float32's exponent
            ("bf16", (torch.randn(5) * 1e20).bfloat16()),
            ("f64", torch.randn(4).double()),
            ("i64", torch.arange(-3, 3)),
            ("scalar", torch.tensor(2.5)),
            ("empty", torch.zeros(0, 4)),
        ]), "every dtype a diffusers checkpoint holds, a 0-d scalar and an empty tensor"),
        readable("views", OrderedDict([
            # torch.save keeps a view's whole storage, its offset and its strides
            ("transposed", base.t()),
            ("row_slice", base[1:3]),
            ("column_slice", base[:, 2:5]),
            ("every_other", shared[1::2]),
            ("shared_head", shared[:4]),
        ]), "non-contiguous views, storage offsets and two tensors over one storage"),
        readable("state_dict", module.state_dict(), "a module's state_dict: an OrderedDict with _metadata"),
        readable("parameters", {"weight": torch.nn.Parameter(torch.randn(2, 2)),
                                "bias": torch.nn.Parameter(torch.randn(2).half(), requires_grad=False)},
                 "nn.Parameter values (torch._utils._rebuild_parameter)"),
    ]
    refusals = [
        refused("os_system", {"weight": torch.zeros(1), "payload": Exploit(os.system, ("echo pwned",))},
                "posix.system"),
        # protocol 2 spells builtins the Python 2 way
        refused("builtins_eval", Exploit(builtins.eval, ("1+1",)), "__builtin__.eval"),
        refused("torch_load_nested", {"inner": Exploit(torch.load, ("x.bin",))}, "torch.serialization.load"),
    ]
    # Plain data a reader must not mistake for weights: a training checkpoint wrapping its state dict.
    wrapped = {"name": "wrapped_state_dict", "bin_base64": base64.b64encode(saved(
        {"epoch": 3, "state_dict": module.state_dict()})).decode(), "top_level_keys": ["epoch", "state_dict"]}
    OUT.write_text(json.dumps({"torch": torch.__version__, "readable": cases, "refused": refusals,
                               "no_tensors": [wrapped]}, indent=1) + "\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
