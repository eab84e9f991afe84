"""A training script written as a W&B user writes one, for running through Headroom's drop-in.

With PYTHONPATH=workers/python/wandb_dropin:workers/python it reports to Headroom; outside
Headroom it runs standalone and writes nothing. Pure Python, no torch. The "loss" is a known
function of the config, so tests can check every value:

    loss(epoch) = (lr - 0.01) ** 2 * 100 + 1 / (epoch + 1)      (+ 0.5 when optimizer is "adam")

It logs {"loss": loss(e), "epoch": e} once per epoch (W&B step e), sets
run.summary["best_loss"] to the smallest loss (the last one) and finishes. Flags on the command
line (Headroom, like a W&B agent, passes --name=value) are ignored: wandb.config has the values.
"""

import wandb


def main():
    wandb.init(config={"lr": 0.1, "epochs": 5, "optimizer": "sgd"})
    lr = wandb.config.lr
    best_loss = float("inf")
    for epoch in range(wandb.config.epochs):
        loss = (lr - 0.01) ** 2 * 100 + 1 / (epoch + 1)
        if wandb.config.optimizer == "adam":
            loss += 0.5
        wandb.log({"loss": loss, "epoch": epoch})
        best_loss = min(best_loss, loss)
    wandb.run.summary["best_loss"] = best_loss
    print(f"best_loss {best_loss}")
    wandb.finish()


if __name__ == "__main__":
    main()
