"""scripts/bench trainer: headroom-train against the Python loop in trainer_reference.py.

Both train the same model on the same task with the same threads and precision, one after the
other in this run, on the demo sizes. Reports tokens/s of each, their ratio, and the FLOP/s
headroom-train achieves against a large-matmul peak measured here in the same run.
"""
import argparse, json, os, subprocess, sys, tempfile, time

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
SIZES = [  # d_model, heads, head_size (0 = standard d/h)
    (64, 1, 0), (64, 4, 0), (64, 16, 0), (128, 8, 0), (64, 4, 32), (64, 16, 32),
]


def matmul_peak(dtype, size=1024, repeats=10):
    torch.set_num_threads(1)
    a, b = torch.randn(size, size).to(dtype), torch.randn(size, size).to(dtype)
    a @ b
    start = time.perf_counter()
    for _ in range(repeats):
        a @ b
    return repeats * 2 * size ** 3 / (time.perf_counter() - start)


def run_headroom(binary, config, folder):
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(config, f)
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    subprocess.run([binary, "--config", os.path.join(folder, "config.json"), "--run-dir", folder],
                   check=True, stdout=subprocess.DEVNULL, env=env)
    rates, flops = [], 0
    for line in open(os.path.join(folder, "events.jsonl")):
        event = json.loads(line)
        if event["event"] == "start":
            flops = event["model"]["training_flops_per_token"]
        if event["event"] == "metric":
            rates.append(event["values"]["train/tokens_per_s"])
    steady = rates[1:] or rates
    return sorted(steady)[len(steady) // 2], flops


def run_python(args):
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    out = subprocess.run([sys.executable, os.path.join(HERE, "trainer_reference.py")] + args,
                         check=True, capture_output=True, text=True, env=env).stdout
    return json.loads(out.strip().splitlines()[-1])["tokens_per_s"]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--binary", required=True)
    p.add_argument("--steps", type=int, default=200)
    p.add_argument("--precision", default="both", choices=["fp32", "bf16", "both"])
    p.add_argument("--repeats", type=int, default=5,
                   help="alternate the two loops this many times and report medians (the machine is noisy)")
    p.add_argument("--sizes", default=None,
                   help="comma-separated d_model:heads:head_size (0 = standard), instead of the demo sizes")
    a = p.parse_args()
    sizes = [tuple(int(x) for x in size.split(":")) for size in a.sizes.split(",")] if a.sizes else SIZES
    precisions = ["fp32", "bf16"] if a.precision == "both" else [a.precision]
    peaks = {"fp32": matmul_peak(torch.float32), "bf16": matmul_peak(torch.bfloat16)}
    print(f"1024^3 matmul peak, 1 thread: fp32 {peaks['fp32']/1e9:.0f} GFLOP/s, bf16 {peaks['bf16']/1e9:.0f} GFLOP/s"
          f" (OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', 'unset')})")
    print(f"seq_len 32, batch 64, 2 layers, mlm, 1 thread, {a.steps} steps; tokens/s are medians over "
          f"{a.repeats} alternating runs of each loop's median steady interval; the ratio is the median of "
          f"the {a.repeats} ratios of back-to-back pairs (this machine's speed drifts over minutes, which "
          f"a ratio of two medians taken minutes apart picks up)\n")
    print("| precision | d_model | heads | head_size | headroom-train tok/s | Python tok/s | ratio | GFLOP/s | % of peak |")
    print("|---|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for precision in precisions:
            for d, h, dp in sizes:
                config = {"d_model": d, "heads": h, "layers": 2, "seq_len": 32, "batch_size": 64,
                          "steps": a.steps, "log_every": 50, "eval_every": a.steps, "eval_batches": 1,
                          "rank_diagnostics": False, "precision": precision, "threads": 1}
                if dp:
                    config.update(attention="fixed", head_size=dp)
                ours_runs, theirs_runs = [], []
                for repeat in range(a.repeats):
                    rate, flops = run_headroom(a.binary, config, os.path.join(tmp, f"{precision}-{d}-{h}-{dp}-{repeat}"))
                    ours_runs.append(rate)
                    theirs_runs.append(run_python(["--d_model", str(d), "--heads", str(h), "--head_size", str(dp),
                                                   "--steps", str(a.steps), "--precision", precision]))
                ours, theirs = sorted(ours_runs)[a.repeats // 2], sorted(theirs_runs)[a.repeats // 2]
                ratio = sorted(o / t for o, t in zip(ours_runs, theirs_runs))[a.repeats // 2]
                achieved = ours * flops
                print(f"| {precision} | {d} | {h} | {dp or d // h} | {ours:,.0f} | {theirs:,.0f} | "
                      f"{ratio:.2f} | {achieved / 1e9:.1f} | {100 * achieved / peaks[precision]:.0f}% |",
                      flush=True)


if __name__ == "__main__":
    main()
