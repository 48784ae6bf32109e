/**
 * Who changed a charger's current limit, for the device trigger "The current limit changed" (tokens limit, by).
 * Pure (no Homey import): the device feeds it what it knows and fires the trigger for each change it returns.
 *
 * - `user`: the device's own command (a capability listener, a flow action; other apps set the capability) was
 *   accepted by the charger. Announced at once.
 * - `balancer`: a write of the balancer landed, seen through the controller's `applied` event (what the actuator told
 *   the charger): a told limit that differs from the last one, or the same one told again (a repeat after the
 *   charger dropped it) while the known limit is another. Announced at once.
 * - `charger`: a reading shows a limit that none of the above explains (the charger's own app, a reboot, another
 *   system writing to it).
 *
 * Announced once per change of the known limit (the last one announced, or the first one read), so repeated
 * readings of the same limit never fire again. A reading cannot show a command yet when it started before the
 * command landed, and a cloud charger's readings may show the old limit for a while (`graceMs`): such a reading of
 * the limit before the command is stale, not a change by the charger.
 */

export type LimitChangedBy = 'balancer' | 'user' | 'charger';

export interface LimitChange {
  limitA: number;
  by: LimitChangedBy;
}

/** What the charger's actuator told it (the controller's `applied` event, without the charger id). */
export interface ToldState {
  limitA: number | null;
  paused: boolean | null;
}

export interface LimitChangesOptions {
  /** Milliseconds, any monotonic-enough source (the device uses Date.now). */
  now: () => number;
  /** How long a reading may still show the limit from before a command (0 for a local charger). */
  graceMs: () => number;
}

interface Pending {
  limitA: number;
  /** The known limit before the command (null: none known). */
  fromA: number | null;
  /** Readings started before the command landed: numbers up to this one. */
  readsBefore: number;
  atMs: number;
}

const whole = (a: number): number => Math.round(a);

export class LimitChanges {
  private known: number | null = null;
  /** Who made the known limit (null: the first reading). */
  private knownBy: LimitChangedBy | null = null;
  private pending: Pending | null = null;
  private lastTold: ToldState | null = null;
  private readsStarted = 0;

  constructor(private readonly opts: LimitChangesOptions) {}

  /** The limit last announced or read (whole amps); null before the first. */
  get knownA(): number | null {
    return this.known;
  }

  /** Whether `limitA` is the limit a person set last and the charger still has (the balancer follows it). */
  isUsersLimit(limitA: number | undefined): boolean {
    return limitA !== undefined && this.knownBy === 'user' && whole(limitA) === this.known;
  }

  /** A read of the charger starts: its number, to pass to `reported` with its result. */
  readStarts(): number {
    return ++this.readsStarted;
  }

  /** The device's own command set the limit (accepted by the charger). */
  userSet(limitA: number): LimitChange | null {
    return this.told(whole(limitA), 'user');
  }

  /**
   * The controller's `applied` event for this charger. `fromWrite` is false for the events the controller emits
   * while the device tells it its own reading or command (a confirmation, a user's pause): they only update what
   * was told; an event that comes by itself follows a write that landed.
   */
  balancerApplied(told: ToldState, fromWrite = true): LimitChange | null {
    const prev = this.lastTold;
    this.lastTold = { limitA: told.limitA, paused: told.paused };
    if (!fromWrite || told.limitA === null || told.paused === true) return null; // a pause leaves the limit as it was
    const limitA = whole(told.limitA);
    const changed = prev === null || prev.limitA === null || whole(prev.limitA) !== limitA;
    // the same limit and the same pause state again: the limit was written again (a resume changes `paused`)
    const repeated = !changed && prev !== null && prev.paused === told.paused;
    if (!changed && !repeated) return null;
    return this.told(limitA, 'balancer');
  }

  /** A reading's limit (null: unknown, e.g. offline); `readNo` from `readStarts`. */
  reported(limitA: number | null, readNo: number): LimitChange | null {
    if (limitA === null || !Number.isFinite(limitA)) return null;
    const a = whole(limitA);
    const p = this.pending;
    if (p && readNo <= p.readsBefore) return null; // started before the command: cannot show it
    if (a === this.known) {
      if (p && a === p.limitA) this.pending = null; // the charger shows the command
      return null;
    }
    if (this.known === null) {
      this.known = a; // the first reading: nothing changed that we know of
      return null;
    }
    if (p && a === p.fromA && this.opts.now() - p.atMs < this.opts.graceMs()) return null; // not there yet
    this.known = a;
    this.knownBy = 'charger';
    this.pending = null;
    return { limitA: a, by: 'charger' };
  }

  private told(limitA: number, by: LimitChangedBy): LimitChange | null {
    if (limitA === this.known) return null;
    this.pending = { limitA, fromA: this.known, readsBefore: this.readsStarted, atMs: this.opts.now() };
    const before = this.known;
    this.known = limitA;
    this.knownBy = by;
    return before === null ? null : { limitA, by };
  }
}
