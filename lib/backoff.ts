/** Exponential back-off, the one formula every retry in the runtime uses (meter sources, actuators, the Charge Amps client). */

/** The wait before the next try after `failures` in a row: `minMs` doubling per failure, at most `maxMs`. */
export function backoffMs(failures: number, minMs: number, maxMs: number): number {
  return Math.min(maxMs, minMs * 2 ** Math.min(failures, 30));
}
