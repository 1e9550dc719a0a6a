"""Checks a safetensors file written by cudanet with the reference Python
package, then writes one for cudanet to read back.

usage: safetensors_interop.py OURS THEIRS
OURS holds the tensors of sample_tensors() in tests/test_safetensors.cpp.
"""
import sys

import numpy as np
from safetensors import safe_open
from safetensors.numpy import load_file, save_file


def main(ours: str, theirs: str) -> None:
    t = load_file(ours)
    expected = {
        "conv.weight": np.array([0.5, -1.25, 3.0, 1e-30, -0.0, 7.0], np.float32).reshape(2, 1, 3),
        "bias": np.array([-1.0, 0.0, 1.5], np.float64),
        "step": np.array([1, -2, 3, 2147483647], np.int32),
        "mask": np.array([0, 1, 254, 255], np.uint8).reshape(2, 2),
        "scalar": np.array(3.25, np.float32),
        "empty": np.zeros((0, 3), np.float32),
        "five_d": np.array([1, 2], np.float32).reshape(1, 1, 2, 1, 1),
    }
    assert sorted(t) == sorted(expected), sorted(t)
    for name, want in expected.items():
        got = t[name]
        assert got.dtype == want.dtype, (name, got.dtype, want.dtype)
        assert got.shape == want.shape, (name, got.shape, want.shape)
        assert np.array_equal(got, want), (name, got, want)
    with safe_open(ours, framework="numpy") as f:
        assert f.metadata() == {"format": "pt", "epoch": "3"}, f.metadata()

    save_file(
        {
            "weight": (np.arange(6, dtype=np.float32) / 4).reshape(2, 3),
            "counts": np.array([7, -8, 2147483647], np.int32),
            "pixels": np.array([[0, 128, 255]], np.uint8),
            "mean": np.array([0.1307], np.float64),
        },
        theirs,
        metadata={"written_by": "python"},
    )


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
