#!/usr/bin/env python3
"""Write NAME.expected for every NAME.yaml in this folder: the runs W&B's grid search proposes.

A standalone re-implementation (wandb and wandb/sweeps are not installed here) of

  wandb/sweeps  src/sweeps/grid_search.py   grid_search_next_runs(), yaml_hash()
  wandb/sweeps  src/sweeps/params.py        HyperParameterSet.from_config() (_unnest), to_config()
  wandb/sweeps  src/sweeps/config/schema.py fill_parameter()  +  config/schema.json (parameter kinds)

as README.md in this folder describes. Needs PyYAML only, the loader W&B's CLI uses
(`yaml.safe_load` in wandb/sdk/launch/sweeps/utils.py load_sweep_config), so YAML 1.1
rules apply: `1e-3` (no dot) is the *string* "1e-3", `2.0e-5` is a float.

Usage:  /usr/bin/python3 make_expected.py [--swept-only] [--check] [FILE.yaml ...]
  --swept-only  leave `value:` constants out of each line (W&B's run config has them)
  --check       compare with the existing .expected files instead of writing them
"""

import argparse
import hashlib
import itertools
import json
import math
import pathlib
import re
import sys

import yaml

HERE = pathlib.Path(__file__).resolve().parent

# config/schema.json, definitions.parameters.propertyNames (checked for nested blocks only:
# grid_search_next_runs runs with validate=False, but a nested block is recognised by
# validating it against param_dict, whose `parameters` carry this pattern).
NAME_PATTERN = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")


class GridError(Exception):
    """W&B's grid search refuses the sweep."""


def is_int(x):
    # jsonschema: bool is not "integer"; the "integer" format checker wants a Python int.
    return isinstance(x, int) and not isinstance(x, bool)


def is_number(x):
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def check_min_max(name, cfg):
    # schema.py validate_min_max
    if cfg["min"] >= cfg["max"]:
        raise GridError(f"{name}: min {cfg['min']} is not less than max {cfg['max']}")


def classify(name, cfg):
    """The parameter kind fill_parameter() finds, for the kinds grid search can use.

    Returns (kind, cfg) with kind one of categorical, int_uniform, q_uniform, constant,
    dict (a nested `parameters:` block); raises GridError for every other kind, which
    grid_search_next_runs rejects ("Grid search requires all parameters to be
    categorical, constant, int_uniform, or q_uniform").
    """
    if not isinstance(cfg, dict):
        raise GridError(f"{name}: sweep config values must be dicts, found {cfg!r}")
    keys = set(cfg)
    dist = cfg.get("distribution")
    if (
        "values" in keys
        and keys <= {"values", "distribution"}
        and dist in (None, "categorical")
        and isinstance(cfg["values"], list)
        and cfg["values"]
    ):
        return "categorical", cfg
    if {"values", "probabilities"} <= keys:
        raise GridError(f"{name}: categorical with probabilities is disallowed in grid search")
    if (
        {"min", "max"} <= keys
        and keys <= {"min", "max", "distribution"}
        and dist in (None, "int_uniform")
        and is_int(cfg["min"])
        and is_int(cfg["max"])
    ):
        check_min_max(name, cfg)
        return "int_uniform", cfg
    if (
        dist == "q_uniform"
        and {"min", "max"} <= keys
        and keys <= {"min", "max", "q", "distribution"}
        and is_number(cfg["min"])
        and is_number(cfg["max"])
    ):
        filled = dict(cfg)
        filled.setdefault("q", 1.0)  # schema default: the float 1.0
        if not is_number(filled["q"]) or filled["q"] <= 0:
            raise GridError(f"{name}: q must be a number > 0")
        check_min_max(name, filled)
        return "q_uniform", filled
    if "value" in keys and keys <= {"value", "distribution"} and dist in (None, "constant"):
        return "constant", cfg
    if keys == {"parameters"} and isinstance(cfg["parameters"], dict) and cfg["parameters"]:
        for key in cfg["parameters"]:
            if not isinstance(key, str) or not NAME_PATTERN.match(key):
                raise GridError(f"{name}: nested parameter name {key!r} is not allowed")
        return "dict", cfg
    raise GridError(f"{name}: {cfg!r} is not a parameter grid search can use")


def unnest(params, prefix=()):
    """HyperParameterSet.from_config: depth first, names sorted at every level."""
    out = []
    for key, cfg in sorted(params.items()):
        if not isinstance(key, str):
            raise GridError(f"sweep config keys must be strings, found {key!r}")
        path = prefix + (key,)
        kind, filled = classify(".".join(path), cfg)
        if kind == "dict":
            out.extend(unnest(filled["parameters"], path))
        else:
            out.append((path, kind, filled))
    return out


def numpy_arange(start, stop, step):
    """numpy.arange(start, stop, step).tolist() for Python ints and floats."""
    if is_int(start) and is_int(stop) and is_int(step):
        return list(range(start, stop, step))
    start, stop, step = float(start), float(stop), float(step)
    length = math.ceil((stop - start) / step)
    if length <= 0:
        return []
    values = [start]
    if length > 1:
        values.append(start + step)  # numpy computes the second element as start + step ...
    delta = values[1] - values[0] if length > 1 else 0.0
    for i in range(2, length):  # ... and the rest as start + i*delta (DOUBLE_fill)
        values.append(start + i * delta)
    return values


def grid_values(kind, cfg):
    if kind == "categorical":
        return list(cfg["values"])
    if kind == "int_uniform":
        return list(range(cfg["min"], cfg["max"] + 1))
    if kind == "q_uniform":
        return numpy_arange(cfg["min"], cfg["max"], cfg["q"])
    raise AssertionError(kind)


def yaml_hash(value):
    """grid_search.py yaml_hash: values are told apart by their YAML dump (3.0 == 3)."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return hashlib.md5(
        yaml.dump(value, default_flow_style=True, sort_keys=True).encode("ascii")
    ).hexdigest()


def grid_runs(sweep):
    """Every run grid_search_next_runs proposes, in order, as [(path, value), ...]."""
    if sweep.get("method") != "grid":
        raise GridError("not a grid sweep")
    if "parameters" not in sweep:
        raise GridError('Grid search requires "parameters" section')
    params = unnest(sweep["parameters"])
    discrete = [(p, grid_values(k, c)) for p, k, c in params if k != "constant"]
    hashes = [[yaml_hash(v) for v in values] for _, values in discrete]
    # dict(zip(...)): of values with one hash, the last one listed is the one proposed
    lookup = [dict(zip(h, values)) for h, (_, values) in zip(hashes, discrete)]
    chosen = {}
    seen = set()
    for combo in itertools.product(*hashes):
        if combo in seen:  # a repeated value is proposed once
            continue
        seen.add(combo)
        for (path, _), table, h in zip(discrete, lookup, combo):
            chosen[path] = table[h]
        yield [
            (path, cfg["value"] if kind == "constant" else chosen[path])
            for path, kind, cfg in params
        ]


def expected_lines(yaml_path, swept_only=False):
    with open(yaml_path, encoding="utf-8") as f:
        sweep = yaml.safe_load(f)
    constants = set()
    if swept_only:
        constants = {p for p, k, _ in unnest(sweep["parameters"]) if k == "constant"}
    lines = []
    for run in grid_runs(sweep):
        row = {".".join(path): value for path, value in run if path not in constants}
        lines.append(json.dumps(row, separators=(",", ":"), allow_nan=False))
    return lines


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("files", nargs="*", type=pathlib.Path)
    parser.add_argument("--swept-only", action="store_true")
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    files = args.files or sorted(HERE.glob("*.yaml"))
    status = 0
    total = 0
    for path in files:
        lines = expected_lines(path, args.swept_only)
        total += len(lines)
        text = "\n".join(lines) + "\n"
        target = path.with_suffix(".expected")
        if args.check:
            if not target.exists() or target.read_text() != text:
                print(f"DIFFERS {target.name}", file=sys.stderr)
                status = 1
        else:
            target.write_text(text)
        print(f"{path.name}: {len(lines)} runs")
    print(f"{len(files)} sweeps, {total} runs")
    return status


if __name__ == "__main__":
    sys.exit(main())
