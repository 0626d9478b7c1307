"""Optuna's side of `npm run bench:samplers`: one sampler on one problem, every seed, ask/tell.

Reads one JSON job on stdin:
  {"mode": "run", "sampler": "random"|"sobol"|"tpe"|"tpe-independent"|"gp"|"cmaes", "problem": name,
   "space": {...the problem's search space, as bench/problems.ts writes it...}, "budget": n, "seeds": [...]}
  {"mode": "check", "points": {problem: [params, ...]}}   -> the five functions' values at those points
  {"mode": "probe", "sampler": name}                      -> whether the sampler can be built here
Prints one JSON value. "run" gives, per seed, the objective value of every trial in order and the time of
each trial's sampling (study.ask() plus the trial's suggest_* calls, where Optuna samples), in ms, as wall
time (ask_ms) and as CPU time of the process, every thread included (cpu_ms).
The five functions are defined exactly as in ../shared/bench-problems.md and bench/problems.ts; the
TypeScript side compares them at fixed points before it starts.
"""

import json
import math
import sys
import time
import warnings

import optuna


def branin(p):
    x1, x2 = p["x1"], p["x2"]
    b = 5.1 / (4 * math.pi**2)
    c = 5 / math.pi
    t = 1 / (8 * math.pi)
    return (x2 - b * x1**2 + c * x1 - 6) ** 2 + 10 * (1 - t) * math.cos(x1) + 10


H_ALPHA = [1.0, 1.2, 3.0, 3.2]
H_A = [
    [10, 3, 17, 3.5, 1.7, 8],
    [0.05, 10, 17, 0.1, 8, 14],
    [3, 3.5, 1.7, 10, 17, 8],
    [17, 8, 0.05, 10, 0.1, 14],
]
H_P = [
    [v * 1e-4 for v in row]
    for row in [
        [1312, 1696, 5569, 124, 8283, 5886],
        [2329, 4135, 8307, 3736, 1004, 9991],
        [2348, 1451, 3522, 2883, 3047, 6650],
        [4047, 8828, 8732, 5743, 1091, 381],
    ]
]


def vector(p, n):
    return [p[f"x{i}"] for i in range(n)]


def hartmann6(p):
    x = vector(p, 6)
    total = 0.0
    for i in range(4):
        inner = sum(H_A[i][j] * (x[j] - H_P[i][j]) ** 2 for j in range(6))
        total += H_ALPHA[i] * math.exp(-inner)
    return -total


def rosenbrock4(p):
    x = vector(p, 4)
    return sum(100 * (x[i + 1] - x[i] ** 2) ** 2 + (1 - x[i]) ** 2 for i in range(3))


def ackley5(p):
    x = vector(p, 5)
    n = len(x)
    sq = sum(v * v for v in x) / n
    cos = sum(math.cos(2 * math.pi * v) for v in x) / n
    return -20 * math.exp(-0.2 * math.sqrt(sq)) - math.exp(cos) + 20 + math.e


OPT_SHIFT = {"adam": 0.0, "rmsprop": -0.3, "sgd": 1.0}
OPT_COST = {"adam": 0.0, "rmsprop": 0.05, "sgd": 0.15}


def synthetic_hpo(p):
    u = math.log10(p["learning_rate"])
    v = math.log2(p["batch_size"])
    opt = p["optimizer"]
    u_star = math.log10(3e-3) + 0.5 * math.log10(p["batch_size"] / 96) + OPT_SHIFT[opt]
    return (
        0.5 * (u - u_star) ** 2
        + 0.5 * ((v - math.log2(96)) / 2) ** 2
        + 0.5 * ((p["dropout"] - 0.2) / 0.25) ** 2
        + 0.1 * (p["n_layers"] - 3) ** 2
        + OPT_COST[opt]
    )


PROBLEMS = {
    "branin": branin,
    "hartmann6": hartmann6,
    "rosenbrock4": rosenbrock4,
    "ackley5": ackley5,
    "synthetic_hpo": synthetic_hpo,
}


def make_sampler(name, seed):
    s = optuna.samplers
    if name == "random":
        return s.RandomSampler(seed=seed)
    if name == "sobol":
        return s.QMCSampler(qmc_type="sobol", scramble=True, seed=seed)
    if name == "tpe":
        # Optuna 5's default TPE for one objective is the multivariate one; said explicitly here.
        return s.TPESampler(seed=seed, multivariate=True)
    if name == "tpe-independent":
        return s.TPESampler(seed=seed, multivariate=False)
    if name == "gp":
        return s.GPSampler(seed=seed)
    if name == "cmaes":
        return s.CmaEsSampler(seed=seed)
    raise ValueError(f"unknown sampler {name!r}")


def suggest(trial, name, spec):
    if not isinstance(spec, dict):
        return spec
    kind = spec["type"]
    if kind == "float":
        return trial.suggest_float(name, spec["low"], spec["high"], log=spec.get("log", False), step=spec.get("step"))
    if kind == "int":
        return trial.suggest_int(name, spec["low"], spec["high"], log=spec.get("log", False), step=spec.get("step", 1))
    if kind == "categorical":
        return trial.suggest_categorical(name, spec["choices"])
    return spec["value"]


def run(sampler_name, problem, space, budget, seed):
    objective = PROBLEMS[problem]
    study = optuna.create_study(sampler=make_sampler(sampler_name, seed), direction="minimize")
    values, ask_ms, cpu_ms = [], [], []
    for _ in range(budget):
        started = time.perf_counter()
        cpu_started = time.process_time()
        trial = study.ask()
        params = {name: suggest(trial, name, spec) for name, spec in space.items()}
        cpu_ms.append((time.process_time() - cpu_started) * 1000)
        ask_ms.append((time.perf_counter() - started) * 1000)
        value = objective(params)
        study.tell(trial, value)
        values.append(value)
    return {"values": values, "ask_ms": ask_ms, "cpu_ms": cpu_ms}


def main():
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    warnings.filterwarnings("ignore")
    job = json.load(sys.stdin)
    mode = job["mode"]
    if mode == "check":
        out = {name: [PROBLEMS[name](p) for p in points] for name, points in job["points"].items()}
    elif mode == "probe":
        try:
            make_sampler(job["sampler"], 0)
            if job["sampler"] == "gp":
                import torch  # noqa: F401  (GPSampler imports it lazily, at the first suggestion)
            out = {"ok": True}
        except Exception as err:  # report why, the caller prints it
            out = {"ok": False, "reason": f"{type(err).__name__}: {err}"}
    else:
        out = {
            "optuna": optuna.__version__,
            "runs": [run(job["sampler"], job["problem"], job["space"], job["budget"], seed) for seed in job["seeds"]],
        }
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
