#!/usr/bin/env python3
"""The learner's LoRA GRPO train step in PyTorch eager: the baseline the GPU check compares with.

It is written from the papers' and Hugging Face's definitions, not from this repo's engine, so
it also serves as an independent reference (test/model/torch-reference.test.ts holds values it
produced on a fixture). One step is what src/model/lm-trainer.ts does:

  forward    a Qwen3 or Llama decoder (RMSNorm, RoPE rotate-half, GQA, SwiGLU; Qwen3's q/k norms),
             LoRA on the seven projections: y = x W^T + (alpha/r) (x A^T) B^T
  loss       token mean over completion tokens of -min(r A, clip(r, 1-epsLow, 1+epsHigh) A),
             r = exp(logp - behaviour)   (arXiv 2402.03300, GRPO; no KL term)
  update     global-norm clip to 1, then AdamW (betas 0.9/0.999, eps 1e-8, weight decay 0)

Usage:
  python3 scripts/torch_grpo_step.py --model DIR [--device cuda] [--batch 4] [--length 256]
      [--rank 16] [--alpha 32] [--steps 5] [--tf32] [--adapters DIR] [--batch-file F] [--json]

DIR holds config.json and model.safetensors (F32, BF16 or F16). --adapters reads PEFT adapters
(adapter_model.safetensors) instead of PEFT's random init; --batch-file reads the batch as JSON
[{ids, completionStart, advantage, behaviourLogprobs}]; otherwise the batch is the one
src/bench/grpo-step.ts builds. Needs only torch (and no network).
"""
import argparse
import json
import math
import os
import struct
import sys
import time

import torch
import torch.nn.functional as F

DTYPES = {"F32": (torch.float32, 4), "BF16": (torch.bfloat16, 2), "F16": (torch.float16, 2)}
PROJECTIONS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]


def read_safetensors(path):
    """name -> float32 tensor (the format: 8-byte header length, JSON header, raw little-endian data)."""
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        if info["dtype"] not in DTYPES:
            raise SystemExit(f"torch_grpo_step: {path}: tensor {name} has dtype {info['dtype']}; F32, BF16 and F16 are read")
        dtype, _ = DTYPES[info["dtype"]]
        a, b = info["data_offsets"]
        t = torch.frombuffer(bytearray(data[a:b]), dtype=dtype) if b > a else torch.empty(0, dtype=dtype)
        out[name] = t.reshape(info["shape"]).float()
    return out


class Decoder(torch.nn.Module):
    def __init__(self, cfg, weights, rank, alpha, adapters=None, seed=0):
        super().__init__()
        self.cfg = cfg
        self.qwen3 = cfg["model_type"] == "qwen3"
        if cfg["model_type"] not in ("qwen3", "llama"):
            raise SystemExit(f"torch_grpo_step: model_type {cfg['model_type']} is not qwen3 or llama")
        rs = cfg.get("rope_scaling")
        if rs and rs.get("rope_type", rs.get("type")) not in (None, "default"):
            raise SystemExit("torch_grpo_step: rope_scaling is not implemented here (Qwen3 configs have none)")
        self.L = cfg["num_hidden_layers"]
        self.H = cfg["num_attention_heads"]
        self.Hkv = cfg["num_key_value_heads"]
        self.dh = cfg.get("head_dim") or cfg["hidden_size"] // self.H
        self.eps = cfg["rms_norm_eps"]
        self.tied = cfg.get("tie_word_embeddings", False)
        # The frozen base: buffers, not parameters.
        for name, t in weights.items():
            self.register_buffer(name.replace(".", "__"), t, persistent=False)
        self.scale = alpha / rank
        self.lora = torch.nn.ParameterDict()
        gen = torch.Generator().manual_seed(seed)
        for l in range(self.L):
            for p in PROJECTIONS:
                module = f"model.layers.{l}.{'mlp' if p in ('gate_proj', 'up_proj', 'down_proj') else 'self_attn'}.{p}"
                out_f, in_f = weights[module + ".weight"].shape
                key = module.replace(".", "__")
                if adapters is not None:
                    a = adapters[f"base_model.model.{module}.lora_A.weight"]
                    b = adapters[f"base_model.model.{module}.lora_B.weight"]
                else:
                    bound = 1 / math.sqrt(in_f)  # PEFT: kaiming_uniform(a=sqrt(5)) on A, zeros on B
                    a = (torch.rand(rank, in_f, generator=gen) * 2 - 1) * bound
                    b = torch.zeros(out_f, rank)
                self.lora[key + "__A"] = torch.nn.Parameter(a.clone())
                self.lora[key + "__B"] = torch.nn.Parameter(b.clone())
        inv = 1.0 / (cfg["rope_theta"] ** (torch.arange(0, self.dh, 2, dtype=torch.float32) / self.dh))
        self.register_buffer("inv_freq", inv, persistent=False)

    def w(self, name):
        return getattr(self, name.replace(".", "__"))

    def proj(self, module, x):
        key = module.replace(".", "__")
        y = x @ self.w(module + ".weight").t()
        return y + self.scale * ((x @ self.lora[key + "__A"].t()) @ self.lora[key + "__B"].t())

    def norm(self, x, weight):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * weight

    def rope(self, x, cos, sin):
        half = x.shape[-1] // 2
        rotated = torch.cat((-x[..., half:], x[..., :half]), dim=-1)
        return x * cos + rotated * sin

    def forward(self, ids, mask):
        B, T = ids.shape
        h = self.w("model.embed_tokens.weight")[ids]
        pos = torch.arange(T, device=ids.device, dtype=torch.float32)
        freqs = torch.outer(pos, self.inv_freq)
        emb = torch.cat((freqs, freqs), dim=-1)
        cos, sin = emb.cos()[None, None], emb.sin()[None, None]
        causal = torch.ones(T, T, dtype=torch.bool, device=ids.device).tril()
        allowed = causal[None, None] & mask[:, None, None, :].bool()
        bias = torch.zeros(B, 1, T, T, device=ids.device).masked_fill(~allowed, float("-inf"))
        for l in range(self.L):
            p = f"model.layers.{l}"
            a = self.norm(h, self.w(f"{p}.input_layernorm.weight"))
            q = self.proj(f"{p}.self_attn.q_proj", a).view(B, T, self.H, self.dh)
            k = self.proj(f"{p}.self_attn.k_proj", a).view(B, T, self.Hkv, self.dh)
            v = self.proj(f"{p}.self_attn.v_proj", a).view(B, T, self.Hkv, self.dh)
            if self.qwen3:
                q = self.norm(q, self.w(f"{p}.self_attn.q_norm.weight"))
                k = self.norm(k, self.w(f"{p}.self_attn.k_norm.weight"))
            q, k, v = (t.transpose(1, 2) for t in (q, k, v))
            q, k = self.rope(q, cos, sin), self.rope(k, cos, sin)
            rep = self.H // self.Hkv
            k, v = k.repeat_interleave(rep, dim=1), v.repeat_interleave(rep, dim=1)
            scores = (q @ k.transpose(-1, -2)) / math.sqrt(self.dh) + bias
            o = (scores.softmax(-1) @ v).transpose(1, 2).reshape(B, T, self.H * self.dh)
            h = h + self.proj(f"{p}.self_attn.o_proj", o)
            m = self.norm(h, self.w(f"{p}.post_attention_layernorm.weight"))
            gate = self.proj(f"{p}.mlp.gate_proj", m)
            up = self.proj(f"{p}.mlp.up_proj", m)
            h = h + self.proj(f"{p}.mlp.down_proj", F.silu(gate) * up)
        h = self.norm(h, self.w("model.norm.weight"))
        head = self.w("model.embed_tokens.weight" if self.tied else "lm_head.weight")
        return h[:, :-1] @ head.t()  # rows that predict a token


def grpo_loss(logits, ids, comp_mask, adv, behaviour, eps_low, eps_high):
    logp = logits.log_softmax(-1).gather(-1, ids[:, 1:, None]).squeeze(-1)
    ratio = torch.exp(logp - behaviour)
    surrogate = torch.minimum(ratio * adv, ratio.clamp(1 - eps_low, 1 + eps_high) * adv)
    tokens = comp_mask.sum().clamp(min=1)
    return -(surrogate * comp_mask).sum() / tokens


def bench_batch(vocab, batch, length):
    """The batch src/bench/grpo-step.ts times: token ids (i*7919 + b*31 + 5) mod V, second half the completion."""
    start = length // 2
    return [
        {"ids": [(i * 7919 + b * 31 + 5) % vocab for i in range(length)], "completionStart": start,
         "advantage": 1.0 if b % 2 == 0 else -1.0, "behaviourLogprobs": [-12.0] * (length - start)}
        for b in range(batch)
    ]


def batch_tensors(seqs, device):
    B = len(seqs)
    T = max(len(s["ids"]) for s in seqs)
    ids = torch.zeros(B, T, dtype=torch.long)
    mask = torch.zeros(B, T)
    comp = torch.zeros(B, T - 1)
    adv = torch.zeros(B, T - 1)
    beh = torch.zeros(B, T - 1)
    for b, s in enumerate(seqs):
        n, c = len(s["ids"]), s["completionStart"]
        ids[b, :n] = torch.tensor(s["ids"])
        mask[b, :n] = 1
        for t in range(c, n):  # grid entry t-1 predicts token t
            comp[b, t - 1] = 1
            adv[b, t - 1] = s["advantage"] if isinstance(s["advantage"], (int, float)) else s["advantage"][t - c]
            beh[b, t - 1] = s["behaviourLogprobs"][t - c]
    return [x.to(device) for x in (ids, mask, comp, adv, beh)]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", required=True, help="folder with config.json and model.safetensors")
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--batch", type=int, default=4)
    ap.add_argument("--length", type=int, default=256)
    ap.add_argument("--rank", type=int, default=16)
    ap.add_argument("--alpha", type=float, default=None, help="default 2 * rank")
    ap.add_argument("--steps", type=int, default=5, help="timed steps after one warm-up step")
    ap.add_argument("--lr", type=float, default=1e-5)
    ap.add_argument("--tf32", action="store_true", help="let fp32 matmuls use TF32 (off by default: exact fp32, like the CPU)")
    ap.add_argument("--adapters", help="PEFT adapter folder to start from")
    ap.add_argument("--batch-file", help="the batch as JSON")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()

    if args.device.startswith("cuda") and not torch.cuda.is_available():
        print("torch_grpo_step: no CUDA device visible to PyTorch", file=sys.stderr)
        sys.exit(3)
    torch.backends.cuda.matmul.allow_tf32 = args.tf32
    torch.backends.cudnn.allow_tf32 = args.tf32
    cfg_path = os.path.join(args.model, "config.json")
    if not os.path.exists(cfg_path):
        raise SystemExit(f"torch_grpo_step: no config.json in {args.model}")
    cfg = json.load(open(cfg_path))
    weights = read_safetensors(os.path.join(args.model, "model.safetensors"))
    adapters = read_safetensors(os.path.join(args.adapters, "adapter_model.safetensors")) if args.adapters else None
    alpha = args.alpha if args.alpha is not None else 2 * args.rank
    model = Decoder(cfg, weights, args.rank, alpha, adapters, args.seed).to(args.device)
    del weights
    seqs = json.load(open(args.batch_file)) if args.batch_file else bench_batch(cfg["vocab_size"], args.batch, args.length)
    ids, mask, comp, adv, beh = batch_tensors(seqs, args.device)
    opt = torch.optim.AdamW(model.lora.parameters(), lr=args.lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0)
    sync = torch.cuda.synchronize if args.device.startswith("cuda") else (lambda: None)

    losses, norms, times = [], [], []
    for step in range(args.steps + 1):
        sync()
        t0 = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        loss = grpo_loss(model(ids, mask), ids, comp, adv, beh, 0.2, 0.28)
        loss.backward()
        norm = torch.nn.utils.clip_grad_norm_(model.lora.parameters(), 1.0)
        opt.step()
        sync()
        if step > 0:
            times.append((time.perf_counter() - t0) * 1000)
        losses.append(loss.item())
        norms.append(norm.item())
    tokens = ids.numel()
    ms = sorted(times)[len(times) // 2] if times else None
    result = {
        "impl": "pytorch-eager",
        "torch": torch.__version__,
        "device": torch.cuda.get_device_name(0) if args.device.startswith("cuda") else "cpu",
        "tf32": args.tf32,
        "batch": ids.shape[0],
        "length": ids.shape[1],
        "rank": args.rank,
        "trainableParams": sum(p.numel() for p in model.lora.parameters()),
        "steps": args.steps,
        "stepMsMedian": ms,
        "stepMsBest": min(times) if times else None,
        "tokensPerSec": tokens / (ms / 1000) if ms else None,
        "losses": losses,
        "gradNorms": norms,
        "peakGpuMiB": torch.cuda.max_memory_allocated() / 2**20 if args.device.startswith("cuda") else None,
    }
    if args.json:
        print(json.dumps(result))
    else:
        print(f"pytorch eager LoRA r={args.rank} GRPO step, {ids.shape[0]} x {ids.shape[1]} on {result['device']}: "
              f"{ms and round(ms, 1)} ms median of {args.steps}, {result['tokensPerSec'] and round(result['tokensPerSec'])} tok/s; "
              f"loss {losses[0]:.6f} -> {losses[-1]:.6f}")


if __name__ == "__main__":
    main()
