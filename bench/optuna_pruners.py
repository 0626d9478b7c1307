"""Optuna's side of `npm run bench:schedulers`: TPE with one pruner on branin_mf.

Reads one JSON job on stdin: {"pruner": "nop"|"median"|"sha"|"hyperband", "seeds": [...], "trials": 100,
"max_steps": 27}. Each trial reports y(x, t) at t = 1..max_steps and asks should_prune() after every
report (Optuna's usual loop); cost = steps reported, pruned trials included. Prints one JSON value:
a list, one per seed, of {"cost", "pruned", "completions": [[cost_when_completed, final_value], ...]}.
branin_mf is defined exactly as in ../shared/bench-problems.md and bench/problems.ts.
"""

import json
import math
import sys

import optuna


def branin(x1, x2):
    b = 5.1 / (4 * math.pi**2)
    c = 5 / math.pi
    t = 1 / (8 * math.pi)
    return (x2 - b * x1**2 + c * x1 - 6) ** 2 + 10 * (1 - t) * math.cos(x1) + 10


def branin_mf(x1, x2, step):
    return branin(x1, x2) + (2 / step) * (1 + 0.5 * math.sin(3 * x1))


def make_pruner(name):
    # Optuna's defaults, as the reference figures in bench-problems.md use them.
    if name == "nop":
        return optuna.pruners.NopPruner()
    if name == "median":
        return optuna.pruners.MedianPruner()
    if name == "sha":
        return optuna.pruners.SuccessiveHalvingPruner()
    if name == "hyperband":
        return optuna.pruners.HyperbandPruner()
    raise ValueError(f"unknown pruner {name!r}")


def run(pruner, seed, n_trials, max_steps):
    log = {"cost": 0, "pruned": 0, "completions": []}
    # A fixed study name: HyperbandPruner assigns brackets by crc32(study name, trial number), so the
    # default random name would make its results differ from run to run.
    study = optuna.create_study(
        study_name=f"branin_mf-{seed}",
        sampler=optuna.samplers.TPESampler(seed=seed),
        pruner=make_pruner(pruner),
    )

    def objective(trial):
        x1 = trial.suggest_float("x1", -5, 10)
        x2 = trial.suggest_float("x2", 0, 15)
        value = math.nan
        for step in range(1, max_steps + 1):
            value = branin_mf(x1, x2, step)
            log["cost"] += 1
            trial.report(value, step)
            if trial.should_prune():
                log["pruned"] += 1
                raise optuna.TrialPruned()
        log["completions"].append([log["cost"], value])
        return value

    study.optimize(objective, n_trials=n_trials)
    return log


def main():
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    job = json.load(sys.stdin)
    results = [run(job["pruner"], seed, job["trials"], job["max_steps"]) for seed in job["seeds"]]
    json.dump({"optuna": optuna.__version__, "runs": results}, sys.stdout)


if __name__ == "__main__":
    main()
