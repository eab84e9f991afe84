"""A worker that reports metrics as JSON lines on stdout (Headroom's `metrics: stdout` mode).

Pure Python, no imports of Headroom. Flags: --steps (default 5), --scale (default 1.0); any
other --name=value is ignored. Output, each line flushed at once:

    stdout metrics: starting                       ordinary text
    {"step": k, "loss": scale / (k + 1)}           for k = 0 .. steps-1, each followed by
    step k done                                    ordinary text
    [1, 2, 3]                                      JSON, but not an object: not a metric line
    {"step": steps - 1, "accuracy": 0.5 + 0.1 * scale}
    stdout metrics: done

Exits 0.
"""

import json
import sys


def flag(name, default, kind):
    for argument in sys.argv[1:]:
        if argument.startswith(f"--{name}="):
            return kind(argument.split("=", 1)[1])
    return default


def main():
    steps = flag("steps", 5, int)
    scale = flag("scale", 1.0, float)
    print("stdout metrics: starting", flush=True)
    for step in range(steps):
        print(json.dumps({"step": step, "loss": scale / (step + 1)}), flush=True)
        print(f"step {step} done", flush=True)
    print("[1, 2, 3]", flush=True)
    print(json.dumps({"step": steps - 1, "accuracy": 0.5 + 0.1 * scale}), flush=True)
    print("stdout metrics: done", flush=True)


if __name__ == "__main__":
    main()
