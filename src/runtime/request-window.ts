// The request window shared by the actors that ask the learner for work (the mask generator, the
// AZR proposer, the predictor): at most `window` requests in flight, items asked for in order.
// Pure, so a machine's assign can decide what to send and a separate action can post it.

export interface RequestWindow {
  /** Requests sent and not yet answered. */
  inFlight: number;
  /** Index of the next item to ask for. */
  next: number;
}

export interface WindowFill extends RequestWindow {
  /** Indices of the items to ask for now, in order (those in [previous next, next)). */
  toSend: number[];
}

/** Ask for items until the window is full or every one of the `total` items is asked for. */
export function fillWindow({ inFlight, next, window, total }: RequestWindow & { window: number; total: number }): WindowFill {
  const toSend: number[] = [];
  while (inFlight < window && next < total) {
    toSend.push(next++);
    inFlight++;
  }
  return { toSend, inFlight, next };
}
