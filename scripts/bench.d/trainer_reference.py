"""The Python PyTorch loop headroom-train is benchmarked against.

Same model (pre-LN encoder, separate q/k/v projections, GELU feed-forward, learned positions),
same task (character MLM on the same corpus, 15% masking), same optimiser (AdamW, warm-up then
cosine, clipping at 1.0), same batch, threads and precision. Prints one JSON line with the
steady-state tokens per second (the first interval, which pays for warm-up, is dropped).
"""
import argparse, glob, json, math, os, re, time

import torch
import torch.nn as nn
import torch.nn.functional as F


class Attention(nn.Module):
    def __init__(self, d, h, dp):
        super().__init__()
        self.h, self.dp = h, dp
        self.q, self.k, self.v = (nn.Linear(d, h * dp) for _ in range(3))
        self.o = nn.Linear(h * dp, d)

    def forward(self, x):
        b, n, _ = x.shape
        split = lambda t: t.view(b, n, self.h, self.dp).transpose(1, 2)
        q, k, v = split(self.q(x) * self.dp ** -0.5), split(self.k(x)), split(self.v(x))
        a = torch.softmax(q @ k.transpose(-1, -2), -1)
        return self.o((a @ v).transpose(1, 2).reshape(b, n, self.h * self.dp))


class Block(nn.Module):
    def __init__(self, d, h, dp, ff):
        super().__init__()
        self.n1, self.n2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.att = Attention(d, h, dp)
        self.ff = nn.Sequential(nn.Linear(d, ff), nn.GELU(), nn.Linear(ff, d))

    def forward(self, x):
        x = x + self.att(self.n1(x))
        return x + self.ff(self.n2(x))


class Encoder(nn.Module):
    def __init__(self, vocab, out, n, d, h, dp, layers, ff):
        super().__init__()
        self.tok, self.pos = nn.Embedding(vocab, d), nn.Parameter(torch.randn(n, d))
        self.blocks = nn.ModuleList(Block(d, h, dp, ff) for _ in range(layers))
        self.norm, self.head = nn.LayerNorm(d), nn.Linear(d, out)

    def forward(self, x):
        z = self.tok(x) + self.pos[: x.shape[1]]
        for block in self.blocks:
            z = block(z)
        return self.head(self.norm(z))


def load_corpus(folder):
    text = " ".join(open(f, errors="ignore").read() for f in sorted(glob.glob(folder + "/*.txt")))
    text = re.sub(r"[^\x21-\x7e]+", " ", text)
    return torch.frombuffer(bytearray(text.encode("ascii")), dtype=torch.uint8).long() - 32


def main():
    p = argparse.ArgumentParser()
    for name, default in [("d_model", 64), ("heads", 4), ("head_size", 0), ("layers", 2), ("seq_len", 32),
                          ("batch_size", 64), ("steps", 200), ("log_every", 50), ("threads", 1)]:
        p.add_argument("--" + name, type=int, default=default)
    p.add_argument("--precision", default="fp32")
    p.add_argument("--corpus", default="/usr/share/vim/vim90/doc")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    dp = a.head_size or a.d_model // a.heads
    corpus = load_corpus(a.corpus)
    model = Encoder(96, 95, a.seq_len, a.d_model, a.heads, dp, a.layers, 4 * a.d_model)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, betas=(0.9, 0.98), weight_decay=0.01)
    warm = 100
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda t: (t + 1) / warm if t < warm else 0.5 * (1 + math.cos(math.pi * (t - warm) / max(1, a.steps - warm))))
    g = torch.Generator().manual_seed(0)
    rates, start, tokens = [], time.perf_counter(), 0
    for step in range(1, a.steps + 1):
        i = torch.randint(0, len(corpus) - a.seq_len, (a.batch_size, 1), generator=g)
        x = corpus[i + torch.arange(a.seq_len)]
        m = torch.rand(x.shape, generator=g) < 0.15
        y = torch.where(m, x, torch.full_like(x, -100))
        x = x.masked_fill(m, 95)
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=a.precision == "bf16"):
            logits = model(x)
        loss = F.cross_entropy(logits.float().view(-1, 95), y.view(-1), ignore_index=-100)
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
