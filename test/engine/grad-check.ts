import { gradients } from "../../src/engine/autodiff.ts";
import { type Graph, type Tensor } from "../../src/engine/graph.ts";
import { mul, reduceSum } from "../../src/engine/ops/index.ts";
import { EngineSession, type HostTensor, hostTensor } from "../../src/engine/session.ts";
import { isStatic, numel } from "../../src/engine/shape.ts";

/** Deterministic uniform numbers in [lo, hi) (test data only). */
export function seededUniform(seed: number, n: number, lo = -1, hi = 1): Float64Array {
  let s = seed >>> 0 || 1;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    out[i] = lo + ((s >>> 0) / 4294967296) * (hi - lo);
  }
  return out;
}

export interface GradCheckResult {
  readonly maxError: number;
  readonly worst: string;
  readonly checked: number;
}

/**
 * Compares analytic gradients of sum(output * R) (R fixed random) against central differences.
 * `feeds` holds every graph input; `wrt` names the float64 inputs to check. `sample` limits the
 * number of checked coordinates per input (evenly spread).
 */
export async function checkGradients(
  g: Graph,
  output: Tensor,
  feeds: Record<string, HostTensor>,
  wrt: readonly Tensor[],
  opts: { h?: number; sample?: number } = {},
): Promise<GradCheckResult> {
  if (!isStatic(output.shape)) throw new Error("checkGradients needs a static output shape");
  const h = opts.h ?? 1e-6;
  const r = g.constant(seededUniform(7, numel(output.shape)!, 0.5, 1.5), output.dtype, output.shape, "fd_weights");
  const loss = reduceSum(mul(output, r), output.shape.map((_, i) => i));
  const grads = gradients(loss, wrt);
  g.output(loss, "fd_loss");
  grads.forEach((t, i) => g.output(t, `fd_grad_${i}`));
  const session = await EngineSession.create(g, { deterministic: true });
  const base = await session.run(feeds);
  let maxError = 0;
  let worst = "";
  let checked = 0;
  for (let k = 0; k < wrt.length; k++) {
    const w = wrt[k];
    const orig = feeds[w.name];
    const analytic = base[`fd_grad_${k}`].data as Float64Array;
    const n = orig.data.length;
    const step = Math.max(1, Math.floor(n / (opts.sample ?? n)));
    for (let i = 0; i < n; i += step) {
      const at = async (delta: number) => {
        const data = Float64Array.from(orig.data as Float64Array);
        data[i] += delta;
        const out = await session.run({ ...feeds, [w.name]: hostTensor("float64", orig.dims, data) }, ["fd_loss"]);
        return (out.fd_loss.data as Float64Array)[0];
      };
      const numeric = ((await at(h)) - (await at(-h))) / (2 * h);
      const err = Math.abs(numeric - analytic[i]) / (1 + Math.abs(numeric));
      checked++;
      if (err > maxError || Number.isNaN(err)) {
        maxError = Number.isNaN(err) ? Infinity : err;
        worst = `${w.name}[${i}]: analytic ${analytic[i]} vs numeric ${numeric}`;
      }
    }
  }
  await session.release();
  return { maxError, worst, checked };
}
