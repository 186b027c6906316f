#!/usr/bin/env python3
"""PyTorch eager baseline for `zerospark bench train-step`.

Builds the model described by an HF config.json (GPT-2 or Llama, written out as transformers' eager code
computes it), then times the same training step zerospark times: forward, mean next-token cross-entropy,
backward, and torch.optim.AdamW (decay on tensors with 2+ dims). Prints one JSON line on stdout.
--precision bf16 runs zerospark's mixed-precision recipe: bf16 weights and activations, the loss from the logits
upcast to fp32, fp32 master weights updated by AdamW from the bf16 gradients widened to fp32, then rounded back
into the bf16 weights (to nearest even, torch's .to).

Run it with Debian's system interpreter and torch build (the pyenv python3 on PATH does not see it):
    apt-get install python3-torch libopenblas0-openmp
    GLIBC_TUNABLES=glibc.malloc.mmap_threshold=4294967295:glibc.malloc.trim_threshold=4294967295 \\
        /usr/bin/python3 deploy/bench/train_step_torch.py --config-json '{"model_type": "gpt2", ...}'
Debian's torch links the generic libblas.so.3, which update-alternatives points at OpenBLAS (openmp build)
once libopenblas0-openmp is installed; the "blas" field of the output shows the library actually mapped.
Exit codes: 0 ok, 2 bad arguments, 3 torch cannot be imported (the JSON line says why).
"""
import argparse
import ctypes
import json
import math
import os
import subprocess
import sys
import time


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--config-json", required=True, help="HF config.json contents (or a path to one)")
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--seq", type=int, default=256)
    p.add_argument("--steps", type=int, default=5)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--threads", type=int, default=0, help="torch.set_num_threads; 0 keeps torch's default")
    p.add_argument("--lr", type=float, default=1e-4)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--precision", choices=["fp32", "bf16"], default="fp32",
                   help="fp32, or bf16 mixed precision with fp32 master weights and AdamW")
    return p.parse_args()


def build_model(torch, c):
    nn = torch.nn
    F = torch.nn.functional

    def causal_attention(q, k, v, scale):
        # (B, H, T, D) each; masked scores get the most negative float like transformers' eager path
        T = q.shape[-2]
        scores = (q @ k.transpose(-1, -2)) * scale                               # (B, H, T, T)
        allowed = torch.ones(T, T, dtype=torch.bool).tril()
        scores = torch.where(allowed, scores, torch.tensor(torch.finfo(scores.dtype).min))
        return scores.softmax(-1) @ v                                            # (B, H, T, D)

    class Conv1D(nn.Module):
        """transformers' GPT-2 Conv1D: weight stored (in, out), x @ W + b via addmm."""

        def __init__(self, n_in, n_out):
            super().__init__()
            self.weight = nn.Parameter(torch.empty(n_in, n_out))
            self.bias = nn.Parameter(torch.zeros(n_out))

        def forward(self, x):
            out = torch.addmm(self.bias, x.reshape(-1, x.shape[-1]), self.weight)
            return out.view(*x.shape[:-1], -1)

    class Gpt2Block(nn.Module):
        def __init__(self, C, H, inner, eps, act):
            super().__init__()
            self.H = H
            self.act = act
            self.ln_1 = nn.LayerNorm(C, eps=eps)
            self.c_attn = Conv1D(C, 3 * C)
            self.attn_proj = Conv1D(C, C)
            self.ln_2 = nn.LayerNorm(C, eps=eps)
            self.c_fc = Conv1D(C, inner)
            self.mlp_proj = Conv1D(inner, C)

        def forward(self, x):
            B, T, C = x.shape
            q, k, v = self.c_attn(self.ln_1(x)).split(C, dim=2)                  # 3 x (B, T, C)
            q, k, v = (t.view(B, T, self.H, C // self.H).transpose(1, 2) for t in (q, k, v))  # (B, H, T, D)
            y = causal_attention(q, k, v, 1.0 / math.sqrt(C // self.H))
            x = x + self.attn_proj(y.transpose(1, 2).reshape(B, T, C))
            h = self.c_fc(self.ln_2(x))                                          # (B, T, 4C)
            if self.act == "gelu":
                h = F.gelu(h)
            elif self.act == "gelu_pytorch_tanh":
                h = F.gelu(h, approximate="tanh")
            else:  # gelu_new: transformers' NewGELUActivation formula
                h = 0.5 * h * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (h + 0.044715 * torch.pow(h, 3.0))))
            return x + self.mlp_proj(h)

    class Gpt2(nn.Module):
        def __init__(self, c):
            super().__init__()
            C = c["n_embd"]
            eps = c.get("layer_norm_epsilon", 1e-5)
            inner = c.get("n_inner") or 4 * C
            self.wte = nn.Embedding(c["vocab_size"], C)
            self.wpe = nn.Embedding(c["n_positions"], C)
            self.h = nn.ModuleList(Gpt2Block(C, c["n_head"], inner, eps, c.get("activation_function", "gelu_new"))
                                   for _ in range(c["n_layer"]))
            self.ln_f = nn.LayerNorm(C, eps=eps)
            self.lm_head = None if c.get("tie_word_embeddings", True) else nn.Linear(C, c["vocab_size"], bias=False)

        def forward(self, ids):
            T = ids.shape[1]
            x = self.wte(ids) + self.wpe(torch.arange(T))                        # (B, T, C)
            for block in self.h:
                x = block(x)
            x = self.ln_f(x)
            return F.linear(x, self.wte.weight if self.lm_head is None else self.lm_head.weight)  # (B, T, V)

    class RmsNorm(nn.Module):
        def __init__(self, C, eps):
            super().__init__()
            self.weight = nn.Parameter(torch.ones(C))
            self.eps = eps

        def forward(self, x):
            # like transformers' LlamaRMSNorm: normalize in fp32, scale in the weights' dtype
            h = x.float()
            variance = h.pow(2).mean(-1, keepdim=True)
            return self.weight * (h * torch.rsqrt(variance + self.eps)).to(x.dtype)

    def rotate_half(x):
        x1, x2 = x.chunk(2, dim=-1)
        return torch.cat((-x2, x1), dim=-1)

    class LlamaBlock(nn.Module):
        def __init__(self, c):
            super().__init__()
            C = c["hidden_size"]
            self.H = c["num_attention_heads"]
            self.K = c.get("num_key_value_heads", self.H)
            self.D = c.get("head_dim") or C // self.H
            eps = c.get("rms_norm_eps", 1e-6)
            F_ = c["intermediate_size"]
            self.input_layernorm = RmsNorm(C, eps)
            self.q_proj = nn.Linear(C, self.H * self.D, bias=False)
            self.k_proj = nn.Linear(C, self.K * self.D, bias=False)
            self.v_proj = nn.Linear(C, self.K * self.D, bias=False)
            self.o_proj = nn.Linear(self.H * self.D, C, bias=False)
            self.post_attention_layernorm = RmsNorm(C, eps)
            self.gate_proj = nn.Linear(C, F_, bias=False)
            self.up_proj = nn.Linear(C, F_, bias=False)
            self.down_proj = nn.Linear(F_, C, bias=False)

        def forward(self, x, cos, sin):
            B, T, C = x.shape
            h = self.input_layernorm(x)
            q = self.q_proj(h).view(B, T, self.H, self.D).transpose(1, 2)        # (B, H, T, D)
            k = self.k_proj(h).view(B, T, self.K, self.D).transpose(1, 2)        # (B, K, T, D)
            v = self.v_proj(h).view(B, T, self.K, self.D).transpose(1, 2)
            q = q * cos + rotate_half(q) * sin
            k = k * cos + rotate_half(k) * sin
            if self.K != self.H:
                k = k.repeat_interleave(self.H // self.K, dim=1)                 # (B, H, T, D)
                v = v.repeat_interleave(self.H // self.K, dim=1)
            y = causal_attention(q, k, v, self.D ** -0.5)
            x = x + self.o_proj(y.transpose(1, 2).reshape(B, T, self.H * self.D))
            h = self.post_attention_layernorm(x)
            return x + self.down_proj(F.silu(self.gate_proj(h)) * self.up_proj(h))

    class Llama(nn.Module):
        def __init__(self, c):
            super().__init__()
            C = c["hidden_size"]
            self.D = c.get("head_dim") or C // c["num_attention_heads"]
            theta = c.get("rope_theta") or (c.get("rope_parameters") or {}).get("rope_theta", 10000.0)
            self.register_buffer("inv_freq", 1.0 / (theta ** (torch.arange(0, self.D, 2).float() / self.D)),
                                 persistent=False)
            self.embed_tokens = nn.Embedding(c["vocab_size"], C)
            self.layers = nn.ModuleList(LlamaBlock(c) for _ in range(c["num_hidden_layers"]))
            self.norm = RmsNorm(C, c.get("rms_norm_eps", 1e-6))
            self.lm_head = None if c.get("tie_word_embeddings", False) else nn.Linear(C, c["vocab_size"], bias=False)

        def forward(self, ids):
            T = ids.shape[1]
            freqs = torch.arange(T).float()[:, None] * self.inv_freq[None, :]    # (T, D/2)
            emb = torch.cat((freqs, freqs), dim=-1)                              # (T, D)
            x = self.embed_tokens(ids)                                           # (B, T, C)
            cos, sin = emb.cos().to(x.dtype), emb.sin().to(x.dtype)              # like transformers' rotary
            for layer in self.layers:
                x = layer(x, cos, sin)
            x = self.norm(x)
            return F.linear(x, self.embed_tokens.weight if self.lm_head is None else self.lm_head.weight)

    kind = c.get("model_type")
    if kind == "gpt2":
        model = Gpt2(c)
    elif kind == "llama":
        model = Llama(c)
    else:
        raise ValueError("unsupported model_type %r (gpt2 or llama)" % kind)
    # Same init as zerospark's RandomInit: N(0, 0.02) matrices, ones for norm weights, zeros for biases.
    with torch.no_grad():
        for name, p in model.named_parameters():
            if p.dim() >= 2:
                p.normal_(0.0, 0.02)
            elif name.endswith("bias"):
                p.zero_()
            else:
                p.fill_(1.0)
    return model


def blas_info(torch):
    """Which BLAS this process really mapped, plus OpenBLAS's own build string when it is OpenBLAS."""
    libs = set()
    with open("/proc/self/maps") as f:
        for line in f:
            path = line.split()[-1]
            base = os.path.basename(path).lower()
            if path.startswith("/") and ("blas" in base or "mkl" in base or "lapack" in base):
                libs.add(os.path.realpath(path))
    info = {"libs": sorted(libs), "build": None, "openblas_config": None, "openblas_threads": None,
            "alternative": None}
    for line in torch.__config__.show().splitlines():
        if "BLAS_INFO=" in line:
            info["build"] = line.split("BLAS_INFO=")[1].split(",")[0]
    for path in sorted(libs):
        try:
            lib = ctypes.CDLL(path)
            get_config = lib.openblas_get_config
        except (OSError, AttributeError):
            continue
        get_config.restype = ctypes.c_char_p
        info["openblas_config"] = get_config().decode()
        info["openblas_threads"] = lib.openblas_get_num_threads()
        break
    try:
        q = subprocess.run(["update-alternatives", "--query", "libblas.so.3-x86_64-linux-gnu"],
                           capture_output=True, text=True, timeout=10)
        for line in q.stdout.splitlines():
            if line.startswith("Value:"):
                info["alternative"] = line.split(":", 1)[1].strip()
    except (OSError, subprocess.SubprocessError):
        pass  # no update-alternatives (not Debian): the mapped libs above still say what ran
    return info


def matmul_gflops(torch):
    """Best of at least 20 1024^3 fp32 matmuls over at least 0.25 s, as zerospark measures it (MatmulRate)."""
    a = torch.randn(1024, 1024)
    b = torch.randn(1024, 1024)
    a @ b
    best = float("inf")
    start = time.perf_counter()
    runs = 0
    while runs < 20 or time.perf_counter() - start < 0.25:
        t0 = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - t0)
        runs += 1
    return 2.0 * 1024 ** 3 / best / 1e9


def main():
    args = parse_args()
    try:
        import torch
    except ImportError as e:
        print(json.dumps({"error": "torch_missing", "python": sys.executable, "detail": str(e)}))
        return 3
    cfg = args.config_json
    c = json.load(open(cfg)) if os.path.isfile(cfg) else json.loads(cfg)
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    model = build_model(torch, c)
    model.train()
    params = sum(p.numel() for p in model.parameters())
    weights = list(model.parameters())
    bf16 = args.precision == "bf16"
    # fp32: AdamW updates the model's own weights. bf16: it updates fp32 master copies of the (fp32-initialized)
    # weights, and the model's weights become their bf16 rounding.
    masters = [w.detach().clone() for w in weights] if bf16 else weights
    if bf16:
        model.to(torch.bfloat16)
    decay = [m for m in masters if m.dim() >= 2]
    no_decay = [m for m in masters if m.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=args.lr, betas=(0.9, 0.95), eps=1e-8)
    vocab = c["vocab_size"]
    g = torch.Generator().manual_seed(args.seed)
    ids = torch.randint(0, vocab, (args.batch, args.seq), generator=g)          # (B, T)

    fb_ms, opt_ms, cpu_ms, losses = 0.0, 0.0, 0.0, []
    logits_dtype = None
    for i in range(args.warmup + args.steps):
        t0 = time.perf_counter()
        c0 = time.thread_time()
        model.zero_grad(set_to_none=True)
        logits = model(ids)                                                      # (B, T, V)
        logits_dtype = str(logits.dtype)
        # the loss (and its gradient) in fp32: bf16 logits are upcast first, as zerospark's mixed precision does
        loss = torch.nn.functional.cross_entropy(logits[:, :-1].float().reshape(-1, vocab), ids[:, 1:].reshape(-1))
        loss.backward()
        losses.append(loss.item())
        t1 = time.perf_counter()
        if bf16:
            for m, w in zip(masters, weights):
                m.grad = w.grad.float()                                          # bf16 widens to fp32 exactly
        opt.step()
        if bf16:
            with torch.no_grad():
                for m, w in zip(masters, weights):
                    w.copy_(m)                                                   # round to nearest even
        t2 = time.perf_counter()
        c2 = time.thread_time()
        if i >= args.warmup:
            cpu_ms += (c2 - c0) * 1e3
            fb_ms += (t1 - t0) * 1e3
            opt_ms += (t2 - t1) * 1e3
    fb_ms /= args.steps
    opt_ms /= args.steps
    cpu_ms /= args.steps
    step_ms = fb_ms + opt_ms
    print(json.dumps({
        "torch_version": torch.__version__,
        "python": sys.executable,
        "threads": torch.get_num_threads(),
        "blas": blas_info(torch),
        "glibc_tunables": os.environ.get("GLIBC_TUNABLES"),
        "omp_num_threads": os.environ.get("OMP_NUM_THREADS"),
        "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY"),
        "adamw_foreach": opt.defaults.get("foreach"),
        "params": params,
        "precision": args.precision,
        "weights_dtype": str(weights[0].dtype),
        "master_dtype": str(masters[0].dtype),
        "logits_dtype": logits_dtype,
        "fwd_bwd_ms": fb_ms,
        "optimizer_ms": opt_ms,
        "step_ms": step_ms,
        # this thread's CPU time: with one thread every op runs here, so it ignores other load on the machine
        "step_cpu_ms": cpu_ms,
        "tokens_per_s": args.batch * args.seq / (step_ms / 1e3),
        "matmul_gflops": matmul_gflops(torch),
        "first_loss": losses[0],
        "last_loss": losses[-1],
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
