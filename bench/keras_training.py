"""Keras side of `npm run bench:training`: trains one architecture on the bench's .npy data and
reports samples per second per epoch. Reads one JSON job on stdin, prints one JSON object.

The architectures mirror tuneflow's model builders (training/models/*.ts) layer for layer; the data,
batch size, optimizer (Adam) and loss (categorical cross-entropy on one-hot labels) are the same.
"""
import json
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from tensorflow import keras  # noqa: E402
from tensorflow.keras import layers  # noqa: E402


def build(job, input_shape, classes):
    m = job["model"]
    if m == "lenet":
        return keras.Sequential([
            keras.Input(input_shape),
            layers.Conv2D(6, 5, padding="same", activation="relu"),
            layers.AveragePooling2D(2, 2),
            layers.Conv2D(16, 5, padding="valid", activation="relu"),
            layers.AveragePooling2D(2, 2),
            layers.Flatten(),
            layers.Dense(120, activation="relu"),
            layers.Dense(84, activation="relu"),
            layers.Dense(classes, activation="softmax"),
        ])
    if m == "cnn":
        o = job["options"]
        stack = [keras.Input(input_shape)]
        for block in range(o["convBlocks"]):
            stack += [
                layers.Conv2D(o["filters"] * 2 ** block, o["kernelSize"], padding="same"),
                layers.Activation("relu"),
                layers.MaxPooling2D(2, 2),
            ]
        stack += [layers.Flatten(), layers.Dense(o["denseUnits"], activation="relu"), layers.Dense(classes, activation="softmax")]
        return keras.Sequential(stack)
    if m == "lstm":
        o = job["options"]
        return keras.Sequential([
            keras.Input(input_shape, dtype="int32"),
            layers.Embedding(job["vocabularySize"], o["embeddingSize"]),
            layers.LSTM(o["units"]),
            layers.Dense(classes, activation="softmax"),
        ])
    raise SystemExit(f"unknown model {m}")


def main():
    job = json.load(sys.stdin)
    x = np.load(job["x"])[: job["samples"]]
    labels = np.load(job["y"])[: job["samples"]].astype("int64")
    classes = int(job["classes"])
    if job["model"] == "lstm":
        x = x.astype("int32")
    else:
        x = x.astype("float32") / 255.0
        if x.ndim == 3:
            x = x[..., None]
    y = keras.utils.to_categorical(labels, classes).astype("float32")
    keras.utils.set_random_seed(job.get("seed", 0))
    model = build(job, x.shape[1:], classes)
    model.compile(optimizer=keras.optimizers.Adam(job["learningRate"]), loss="categorical_crossentropy", metrics=["accuracy"])
    rates = []
    for _ in range(job["epochs"]):
        start = time.perf_counter()
        model.fit(x, y, batch_size=job["batchSize"], epochs=1, shuffle=True, verbose=0)
        rates.append(len(x) / (time.perf_counter() - start))
    json.dump({"samplesPerSecond": rates, "params": int(model.count_params()), "tensorflow": tf.__version__}, sys.stdout)


if __name__ == "__main__":
    main()
