"""Start-up cost of a command trainable: process start -> first results line, and -> exit.

Runs experiments/python/sgd_breast_cancer.py N times as fresh one-epoch trials (Trial.local stands in
for the worker), so nearly all of it is Python's start and `import sklearn`.
  python3 bench/python_trainable_startup.py "$(node -p 'require(process.env.HOME + "/.cache/tuneflow/tools.json").examplesPython')" 10
(run it from the repository root; the first argument is the examples venv's python)
"""
import os
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, "python")
from tuneflow_trial import Trial  # noqa: E402

python, runs = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 10
first, total = [], []
for i in range(runs):
    trial = Trial.local(tempfile.mkdtemp(), to_epoch=1, seed=i)
    env = dict(os.environ, TUNEFLOW_TRIAL_FILE=trial.trial_file)
    started = time.perf_counter()
    child = subprocess.Popen([python, "experiments/python/sgd_breast_cancer.py"], env=env, stdout=subprocess.DEVNULL)
    while not (os.path.exists(trial.results_file) and os.path.getsize(trial.results_file)):
        time.sleep(0.002)
    first.append(time.perf_counter() - started)
    if child.wait() != 0:
        sys.exit("run %d failed" % i)
    total.append(time.perf_counter() - started)


def summary(xs):
    return "median %.0f ms (min %.0f, max %.0f)" % (statistics.median(xs) * 1e3, min(xs) * 1e3, max(xs) * 1e3)


print("%d runs; process start -> first results line: %s" % (runs, summary(first)))
print("process start -> exit: %s" % summary(total))
