// Learning-rate schedules, a pure function of the step so that resume and replay need no state.

export interface LrSchedule {
  kind: "constant" | "cosine";
  /** Peak learning rate. */
  lr: number;
  /** Linear warm-up steps from 0 to lr. */
  warmup: number;
  /** Steps over which the cosine decays (normally the run's total steps). */
  total: number;
  /** Floor as a fraction of lr at the end of the decay. */
  minRatio: number;
}

export function learningRate(step: number, s: LrSchedule): number {
  if (s.warmup > 0 && step < s.warmup) return (s.lr * (step + 1)) / s.warmup;
  if (s.kind === "constant") return s.lr;
  const span = Math.max(1, s.total - s.warmup);
  const t = Math.min(1, Math.max(0, (step - s.warmup) / span));
  const floor = s.lr * s.minRatio;
  return floor + (s.lr - floor) * 0.5 * (1 + Math.cos(Math.PI * t));
}
