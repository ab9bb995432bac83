import { describe, expect, test } from "bun:test";
import { EXTERNAL_MIN_BYTES, Graph, GraphBuildError } from "../../src/engine/graph.ts";
import { add, gather, matmul } from "../../src/engine/ops/index.ts";
import { modelProtoType } from "../../src/engine/onnx-schema.ts";
import { EngineSession, hostTensor } from "../../src/engine/session.ts";
import { frozenBinding } from "../../src/model/decoder.ts";
import { loadDecoderConfig } from "../../src/model/hf-config.ts";
import { buildLogprobGraph } from "../../src/model/logprobs.ts";
import { openModelWeights } from "../../src/model/safetensors.ts";

interface DecodedTensor {
  name: string;
  raw_data?: Uint8Array;
  data_location?: number;
  external_data?: { key: string; value: string }[];
}

const decoded = (bytes: Uint8Array): DecodedTensor[] => {
  const type = modelProtoType();
  return (type.toObject(type.decode(bytes)) as { graph: { initializer: DecodedTensor[] } }).graph.initializer;
};

function matmulGraph(w: Float32Array, rows: number, cols: number): Graph {
  const g = new Graph("mm");
  const x = g.input("x", "float32", [2, rows]);
  g.output(add(matmul(x, g.weight(w, "float32", [rows, cols], "w")), g.constant(new Float32Array(cols).fill(0.5), "float32", [cols], "bias")), "y");
  return g;
}

describe("ONNX external data for large initializers", () => {
  test("weights from the threshold up leave the ModelProto, as views of the graph's own values; constants stay", () => {
    const w = Float32Array.from({ length: 64 * 64 }, (_, i) => i / 7);
    const parts = matmulGraph(w, 64, 64).toModelParts({ externalMinBytes: 1024 });
    expect(parts.externalData).toHaveLength(1);
    const file = parts.externalData[0]!;
    const bias = decoded(parts.model).find((t) => t.name === "bias")!;
    expect(bias.raw_data!.length).toBe(64 * 4);
    expect(file.data.buffer).toBe(w.buffer); // never copied
    expect(file.data.byteLength).toBe(w.byteLength);
    const init = decoded(parts.model).find((t) => t.name === "w");
    expect(init!.data_location).toBe(1);
    expect(init!.raw_data?.length ?? 0).toBe(0);
    expect(Object.fromEntries(init!.external_data!.map((e) => [e.key, e.value]))).toEqual({ location: file.path, offset: "0", length: String(w.byteLength) });
  });

  test("below the threshold, and in toModel, every initializer stays embedded", () => {
    const w = Float32Array.from({ length: 16 }, (_, i) => i);
    const g = matmulGraph(w, 4, 4);
    expect(g.toModelParts().externalData).toHaveLength(0);
    expect(16 * 4).toBeLessThan(EXTERNAL_MIN_BYTES);
    const init = decoded(g.toModel()).find((t) => t.name === "w");
    expect(new Float32Array(new Uint8Array(init!.raw_data!).buffer)).toEqual(w);
  });

  test("a session from external data computes what the embedded model computes, bit for bit", async () => {
    const w = Float32Array.from({ length: 300 * 200 }, (_, i) => Math.sin(i));
    const g = matmulGraph(w, 300, 200);
    const x = hostTensor("float32", [2, 300], Float32Array.from({ length: 600 }, (_, i) => Math.cos(i)));
    const embedded = await EngineSession.create(g.toModel(), { deterministic: true });
    const external = await EngineSession.create(g.toModelParts({ externalMinBytes: 0 }), { deterministic: true });
    const [a, b] = [await embedded.run({ x }), await external.run({ x })];
    expect(Array.from(b.y!.data as Float32Array)).toEqual(Array.from(a.y!.data as Float32Array));
    await embedded.release();
    await external.release();
  });

  test("the default model's log-probs are bit-identical with its weights as external data", async () => {
    const dir = "fixtures/default-model";
    const cfg = loadDecoderConfig(dir);
    const weights = openModelWeights(dir, cfg).readAllF32();
    const g = buildLogprobGraph(cfg, frozenBinding(cfg, weights, "initializer"), { batch: 2, length: 16 });
    const parts = g.toModelParts({ externalMinBytes: 0 });
    expect(parts.externalData.length).toBeGreaterThan(10);
    const ids = BigInt64Array.from({ length: 32 }, (_, i) => BigInt((i * 37 + 5) % cfg.vocabSize));
    const positions = BigInt64Array.from({ length: 32 }, (_, i) => BigInt(i % 16));
    const feeds = { input_ids: hostTensor("int64", [2, 16], ids), positions: hostTensor("int64", [2, 16], positions), attention_mask: hostTensor("int64", [2, 16], new BigInt64Array(32).fill(1n)) };
    const out: number[][] = [];
    for (const model of [g.toModel(), parts]) {
      const s = await EngineSession.create(model, { deterministic: true });
      out.push(Array.from((await s.run(feeds)).logprobs!.data as Float32Array));
      await s.release();
    }
    expect(out[1]).toEqual(out[0]!);
  });

  test("over 2 GiB of weights: toModel refuses in one line, a session takes them as external data", async () => {
    // An embedding of 540,672 × 1024 floats (2.06 GiB), each row filled with its index.
    const V = 2 ** 19 + 2 ** 14;
    const D = 1024;
    const table = new Float32Array(V * D);
    for (let r = 0; r < V; r++) table.subarray(r * D, (r + 1) * D).fill(r);
    const g = new Graph("big_embedding");
    const ids = g.input("ids", "int64", [3]);
    g.output(gather(g.weight(table, "float32", [V, D], "embed"), ids, 0), "rows");
    let refusal: unknown;
    try {
      g.toModel();
    } catch (e) {
      refusal = e;
    }
    expect(refusal).toBeInstanceOf(GraphBuildError);
    expect((refusal as Error).message).toMatch(/^graph big_embedding: 2\.06 GiB of initializers do not fit one ModelProto .*toModelParts/);
    expect((refusal as Error).message).not.toContain("\n");
    const s = await EngineSession.create(g, {});
    expect(s.modelBytes).toBeGreaterThan(2 ** 31);
    const out = await s.run({ ids: hostTensor("int64", [3], BigInt64Array.of(0n, 123_457n, BigInt(V - 1))) });
    const rows = out.rows!.data as Float32Array;
    expect([rows[0], rows[D + 17], rows[3 * D - 1]]).toEqual([0, 123_457, V - 1]);
    await s.release();
  }, 120_000);

  test("over 2 GiB in several weights under 2 GiB each (a 0.6B model in fp32): one session, in memory", async () => {
    const V = 3 * 2 ** 16;
    const D = 1024;
    const g = new Graph("three_tables");
    const ids = g.input("ids", "int64", [2]);
    let sum: ReturnType<typeof gather> | undefined;
    for (let k = 0; k < 3; k++) {
      const table = new Float32Array(V * D); // 0.75 GiB
      for (let r = 0; r < V; r++) table.subarray(r * D, (r + 1) * D).fill(r + k * 1e6);
      const rows = gather(g.weight(table, "float32", [V, D], `table_${k}`), ids, 0);
      sum = sum ? add(sum, rows) : rows;
    }
    g.output(sum!, "rows");
    expect(() => g.toModel()).toThrow(/2\.25 GiB of initializers do not fit one ModelProto/);
    const s = await EngineSession.create(g, {});
    const out = await s.run({ ids: hostTensor("int64", [2], BigInt64Array.of(7n, BigInt(V - 1))) });
    const rows = out.rows!.data as Float32Array;
    expect([rows[0], rows[2 * D - 1]]).toEqual([3 * 7 + 3e6, 3 * (V - 1) + 3e6]);
    await s.release();
  }, 120_000);
});
