/**
 * Batched KV-cache generation: one prefill run over the left-padded prompts, then one decode run
 * per new token for the whole batch. Sessions are cached per shape bucket (batch, prompt length);
 * the decode graph's past length is symbolic, so one decode session serves every step.
 *
 * The cache lives on the host as one [B, Hkv, C, dh] buffer per layer and K/V: each run returns
 * only the new tokens' K/V, which are copied into their slots; the whole buffer goes back in as
 * the next run's input (ORT reads CPU inputs in place). Empty slots are masked.
 */
import { Graph } from "../engine/graph.ts";
import { reshape, slice } from "../engine/ops/index.ts";
import { type HostTensor, SessionCache, type SessionOptions, hostTensor } from "../engine/session.ts";
import { rng, type RngKey } from "../runtime/rng.ts";
import { type WeightBinding, decoderForward, lmHead } from "./decoder.ts";
import { type DecoderConfig, ModelError } from "./hf-config.ts";
import { LM_IO, bucket, lmInputs } from "./logprobs.ts";
import { type SamplingParams, SamplerScratch, policyScore, sampleToken, validateSampling } from "./sampler.ts";
import { BracedEndScanner, firstBracedEnd } from "../tasks/pretrainzero/braced.ts";
import { IncrementalDecoder } from "./incremental-decode.ts";

export interface GenerateRequest extends SamplingParams {
  readonly prompt: readonly number[];
  readonly maxNewTokens: number;
  /** Generation ends after any of these tokens (kept in `tokens`, not in `text`). */
  readonly stopTokenIds?: readonly number[];
  /** Generation ends once the decoded text contains one of these; `text` is cut before it. */
  readonly stopStrings?: readonly string[];
  /**
   * Generation ends right after the brace closing the completion's first `\<command>{...}`
   * (braces balanced, `\{` and `\}` not counted; e.g. "boxed"): a reasoning completion ends with
   * its answer, never at a newline. `text` ends with that brace; `tokens` keep the last token whole.
   */
  readonly stopAfterBraced?: string;
  /** Counter-based RNG key: equal keys give equal samples (deterministic sessions). */
  readonly rng?: RngKey;
  /**
   * Constrained decoding: a token is drawn only when the completion text with it appended is
   * accepted (stop tokens always are). The recorded log-prob stays the policy's over the whole
   * vocabulary, as with top-k (see sampler.ts policyScore).
   */
  readonly accept?: (text: string) => boolean;
}

export interface GenerateResult {
  readonly tokens: Int32Array;
  readonly text: string;
  /** Behaviour log-prob of each sampled token (see sampler.ts). */
  readonly logprobs: Float32Array;
  /** Entropy (nats) of the distribution each token was drawn from (see sampler.ts). */
  readonly entropies: Float32Array;
  /** "length": maxNewTokens reached without a stop token or stop string (the completion is truncated). */
  readonly finishReason: "stop" | "length";
}

export interface GenerateStats {
  readonly prefillMs: number;
  readonly decodeMs: number;
  readonly decodeSteps: number;
  /** Sampled tokens over all requests. */
  readonly tokens: number;
  /** Bytes the decode runs fed and fetched, all steps together (the KV cache goes in whole each step). */
  readonly decodeTransferBytes: number;
}

export const GEN_IO = {
  logits: "logits",
  pastMask: "past_mask",
  pastKey: (l: number) => `past_key_${l}`,
  pastValue: (l: number) => `past_value_${l}`,
  presentKey: (l: number) => `present_key_${l}`,
  presentValue: (l: number) => `present_value_${l}`,
} as const;

/** Prefill: logits at the last slot [B, V] and every layer's K/V [B, Hkv, T, dh]. */
export function buildPrefillGraph(cfg: DecoderConfig, weights: WeightBinding, batch: number, length: number): Graph {
  const g = new Graph(`prefill_b${batch}_t${length}`);
  const x = lmInputs(g, batch, length);
  const bound = weights.bind(g);
  const { hidden, present } = decoderForward(cfg, bound.w, x, { project: bound.project });
  const last = reshape(slice(hidden, [length - 1], [length], [1]), [batch, cfg.hiddenSize]);
  g.output(lmHead(cfg, bound.w, last), GEN_IO.logits);
  present.forEach((kv, l) => {
    g.output(kv.k, GEN_IO.presentKey(l));
    g.output(kv.v, GEN_IO.presentValue(l));
  });
  return g;
}

/** Decode: one new token per row against a cache of symbolic length "past". */
export function buildDecodeGraph(cfg: DecoderConfig, weights: WeightBinding, batch: number): Graph {
  const g = new Graph(`decode_b${batch}`);
  const x = lmInputs(g, batch, 1);
  const bound = weights.bind(g);
  const dt = weights.dtype;
  const kvShape = [batch, cfg.numKvHeads, "past", cfg.headDim];
  const pastMask = g.input(GEN_IO.pastMask, "int64", [batch, "past"]);
  const layers = Array.from({ length: cfg.numLayers }, (_, l) => ({
    k: g.input(GEN_IO.pastKey(l), dt, kvShape),
    v: g.input(GEN_IO.pastValue(l), dt, kvShape),
  }));
  const { hidden, present } = decoderForward(cfg, bound.w, { ...x, past: { mask: pastMask, layers } }, { project: bound.project });
  g.output(lmHead(cfg, bound.w, reshape(hidden, [batch, cfg.hiddenSize])), GEN_IO.logits);
  present.forEach((kv, l) => {
    g.output(kv.k, GEN_IO.presentKey(l));
    g.output(kv.v, GEN_IO.presentValue(l));
  });
  return g;
}

type FloatArray = Float32Array | Float64Array;

/** Host-side KV cache of fixed capacity; slot s of row b holds that row's s-th cached token. */
class KvCache {
  readonly keys: FloatArray[];
  readonly values: FloatArray[];
  readonly mask: BigInt64Array;
  private readonly rowStride: number;

  constructor(
    readonly cfg: DecoderConfig,
    readonly batch: number,
    readonly capacity: number,
    dtype: "float32" | "float64",
  ) {
    const n = batch * cfg.numKvHeads * capacity * cfg.headDim;
    const make = () => (dtype === "float32" ? new Float32Array(n) : new Float64Array(n));
    this.keys = Array.from({ length: cfg.numLayers }, make);
    this.values = Array.from({ length: cfg.numLayers }, make);
    this.mask = new BigInt64Array(batch * capacity);
    this.rowStride = capacity * cfg.headDim;
  }

  /** Copies present K/V [B, Hkv, T, dh] into slots [start, start + T). */
  write(out: Record<string, HostTensor>, start: number, t: number): void {
    const dh = this.cfg.headDim;
    const heads = this.batch * this.cfg.numKvHeads;
    for (let l = 0; l < this.cfg.numLayers; l++) {
      for (const [src, dst] of [
        [out[GEN_IO.presentKey(l)].data as FloatArray, this.keys[l]],
        [out[GEN_IO.presentValue(l)].data as FloatArray, this.values[l]],
      ] as const) {
        for (let r = 0; r < heads; r++) dst.set(src.subarray(r * t * dh, (r + 1) * t * dh), r * this.rowStride + start * dh);
      }
    }
  }

  feeds(dtype: "float32" | "float64"): Record<string, HostTensor> {
    const dims = [this.batch, this.cfg.numKvHeads, this.capacity, this.cfg.headDim];
    const f: Record<string, HostTensor> = { [GEN_IO.pastMask]: hostTensor("int64", [this.batch, this.capacity], this.mask) };
    for (let l = 0; l < this.cfg.numLayers; l++) {
      f[GEN_IO.pastKey(l)] = hostTensor(dtype, dims, this.keys[l]);
      f[GEN_IO.pastValue(l)] = hostTensor(dtype, dims, this.values[l]);
    }
    return f;
  }
}

export interface GeneratorOptions {
  readonly session?: SessionOptions;
  /** Token id used for padding (any valid id; padded positions are masked). */
  readonly padId?: number;
  /** Smallest prompt-length bucket. */
  readonly minPromptBucket?: number;
}

/** Batched KV-cache generation over one set of weights. */
export class Generator {
  /** Each id's text alone; null where the tokenizer has no such id (a vocabulary padded past it). */
  private tokenTexts?: (string | null)[];
  private truncated?: Float32Array;

  /** Draws from the row restricted to tokens r.accept allows; the log-prob and entropy are the whole row's. */
  private constrainedPick(row: FloatArray, r: GenerateRequest, sofar: readonly number[], uniform: () => number, scratch: SamplerScratch) {
    const V = row.length;
    this.tokenTexts ??= Array.from({ length: V }, (_, t) => {
      try {
        // No text (an id past a padded tokenizer's end decodes to ""): it can never spell anything.
        return this.decode!([t]) || null;
      } catch {
        return null;
      }
    });
    if (this.truncated?.length !== V) this.truncated = new Float32Array(V);
    const text = this.decode!(sofar);
    let allowed = 0;
    for (let t = 0; t < V; t++) {
      const piece = this.tokenTexts[t];
      // A piece that is part of a character (byte-level BPE) is never allowed: its text cannot be
      // checked alone. So a span cannot copy such a character (README, "A regime that keeps learning").
      const ok = r.stopTokenIds?.includes(t) || (piece !== null && !piece.includes("\uFFFD") && r.accept!(text + piece));
      this.truncated[t] = ok ? row[t]! : -Infinity;
      if (ok) allowed++;
    }
    // Stop tokens are always allowed, so a span with no allowed continuation ends the completion;
    // only a request without stop tokens can find nothing allowed, and then decodes freely.
    const token = sampleToken(allowed > 0 ? this.truncated : row, r, uniform, scratch).token;
    return { token, ...policyScore(row, token, r.temperature) };
  }

  private readonly cache: SessionCache;
  lastStats: GenerateStats | undefined;

  constructor(
    readonly cfg: DecoderConfig,
    readonly weights: WeightBinding,
    /** Token ids to text, for stop strings and `text`; absent: text is empty. */
    readonly decode?: (ids: readonly number[]) => string,
    readonly opts: GeneratorOptions = {},
  ) {
    this.cache = new SessionCache(opts.session ?? {});
  }

  async generate(requests: readonly GenerateRequest[]): Promise<GenerateResult[]> {
    if (requests.length === 0) return [];
    for (const r of requests) {
      validateSampling(r);
      if (r.prompt.length === 0) throw new ModelError("generate: empty prompt");
      if (!(Number.isInteger(r.maxNewTokens) && r.maxNewTokens >= 1)) throw new ModelError(`generate: maxNewTokens must be >= 1, got ${r.maxNewTokens}`);
      for (const id of r.prompt) if (!(Number.isInteger(id) && id >= 0 && id < this.cfg.vocabSize)) throw new ModelError(`generate: token id ${id} is outside the vocabulary (${this.cfg.vocabSize})`);
    }
    await this.cache.rebind(this.weights.key);
    const cfg = this.cfg;
    const dt = this.weights.dtype;
    const n = requests.length;
    const B = bucket(n);
    const Tp = bucket(Math.max(...requests.map((r) => r.prompt.length)), this.opts.minPromptBucket ?? 16);
    const maxNew = Math.max(...requests.map((r) => r.maxNewTokens));
    const cap = Tp + maxNew - 1;
    const padId = BigInt(this.opts.padId ?? 0);
    const wfeeds = this.weights.feeds();

    // Prefill over left-padded prompts: every row's last prompt token sits in slot Tp-1.
    const ids = new BigInt64Array(B * Tp).fill(padId);
    const pos = new BigInt64Array(B * Tp);
    const mask = new BigInt64Array(B * Tp);
    const nextPos = new Int32Array(B);
    requests.forEach((r, b) => {
      const off = Tp - r.prompt.length;
      r.prompt.forEach((id, t) => {
        ids[b * Tp + off + t] = BigInt(id);
        pos[b * Tp + off + t] = BigInt(t);
        mask[b * Tp + off + t] = 1n;
      });
      nextPos[b] = r.prompt.length;
    });
    const t0 = performance.now();
    const prefill = await this.cache.get(`${this.weights.key}:prefill:b${B}:t${Tp}`, () => buildPrefillGraph(cfg, this.weights, B, Tp));
    let out = await prefill.run({
      ...wfeeds,
      [LM_IO.ids]: hostTensor("int64", [B, Tp], ids),
      [LM_IO.positions]: hostTensor("int64", [B, Tp], pos),
      [LM_IO.mask]: hostTensor("int64", [B, Tp], mask),
    });
    const kv = new KvCache(cfg, B, cap, dt);
    kv.write(out, 0, Tp);
    for (let b = 0; b < B; b++) for (let t = 0; t < Tp; t++) kv.mask[b * cap + t] = mask[b * Tp + t];
    const t1 = performance.now();

    const streams = requests.map((r) => (r.rng ? rng(r.rng) : undefined));
    const tokens: number[][] = requests.map(() => []);
    const logps: number[][] = requests.map(() => []);
    const ents: number[][] = requests.map(() => []);
    const done = requests.map(() => false);
    const finish: ("stop" | "length")[] = requests.map(() => "length");
    const stopTexts: (string | undefined)[] = requests.map(() => undefined);
    // The braced-answer rule reads only each new token's text (no re-decoding of the whole completion).
    const braced = requests.map((r) => (r.stopAfterBraced && this.decode ? { scan: new BracedEndScanner(r.stopAfterBraced), text: new IncrementalDecoder(this.decode) } : undefined));
    const scratch = new SamplerScratch(cfg.vocabSize);
    const V = cfg.vocabSize;
    let steps = 0;
    let sampled = 0;
    let decodeTransferBytes = 0;
    const decodeSession = maxNew > 1 ? await this.cache.get(`${this.weights.key}:decode:b${B}`, () => buildDecodeGraph(cfg, this.weights, B)) : undefined;
    const stepIds = new BigInt64Array(B).fill(padId);
    const stepPos = new BigInt64Array(B);
    const stepMask = new BigInt64Array(B).fill(1n);
    for (let step = 0; ; step++) {
      const logits = out[GEN_IO.logits].data as FloatArray;
      for (let b = 0; b < n; b++) {
        if (done[b]) continue;
        const r = requests[b];
        const s = streams[b];
        if (r.temperature > 0 && !s) throw new ModelError("generate: sampling with temperature > 0 needs an rng key");
        const row = logits.subarray(b * V, (b + 1) * V);
        const pick = r.accept && this.decode ? this.constrainedPick(row, r, tokens[b], () => s!.float(), scratch) : sampleToken(row, r, () => s!.float(), scratch);
        tokens[b].push(pick.token);
        logps[b].push(pick.logprob);
        ents[b].push(pick.entropy);
        sampled++;
        if (r.stopTokenIds?.includes(pick.token)) {
          done[b] = true;
          finish[b] = "stop";
        } else if (r.stopStrings?.length && this.decode) {
          const text = this.decode(tokens[b]);
          let cut = -1;
          for (const stop of r.stopStrings) {
            const at = stop.length ? text.indexOf(stop) : -1;
            if (at >= 0 && (cut < 0 || at < cut)) cut = at;
          }
          if (cut >= 0) {
            done[b] = true;
            finish[b] = "stop";
            stopTexts[b] = text.slice(0, cut);
          }
        }
        const br = braced[b];
        if (!done[b] && br && br.scan.push(br.text.push(pick.token)) >= 0) {
          done[b] = true;
          finish[b] = "stop";
          // Cut the whole completion's text (not the pieces) after the brace; the pieces agree with it by construction.
          const text = this.decode!(tokens[b]);
          const end = firstBracedEnd(text, r.stopAfterBraced!);
          stopTexts[b] = end >= 0 ? text.slice(0, end) : text;
        }
        if (!done[b] && tokens[b].length >= r.maxNewTokens) done[b] = true;
      }
      if (done.every(Boolean) || !decodeSession) break;
      // Each row's last token goes into the next slot; finished and padding rows run too (static batch) and are ignored.
      const slot = Tp + step;
      for (let b = 0; b < B; b++) {
        const last = b < n ? tokens[b][tokens[b].length - 1] : Number(padId);
        stepIds[b] = BigInt(last);
        stepPos[b] = BigInt(b < n ? nextPos[b]++ : 0);
      }
      out = await decodeSession.run({
        ...wfeeds,
        ...kv.feeds(dt),
        [LM_IO.ids]: hostTensor("int64", [B, 1], stepIds),
        [LM_IO.positions]: hostTensor("int64", [B, 1], stepPos),
        [LM_IO.mask]: hostTensor("int64", [B, 1], stepMask),
      });
      decodeTransferBytes += decodeSession.lastTransfer.fedBytes + decodeSession.lastTransfer.fetchedBytes;
      kv.write(out, slot, 1);
      for (let b = 0; b < B; b++) kv.mask[b * cap + slot] = 1n;
      steps++;
    }
    const t2 = performance.now();
    this.lastStats = { prefillMs: t1 - t0, decodeMs: t2 - t1, decodeSteps: steps, tokens: sampled, decodeTransferBytes };
    return requests.map((r, b) => {
      const toks = tokens[b];
      const endsWithStopId = finish[b] === "stop" && stopTexts[b] === undefined;
      const text = stopTexts[b] ?? (this.decode ? this.decode(endsWithStopId ? toks.slice(0, -1) : toks) : "");
      return { tokens: Int32Array.from(toks), text, logprobs: Float32Array.from(logps[b]), entropies: Float32Array.from(ents[b]), finishReason: finish[b] };
    });
  }

  get sessionCount(): number {
    return this.cache.size;
  }

  async release(): Promise<void> {
    await this.cache.releaseAll();
  }
}
