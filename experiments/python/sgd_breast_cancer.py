"""A tuneflow command trainable: scikit-learn's SGDClassifier on the breast-cancer data it ships.

One epoch is one ``partial_fit`` pass over the training set, in an order shuffled by the trial's
seed and the epoch number, so a run resumed from a checkpoint gives exactly the metrics of a run
that was never interrupted. Runs offline (the data set is inside scikit-learn).

Parameters (all optional; a name not listed here is an error):
  loss           log_loss | hinge | modified_huber | squared_hinge | perceptron   (default log_loss)
  penalty        l2 | l1 | elasticnet                                             (default l2)
  alpha          regularization strength, search it on a log scale                (default 1e-4)
  l1_ratio       elasticnet mixing, 0..1                                          (default 0.15)
  learning_rate  optimal | constant | invscaling | adaptive                       (default optimal)
  eta0           initial step for constant, invscaling and adaptive               (default 0.01)
  power_t        exponent of invscaling                                           (default 0.5)

Per epoch it reports accuracy (training set), val_accuracy, val_loss and epoch_seconds; in stage
evaluate, test_accuracy and test_loss. The last epoch of a retrain writes coefficients.json and
model.pkl (scaler + classifier, ready for ``predict`` on raw features) into the artifacts folder.

Knobs for tests: SGD_EPOCH_SLEEP=<seconds> sleeps inside each epoch (so a kill lands mid-segment);
SGD_EPOCH_LOG=<file> gets a line "<trial> <epoch>" for every epoch actually trained.

Try it by hand (from the repository root, with the examples venv of `npm run setup`):
  python -c 'import sys; sys.path.insert(0, "python"); from tuneflow_trial import Trial; Trial.local("/tmp/sgd", to_epoch=5)'
  TUNEFLOW_TRIAL_FILE=/tmp/sgd/trial.json python experiments/python/sgd_breast_cancer.py && cat /tmp/sgd/results.jsonl
"""

import json
import math
import os
import pickle
import sys
import time

try:
    from tuneflow_trial import Trial
except ImportError:  # a user copies tuneflow_trial.py next to the program; here it lives in python/
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "python"))
    from tuneflow_trial import Trial

CHOICES = {
    "loss": ("log_loss", "hinge", "modified_huber", "squared_hinge", "perceptron"),
    "penalty": ("l2", "l1", "elasticnet"),
    "learning_rate": ("optimal", "constant", "invscaling", "adaptive"),
}
RANGES = {"alpha": (0, math.inf), "l1_ratio": (0, 1), "eta0": (0, math.inf), "power_t": (-math.inf, math.inf)}
DEFAULTS = {
    "loss": "log_loss",
    "penalty": "l2",
    "alpha": 1e-4,
    "l1_ratio": 0.15,
    "learning_rate": "optimal",
    "eta0": 0.01,
    "power_t": 0.5,
}
SPLIT_SEED = 0  # the train/validation/test split is the same for every trial
# sklearn's own 'adaptive' rule, which partial_fit leaves to the caller: divide the step by 5 when the
# training loss has not improved by TOL for NO_CHANGE epochs in a row.
ADAPTIVE_NO_CHANGE, ADAPTIVE_TOL = 5, 1e-3


def fail(message):
    sys.exit("sgd_breast_cancer: " + message)


def read_params(trial):
    unknown = sorted(set(trial.params) - set(DEFAULTS))
    if unknown:
        fail("unknown parameter(s) %s; known: %s" % (", ".join(unknown), ", ".join(sorted(DEFAULTS))))
    params = dict(DEFAULTS, **trial.params)
    for name, choices in CHOICES.items():
        if params[name] not in choices:
            fail("parameter %s should be one of %s, got %r" % (name, ", ".join(choices), params[name]))
    for name, (low, high) in RANGES.items():
        value = params[name]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
            fail("parameter %s should be a number in [%s, %s], got %r" % (name, low, high, value))
        params[name] = float(value)
    if params["eta0"] == 0 and params["learning_rate"] != "optimal":
        fail("parameter eta0 should be > 0 with learning_rate %s" % params["learning_rate"])
    return params


def load_data():
    """Standardized train/validation/test arrays (60/20/20, stratified, fixed split)."""
    from sklearn.datasets import load_breast_cancer
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    data = load_breast_cancer()
    x_train, x_rest, y_train, y_rest = train_test_split(
        data.data, data.target, test_size=0.4, stratify=data.target, random_state=SPLIT_SEED)
    x_val, x_test, y_val, y_test = train_test_split(
        x_rest, y_rest, test_size=0.5, stratify=y_rest, random_state=SPLIT_SEED)
    scaler = StandardScaler().fit(x_train)
    return {
        "train": (scaler.transform(x_train), y_train),
        "val": (scaler.transform(x_val), y_val),
        "test": (scaler.transform(x_test), y_test),
        "scaler": scaler,
        "feature_names": [str(n) for n in data.feature_names],
        "classes": data.target_names,
    }


def new_model(params, seed):
    from sklearn.linear_model import SGDClassifier

    return SGDClassifier(
        loss=params["loss"], penalty=params["penalty"], alpha=params["alpha"], l1_ratio=params["l1_ratio"],
        learning_rate=params["learning_rate"], eta0=params["eta0"], power_t=params["power_t"],
        random_state=seed,
    )


def scores(model, x, y):
    """(accuracy, loss). The loss is the log loss where the model gives probabilities (loss log_loss or
    modified_huber), else the mean hinge loss of its decision function; NaN once the weights diverged."""
    from sklearn.metrics import hinge_loss, log_loss

    if not all(math.isfinite(v) for v in model.coef_.ravel()) or not all(math.isfinite(v) for v in model.intercept_):
        return float("nan"), float("nan")
    accuracy = float((model.predict(x) == y).mean())
    if hasattr(model, "predict_proba"):  # a property that exists only for these losses
        loss = log_loss(y, model.predict_proba(x), labels=model.classes_)
    else:
        loss = hinge_loss(y, model.decision_function(x), labels=model.classes_)
    return accuracy, float(loss)


def train_one_epoch(state, data, seed, epoch):
    import numpy as np

    x, y = data["train"]
    order = np.random.default_rng([seed, epoch]).permutation(len(y))  # the same order on a resumed run
    model = state["model"]
    model.partial_fit(x[order], y[order], classes=np.array([0, 1]))
    if model.learning_rate == "adaptive":
        train_loss = scores(model, x, y)[1]
        if train_loss < state["best_loss"] - ADAPTIVE_TOL:
            state["best_loss"], state["no_change"] = train_loss, 0
        else:
            state["no_change"] += 1
            if state["no_change"] >= ADAPTIVE_NO_CHANGE:
                model.eta0 /= 5
                state["no_change"] = 0


def write_artifacts(trial, state, data, params):
    from sklearn.pipeline import make_pipeline

    model = state["model"]
    summary = {
        "params": params,
        "classes": [str(c) for c in data["classes"]],
        "intercept": float(model.intercept_[0]),
        "coefficients": dict(zip(data["feature_names"], (float(c) for c in model.coef_[0]))),
        "note": "coefficients of standardized features (model.pkl holds the scaler too)",
    }
    with open(os.path.join(trial.artifacts_dir, "coefficients.json"), "w") as f:
        json.dump(summary, f, indent=2)
    with open(os.path.join(trial.artifacts_dir, "model.pkl"), "wb") as f:
        pickle.dump(make_pipeline(data["scaler"], model), f)


def evaluate(trial, data):
    state, done = trial.load_checkpoint()
    if state is None:
        fail("stage evaluate: no checkpoint in %s to evaluate" % trial.checkpoint_dir)
    accuracy, loss = scores(state["model"], *data["test"])
    trial.report_final(test_accuracy=accuracy, test_loss=loss)
    print("evaluated the model of epoch %d: test accuracy %.4f" % (done, accuracy))


def main():
    trial = Trial()
    params = read_params(trial)
    data = load_data()
    if trial.stage == "evaluate":
        return evaluate(trial, data)

    sleep = float(os.environ.get("SGD_EPOCH_SLEEP") or 0)
    epoch_log = os.environ.get("SGD_EPOCH_LOG")
    state, done = trial.load_checkpoint()
    if state is None:
        state = {"model": new_model(params, trial.seed), "best_loss": math.inf, "no_change": 0}
    elif done:
        print("resuming from the checkpoint of epoch %d" % done)
    for epoch in trial.epochs(done):
        if sleep:
            time.sleep(sleep)
        started = time.perf_counter()
        try:
            train_one_epoch(state, data, trial.seed, epoch)
        except ValueError as err:
            if "overflow" not in str(err):  # sklearn's "Floating-point under-/overflow occurred at epoch #1"
                raise
            trial.report(epoch, val_loss=float("nan"))  # NaN: the worker fails the trial as diverged
            fail("diverged at epoch %d: %s" % (epoch, err))
        accuracy = scores(state["model"], *data["train"])[0]
        val_accuracy, val_loss = scores(state["model"], *data["val"])
        seconds = time.perf_counter() - started  # the training pass and the scoring, not SGD_EPOCH_SLEEP
        if epoch_log:
            with open(epoch_log, "a") as f:
                f.write("%d %d\n" % (trial.number, epoch))
        trial.report(epoch, accuracy=accuracy, val_accuracy=val_accuracy, val_loss=val_loss, epoch_seconds=seconds)
        if math.isnan(val_loss):
            fail("diverged at epoch %d: the weights are no longer finite" % epoch)
        trial.save_checkpoint(epoch, state)
        if trial.stage == "retrain" and trial.is_final_epoch(epoch):
            write_artifacts(trial, state, data, params)
    if done < trial.to_epoch:
        print("trained epochs %d..%d" % (done + 1, trial.to_epoch))


if __name__ == "__main__":
    main()
