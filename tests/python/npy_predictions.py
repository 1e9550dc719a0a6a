"""Loads the .npy files cudanet wrote with NumPy and checks them.

usage: npy_predictions.py DIR
DIR holds what "NumPy loads predict's .npy" in tests/test_predict_output.cpp
writes: probs.npy, probs.csv and classes.txt from `cudanet-train predict`, and
i32.npy, u8.npy, f64.npy, empty.npy from write_npy.
"""
import os
import sys

import numpy as np


def main(d: str) -> None:
    p = np.load(os.path.join(d, "probs.npy"))
    classes = np.loadtxt(os.path.join(d, "classes.txt"), dtype=np.int64, ndmin=1)
    assert p.dtype == np.float32, p.dtype
    assert p.shape == (len(classes), 10), p.shape
    assert p.flags.c_contiguous
    # float32 softmax rows: within a few float32 epsilons of 1.
    assert np.all(np.abs(p.sum(axis=1, dtype=np.float64) - 1) < 1e-6), p.sum(axis=1)
    assert np.all(p >= 0)
    assert np.array_equal(p.argmax(axis=1), classes), (p.argmax(axis=1), classes)
    csv = np.loadtxt(os.path.join(d, "probs.csv"), delimiter=",", skiprows=1, ndmin=2)
    assert np.array_equal(csv[:, 0].astype(np.int64), classes)
    assert np.array_equal(csv[:, 1:].astype(np.float32), p), "the .npy and the .csv differ"

    expected = {
        "i32.npy": np.array([[1, -2, 3], [2147483647, -2147483648, 0]], np.int32),
        "u8.npy": np.array([0, 1, 254, 255], np.uint8),
        "f64.npy": np.array(-0.1, np.float64),
        "empty.npy": np.zeros((0, 10), np.float32),
    }
    for name, want in expected.items():
        got = np.load(os.path.join(d, name))
        assert got.dtype == want.dtype, (name, got.dtype, want.dtype)
        assert got.shape == want.shape, (name, got.shape, want.shape)
        assert np.array_equal(got, want), (name, got, want)


if __name__ == "__main__":
    main(sys.argv[1])
