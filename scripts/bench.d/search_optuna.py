#!/usr/bin/python3
"""Optuna's TPE on the search benchmark's problems, as headroom-bench-search runs Headroom's.

Run by scripts/bench.d/search.py (`scripts/bench search`) with Debian's
python3-optuna (/usr/bin/python3). Writes the same JSON lines as
tests/bench/search_bench.cc, with "tool": "optuna":
  search         one repetition: optuna.samplers.TPESampler(seed=r) with its
                 defaults, in-memory storage, a sequential ask/tell loop of
                 --trials trials; the best value so far after each trial
  proposal_time  ms per study.ask() (which samples every parameter through
                 fixed_distributions) with 999 finished trials in the study

With --multivariate, every study uses TPESampler(multivariate=True,
seed=r) instead (Optuna's multivariate TPE; BOHB's multivariate kernel
density). Each line says which ("sampler": "univariate" or "multivariate").

With --fix-logpdf ("tool": "optuna-fixed"), Optuna 3.1's truncated normal
log density is corrected as Optuna 3.5 corrected it (optuna/optuna#5109,
fixed by #5110): 3.1's _truncnorm.logpdf leaves out the -log(scale) term, so
the Parzen estimators of continuous parameters weigh each kernel by its
bandwidth; Headroom's TPE uses the normalised density. A diagnosis of the
difference between the two tools, not a tuning of either.

The problems, defined as in search_bench.cc:
  branin     x1 uniform [-5, 10], x2 uniform [0, 15]; minimize
  hartmann6  x1..x6 uniform [0, 1]; minimize
  mixed      optimizer categorical {sgd, adam, lion}, lr log-uniform
             [1e-5, 1], layers integer [1, 16], dropout uniform [0, 0.5];
             minimize offset(optimizer) + 0.5 (log10 lr - centre(optimizer))^2
             + 0.01 (layers - 6)^2 + 2 (dropout - 0.15)^2, offset {sgd 0.3,
             adam 0, lion 0.1}, centre {sgd -1, adam -3, lion -4}
  trainer    the lookup table headroom-bench-search read from the results
             database (its "surrogate" line, given with --surrogate): each
             parameter categorical over its values, the objective a cell's
             mean final metric
"""
import argparse
import json
import math
import sys
import time
import warnings

import numpy as np
import optuna
from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution


def branin(p):
    x1, x2 = p["x1"], p["x2"]
    b, c, t = 5.1 / (4 * math.pi ** 2), 5 / math.pi, 1 / (8 * math.pi)
    return (x2 - b * x1 * x1 + c * x1 - 6) ** 2 + 10 * (1 - t) * math.cos(x1) + 10


HARTMANN_ALPHA = [1.0, 1.2, 3.0, 3.2]
HARTMANN_A = [[10, 3, 17, 3.5, 1.7, 8],
              [0.05, 10, 17, 0.1, 8, 14],
              [3, 3.5, 1.7, 10, 17, 8],
              [17, 8, 0.05, 10, 0.1, 14]]
HARTMANN_CENTRE = [[0.1312, 0.1696, 0.5569, 0.0124, 0.8283, 0.5886],
                   [0.2329, 0.4135, 0.8307, 0.3736, 0.1004, 0.9991],
                   [0.2348, 0.1451, 0.3522, 0.2883, 0.3047, 0.6650],
                   [0.4047, 0.8828, 0.8732, 0.5743, 0.1091, 0.0381]]


def hartmann6(p):
    total = 0.0
    for alpha, a, centre in zip(HARTMANN_ALPHA, HARTMANN_A, HARTMANN_CENTRE):
        inner = sum(a[j] * (p["x%d" % (j + 1)] - centre[j]) ** 2 for j in range(6))
        total += alpha * math.exp(-inner)
    return -total


MIXED_OPTIMIZERS = {"sgd": (0.3, -1.0), "adam": (0.0, -3.0), "lion": (0.1, -4.0)}  # offset, best log10 lr


def mixed(p):
    offset, centre = MIXED_OPTIMIZERS[p["optimizer"]]
    return (offset + 0.5 * (math.log10(p["lr"]) - centre) ** 2 + 0.01 * (p["layers"] - 6) ** 2
            + 2 * (p["dropout"] - 0.15) ** 2)


class Problem:
    def __init__(self, name, direction, distributions, objective):
        self.name, self.direction = name, direction
        self.distributions = distributions  # name -> optuna distribution, in the space's order
        self.objective = objective


def trainer_problem(surrogate):
    names = [p["name"] for p in surrogate["space"]]
    table = {tuple(json.dumps(cell["parameters"][n]) for n in names): cell["curve"][-1]
             for cell in surrogate["cells"]}
    distributions = {p["name"]: CategoricalDistribution(p["values"]) for p in surrogate["space"]}

    def objective(p):
        return table[tuple(json.dumps(p[n]) for n in names)]
    return Problem("trainer", surrogate["goal"], distributions, objective)


def problems(surrogate):
    out = [
        Problem("branin", "minimize",
                {"x1": FloatDistribution(-5, 10), "x2": FloatDistribution(0, 15)}, branin),
        Problem("hartmann6", "minimize",
                {"x%d" % j: FloatDistribution(0, 1) for j in range(1, 7)}, hartmann6),
        Problem("mixed", "minimize",
                {"optimizer": CategoricalDistribution(["sgd", "adam", "lion"]),
                 "lr": FloatDistribution(1e-5, 1, log=True),
                 "layers": IntDistribution(1, 16),
                 "dropout": FloatDistribution(0, 0.5)}, mixed),
    ]
    if surrogate is not None:
        out.append(trainer_problem(surrogate))
    return out


def fix_truncnorm_logpdf():
    """Optuna#5110 on Optuna 3.1: the scaled truncated normal's log density, normalised."""
    from optuna.samplers._tpe import _truncnorm
    unscaled = _truncnorm.logpdf

    def logpdf(x, a, b, loc=0, scale=1):
        return unscaled(x, a, b, loc, scale) - np.log(scale)
    _truncnorm.logpdf = logpdf


def sampler(seed, multivariate):
    """Optuna's TPE with its defaults, univariate (Optuna's default) or multivariate."""
    if not multivariate:
        return optuna.samplers.TPESampler(seed=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)  # "multivariate is experimental"
        return optuna.samplers.TPESampler(multivariate=True, seed=seed)


def search(problem, seed, trials, multivariate):
    """One sequential search; the best value so far after each trial."""
    study = optuna.create_study(direction=problem.direction, sampler=sampler(seed, multivariate))
    better = (lambda a, b: a < b) if problem.direction == "minimize" else (lambda a, b: a > b)
    best = []
    for _ in range(trials):
        trial = study.ask(fixed_distributions=problem.distributions)
        value = problem.objective(trial.params)
        study.tell(trial, value)
        best.append(value if not best or better(value, best[-1]) else best[-1])
    return best


def random_params(problem, rng):
    params = {}
    for name, d in problem.distributions.items():
        if isinstance(d, CategoricalDistribution):
            params[name] = d.choices[rng.integers(len(d.choices))]
        elif isinstance(d, IntDistribution):
            params[name] = int(rng.integers(d.low, d.high + 1))
        elif d.log:
            params[name] = float(math.exp(rng.uniform(math.log(d.low), math.log(d.high))))
        else:
            params[name] = float(rng.uniform(d.low, d.high))
    return params


def time_proposals(problem, history, proposals, multivariate):
    """Mean ms per study.ask() with `history` finished random trials in the study."""
    rng = np.random.default_rng(12345)
    study = optuna.create_study(direction=problem.direction, sampler=sampler(12345, multivariate))
    finished = []
    for _ in range(history):
        params = random_params(problem, rng)
        finished.append(optuna.trial.create_trial(params=params, distributions=problem.distributions,
                                                  value=problem.objective(params)))
    study.add_trials(finished)
    elapsed = 0.0
    for _ in range(proposals):
        start = time.perf_counter()
        trial = study.ask(fixed_distributions=problem.distributions)
        elapsed += time.perf_counter() - start
        # Failed trials stay out of TPE's observations: each timed ask sees the same history.
        study.tell(trial, state=optuna.trial.TrialState.FAIL)
    return elapsed / proposals * 1000


def read_surrogate(path):
    with open(path) as lines:
        for line in lines:
            record = json.loads(line)
            if record.get("kind") == "surrogate":
                return record
    raise SystemExit("search_optuna.py: no surrogate line in %s" % path)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=50)
    parser.add_argument("--trials", type=int, default=50)
    parser.add_argument("--problems", default="branin,hartmann6,mixed,trainer")
    parser.add_argument("--surrogate", help="headroom-bench-search's output (its surrogate line)")
    parser.add_argument("--timing-history", type=int, default=999)
    parser.add_argument("--timing-proposals", type=int, default=10, help="0: no timing")
    parser.add_argument("--fix-logpdf", action="store_true",
                        help="apply optuna#5110 (Optuna 3.5's fix of the truncated normal density)")
    parser.add_argument("--multivariate", action="store_true", help="TPESampler(multivariate=True)")
    parser.add_argument("--out", help="output file (default: stdout)")
    args = parser.parse_args()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    tool = "optuna-fixed" if args.fix_logpdf else "optuna"
    kind = "multivariate" if args.multivariate else "univariate"
    if args.fix_logpdf:
        fix_truncnorm_logpdf()
    wanted = args.problems.split(",")
    if "trainer" in wanted and not args.surrogate:
        parser.error("the trainer problem needs --surrogate")
    surrogate = read_surrogate(args.surrogate) if "trainer" in wanted else None
    out = open(args.out, "w") if args.out else sys.stdout
    startup_trials = sampler(0, args.multivariate)._n_startup_trials  # TPESampler's n_startup_trials
    for problem in problems(surrogate):
        if problem.name not in wanted:
            continue
        start = time.perf_counter()
        for r in range(args.repeats):
            out.write(json.dumps({"tool": tool, "sampler": kind, "kind": "search", "problem": problem.name,
                                  "goal": problem.direction, "repetition": r, "seed": r,
                                  "startup_trials": startup_trials,
                                  "best": search(problem, r, args.trials, args.multivariate)}) + "\n")
        search_seconds = time.perf_counter() - start
        if args.timing_proposals > 0:
            ms = time_proposals(problem, args.timing_history, args.timing_proposals, args.multivariate)
            out.write(json.dumps({"tool": tool, "sampler": kind, "kind": "proposal_time", "problem": problem.name,
                                  "history": args.timing_history, "proposals": args.timing_proposals,
                                  "ms": ms,
                                  "search_seconds": search_seconds, "version": optuna.__version__}) + "\n")
        out.flush()
        print("search_optuna.py: %s %s %s done (%.1f s)" % (tool, kind, problem.name, search_seconds), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
