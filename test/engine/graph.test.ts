import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { Graph, GraphBuildError } from "../../src/engine/graph.ts";
import { modelProtoType } from "../../src/engine/onnx-schema.ts";
import * as op from "../../src/engine/ops/index.ts";
import { EngineSession, hostTensor } from "../../src/engine/session.ts";

// Worker start-up and ORT session builds take seconds on 2 shared cores.
setDefaultTimeout(60_000);

describe("graph builder", () => {
  test("rejects a matmul with mismatched inner dims, naming the op and both shapes", () => {
    const g = new Graph();
    const a = g.input("a", "float32", ["batch", 3]);
    const b = g.input("b", "float32", [4, 5]);
    expect(() => op.matmul(a, b)).toThrow(GraphBuildError);
    expect(() => op.matmul(a, b)).toThrow("MatMul: inner dimensions differ (3 vs 4) (got [batch,3] float32 and [4,5] float32)");
  });

  test("rejects non-broadcastable elementwise shapes", () => {
    const g = new Graph();
    const a = g.input("a", "float32", [2, 3]);
    const b = g.input("b", "float32", [4]);
    expect(() => op.add(a, b)).toThrow("Add: cannot broadcast dimension 3 against 4 (got [2,3] float32 and [4] float32)");
  });

  test("rejects reshapes that change the element count and mixed dtypes", () => {
    const g = new Graph();
    const a = g.input("a", "float32", [2, 3]);
    expect(() => op.reshape(a, [4, 2])).toThrow("Reshape: cannot reshape to [4,2]");
    const i = g.input("i", "int64", [3]);
    expect(() => op.mul(a, i)).toThrow("Mul: dtypes differ");
    expect(() => op.squeeze(a, [0])).toThrow("Squeeze: axis 0 has size 2, not 1");
  });

  test("infers symbolic shapes through matmul, reshape and broadcasting", () => {
    const g = new Graph();
    const x = g.input("x", "float32", ["B", "T", 8]);
    const w = g.input("w", "float32", [8, 16]);
    const h = op.matmul(x, w);
    expect(h.shape).toEqual(["B", "T", 16]);
    expect(op.reshape(h, [-1, 16]).shape).toEqual(["B*T", 16]);
    expect(op.add(h, g.input("bias", "float32", [16])).shape).toEqual(["B", "T", 16]);
    expect(op.reduceSum(h, [1]).shape).toEqual(["B", 16]);
  });

  test("serializes to a ModelProto that round-trips and runs with symbolic dims", async () => {
    const g = new Graph("roundtrip");
    const x = g.input("x", "float32", ["n", 3]);
    const y = op.softmax(op.causalMask(op.matmul(x, op.transpose(x))), -1);
    g.output(y, "y");
    const bytes = g.toModel();
    const decoded = modelProtoType().toObject(modelProtoType().decode(bytes), { longs: Number }) as {
      opset_import: { version: number }[];
      graph: { node: { op_type: string }[]; input: { name: string }[] };
    };
    expect(decoded.opset_import[0].version).toBe(17);
    expect(decoded.graph.input[0].name).toBe("x");
    expect(decoded.graph.node.map((n) => n.op_type)).toContain("Trilu");
    const s = await EngineSession.create(bytes);
    const out = await s.run({ x: hostTensor("float32", [3, 3], new Float32Array([1, 0, 0, 0, 1, 0, 0, 0, 1])) });
    const p = out.y.data as Float32Array;
    expect(out.y.dims).toEqual([3, 3]);
    // Row 0 sees only key 0; row 1 sees keys 0 and 1.
    expect(p[0]).toBeCloseTo(1, 6);
    expect(p[1]).toBe(0);
    expect(p[3] + p[4]).toBeCloseTo(1, 6);
    expect(p[5]).toBe(0);
    await s.release();
  });
});

describe("sessions", () => {
  test("--device cuda without a usable CUDA EP fails with a one-line reason instead of falling back", async () => {
    const g = new Graph();
    g.output(op.neg(g.input("x", "float32", [1])), "y");
    let message = "";
    try {
      const s = await EngineSession.create(g, { device: "cuda" });
      // A machine with working CUDA may run this suite; then the session must really be CUDA.
      expect(s.device).toBe("cuda");
      await s.release();
      return;
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message.startsWith("--device cuda: ")).toBe(true);
    expect(message).not.toContain("\n");
    expect(message).toMatch(/provider not installed: .*\(run bun run setup-cuda\)|CUDA libraries not found: |no NVIDIA device|driver is not loaded|could not create the CUDA session/);
  });
});
