#!/usr/bin/env python3
"""PyTorch eager baseline for `zerospark bench generate`.

Loads an HF model directory (config.json + model.safetensors, GPT-2 or Llama, fp32 or bf16 weights) with torch
alone, written out as transformers' eager code computes it, and runs greedy generation with a KV cache over the
same static, left-padded batches zerospark's in-process path runs: prefill the whole prompt, then one token per
step, appending keys and values to the cache, position ids from the attention mask as HF's generate makes them.
A row that produced EOS keeps decoding padding until its batch ends (as HF's generate does).

Input (--batches FILE): JSON {"max_new_tokens": N, "eos": [ids], "pad": id, "batches": [[[ids...], ...], ...]}.
Output: one JSON line with tokens/s, the new tokens of every row (so the caller can compare them with its own),
and the environment (torch version, BLAS actually mapped, threads, GLIBC_TUNABLES), like train_step_torch.py.
Exit codes: 0 ok, 2 bad arguments, 3 torch cannot be imported (the JSON line says why).
"""
import argparse
import json
import math
import os
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--model", required=True, help="HF model directory")
    p.add_argument("--batches", required=True, help="JSON file with the batches (see the module doc)")
    p.add_argument("--threads", type=int, default=0, help="torch.set_num_threads; 0 keeps torch's default")
    p.add_argument("--warmup", type=int, default=1, help="batches run once untimed first")
    return p.parse_args()


def load_safetensors(torch, path):
    """{name: tensor} from a .safetensors file, read with torch alone (Debian's torch has no safetensors)."""
    dtypes = {"F32": (torch.float32, 4), "BF16": (torch.bfloat16, 2), "F16": (torch.float16, 2), "I64": (torch.int64, 8)}
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = bytearray(f.read())
    out = {}
    for name, spec in header.items():
        if name == "__metadata__":
            continue
        lo, hi = spec["data_offsets"]
        dtype, size = dtypes[spec["dtype"]]
        t = torch.frombuffer(data, dtype=dtype, count=(hi - lo) // size, offset=lo) if hi > lo else torch.empty(0, dtype=dtype)
        out[name] = t.reshape(spec["shape"])
    return out


def allowed_mask(torch, mask, t):
    """(B, 1, T, S) bool: query t (the last T of S positions) may attend key s when s <= its position and s is real."""
    B, S = mask.shape
    q = torch.arange(S - t, S)[:, None]                                            # (T, 1)
    k = torch.arange(S)[None, :]                                                   # (1, S)
    causal = k <= q                                                                # (T, S)
    return causal[None, None, :, :] & mask[:, None, None, :].bool()               # (B, 1, T, S)


def attend(torch, q, k, v, allowed, scale):
    scores = (q @ k.transpose(-1, -2)) * scale                                     # (B, H, T, S)
    scores = torch.where(allowed, scores, torch.tensor(torch.finfo(scores.dtype).min))
    return scores.softmax(-1) @ v                                                  # (B, H, T, D)


class Gpt2:
    def __init__(self, torch, c, w):
        self.torch, self.c, self.w = torch, c, w
        self.C, self.H, self.L = c["n_embd"], c["n_head"], c["n_layer"]
        self.eps = c.get("layer_norm_epsilon", 1e-5)
        self.head = w.get("lm_head.weight", w["transformer.wte.weight"])

    def forward(self, ids, pos, allowed, cache):
        torch, F, w, C, H = self.torch, self.torch.nn.functional, self.w, self.C, self.H
        B, T = ids.shape
        x = F.embedding(ids, w["transformer.wte.weight"]) + F.embedding(pos, w["transformer.wpe.weight"])  # (B, T, C)
        for i in range(self.L):
            p = "transformer.h.%d." % i
            h = F.layer_norm(x, (C,), w[p + "ln_1.weight"], w[p + "ln_1.bias"], self.eps)
            qkv = torch.addmm(w[p + "attn.c_attn.bias"], h.reshape(-1, C), w[p + "attn.c_attn.weight"]).view(B, T, 3 * C)
            q, k, v = (t.view(B, T, H, C // H).transpose(1, 2) for t in qkv.split(C, dim=2))  # (B, H, T, D)
            if cache[i] is not None:
                k = torch.cat((cache[i][0], k), dim=2)                              # (B, H, S, D)
                v = torch.cat((cache[i][1], v), dim=2)
            cache[i] = (k, v)
            y = attend(torch, q, k, v, allowed, 1.0 / math.sqrt(C // H)).transpose(1, 2).reshape(-1, C)
            x = x + torch.addmm(w[p + "attn.c_proj.bias"], y, w[p + "attn.c_proj.weight"]).view(B, T, C)
            h = F.layer_norm(x, (C,), w[p + "ln_2.weight"], w[p + "ln_2.bias"], self.eps)
            h = torch.addmm(w[p + "mlp.c_fc.bias"], h.reshape(-1, C), w[p + "mlp.c_fc.weight"])
            h = 0.5 * h * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (h + 0.044715 * torch.pow(h, 3.0))))
            x = x + torch.addmm(w[p + "mlp.c_proj.bias"], h, w[p + "mlp.c_proj.weight"]).view(B, T, C)
        x = F.layer_norm(x[:, -1], (C,), w["transformer.ln_f.weight"], w["transformer.ln_f.bias"], self.eps)
        return F.linear(x, self.head)                                              # (B, V) last position only


class Llama:
    def __init__(self, torch, c, w):
        self.torch, self.c, self.w = torch, c, w
        self.C, self.H = c["hidden_size"], c["num_attention_heads"]
        self.K = c.get("num_key_value_heads") or self.H
        self.D = c.get("head_dim") or self.C // self.H
        self.L, self.eps = c["num_hidden_layers"], c.get("rms_norm_eps", 1e-6)
        theta = c.get("rope_theta") or (c.get("rope_parameters") or {}).get("rope_theta", 10000.0)
        self.inv_freq = 1.0 / (theta ** (torch.arange(0, self.D, 2).float() / self.D))
        self.head = w.get("lm_head.weight", w["model.embed_tokens.weight"])

    def rms(self, x, weight):
        return weight * (x * self.torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps))

    def forward(self, ids, pos, allowed, cache):
        torch, F, w = self.torch, self.torch.nn.functional, self.w
        B, T = ids.shape
        H, K, D = self.H, self.K, self.D
        freqs = pos.float()[..., None] * self.inv_freq                             # (B, T, D/2)
        emb = torch.cat((freqs, freqs), dim=-1)[:, None]                           # (B, 1, T, D)
        cos, sin = emb.cos(), emb.sin()

        def rope(t):
            t1, t2 = t.chunk(2, dim=-1)
            return t * cos + torch.cat((-t2, t1), dim=-1) * sin

        x = F.embedding(ids, w["model.embed_tokens.weight"])                      # (B, T, C)
        for i in range(self.L):
            p = "model.layers.%d." % i
            h = self.rms(x, w[p + "input_layernorm.weight"])
            q = rope(F.linear(h, w[p + "self_attn.q_proj.weight"]).view(B, T, H, D).transpose(1, 2))  # (B, H, T, D)
            k = rope(F.linear(h, w[p + "self_attn.k_proj.weight"]).view(B, T, K, D).transpose(1, 2))  # (B, K, T, D)
            v = F.linear(h, w[p + "self_attn.v_proj.weight"]).view(B, T, K, D).transpose(1, 2)
            if cache[i] is not None:
                k = torch.cat((cache[i][0], k), dim=2)                              # (B, K, S, D)
                v = torch.cat((cache[i][1], v), dim=2)
            cache[i] = (k, v)
            if K != H:
                k = k.repeat_interleave(H // K, dim=1)                              # (B, H, S, D)
                v = v.repeat_interleave(H // K, dim=1)
            y = attend(torch, q, k, v, allowed, D ** -0.5).transpose(1, 2).reshape(B, T, H * D)
            x = x + F.linear(y, w[p + "self_attn.o_proj.weight"])
            h = self.rms(x, w[p + "post_attention_layernorm.weight"])
            x = x + F.linear(F.silu(F.linear(h, w[p + "mlp.gate_proj.weight"])) * F.linear(h, w[p + "mlp.up_proj.weight"]),
                             w[p + "mlp.down_proj.weight"])
        return F.linear(self.rms(x[:, -1], w["model.norm.weight"]), self.head)   # (B, V) last position only


def generate(torch, model, prompts, max_new, eos, pad):
    """Greedy decoding of one left-padded batch; returns each row's new tokens up to and including EOS."""
    width = max(len(p) for p in prompts)
    ids = torch.tensor([[pad] * (width - len(p)) + p for p in prompts])          # (B, P)
    mask = torch.tensor([[0] * (width - len(p)) + [1] * len(p) for p in prompts])  # (B, P)
    cache = [None] * model.L
    out = [[] for _ in prompts]
    done = [False] * len(prompts)
    step = ids
    for n in range(max_new):
        t = step.shape[1]
        pos = (mask.cumsum(-1) - 1).masked_fill(mask == 0, 1)[:, -t:]           # (B, T) as HF's generate
        logits = model.forward(step, pos, allowed_mask(torch, mask, t), cache)    # (B, V)
        nxt = logits.argmax(-1)                                                   # (B,)
        for r, tok in enumerate(nxt.tolist()):
            if not done[r]:
                out[r].append(tok)
                done[r] = tok in eos
        if all(done) or n == max_new - 1:
            break
        nxt = torch.where(torch.tensor(done), torch.tensor(pad), nxt)
        mask = torch.cat((mask, torch.ones(len(prompts), 1, dtype=mask.dtype)), dim=1)
        step = nxt[:, None]
    return out


def main():
    args = parse_args()
    try:
        import torch
    except ImportError as e:
        print(json.dumps({"error": "torch_missing", "python": sys.executable, "detail": str(e)}))
        return 3
    from train_step_torch import blas_info
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    c = json.load(open(os.path.join(args.model, "config.json")))
    spec = json.load(open(args.batches))
    # fp32 compute like zerospark's default dtype: bf16 files are upcast once here
    w = {k: t.float() for k, t in load_safetensors(torch, os.path.join(args.model, "model.safetensors")).items()}
    kind = c.get("model_type")
    model = Gpt2(torch, c, w) if kind == "gpt2" else Llama(torch, c, w) if kind == "llama" else None
    if model is None:
        print(json.dumps({"error": "unsupported model_type %r" % kind}))
        return 2
    batches, max_new, eos, pad = spec["batches"], spec["max_new_tokens"], set(spec["eos"]), spec["pad"]
    with torch.no_grad():
        for b in batches[:args.warmup]:
            generate(torch, model, b, max_new, eos, pad)
        t0 = time.perf_counter()
        outputs = [generate(torch, model, b, max_new, eos, pad) for b in batches]
        seconds = time.perf_counter() - t0
    new_tokens = sum(len(r) for b in outputs for r in b)
    print(json.dumps({
        "torch_version": torch.__version__,
        "python": sys.executable,
        "threads": torch.get_num_threads(),
        "blas": blas_info(torch),
        "glibc_tunables": os.environ.get("GLIBC_TUNABLES"),
        "omp_num_threads": os.environ.get("OMP_NUM_THREADS"),
        "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY"),
        "rows": sum(len(b) for b in batches),
        "new_tokens": new_tokens,
        "seconds": seconds,
        "tokens_per_s": new_tokens / seconds if seconds > 0 else None,
        "outputs": [r for b in outputs for r in b],
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
