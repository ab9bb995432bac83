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
  /** Which flat buffer (group) holds the parameter. */
  readonly group: number;
  /** Where it starts in its group's buffer. */
  readonly offset: number;
  readonly size: number;
}

/** One flat buffer of the layout: its length and its decayed prefix. */
export interface ParamGroup {
  readonly total: number;
  /** Elements [0, decayed) of this group get weight decay. */
  readonly decayed: number;
}

/**
 * The most elements one flat buffer holds by default: 2^28 floats (1 GiB in fp32), well under
 * the 4 GiB a typed array may take, so a model of any size is split into several buffers.
 */
export const DEFAULT_MAX_GROUP = 2 ** 28;

type Flat = Float32Array | Float64Array;

/**
 * Where each parameter lives in the flat buffers. Decayed parameters come first so weight decay
 * is applied to one prefix of each buffer instead of through a per-element mask. Parameters are
 * packed in order into groups of at most `maxGroup` elements (a tensor larger than that gets a
 * group of its own); a model under `maxGroup` has one group, laid out exactly as one flat buffer.
 */
export class ParamLayout {
  readonly slots: readonly ParamSlot[];
  /** Elements in all groups together. */
  readonly total: number;
  /** Decayed elements in all groups together (they come first). */
  readonly decayed: number;
  readonly groups: readonly ParamGroup[];
  private readonly byName = new Map<string, ParamSlot>();

  constructor(specs: readonly ParamSpec[], readonly maxGroup: number = DEFAULT_MAX_GROUP) {
    if (!(Number.isInteger(maxGroup) && maxGroup >= 1)) throw new GraphBuildError(`ParamLayout: maxGroup ${maxGroup} must be a positive integer`);
    const ordered = [...specs.filter((s) => s.decay !== false), ...specs.filter((s) => s.decay === false)];
    let offset = 0;
    let total = 0;
    let decayed = 0;
    const slots: ParamSlot[] = [];
    const groups: { total: number; decayed: number }[] = [];
    for (const spec of ordered) {
      if (this.byName.has(spec.name)) throw new GraphBuildError(`ParamLayout: duplicate parameter ${spec.name}`);
      const size = spec.shape.reduce((a, b) => a * b, 1);
      if (groups.length === 0 || (offset > 0 && offset + size > maxGroup)) {
        groups.push({ total: 0, decayed: 0 });
        offset = 0;
      }
      const group = groups.length - 1;
      const slot = { spec, group, offset, size };
      slots.push(slot);
      this.byName.set(spec.name, slot);
      offset += size;
      total += size;
      groups[group]!.total = offset;
      if (spec.decay !== false) {
        decayed = total;
        groups[group]!.decayed = offset;
      }
    }
    if (groups.length === 0) groups.push({ total: 0, decayed: 0 });
    this.slots = slots;
    this.total = total;
    this.decayed = decayed;
    this.groups = groups;
  }

  /** Fresh zeroed buffers, one per group. */
  zeros(dtype: DType = "float32"): Flat[] {
    return this.groups.map((g) => (dtype === "float64" ? new Float64Array(g.total) : new Float32Array(g.total)));
  }

  /** One parameter's values as a view into its group's buffer. */
  view(buffers: readonly Flat[], name: string): Flat {
    const { group, offset, size } = this.slot(name);
    return buffers[group]!.subarray(offset, offset + size);
  }

  slot(name: string): ParamSlot {
    const s = this.byName.get(name);
    if (!s) throw new Error(`ParamLayout: no parameter named ${name}`);
    return s;
  }

  /** Views each parameter of the flat inputs (one per group) as its own shaped tensor. */
  unpack(flat: Tensor | readonly Tensor[]): Record<string, Tensor> {
    const flats = Array.isArray(flat) ? flat : [flat as Tensor];
    const out: Record<string, Tensor> = {};
    for (const { spec, group, offset, size } of this.slots) {
      out[spec.name] = reshape(slice(flats[group]!, [offset], [offset + size], [0]), spec.shape);
    }
    return out;
  }

  /** A freshly initialized flat buffer (single-group layouts); `normal` supplies standard normal draws. */
  initialize(normal: () => number, dtype: DType = "float32"): Float32Array | Float64Array {
    if (this.groups.length !== 1) throw new GraphBuildError(`ParamLayout: initialize makes one flat buffer, but the layout has ${this.groups.length} groups`);
    const buf = dtype === "float64" ? new Float64Array(this.total) : new Float32Array(this.total);
    for (const { spec, offset, size } of this.slots) {
      const init = spec.init ?? { std: 0.02 };
      for (let i = 0; i < size; i++) buf[offset + i] = "fill" in init ? init.fill : normal() * init.std;
    }
    return buf;
  }

  /** A copy of one parameter's values out of a flat buffer (one group) or the group buffers. */
  read(flat: Flat | readonly Flat[], name: string): Flat {
    return this.view(Array.isArray(flat) ? flat : [flat as Flat], name).slice();
  }
}

/** The feed name of group `i`'s buffer: `base` itself when there is one group (graphs as before). */
export function groupName(base: string, i: number, groups: number): string {
  return groups === 1 ? base : `${base}_${i}`;
}

/** Declares the flat parameter inputs of `g` (one per group) and unpacks them. */
export function paramInputs(g: Graph, layout: ParamLayout, dtype: DType, name = "params"): { flat: Tensor; flats: Tensor[]; params: Record<string, Tensor> } {
  const n = layout.groups.length;
  const flats = layout.groups.map((grp, i) => g.input(groupName(name, i, n), dtype, [grp.total]));
  return { flat: flats[0]!, flats, params: layout.unpack(flats) };
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
