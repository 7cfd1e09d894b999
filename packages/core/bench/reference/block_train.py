#!/usr/bin/env python3
"""PyTorch reference benchmark: one training step of a pre-LN transformer block.

Step = forward, loss = mean(y**2), backward, AdamW(lr=1e-4, wd=0.01) step, zero_grad(set_to_none=True).
Block: x + proj(attn(LN1(x))) with a fused qkv Linear(dim, 3*dim) and non-causal softmax attention,
then x + fc2(gelu_erf(fc1(LN2(x)))). float32, CPU. Prints ONE JSON line on stdout.

  python3 block_train.py [--batch 16 --seq 64 --dim 256 --heads 4 --mlp 1024] [--runs 20] [--threads N]
  python3 block_train.py --workload matmul-1024 [--runs 20] [--threads N]

--threads N sets torch intra-op threads AND the BLAS pool (OPENBLAS/OMP/MKL_NUM_THREADS, before torch
loads): Debian's OpenBLAS otherwise runs its own pool of all cores whatever torch.set_num_threads says.
It also defaults OMP_WAIT_POLICY=PASSIVE: spinning OpenMP workers starve OpenBLAS's pthreads on few cores.
"other_load" = mean cores used by OTHER processes while timing (/proc/stat); > ~0.1 = contended run.
"cpu_ms_median" = median CPU time of this process (all threads) per run: comparable across loads.
Exits with code 3 (message on stderr) when torch cannot be imported.
"""
import argparse, json, math, os, statistics, sys, time
WARMUP = 3


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--workload", choices=["block-train", "matmul-1024"], default="block-train")
    for name, default in [("batch", 16), ("seq", 64), ("dim", 256), ("heads", 4), ("mlp", 1024), ("runs", 20)]:
        p.add_argument(f"--{name}", type=int, default=default)
    p.add_argument("--threads", type=int, default=None, help="default: torch's own default")
    return p.parse_args()


def blas_threads():
    try:  # thread count of the OpenBLAS actually loaded into this process
        import ctypes
        return ctypes.CDLL(next(l.split()[-1] for l in open("/proc/self/maps") if "libopenblas" in l)
                           ).openblas_get_num_threads()
    except Exception:
        return None


def cpu_busy_s():
    try:  # system-wide busy CPU seconds (Linux), hypervisor steal excluded
        f = [int(v) for v in open("/proc/stat").readline().split()[1:8]]
        return (f[0] + f[1] + f[2] + f[5] + f[6]) / os.sysconf("SC_CLK_TCK")
    except Exception:
        return None


def time_ms(fn, runs):
    """Sorted per-run wall times in ms, the median CPU ms of this process (all threads) per run, and the mean cores
    used by other processes meanwhile."""
    for _ in range(WARMUP):
        fn()
    ts, cpu, b0, c0, w0 = [], [], cpu_busy_s(), time.process_time(), time.perf_counter()
    for _ in range(runs):
        t0, p0 = time.perf_counter(), time.process_time()
        fn()
        ts.append((time.perf_counter() - t0) * 1e3)
        cpu.append((time.process_time() - p0) * 1e3)
    b1, own, wall = cpu_busy_s(), time.process_time() - c0, time.perf_counter() - w0
    return sorted(ts), round(statistics.median(cpu), 3), (None if b0 is None else round(max(0.0, (b1 - b0 - own) / wall), 2))


def import_torch(script, threads):
    """torch, with `threads` compute threads (None: torch's default); exits with code 3 when it cannot be imported.

    The thread variables must be set before the import for OpenMP and the BLAS to read them.
    """
    if threads:
        for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ[var] = str(threads)
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    try:
        import torch
    except Exception as e:  # ImportError, or OSError from a broken shared library
        print(f"{script}: torch is not importable ({e!r}); skipping PyTorch reference", file=sys.stderr)
        sys.exit(3)
    if threads:
        torch.set_num_threads(threads)
    return torch


def main():
    a = parse_args()
    torch = import_torch("block_train.py", a.threads)
    nn, F = torch.nn, torch.nn.functional
    torch.manual_seed(0)
    info = {"impl": "pytorch", "torch": torch.__version__, "threads": torch.get_num_threads(),
            "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY", "default")}

    if a.workload == "matmul-1024":
        x, y = torch.randn(1024, 1024), torch.randn(1024, 1024)
        ts, cpu, other = time_ms(lambda: torch.mm(x, y), a.runs)
        ms = statistics.median(ts)
        print(json.dumps({"workload": "matmul-1024", **info, "blas_threads": blas_threads(), "runs": a.runs,
                          "ms_median": round(ms, 3), "cpu_ms_median": cpu, "gflops": round(2 * 1024**3 / (ms * 1e6), 2),
                          "other_load": other}))
        return

    class Block(nn.Module):
        def __init__(self, dim, heads, mlp):
            super().__init__()
            self.heads = heads
            self.ln1, self.ln2 = nn.LayerNorm(dim), nn.LayerNorm(dim)
            self.qkv, self.proj = nn.Linear(dim, 3 * dim), nn.Linear(dim, dim)
            self.fc1, self.fc2 = nn.Linear(dim, mlp), nn.Linear(mlp, dim)

        def forward(self, x):
            B, T, D = x.shape
            hd = D // self.heads
            q, k, v = self.qkv(self.ln1(x)).view(B, T, 3, self.heads, hd).permute(2, 0, 3, 1, 4)
            att = torch.softmax(q @ k.transpose(-2, -1) * hd**-0.5, dim=-1)  # (B, H, T, T)
            x = x + self.proj((att @ v).transpose(1, 2).reshape(B, T, D))
            return x + self.fc2(F.gelu(self.fc1(self.ln2(x))))  # gelu: erf form (torch default)

    model = Block(a.dim, a.heads, a.mlp)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4, weight_decay=0.01)
    x = torch.randn(a.batch, a.seq, a.dim)

    def step():
        model(x).pow(2).mean().backward()
        opt.step()
        opt.zero_grad(set_to_none=True)

    ts, cpu, other = time_ms(step, a.runs)
    print(json.dumps({"workload": "block-train", **info, "blas_threads": blas_threads(),
                      "batch": a.batch, "seq": a.seq, "dim": a.dim, "heads": a.heads, "mlp": a.mlp,
                      "ms_median": round(statistics.median(ts), 3),
                      "ms_p90": round(ts[math.ceil(0.9 * len(ts)) - 1], 3), "cpu_ms_median": cpu, "runs": a.runs,
                      "other_load": other}))


if __name__ == "__main__":
    main()
