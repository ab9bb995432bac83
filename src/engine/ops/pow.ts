import type { OpDef, Tensor } from "../graph.ts";
import { binary } from "./elementwise.ts";
import { log } from "./log.ts";
import { mul } from "./mul.ts";
import { type Operand, requireFloat } from "./operand.ts";
import { sub } from "./sub.ts";
import { unbroadcast } from "./unbroadcast.ts";

const Pow: OpDef = {
  type: "Pow",
  grad: (node, [g]) => {
    const [a, b] = node.inputs;
    const y = node.outputs[0];
    const bv = b.constValues;
    // Constant scalar exponent (x^2, x^-0.5): fold b-1 at build time.
    const da =
      bv && bv.length === 1
        ? bv[0] === 2
          ? mul(g, mul(a, 2))
          : mul(g, mul(pow(a, bv[0] - 1), bv[0]))
        : mul(g, mul(b, pow(a, sub(b, 1))));
    const db = mul(g, mul(y, log(a)));
    return [unbroadcast(da, a.shape), unbroadcast(db, b.shape)];
  },
};

/** a ** b with broadcasting; the exponent gradient needs a > 0. */
export function pow(a: Operand, b: Operand): Tensor {
  const t = binary(Pow, a, b);
  requireFloat("Pow", t);
  return t;
}
