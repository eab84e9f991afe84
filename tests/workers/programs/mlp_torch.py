"""A real PyTorch worker: a small MLP classifying synthetic data, reporting through `headroom`.

Run with an interpreter that has torch (Debian's /usr/bin/python3 here):

    PYTHONPATH=workers/python /usr/bin/python3 tests/workers/programs/mlp_torch.py --lr=0.05

Flags (Headroom passes each swept parameter as --name=value): --lr, --hidden, --steps, --seed,
--log-every, --checkpoint-every, --step-delay (seconds to sleep per step, so a test can stop it
mid-run). The data (8 features, 4 classes labelled by a fixed random teacher) and the
initialisation depend only on --seed; minibatch k is drawn from a generator seeded by (seed, k),
so a run stopped by SIGTERM and resumed from its checkpoint ends with the same numbers as one
that was never stopped (one thread: OMP_NUM_THREADS, default 1).

Events: `train/loss` (mean over the interval) every --log-every steps at the number of steps
completed, a checkpoint every --checkpoint-every steps and on SIGTERM (then end "preempted",
exit 4), `eval/loss` and `eval/accuracy` at the last step, end "ok". A bad flag value ends
"invalid_config" (exit 2); a non-finite loss ends "diverged" (exit 3).
"""

import argparse
import math
import os
import time

import torch

import headroom

FEATURES, CLASSES, TRAIN_SIZE, EVAL_SIZE, BATCH = 8, 4, 512, 256, 64


def make_data(seed):
    generator = torch.Generator().manual_seed(seed)
    teacher = torch.randn(FEATURES, CLASSES, generator=generator)
    inputs = torch.randn(TRAIN_SIZE + EVAL_SIZE, FEATURES, generator=generator)
    labels = (inputs @ teacher).argmax(dim=1)
    return (inputs[:TRAIN_SIZE], labels[:TRAIN_SIZE]), (inputs[TRAIN_SIZE:], labels[TRAIN_SIZE:])


def batch_indices(seed, step):
    generator = torch.Generator().manual_seed(seed * 1_000_003 + step)
    return torch.randint(0, TRAIN_SIZE, (BATCH,), generator=generator)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lr", type=float, default=0.05)
    parser.add_argument("--hidden", type=int, default=32)
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--log-every", type=int, default=10)
    parser.add_argument("--checkpoint-every", type=int, default=20)
    parser.add_argument("--step-delay", type=float, default=0.0)
    args = parser.parse_args()
    if not (args.lr > 0 and args.hidden >= 1 and args.steps >= 1 and args.log_every >= 1
            and args.checkpoint_every >= 1):
        headroom.finish("invalid_config", "lr must be positive; hidden, steps, log-every and "
                        "checkpoint-every at least 1.", exit=True)

    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS") or 1))
    torch.manual_seed(args.seed)
    (train_x, train_y), (eval_x, eval_y) = make_data(args.seed)
    model = torch.nn.Sequential(torch.nn.Linear(FEATURES, args.hidden), torch.nn.Tanh(),
                                torch.nn.Linear(args.hidden, CLASSES))
    optimizer = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9)
    loss_function = torch.nn.CrossEntropyLoss()

    checkpoint_path = os.path.join(headroom.checkpoint_dir(), "state.pt")
    step, interval_losses = 0, []
    if headroom.resuming() and os.path.exists(checkpoint_path):
        state = torch.load(checkpoint_path)
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        step, interval_losses = state["step"], state["interval_losses"]

    def save_checkpoint():
        temporary = checkpoint_path + ".tmp"  # written whole, then renamed: never half a file
        torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                    "step": step, "interval_losses": interval_losses}, temporary)
        os.replace(temporary, checkpoint_path)
        headroom.checkpoint(step)

    headroom.handle_sigterm()
    headroom.init()
    while step < args.steps:
        if headroom.stop_requested():
            save_checkpoint()
            headroom.preempted()
        indices = batch_indices(args.seed, step)
        loss = loss_function(model(train_x[indices]), train_y[indices])
        if not math.isfinite(loss.item()):
            headroom.log({"train/loss": loss.item()}, step=step + 1)
            headroom.finish("diverged", f"The training loss became {loss.item()} at step "
                            f"{step + 1}.", exit=True)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        step += 1
        interval_losses.append(loss.item())
        if step % args.log_every == 0 or step == args.steps:
            headroom.log({"train/loss": sum(interval_losses) / len(interval_losses)}, step=step)
            interval_losses = []
        if step % args.checkpoint_every == 0 and step < args.steps:
            save_checkpoint()
        if args.step_delay > 0:
            time.sleep(args.step_delay)

    with torch.no_grad():
        logits = model(eval_x)
        eval_loss = loss_function(logits, eval_y).item()
        accuracy = (logits.argmax(dim=1) == eval_y).float().mean().item()
    headroom.log_eval({"eval/loss": eval_loss, "eval/accuracy": accuracy}, step=step)
    print(f"eval/loss {eval_loss:.6f} eval/accuracy {accuracy:.4f}")
    headroom.finish("ok")


if __name__ == "__main__":
    main()
