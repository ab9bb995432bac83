// Per-task-type buffers of valid triplets (Absolute Zero, arXiv 2505.03335). The proposer is shown K references
// drawn uniformly from its type's buffer; draws come from the caller's counter-based Rng only.

import type { Rng } from "../../runtime/rng.ts";
import { AZR_TASK_TYPES, IDENTITY_TRIPLET, type AzrTaskType, type Triplet } from "./types.ts";

/** The paper's K. */
export const DEFAULT_REFERENCES = 6;

const SNAPSHOT_VERSION = 1;

export interface TaskBuffersJSON {
  version: number;
  buffers: Record<AzrTaskType, Triplet[]>;
}

// Program and input identify a triplet: the output follows from them, the message is commentary.
const keyOf = (t: Triplet): string => `${t.program}\u0000${t.input}`;

function copyTriplet(t: Triplet): Triplet {
  const out: Triplet = { program: t.program, input: t.input, output: t.output };
  if (t.message !== undefined) out.message = t.message;
  return out;
}

export class TaskBuffers {
  private readonly items = new Map<AzrTaskType, Triplet[]>();
  private readonly keys = new Map<AzrTaskType, Set<string>>();

  /** Buffers seeded with `seed` (the identity triplet by default); pass null for empty buffers. */
  constructor(seed: Triplet | null = IDENTITY_TRIPLET) {
    for (const type of AZR_TASK_TYPES) {
      this.items.set(type, []);
      this.keys.set(type, new Set());
      if (seed) this.add(type, seed);
    }
  }

  /** Appends a triplet unless one with the same program and input is already there; true when added. */
  add(type: AzrTaskType, triplet: Triplet): boolean {
    const key = keyOf(triplet);
    const keys = this.keys.get(type)!;
    if (keys.has(key)) return false;
    keys.add(key);
    this.items.get(type)!.push(copyTriplet(triplet));
    return true;
  }

  size(type: AzrTaskType): number {
    return this.items.get(type)!.length;
  }

  /** The i-th triplet in insertion order. */
  get(type: AzrTaskType, i: number): Triplet {
    const t = this.items.get(type)![i];
    if (!t) throw new RangeError(`buffer ${type} has ${this.size(type)} triplets, asked for #${i}`);
    return copyTriplet(t);
  }

  /**
   * min(k, size) distinct triplets drawn uniformly without replacement, in draw order. A sparse
   * partial Fisher-Yates: O(k) whatever the buffer size, and a pure function of (buffer, k, r's key).
   */
  references(type: AzrTaskType, k: number = DEFAULT_REFERENCES, r: Rng): Triplet[] {
    const list = this.items.get(type)!;
    const n = list.length;
    const m = Math.max(0, Math.min(Math.floor(k), n));
    const swapped = new Map<number, number>();
    const out: Triplet[] = [];
    for (let i = 0; i < m; i++) {
      const j = i + r.int(n - i);
      const at = swapped.get(j) ?? j;
      swapped.set(j, swapped.get(i) ?? i);
      out.push(copyTriplet(list[at]!));
    }
    return out;
  }

  toJSON(): TaskBuffersJSON {
    const buffers = {} as Record<AzrTaskType, Triplet[]>;
    for (const type of AZR_TASK_TYPES) buffers[type] = this.items.get(type)!.map(copyTriplet);
    return { version: SNAPSHOT_VERSION, buffers };
  }

  static fromJSON(json: TaskBuffersJSON): TaskBuffers {
    if (json?.version !== SNAPSHOT_VERSION || typeof json.buffers !== "object") {
      throw new Error(`not a task-buffer snapshot: expected version ${SNAPSHOT_VERSION}, got ${String(json?.version)}`);
    }
    const b = new TaskBuffers(null);
    for (const type of AZR_TASK_TYPES) {
      const list = json.buffers[type];
      if (!Array.isArray(list)) throw new Error(`task-buffer snapshot has no ${type} buffer`);
      for (const t of list) {
        if (typeof t?.program !== "string" || typeof t.input !== "string" || typeof t.output !== "string") {
          throw new Error(`task-buffer snapshot: malformed ${type} triplet`);
        }
        b.add(type, t);
      }
    }
    return b;
  }

  /** UTF-8 JSON: strings survive exactly, and restore(snapshot()) draws the same references. */
  snapshot(): Uint8Array {
    return new TextEncoder().encode(JSON.stringify(this.toJSON()));
  }

  static restore(bytes: Uint8Array): TaskBuffers {
    let json: TaskBuffersJSON;
    try {
      json = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes)) as TaskBuffersJSON;
    } catch (e) {
      throw new Error(`not a task-buffer snapshot: ${(e as Error).message}`);
    }
    return TaskBuffers.fromJSON(json);
  }
}
