#!/usr/bin/env python3
"""The reference run in Keras itself: the yardstick cudanet-train's defaults copy.

The Keras MNIST CNN written in Keras with every default left alone:
Conv2D(32,3,relu)-MaxPooling2D-Conv2D(64,3,relu)-MaxPooling2D-Conv2D(64,3,relu)-
Flatten-Dense(64,relu)-Dense(10); glorot_uniform kernels and zero biases (Keras's
defaults); Adam() (lr 1e-3, epsilon 1e-7); sparse categorical cross-entropy on
logits; model.fit(batch_size=64, epochs=5, validation_split=0.1) (the last 10%
held out before shuffling, shuffle=True); pixels scaled to [0, 1]. Prints the
Keras log and the test accuracy, so docs/results.md can set cudanet beside the
framework whose recipe it reproduces, on the same data and machine.

Needs keras and a backend (pip install keras tensorflow-cpu; KERAS_BACKEND picks
tensorflow, torch or jax). Not part of the build or the tests.

--lr-schedule cosine decays the rate with keras.optimizers.schedules.CosineDecay
from --lr to 0 over the whole run (decay_steps = epochs * steps per epoch), the
counterpart of cudanet-train --lr-schedule cosine.

  tools/keras_reference_train.py [--data DIR] [--epochs 5] [--seed 0] [--threads 2]
                                 [--lr 1e-3] [--lr-schedule constant|cosine]
"""
import argparse
import math
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from idx_file import find_file, read_idx  # noqa: E402


def load(folder, stem, scale):
    dims, payload = read_idx(find_file(folder, stem))
    a = np.frombuffer(payload, dtype=np.uint8).reshape(dims)
    return (a.astype(np.float32) / 255.0)[..., None] if scale else a.astype(np.int64)


def reference_model(keras):
    """The Keras MNIST CNN, every Keras default (glorot_uniform, zero biases)."""
    layers = keras.layers
    return keras.Sequential([
        keras.Input((28, 28, 1)),
        layers.Conv2D(32, 3, activation="relu"), layers.MaxPooling2D(2),
        layers.Conv2D(64, 3, activation="relu"), layers.MaxPooling2D(2),
        layers.Conv2D(64, 3, activation="relu"),
        layers.Flatten(), layers.Dense(64, activation="relu"), layers.Dense(10)])


def set_threads(threads):
    """TensorFlow's thread pools must be sized before TensorFlow starts."""
    if os.environ.get("KERAS_BACKEND", "tensorflow") == "tensorflow":
        import tensorflow as tf
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(threads)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--lr", type=float, default=1e-3, help="Adam's learning rate (Keras's default 1e-3)")
    ap.add_argument("--lr-schedule", choices=("constant", "cosine"), default="constant")
    a = ap.parse_args()
    set_threads(a.threads)
    import keras

    keras.utils.set_random_seed(a.seed)
    x = load(a.data, "train-images-idx3-ubyte", True)
    y = load(a.data, "train-labels-idx1-ubyte", False)
    model = reference_model(keras)
    lr = a.lr
    if a.lr_schedule == "cosine":
        train_size = math.ceil(len(x) * 0.9)  # what fit() keeps with validation_split=0.1
        lr = keras.optimizers.schedules.CosineDecay(a.lr, decay_steps=a.epochs * -(-train_size // 64))
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=lr),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    print(f"keras {keras.__version__}, backend {keras.backend.backend()}, "
          f"{model.count_params()} parameters, seed {a.seed}, lr {a.lr} {a.lr_schedule}", flush=True)
    model.fit(x, y, batch_size=64, epochs=a.epochs, validation_split=0.1, verbose=2)
    try:
        xs = load(a.data, "t10k-images-idx3-ubyte", True)
        ys = load(a.data, "t10k-labels-idx1-ubyte", False)
    except FileNotFoundError as e:
        print(f"no test files: {e}")
        return
    loss, acc = model.evaluate(xs, ys, batch_size=1000, verbose=0)
    print(f"test accuracy: {acc:.4f}  (loss {loss:.4f})")


if __name__ == "__main__":
    main()
