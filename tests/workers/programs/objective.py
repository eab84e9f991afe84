"""A known objective for the search tests: a score of three parameters, learnt over epochs.

    score(x, lr, kind) = 1 - (x - 0.3)^2 - (log10(lr) + 2)^2 / 4 - (0.2 if kind == "b" else 0)

is largest (1) at x = 0.3, lr = 0.01, kind "a". Epoch e (1, 2, ...) logs the eval metric
`score` as score * (1 - 0.5^e), so every run's curve rises towards its final value and the
runs keep their order at every epoch: what hyperband judges. Pure standard library: it logs
through Headroom's `headroom` module, stops cleanly on SIGTERM (end "preempted"), and
sleeps `--epoch-delay` seconds per epoch so that a test can watch runs while they train.
"""
import argparse
import math
import time

import headroom


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--x", type=float, required=True)
    parser.add_argument("--lr", type=float, required=True)
    parser.add_argument("--kind", choices=["a", "b"], default="a")
    parser.add_argument("--epochs", type=int, default=9)
    parser.add_argument("--seed", type=int, default=0)  # the score does not depend on it
    parser.add_argument("--epoch-delay", "--epoch_delay", dest="epoch_delay", type=float, default=0.0)
    args = parser.parse_args()
    if not (args.lr > 0 and args.epochs >= 1):
        headroom.finish("invalid_config", "lr must be positive and epochs at least 1", exit=True)
    headroom.handle_sigterm()
    headroom.init()
    score = 1 - (args.x - 0.3) ** 2 - (math.log10(args.lr) + 2) ** 2 / 4 - (0.2 if args.kind == "b" else 0)
    for epoch in range(1, args.epochs + 1):
        if args.epoch_delay > 0:
            time.sleep(args.epoch_delay)
        if headroom.stop_requested():
            headroom.finish("preempted", "stopped by SIGTERM", exit=True)
        headroom.log_eval({"score": score * (1 - 0.5 ** epoch)}, step=epoch)
    headroom.finish("ok")


if __name__ == "__main__":
    main()
