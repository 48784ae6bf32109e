/**
 * How long a charger's reading counts toward the plan's delivered energy: about the charger's poll period plus slack.
 *
 * The controller hands every step the currents of the charger's last reading, with `measuredAtMs` the monotonic time
 * that reading arrived (lib/controller.ts: the actuator's `lastStatus().atMs`; null before any). A poll that fails
 * keeps the last currents, so an unreadable charger, or a car unplugged while it was, would go on "charging" at its
 * last current. A reading counts only until it is older than the poll period plus READING_SLACK_MS; nothing counts
 * while no reading is known. The poll period is learned from the gaps between readings (the median of the last few:
 * one long gap after an outage or one extra read after a write does not move it), and until two readings have been
 * seen it is 10 s for a local charger (a go-e polls every 5 s while a car is connected) and 30 s for a cloud one
 * (Charge Amps' default).
 */
import type { LatencyClass } from '../charger';

/** The time a reading counts beyond the poll period: a late poll, a slow answer (ms). */
export const READING_SLACK_MS = 30_000;
/** The poll period assumed until two readings have been seen (ms). */
export const DEFAULT_POLL_MS: Record<LatencyClass, number> = { local: 10_000, cloud: 30_000 };
/** The longest poll period taken (Charge Amps allows 600 s). */
export const MAX_POLL_MS = 600_000;
const GAPS_KEPT = 5;

export class ReadingAge {
  private lastAtMs: number | null = null;
  private readonly gapsMs: number[] = [];

  /** The poll period as learned so far (ms). */
  pollMs(latency: LatencyClass): number {
    if (this.gapsMs.length === 0) return DEFAULT_POLL_MS[latency] ?? DEFAULT_POLL_MS.cloud;
    const sorted = [...this.gapsMs].sort((a, b) => a - b);
    return sorted[Math.floor((sorted.length - 1) / 2)]; // the lower median: the shorter count when in doubt
  }

  /**
   * The part (ms) of the step (nowMs − stepMs … nowMs) in which the reading taken at `atMs` still counts: all of it
   * for a fresh reading (absent `atMs`: taken now), none for an old or unknown one, the fresh part in between.
   */
  freshMs(atMs: number | null | undefined, nowMs: number, stepMs: number, latency: LatencyClass): number {
    if (atMs === undefined) return stepMs;
    if (atMs === null || !Number.isFinite(atMs)) return 0;
    this.note(atMs);
    const countsUntilMs = atMs + this.pollMs(latency) + READING_SLACK_MS;
    return Math.max(0, Math.min(stepMs, countsUntilMs - (nowMs - stepMs)));
  }

  private note(atMs: number): void {
    if (this.lastAtMs !== null && atMs > this.lastAtMs) {
      this.gapsMs.push(Math.min(MAX_POLL_MS, atMs - this.lastAtMs));
      if (this.gapsMs.length > GAPS_KEPT) this.gapsMs.shift();
    }
    if (this.lastAtMs === null || atMs > this.lastAtMs) this.lastAtMs = atMs;
  }
}
