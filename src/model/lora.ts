/**
 * LoRA over the decoder's projections, as PEFT does it: y = x·Wᵀ + (alpha/r)·(x·Aᵀ)·Bᵀ with
 * A [r, in], B [out, r], B = 0 at the start. Parameter names are PEFT's
 * (base_model.model.<module>.lora_A.weight), so adapters saved by peft.ts load in PEFT. The
 * trainer (lm-trainer.ts) keeps the base frozen and trains only these.
 */
import type { Tensor } from "../engine/graph.ts";
import { add, mul } from "../engine/ops/index.ts";
import { linear } from "../engine/ops/linear.ts";
import type { ParamLayout, ParamSpec } from "../engine/params.ts";
import { type FloatDType, type ProjectFn, projectionModules, xorshift } from "./decoder.ts";
import { type DecoderConfig, ModelError } from "./hf-config.ts";

export const LORA_TARGETS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"] as const;
export type LoraTarget = (typeof LORA_TARGETS)[number];

export interface LoraConfig {
  readonly rank: number;
  readonly alpha: number;
  /** Default: all seven projections. */
  readonly targets?: readonly LoraTarget[];
}

const PEFT_PREFIX = "base_model.model.";

function loraModules(cfg: DecoderConfig, lora: LoraConfig) {
  const targets = new Set<string>(lora.targets ?? LORA_TARGETS);
  for (const t of targets) if (!(LORA_TARGETS as readonly string[]).includes(t)) throw new ModelError(`lora: unknown target module ${t}; accepted: ${LORA_TARGETS.join(", ")}`);
  return projectionModules(cfg).filter((m) => targets.has(m.module.slice(m.module.lastIndexOf(".") + 1)));
}

export const loraAName = (module: string) => `${PEFT_PREFIX}${module}.lora_A.weight`;
export const loraBName = (module: string) => `${PEFT_PREFIX}${module}.lora_B.weight`;

/** Adapter parameters, PEFT names: A [r, in] decayed, B [out, r] decayed. */
export function loraParamSpecs(cfg: DecoderConfig, lora: LoraConfig): ParamSpec[] {
  if (!(Number.isInteger(lora.rank) && lora.rank >= 1)) throw new ModelError(`lora: rank must be a positive integer, got ${lora.rank}`);
  if (!(lora.alpha > 0)) throw new ModelError(`lora: alpha must be > 0, got ${lora.alpha}`);
  const specs: ParamSpec[] = [];
  for (const m of loraModules(cfg, lora)) {
    specs.push({ name: loraAName(m.module), shape: [lora.rank, m.inFeatures] }, { name: loraBName(m.module), shape: [m.outFeatures, lora.rank] });
  }
  return specs;
}

/** PEFT's initialization: A ~ U(-1/sqrt(in), 1/sqrt(in)) (kaiming_uniform, a=sqrt(5)), B = 0. */
export function initLora(layout: ParamLayout, seed: number, dtype: FloatDType = "float32"): Float32Array | Float64Array {
  const u = xorshift(seed);
  const buf = dtype === "float64" ? new Float64Array(layout.total) : new Float32Array(layout.total);
  for (const s of layout.slots) {
    if (!s.spec.name.endsWith("lora_A.weight")) continue;
    const bound = 1 / Math.sqrt(s.spec.shape[1]);
    for (let i = 0; i < s.size; i++) buf[s.offset + i] = (2 * u() - 1) * bound;
  }
  return buf;
}

/** Wraps the base projection with the adapters found in `params`. */
export function loraProject(base: ProjectFn, params: Readonly<Record<string, Tensor>>, lora: LoraConfig): ProjectFn {
  const scale = lora.alpha / lora.rank;
  return (module, x) => {
    const y = base(module, x);
    const a = params[loraAName(module)];
    const b = params[loraBName(module)];
    if (!a || !b) return y;
    return add(y, mul(linear(linear(x, a), b), scale));
  };
}
