/**
 * LoRA adapters on disk in PEFT's layout: adapter_model.safetensors (F32 tensors under the PEFT
 * names of lora.ts) and adapter_config.json, so adapters trained here load in PEFT and back.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { ParamLayout } from "../engine/params.ts";
import type { FloatDType } from "./decoder.ts";
import { ModelError } from "./hf-config.ts";
import { LORA_TARGETS, type LoraConfig, type LoraTarget } from "./lora.ts";
import { openCheckpoint, writeSafetensors } from "./safetensors.ts";

type Flat = Float32Array | Float64Array;

/** Writes the adapters held in `params` (laid out by `layout`) to `dir`. */
export function writePeftAdapters(dir: string, layout: ParamLayout, params: Flat, lora: LoraConfig, baseModel = ""): void {
  mkdirSync(dir, { recursive: true });
  const tensors = layout.slots.map((s): [string, { dtype: "F32"; shape: number[]; data: Float32Array }] => [
    s.spec.name,
    { dtype: "F32", shape: [...s.spec.shape], data: Float32Array.from(params.subarray(s.offset, s.offset + s.size)) },
  ]);
  writeSafetensors(join(dir, "adapter_model.safetensors"), tensors);
  const config = {
    peft_type: "LORA",
    task_type: "CAUSAL_LM",
    base_model_name_or_path: baseModel,
    r: lora.rank,
    lora_alpha: lora.alpha,
    lora_dropout: 0,
    bias: "none",
    fan_in_fan_out: false,
    inference_mode: true,
    target_modules: [...(lora.targets ?? LORA_TARGETS)],
  };
  writeFileSync(join(dir, "adapter_config.json"), `${JSON.stringify(config, null, 2)}\n`);
}

/** Reads adapters (written by `writePeftAdapters` or PEFT) with the same rank, alpha and targets into a new flat buffer. */
export function readPeftAdapters(dir: string, layout: ParamLayout, lora: LoraConfig, dtype: FloatDType): Flat {
  const cfgPath = join(dir, "adapter_config.json");
  if (!existsSync(cfgPath)) throw new ModelError(`${cfgPath}: not found`);
  const ac = readAdapterConfig(cfgPath);
  const want = new Set(lora.targets ?? LORA_TARGETS);
  if (ac.r !== lora.rank || ac.alpha !== lora.alpha || ac.targets.length !== want.size || ac.targets.some((t) => !want.has(t))) {
    throw new ModelError(`${cfgPath}: r=${ac.r}, lora_alpha=${ac.alpha}, targets ${ac.targets.join(",")} differ from the trainer's r=${lora.rank}, alpha=${lora.alpha}, targets ${[...want].join(",")}`);
  }
  const expected = new Map(layout.slots.map((s) => [s.spec.name, [...s.spec.shape]]));
  const ck = openCheckpoint(join(dir, "adapter_model.safetensors"), { expected });
  const next = dtype === "float64" ? new Float64Array(layout.total) : new Float32Array(layout.total);
  for (const s of layout.slots) next.set(ck.readF32(s.spec.name), s.offset);
  return next;
}

export function readAdapterConfig(path: string): { r: number; alpha: number; targets: LoraTarget[] } {
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>;
  } catch (e) {
    throw new ModelError(`${path}: not valid JSON (${(e as Error).message})`);
  }
  if (raw.peft_type !== undefined && raw.peft_type !== "LORA") throw new ModelError(`${path}: peft_type ${JSON.stringify(raw.peft_type)}; accepted: "LORA"`);
  const r = raw.r;
  const alpha = raw.lora_alpha;
  const tm = raw.target_modules;
  if (typeof r !== "number" || typeof alpha !== "number" || !Array.isArray(tm)) throw new ModelError(`${path}: needs numeric r and lora_alpha and a target_modules list`);
  for (const t of tm) if (!(LORA_TARGETS as readonly unknown[]).includes(t)) throw new ModelError(`${path}: target module ${JSON.stringify(t)}; accepted: ${LORA_TARGETS.join(", ")}`);
  return { r, alpha, targets: tm as LoraTarget[] };
}
