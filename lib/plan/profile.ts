/**
 * The household's load by time of day: what the house draws per grid phase WITHOUT the chargers, learned from
 * the meter (samples minus the chargers' own measured draw) in 15-minute bins of the local clock, separately for
 * weekdays and weekends. Each visit of a bin (one quarter-hour of one day) is averaged, then folded into the bin
 * with an exponential weight (recent days count most). Persisted with getState()/restore.
 *
 * `expectedHouseA` is the bin's learned mean; `highHouseA` the learned 90th percentile of the visits (for a cautious
 * planner). A bin never seen borrows from the bins within an hour of it, then from the whole day, then assumes
 * `defaultHouseA` per phase.
 */
import { DateTime } from 'luxon';
import type { Triple } from '../balancer/types';

export const PROFILE_BIN_MIN = 15;
const BINS = (24 * 60) / PROFILE_BIN_MIN;
/** Weight of the newest day in a bin. */
const DEFAULT_ALPHA = 0.3;
/** Per phase, when nothing was learned yet (A). */
export const DEFAULT_HOUSE_A = 3;
/** A visit counts only with at least this many samples (a 10 s meter gives 90 per quarter-hour). */
const MIN_VISIT_SAMPLES = 3;

/** One bin: [meanL1, meanL2, meanL3, highL1, highL2, highL3, visits]. */
type BinRow = [number, number, number, number, number, number, number];

export interface LoadProfileState {
  version: 1;
  /** 96 bins each for weekdays and weekends. */
  weekday: BinRow[];
  weekend: BinRow[];
}

interface Visit {
  key: string;
  weekend: boolean;
  bin: number;
  samples: [number[], number[], number[]];
}

export class LoadProfile {
  private readonly weekday: BinRow[];
  private readonly weekend: BinRow[];
  private visit: Visit | null = null;
  private readonly alpha: number;
  private readonly defaultHouseA: number;

  constructor(
    private readonly opts: { timeZone: string; state?: LoadProfileState | null; alpha?: number; defaultHouseA?: number },
  ) {
    this.alpha = opts.alpha ?? DEFAULT_ALPHA;
    this.defaultHouseA = opts.defaultHouseA ?? DEFAULT_HOUSE_A;
    const valid = isProfileState(opts.state);
    this.weekday = valid ? opts.state!.weekday.map((r) => [...r] as BinRow) : emptyBins();
    this.weekend = valid ? opts.state!.weekend.map((r) => [...r] as BinRow) : emptyBins();
  }

  /** A meter reading: the house's current per grid phase without the chargers (null = phase not reported). */
  observe(wallMs: number, houseA: Triple<number | null>): void {
    const { weekend, bin, key } = this.binOf(wallMs);
    if (this.visit && this.visit.key !== key) this.fold(this.visit);
    if (!this.visit || this.visit.key !== key) this.visit = { key, weekend, bin, samples: [[], [], []] };
    houseA.forEach((a, g) => {
      if (a !== null && Number.isFinite(a)) this.visit!.samples[g].push(Math.max(0, a));
    });
  }

  /** The learned mean house current per phase at this time of day (A). */
  expectedHouseA(wallMs: number): Triple<number> {
    return this.lookup(wallMs, 0);
  }

  /** The learned 90th percentile per phase at this time of day (A): a cautious expectation. */
  highHouseA(wallMs: number): Triple<number> {
    return this.lookup(wallMs, 3);
  }

  /** Visits learned in the bin of this time of day (0 = nothing learned there yet). */
  visitsAt(wallMs: number): number {
    const { weekend, bin } = this.binOf(wallMs);
    return (weekend ? this.weekend : this.weekday)[bin][6];
  }

  getState(): LoadProfileState {
    const round = (rows: BinRow[]): BinRow[] => rows.map((r) => r.map((v, i) => (i === 6 ? v : Math.round(v * 100) / 100)) as BinRow);
    return { version: 1, weekday: round(this.weekday), weekend: round(this.weekend) };
  }

  private binOf(wallMs: number): { weekend: boolean; bin: number; key: string } {
    const t = DateTime.fromMillis(wallMs, { zone: this.opts.timeZone });
    const bin = Math.min(BINS - 1, Math.floor((t.hour * 60 + t.minute) / PROFILE_BIN_MIN));
    const weekend = t.weekday >= 6;
    return { weekend, bin, key: `${t.toISODate()}/${bin}` };
  }

  private fold(v: Visit): void {
    const counts = v.samples.map((s) => s.length);
    if (Math.max(...counts) < MIN_VISIT_SAMPLES) return;
    const row = (v.weekend ? this.weekend : this.weekday)[v.bin];
    const a = row[6] === 0 ? 1 : this.alpha;
    for (let g = 0; g < 3; g++) {
      const s = v.samples[g];
      if (s.length === 0) continue;
      const mean = s.reduce((x, y) => x + y, 0) / s.length;
      const sorted = [...s].sort((x, y) => x - y);
      const high = sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.9))];
      row[g] += a * (mean - row[g]);
      row[g + 3] += a * (high - row[g + 3]);
    }
    row[6]++;
  }

  private lookup(wallMs: number, offset: 0 | 3): Triple<number> {
    const { weekend, bin } = this.binOf(wallMs);
    const own = weekend ? this.weekend : this.weekday;
    const pick = (rows: BinRow[]): Triple<number> | null => {
      const learned = rows.filter((r) => r[6] > 0);
      if (learned.length === 0) return null;
      return [0, 1, 2].map((g) => learned.reduce((s, r) => s + r[g + offset], 0) / learned.length) as Triple<number>;
    };
    if (own[bin][6] > 0) return [own[bin][offset], own[bin][offset + 1], own[bin][offset + 2]];
    const near: BinRow[] = [];
    for (let d = -4; d <= 4; d++) near.push(own[(bin + d + BINS) % BINS]);
    return pick(near) ?? pick([...this.weekday, ...this.weekend]) ?? [this.defaultHouseA, this.defaultHouseA, this.defaultHouseA];
  }
}

function emptyBins(): BinRow[] {
  return Array.from({ length: BINS }, () => [0, 0, 0, 0, 0, 0, 0] as BinRow);
}

function isProfileState(s: unknown): s is LoadProfileState {
  if (typeof s !== 'object' || s === null) return false;
  const st = s as Partial<LoadProfileState>;
  const rowsOk = (rows: unknown): boolean =>
    Array.isArray(rows) && rows.length === BINS && rows.every((r) => Array.isArray(r) && r.length === 7 && r.every((v) => typeof v === 'number' && Number.isFinite(v)));
  return st.version === 1 && rowsOk(st.weekday) && rowsOk(st.weekend);
}
