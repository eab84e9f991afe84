#!/usr/bin/python3
"""Orchestration overhead per trial: headroom against Optuna on SQLite.

The same N trivial trials (headroom-test-worker: a start event, 100 metric
lines, an end event) are run three ways, one at a time, side by side in one
run of this script:
  direct   the worker launched N times from here: the trials' own cost
  headroom `headroom run` of an N-cell sweep (--jobs 1): records every
           attempt and ingests every metric line into its SQLite database
  optuna   an Optuna study on SQLite storage running the same worker in its
           objective and reporting the same 100 values per trial
Overhead per trial = (total - direct) / N.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import time


ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def run_worker(worker, run_dir, steps, seed):
    """One trial: the worker's config file, then the worker itself."""
    os.mkdir(run_dir)
    config = os.path.join(run_dir, "config.json")
    with open(config, "w") as out:
        json.dump({"steps": steps, "seed": seed}, out)
    subprocess.run([worker, "--config", config, "--run-dir", run_dir], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def run_direct(worker, folder, trials, steps):
    root = os.path.join(folder, "direct")
    os.makedirs(root)
    start = time.perf_counter()
    for seed in range(1, trials + 1):
        run_worker(worker, os.path.join(root, str(seed)), steps, seed)
    return time.perf_counter() - start


def run_headroom(headroom, worker, folder, trials, steps):
    root = os.path.join(folder, "headroom")
    os.makedirs(root)
    sweep = os.path.join(root, "bench.yaml")
    with open(sweep, "w") as out:
        out.write("name: bench\nbase: {steps: %d}\nparameters:\n  seed: {values: [%s]}\n"
                  % (steps, ", ".join(str(s) for s in range(1, trials + 1))))
    database = os.path.join(root, "headroom.db")
    start = time.perf_counter()
    subprocess.run([headroom, "--db", database, "run", sweep, "--trainer", worker, "--jobs", "1",
                    "--quiet", "--runs-root", os.path.join(root, "runs")],
                   check=True, stdout=subprocess.DEVNULL)
    elapsed = time.perf_counter() - start
    points = subprocess.run([headroom, "--db", database, "query", "SELECT count(*) FROM metrics",
                             "--format", "csv"], check=True, capture_output=True, text=True).stdout
    return elapsed, int(points.split()[1])


def run_optuna(worker, folder, trials, steps):
    import optuna
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    root = os.path.join(folder, "optuna")
    os.makedirs(root)
    storage = "sqlite:///" + os.path.join(root, "optuna.db")
    sampler = optuna.samplers.GridSampler({"seed": list(range(1, trials + 1))})
    study = optuna.create_study(storage=storage, study_name="bench", sampler=sampler)

    def objective(trial):
        seed = trial.suggest_int("seed", 1, trials)
        run_dir = os.path.join(root, str(trial.number))
        run_worker(worker, run_dir, steps, seed)
        final = None
        with open(os.path.join(run_dir, "events.jsonl")) as events:
            for line in events:
                event = json.loads(line)
                if event["event"] == "metric":
                    final = event["values"]["train/loss"]
                    trial.report(final, event["step"])
        return final

    start = time.perf_counter()
    study.optimize(objective, n_trials=trials)
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--headroom", default=os.path.join(ROOT, "build/release/bin/headroom"))
    parser.add_argument("--worker", default=os.path.join(ROOT, "build/release/bin/headroom-test-worker"))
    parser.add_argument("--trials", type=int, default=1000)
    parser.add_argument("--optuna-trials", type=int, default=None,
                        help="Optuna trials (default: --trials; Optuna takes ~0.6 s each here)")
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--folder", default="/tmp/headroom-bench-orchestrator")
    args = parser.parse_args()
    headroom, worker = os.path.abspath(args.headroom), os.path.abspath(args.worker)
    shutil.rmtree(args.folder, ignore_errors=True)
    os.makedirs(args.folder)

    n = args.trials
    m = args.optuna_trials or n
    direct = run_direct(worker, args.folder, n, args.steps)
    headroom_seconds, points = run_headroom(headroom, worker, args.folder, n, args.steps)
    optuna_seconds = run_optuna(worker, args.folder, m, args.steps)

    per_direct = direct / n * 1000
    ours = headroom_seconds / n * 1000 - per_direct
    theirs = optuna_seconds / m * 1000 - per_direct
    print("| way | trials | total s | per trial ms | overhead per trial ms | target |")
    print("|---|---|---|---|---|---|")
    print("| direct (the worker alone) | %d | %.2f | %.2f | - | |" % (n, direct, per_direct))
    print("| headroom run --jobs 1 | %d | %.2f | %.2f | %.2f | <= 5 ms |" % (
        n, headroom_seconds, headroom_seconds / n * 1000, ours))
    print("| Optuna %s, SQLite storage | %d | %.2f | %.2f | %.2f | |" % (
        __import__("optuna").__version__, m, optuna_seconds, optuna_seconds / m * 1000, theirs))
    print()
    print("%d metric lines per trial; headroom stored %d metric points" % (args.steps, points))
    print("overhead ratio Optuna / headroom: %.1fx (target >= 10x)" % (theirs / ours if ours > 0 else float("inf")))


if __name__ == "__main__":
    sys.exit(main())
