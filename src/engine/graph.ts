import { type DType, ONNX_DTYPE, encodeRaw } from "./dtype.ts";
import { modelProtoType } from "./onnx-schema.ts";

export type { DType } from "./dtype.ts";

/** A dimension: a known size, or a symbol bound when the graph runs (e.g. "batch"). */
export type Dim = number | string;
export type Shape = readonly Dim[];

export type AttrValue =
  | { readonly kind: "int"; readonly value: number }
  | { readonly kind: "float"; readonly value: number }
  | { readonly kind: "ints"; readonly value: readonly number[] }
  | { readonly kind: "floats"; readonly value: readonly number[] }
  | { readonly kind: "string"; readonly value: string }
  | { readonly kind: "tensor"; readonly dtype: DType; readonly dims: readonly number[]; readonly values: readonly number[] };

export const attr = {
  int: (value: number): AttrValue => ({ kind: "int", value }),
  float: (value: number): AttrValue => ({ kind: "float", value }),
  ints: (value: readonly number[]): AttrValue => ({ kind: "ints", value }),
  floats: (value: readonly number[]): AttrValue => ({ kind: "floats", value }),
  string: (value: string): AttrValue => ({ kind: "string", value }),
  tensor: (dtype: DType, dims: readonly number[], values: readonly number[]): AttrValue => ({ kind: "tensor", dtype, dims, values }),
};

/**
 * Gradient of one node: given the gradients of its outputs (same shapes as the outputs),
 * return one gradient per input, or undefined where the input is not differentiable.
 */
export type GradRule = (node: Node, gradOutputs: readonly Tensor[]) => readonly (Tensor | undefined)[];

export interface OpDef {
  readonly type: string;
  readonly domain?: string;
  /** Absent: the op has no gradient (integer ops, comparisons, shape ops). */
  readonly grad?: GradRule;
}

export type TensorKind = "input" | "initializer" | "node";

export class Tensor {
  constructor(
    readonly graph: Graph,
    public name: string,
    readonly dtype: DType,
    readonly shape: Shape,
    readonly kind: TensorKind,
    readonly producer?: Node,
  ) {}

  get rank(): number {
    return this.shape.length;
  }

  /** Build-time host values of an initializer (used to fold shapes); undefined otherwise. */
  get constValues(): readonly number[] | undefined {
    return this.graph.constValuesOf(this);
  }

  toString(): string {
    return `${this.name}:${this.dtype}${formatShape(this.shape)}`;
  }
}

export class Node {
  constructor(
    readonly op: OpDef,
    readonly name: string,
    readonly inputs: readonly Tensor[],
    readonly outputs: readonly Tensor[],
    readonly attrs: Readonly<Record<string, AttrValue>>,
  ) {}

  intAttr(name: string, fallback?: number): number {
    const a = this.attrs[name];
    if (a?.kind === "int") return a.value;
    if (fallback !== undefined) return fallback;
    throw new Error(`${this.op.type} node ${this.name}: missing int attribute ${name}`);
  }

  intsAttr(name: string): readonly number[] | undefined {
    const a = this.attrs[name];
    return a?.kind === "ints" ? a.value : undefined;
  }
}

export interface OutputSpec {
  readonly dtype: DType;
  readonly shape: Shape;
}

interface Initializer {
  readonly tensor: Tensor;
  readonly raw: Uint8Array;
  /** Kept only for small constants, so ops can fold them at build time. */
  readonly values?: readonly number[];
  /** Made by `weight()`: may go to external data (constants stay inside, where shape inference reads them). */
  readonly weight?: boolean;
}

export function formatShape(shape: Shape): string {
  return `[${shape.join(",")}]`;
}

/** Error raised while building a graph: names the op and the offending shapes. */
export class GraphBuildError extends Error {
  override readonly name = "GraphBuildError";
}

export function shapeError(op: string, message: string, ...tensors: readonly Tensor[]): GraphBuildError {
  const shapes = tensors.map((t) => `${formatShape(t.shape)} ${t.dtype}`).join(" and ");
  return new GraphBuildError(`${op}: ${message}${tensors.length ? ` (got ${shapes})` : ""}`);
}

export interface ModelOptions {
  /** ONNX default-domain opset; 17 is supported by every ORT >= 1.13. */
  readonly opset?: number;
  readonly producer?: string;
}

export interface ExternalDataOptions extends ModelOptions {
  /** Weights (`Graph.weight`) of at least this many bytes go to external data (default EXTERNAL_MIN_BYTES). */
  readonly externalMinBytes?: number;
}

/** One ONNX external-data "file", held in memory: ORT finds it by `path` (the tensor's location). */
export interface ExternalFile {
  readonly path: string;
  readonly data: Uint8Array;
}

/** A ModelProto whose large initializers live beside it as external data (`toModelParts`). */
export interface ModelParts {
  readonly model: Uint8Array;
  readonly externalData: readonly ExternalFile[];
}

/**
 * Weights from 1 MiB up leave the ModelProto: weights are never copied into protobuf (they are
 * passed to ORT by reference), and a model of any size stays under protobuf's 2 GiB.
 */
export const EXTERNAL_MIN_BYTES = 1 << 20;
/** protobuf's limit on one message, which a ModelProto with embedded initializers must fit. */
export const PROTOBUF_LIMIT = 2 ** 31 - 1;

export const DEFAULT_OPSET = 17;
const IR_VERSION = 8;
const SMALL_CONST = 4096;

/** A growing ONNX graph. Nodes are appended in creation order, which is a topological order. */
export class Graph {
  readonly nodes: Node[] = [];
  readonly inputs: Tensor[] = [];
  readonly outputs: Tensor[] = [];
  private readonly initializers = new Map<Tensor, Initializer>();
  private readonly usedNames = new Set<string>();
  private readonly scalarCache = new Map<string, Tensor>();
  private counter = 0;

  constructor(readonly name = "graph") {}

  private uniqueName(base: string): string {
    let name = base;
    while (this.usedNames.has(name)) name = `${base}_${++this.counter}`;
    this.usedNames.add(name);
    return name;
  }

  input(name: string, dtype: DType, shape: Shape): Tensor {
    if (this.usedNames.has(name)) throw new GraphBuildError(`input: name ${name} is already used in graph ${this.name}`);
    for (const d of shape) {
      if (typeof d === "number" && (!Number.isInteger(d) || d < 0)) {
        throw new GraphBuildError(`input ${name}: dimension ${d} is not a non-negative integer`);
      }
    }
    const t = new Tensor(this, this.uniqueName(name), dtype, [...shape], "input");
    this.inputs.push(t);
    return t;
  }

  /** An initializer holding `values` (row-major) with a fully known shape. */
  constant(values: ArrayLike<number> | ArrayLike<bigint>, dtype: DType, shape: readonly number[], name = "const"): Tensor {
    const size = shape.reduce((a, b) => a * b, 1);
    if (size !== values.length) {
      throw new GraphBuildError(`constant ${name}: ${values.length} values do not fill shape ${formatShape(shape)}`);
    }
    const t = new Tensor(this, this.uniqueName(name), dtype, [...shape], "initializer");
    const small = values.length <= SMALL_CONST;
    this.initializers.set(t, {
      tensor: t,
      raw: encodeRaw(values, dtype),
      values: small ? Array.from(values as ArrayLike<number>, Number) : undefined,
    });
    return t;
  }

  /**
   * A large initializer (a frozen weight) that keeps `values` by reference: the graph never copies
   * it, and `toModelParts` hands its bytes to ORT as external data. `values` must not change while
   * a session is being created from this graph (ORT copies it then).
   */
  weight(values: Float32Array | Float64Array, dtype: "float32" | "float64", shape: readonly number[], name = "weight"): Tensor {
    const size = shape.reduce((a, b) => a * b, 1);
    if (size !== values.length) {
      throw new GraphBuildError(`weight ${name}: ${values.length} values do not fill shape ${formatShape(shape)}`);
    }
    const typed = dtype === "float32" ? (values instanceof Float32Array ? values : Float32Array.from(values)) : values instanceof Float64Array ? values : Float64Array.from(values);
    const t = new Tensor(this, this.uniqueName(name), dtype, [...shape], "initializer");
    this.initializers.set(t, { tensor: t, raw: new Uint8Array(typed.buffer, typed.byteOffset, typed.byteLength), weight: true });
    return t;
  }

  /** A rank-0 constant, shared between uses. */
  scalar(value: number, dtype: DType): Tensor {
    const key = `${dtype}:${Object.is(value, -0) ? "-0" : value}`;
    let t = this.scalarCache.get(key);
    if (!t) {
      t = this.constant([value], dtype, [], "scalar");
      this.scalarCache.set(key, t);
    }
    return t;
  }

  /** A 1-D int64 constant, typically a shape or axes operand. */
  int64s(values: readonly number[]): Tensor {
    return this.constant(values, "int64", [values.length], "ints");
  }

  constValuesOf(t: Tensor): readonly number[] | undefined {
    return this.initializers.get(t)?.values;
  }

  addNode(
    op: OpDef,
    inputs: readonly Tensor[],
    outputs: readonly OutputSpec[],
    attrs: Readonly<Record<string, AttrValue>> = {},
  ): Tensor[] {
    for (const t of inputs) {
      if (t.graph !== this) throw new GraphBuildError(`${op.type}: input ${t.name} belongs to another graph`);
    }
    const nodeName = this.uniqueName(op.type);
    const outs: Tensor[] = [];
    const node = new Node(op, nodeName, inputs, outs, attrs);
    outputs.forEach((spec, i) => {
      outs.push(new Tensor(this, this.uniqueName(`${nodeName}_out${i}`), spec.dtype, [...spec.shape], "node", node));
    });
    this.nodes.push(node);
    return outs;
  }

  /** Marks `t` as a graph output named `name`. */
  output(t: Tensor, name?: string): Tensor {
    let out = t;
    const wanted = name ?? t.name;
    const renamable = t.kind === "node" && !this.outputs.includes(t);
    if (renamable) {
      if (wanted !== t.name) {
        if (this.usedNames.has(wanted)) throw new GraphBuildError(`output: name ${wanted} is already used`);
        this.usedNames.delete(t.name);
        this.usedNames.add(wanted);
        t.name = wanted;
      }
    } else {
      if (this.usedNames.has(wanted) && wanted !== t.name) throw new GraphBuildError(`output: name ${wanted} is already used`);
      [out] = this.addNode({ type: "Identity" }, [t], [{ dtype: t.dtype, shape: t.shape }]);
      this.usedNames.delete(out.name);
      const finalName = this.uniqueName(wanted === t.name ? `${wanted}_out` : wanted);
      out.name = finalName;
    }
    this.outputs.push(out);
    return out;
  }

  /** Number of nodes, by op type; handy for reports. */
  opCounts(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const n of this.nodes) counts[n.op.type] = (counts[n.op.type] ?? 0) + 1;
    return counts;
  }

  /**
   * Serializes to one ModelProto with every initializer inside. Nodes not needed by any output are
   * dropped. Models whose initializers pass protobuf's 2 GiB are refused: use `toModelParts`.
   */
  toModel(options: ModelOptions = {}): Uint8Array {
    return this.serialize(options, Infinity).model;
  }

  /**
   * Serializes with every weight (`weight()`) of at least `externalMinBytes` as ONNX external data
   * (one in-memory file per tensor, location `ext_<i>.bin`): the bytes are the graph's own, not
   * copies. Constants stay inside the ModelProto.
   */
  toModelParts(options: ExternalDataOptions = {}): ModelParts {
    return this.serialize(options, options.externalMinBytes ?? EXTERNAL_MIN_BYTES);
  }

  private serialize(options: ModelOptions, externalMinBytes: number): ModelParts {
    if (this.outputs.length === 0) throw new GraphBuildError(`graph ${this.name} has no outputs`);
    const live = this.liveNodes();
    const usedInits = new Set<Tensor>();
    for (const n of live) for (const t of n.inputs) if (t.kind === "initializer") usedInits.add(t);
    for (const t of this.outputs) if (t.kind === "initializer") usedInits.add(t);

    const valueInfo = (t: Tensor) => ({
      name: t.name,
      type: {
        tensor_type: {
          elem_type: ONNX_DTYPE[t.dtype],
          shape: {
            dim: t.shape.map((d) => (typeof d === "number" ? { dim_value: d } : { dim_param: d })),
          },
        },
      },
    });
    const attribute = (name: string, a: AttrValue) => {
      switch (a.kind) {
        case "int":
          return { name, type: 2, i: a.value };
        case "float":
          return { name, type: 1, f: a.value };
        case "ints":
          return { name, type: 7, ints: a.value };
        case "floats":
          return { name, type: 6, floats: a.value };
        case "string":
          return { name, type: 3, s: new TextEncoder().encode(a.value) };
        case "tensor":
          return { name, type: 4, t: { data_type: ONNX_DTYPE[a.dtype], dims: a.dims, raw_data: encodeRaw(a.values, a.dtype) } };
      }
    };
    const domains = new Set<string>();
    for (const n of live) if (n.op.domain) domains.add(n.op.domain);
    const externalData: ExternalFile[] = [];
    let embedded = 0;

    const model = {
      ir_version: IR_VERSION,
      producer_name: options.producer ?? "selfplay-zero/engine",
      opset_import: [
        { domain: "", version: options.opset ?? DEFAULT_OPSET },
        ...[...domains].map((domain) => ({ domain, version: 1 })),
      ],
      graph: {
        name: this.name,
        node: live.map((n) => ({
          name: n.name,
          op_type: n.op.type,
          domain: n.op.domain ?? "",
          input: n.inputs.map((t) => t.name),
          output: n.outputs.map((t) => t.name),
          attribute: Object.entries(n.attrs).map(([k, v]) => attribute(k, v)),
        })),
        initializer: [...usedInits].map((t) => {
          const { raw, weight } = this.initializers.get(t)!;
          const head = { name: t.name, data_type: ONNX_DTYPE[t.dtype], dims: t.shape as number[] };
          if (!weight || raw.byteLength < externalMinBytes) {
            embedded += raw.byteLength;
            return { ...head, raw_data: raw };
          }
          const path = `ext_${externalData.length}.bin`;
          externalData.push({ path, data: raw });
          const entries = { location: path, offset: "0", length: String(raw.byteLength) };
          return { ...head, data_location: 1, external_data: Object.entries(entries).map(([key, value]) => ({ key, value })) };
        }),
        input: this.inputs.map(valueInfo),
        output: this.outputs.map(valueInfo),
      },
    };
    if (embedded > PROTOBUF_LIMIT - (64 << 20)) {
      const gib = (embedded / 2 ** 30).toFixed(2);
      throw new GraphBuildError(`graph ${this.name}: ${gib} GiB of initializers do not fit one ModelProto (protobuf's limit is 2 GiB); serialize it with toModelParts (ONNX external data)`);
    }
    const type = modelProtoType();
    return { model: type.encode(type.fromObject(model)).finish(), externalData };
  }

  /** Nodes that some output depends on, in creation order. */
  liveNodes(): Node[] {
    const needed = new Set<Node>();
    const stack: Tensor[] = [...this.outputs];
    while (stack.length) {
      const t = stack.pop()!;
      const p = t.producer;
      if (p && !needed.has(p)) {
        needed.add(p);
        stack.push(...p.inputs);
      }
    }
    return this.nodes.filter((n) => needed.has(n));
  }
}
