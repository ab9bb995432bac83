import { GraphBuildError, type Graph, type Tensor } from "./graph.ts";
import type { DType } from "./dtype.ts";
import { reshape } from "./ops/reshape.ts";
import { slice } from "./ops/slice.ts";

export interface ParamSpec {
  readonly name: string;
  readonly shape: readonly number[];
  /** Decoupled weight decay applies (default true; false for norms and biases). */
  readonly decay?: boolean;
  /** Initial values: N(0, std^2) by default, or a constant fill. */
  readonly init?: { readonly std: number } | { readonly fill: number };
}

export interface ParamSlot {
  readonly spec: ParamSpec;
  readonly offset: number;
  readonly size: number;
}

/**
 * Where each parameter lives in the flat buffer. Decayed parameters come first so weight decay
 * is applied to one prefix of the buffer instead of through a per-element mask.
 */
export class ParamLayout {
  readonly slots: readonly ParamSlot[];
  readonly total: number;
  readonly decayed: number;
  private readonly byName = new Map<string, ParamSlot>();

  constructor(specs: readonly ParamSpec[]) {
    const ordered = [...specs.filter((s) => s.decay !== false), ...specs.filter((s) => s.decay === false)];
    let offset = 0;
    let decayed = 0;
    const slots: ParamSlot[] = [];
    for (const spec of ordered) {
      if (this.byName.has(spec.name)) throw new GraphBuildError(`ParamLayout: duplicate parameter ${spec.name}`);
      const size = spec.shape.reduce((a, b) => a * b, 1);
      const slot = { spec, offset, size };
      slots.push(slot);
      this.byName.set(spec.name, slot);
      offset += size;
      if (spec.decay !== false) decayed = offset;
    }
    this.slots = slots;
    this.total = offset;
    this.decayed = decayed;
  }

  slot(name: string): ParamSlot {
    const s = this.byName.get(name);
    if (!s) throw new Error(`ParamLayout: no parameter named ${name}`);
    return s;
  }

  /** Views each parameter of the flat input `flat` as its own shaped tensor. */
  unpack(flat: Tensor): Record<string, Tensor> {
    const out: Record<string, Tensor> = {};
    for (const { spec, offset, size } of this.slots) {
      out[spec.name] = reshape(slice(flat, [offset], [offset + size], [0]), spec.shape);
    }
    return out;
  }

  /** A freshly initialized flat buffer; `normal` supplies standard normal draws. */
  initialize(normal: () => number, dtype: DType = "float32"): Float32Array | Float64Array {
    const buf = dtype === "float64" ? new Float64Array(this.total) : new Float32Array(this.total);
    for (const { spec, offset, size } of this.slots) {
      const init = spec.init ?? { std: 0.02 };
      for (let i = 0; i < size; i++) buf[offset + i] = "fill" in init ? init.fill : normal() * init.std;
    }
    return buf;
  }

  /** A copy of one parameter's values out of a flat buffer. */
  read(flat: Float32Array | Float64Array, name: string): Float32Array | Float64Array {
    const { offset, size } = this.slot(name);
    return flat.slice(offset, offset + size);
  }
}

/** Declares the flat parameter input of `g` and unpacks it. */
export function paramInputs(g: Graph, layout: ParamLayout, dtype: DType, name = "params"): { flat: Tensor; params: Record<string, Tensor> } {
  const flat = g.input(name, dtype, [layout.total]);
  return { flat, params: layout.unpack(flat) };
}

/** Box-Muller normals from a uniform source (callers pass a seeded generator). */
export function normalFrom(uniform: () => number): () => number {
  let spare: number | undefined;
  return () => {
    if (spare !== undefined) {
      const s = spare;
      spare = undefined;
      return s;
    }
    const u = Math.max(uniform(), 1e-300);
    const v = uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  };
}

/** A small seeded uniform [0,1) source (xorshift32) for initializing demo and bench models. */
export function xorshiftUniform(seed: number): () => number {
  let s = seed >>> 0 || 0x9e3779b9;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4294967296;
  };
}
