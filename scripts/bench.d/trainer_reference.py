"""The Python PyTorch loop headroom-train is benchmarked against.

It trains the Python prototype's own model and task (tests/trainer/reference/prototype.py: pre-LN
encoder with separate q/k/v projections, character MLM on the same corpus with 15% masking) with
the same optimiser (AdamW, warm-up then cosine, clipping at 1.0), batch, threads and precision as
the headroom-train run it is compared with. It times the training steps only, and prints one JSON
line with the median tokens per second of the steady logging intervals (the first, which pays for
warm-up, is dropped).
"""
import argparse, json, math, os, sys, time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "trainer", "reference"))
from prototype import Encoder, MLMChar  # noqa: E402


def main():
    p = argparse.ArgumentParser()
    for name, default in [("d_model", 64), ("heads", 4), ("head_size", 0), ("layers", 2), ("seq_len", 32),
                          ("batch_size", 64), ("steps", 200), ("log_every", 50), ("threads", 1)]:
        p.add_argument("--" + name, type=int, default=default)
    p.add_argument("--precision", default="fp32")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    task = MLMChar(a.seq_len)
    head_size = a.head_size or a.d_model // a.heads
    model = Encoder(task.vocab, task.nout, a.seq_len, a.d_model, a.heads, head_size, a.layers, 4 * a.d_model)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, betas=(0.9, 0.98), weight_decay=0.01)
    warm = 100
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda t: (t + 1) / warm if t < warm else 0.5 * (1 + math.cos(math.pi * (t - warm) / max(1, a.steps - warm))))
    g = torch.Generator().manual_seed(0)
    rates, start, tokens = [], time.perf_counter(), 0
    for step in range(1, a.steps + 1):
        x, y = task.batch(a.batch_size, "train", g)
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=a.precision == "bf16"):
            logits = model(x)
        loss = F.cross_entropy(logits.float().view(-1, task.nout), y.view(-1), ignore_index=-100)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        tokens += a.batch_size * a.seq_len
        if step % a.log_every == 0:
            now = time.perf_counter()
            rates.append(tokens / (now - start))
            start, tokens = now, 0
    steady = rates[1:] or rates
    print(json.dumps({"tokens_per_s": sorted(steady)[len(steady) // 2], "loss": loss.item()}))


if __name__ == "__main__":
    main()
