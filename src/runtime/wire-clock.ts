/** Accumulates time spent on the wire (encode, decode, post) so runs can report its share. */
export class WireClock {
  ms = 0;
  /** Add the time elapsed since t0 (a performance.now() reading). */
  add(t0: number): void {
    this.ms += performance.now() - t0;
  }
}

