import { expect, test } from "bun:test";
import { fillWindow } from "../../src/runtime/request-window.ts";

const cases = [
  { name: "an empty window over fresh items asks for a full window", in: { inFlight: 0, next: 0, window: 2, total: 5 }, out: { toSend: [0, 1], inFlight: 2, next: 2 } },
  { name: "one answer frees one slot", in: { inFlight: 1, next: 2, window: 2, total: 5 }, out: { toSend: [2], inFlight: 2, next: 3 } },
  { name: "a full window asks for nothing", in: { inFlight: 2, next: 2, window: 2, total: 5 }, out: { toSend: [], inFlight: 2, next: 2 } },
  { name: "fewer items left than slots asks for the rest", in: { inFlight: 0, next: 4, window: 3, total: 5 }, out: { toSend: [4], inFlight: 1, next: 5 } },
  { name: "every item asked for asks for nothing", in: { inFlight: 1, next: 5, window: 3, total: 5 }, out: { toSend: [], inFlight: 1, next: 5 } },
  { name: "no items asks for nothing", in: { inFlight: 0, next: 0, window: 4, total: 0 }, out: { toSend: [], inFlight: 0, next: 0 } },
  { name: "an over-full window (window shrank) asks for nothing", in: { inFlight: 3, next: 3, window: 1, total: 9 }, out: { toSend: [], inFlight: 3, next: 3 } },
];

for (const c of cases) {
  test(`request window: ${c.name}`, () => {
    expect(fillWindow(c.in)).toEqual(c.out);
  });
}
