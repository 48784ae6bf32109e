/**
 * Homey's target power (system capabilities `target_power`, W, and `target_power_mode`, homey-lib, Homey ≥ 12.13.0)
 * as a charger current. Pure (no Homey import, unit-tested); drivers/chargerDevice.ts applies what it returns.
 *
 * In mode `homey` a target becomes the charger's maximum current: W / (230 V × the phases the car draws on), whole
 * amps rounded down (the car never draws more than the target), at most the charger's maximum. Below the minimum
 * current (6 A) the charger pauses: the balancer pauses it (a maximum of 0 A) and resumes it, as after its own
 * pauses, once the target allows the minimum again and the headroom held for its resume window. The balancer
 * decides within that maximum: its headroom always wins.
 * Until the car has drawn current in this session its phase count is unknown: the current is then the one for three
 * phases (never more power than the target), at least the minimum as long as the minimum on one phase fits the
 * target; the car's first readings correct it. In mode `device` the target does nothing.
 */

/** The nominal phase voltage the target is converted with. */
export const NOMINAL_VOLTAGE_V = 230;

export type TargetPowerMode = 'homey' | 'device';

/** What a target power asks of the charger: a maximum current per phase, or a pause. */
export type TargetCurrent = { paused: true } | { paused: false; currentA: number };

const EPS = 1e-9;

/** The charger current for a target of `watts` with the car on `phases` (1–3; null: not known yet). */
export function currentForTargetPower(watts: number, phases: number | null, minA: number, maxA: number): TargetCurrent {
  const w = Number.isFinite(watts) ? Math.max(0, watts) : 0;
  const known = phases !== null && phases >= 1 && phases <= 3 ? Math.round(phases) : null;
  const perPhase = (n: number): number => Math.floor(w / (NOMINAL_VOLTAGE_V * n) + EPS);
  if (perPhase(known ?? 1) < minA) return { paused: true };
  const a = known !== null ? perPhase(known) : Math.max(minA, perPhase(3));
  return { paused: false, currentA: Math.max(minA, Math.min(maxA, a)) };
}

/** The phases a reading shows the car drawing on (1–3), or null when it draws nothing. */
export function phasesInUse(activePhases: number, charging: boolean): number | null {
  return charging && activePhases >= 1 && activePhases <= 3 ? activePhases : null;
}

export function sameTargetCurrent(a: TargetCurrent | null, b: TargetCurrent | null): boolean {
  if (a === null || b === null) return a === b;
  if (a.paused || b.paused) return a.paused === b.paused;
  return a.currentA === b.currentA;
}

/** A capability value of `target_power_mode` as a mode (null: none set yet, or an unknown value). */
export function targetPowerMode(value: unknown): TargetPowerMode | null {
  return value === 'homey' || value === 'device' ? value : null;
}

/** Why the device paused its charger: the target is below the minimum, or Homey / a person stopped it. */
export type PausedBy = 'target' | 'homey';

/** What the device does for its target power (drivers/chargerDevice.ts). */
export interface TargetPowerHost {
  /** The charger's lowest and highest current (A). */
  currentRange(): { minA: number; maxA: number };
  /** Pause or resume through the device's own commands (for the balancer a person's pause: it leaves it alone). */
  pause(): Promise<void>;
  resume(): Promise<void>;
  /** Hand the target's current to the app (0: pause; null: the target ended); the device writes it itself when
   *  nobody balances the charger. Resolves whether the balancer runs the charger. */
  setTargetCurrent(currentA: number | null): Promise<{ balanced: boolean }>;
  /** Show a mode the device chose itself (`target_power_mode`). */
  showMode(mode: TargetPowerMode): Promise<void>;
  /** Keep why the device paused the charger (across restarts). */
  savePausedBy(by: PausedBy | null): Promise<void>;
  log(line: string): void;
}

/** Capability values Homey set together (one batch of a multiple-capability listener). */
export interface ChargingChange {
  charging?: boolean;
  watts?: number;
  mode?: TargetPowerMode;
}

/** What a reading says about the car. */
export interface CarReading {
  carConnected: boolean;
  /** The phases the car draws on now (null: it draws nothing). */
  phases: number | null;
}

/**
 * The device's target power: Homey's batches of `evcharger_charging`, `target_power` and `target_power_mode`, and
 * the readings that show the car's phases and its unplugging. Batches run one after another; the mode and the
 * target they bring count at once (Homey stores them only when the listener resolves, and may send the mode and the
 * target as two batches).
 *
 * - A target without a mode switches to `homey` (the "Set the target power" card does the same).
 * - Mode `homey`: the target's current is the charger's maximum ({@link currentForTargetPower}); a target below the
 *   minimum pauses it (the balancer does, or the device when nobody balances the charger), a higher one resumes
 *   it. `evcharger_charging` off pauses (a person's pause); on resumes a pause of this device, and when it comes
 *   without a target (a person's switch) any pause, as in mode `device`. A pause of the balancer stays the
 *   balancer's: the target never resumes it by force.
 * - Mode `device` (again): the target ends (the maximum goes, a pause of the target is undone).
 * - Unplugging ends it too: the mode goes back to `device`.
 */
export class TargetPowerControl {
  private mode: TargetPowerMode | null;
  private watts: number | null;
  private pausedBy: PausedBy | null;
  private carPhases: number | null = null;
  private carConnected: boolean | null = null;
  private applied: TargetCurrent | null = null;
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly host: TargetPowerHost,
    init: { mode: TargetPowerMode | null; watts: number | null; pausedBy: PausedBy | null },
  ) {
    this.mode = init.mode;
    this.watts = init.watts;
    this.pausedBy = init.pausedBy;
  }

  getMode(): TargetPowerMode | null {
    return this.mode;
  }

  /** The current the target asks for now (null: no target in effect, or it pauses the charger). */
  currentA(): number | null {
    return this.mode === 'homey' && this.applied && !this.applied.paused ? this.applied.currentA : null;
  }

  /** The target pauses the charger now (it is below the minimum). */
  pauses(): boolean {
    return this.mode === 'homey' && this.applied?.paused === true;
  }

  /** Homey set these capabilities together. */
  change(c: ChargingChange): Promise<void> {
    const wasHomey = this.mode === 'homey';
    if (c.watts !== undefined) this.watts = c.watts;
    if (c.mode) this.mode = c.mode;
    else if (c.watts !== undefined && this.mode !== 'homey') {
      this.mode = 'homey';
      void this.host.showMode('homey');
    }
    const isHomey = this.mode === 'homey';
    return this.enqueue(async () => {
      if (!isHomey) {
        if (wasHomey) await this.end();
        if (c.charging !== undefined) await (c.charging ? this.host.resume() : this.host.pause());
        return;
      }
      if (c.charging === false) {
        await this.host.pause();
        await this.follow({ resume: false, keepPause: true });
        return;
      }
      await this.follow({ resume: c.charging === true, anyPause: c.charging === true && c.watts === undefined });
    });
  }

  /** The device paused or resumed the charger (any command: a listener, a flow card, this class). */
  noteCommand(kind: 'pause' | 'resume'): void {
    this.setPausedBy(kind === 'pause' ? 'homey' : null);
  }

  /** A reading of the charger: the car's phases correct the target's current; unplugging ends the target. */
  reading(r: CarReading): Promise<void> {
    const unplugged = this.carConnected === true && !r.carConnected;
    this.carConnected = r.carConnected;
    if (!r.carConnected) this.carPhases = null;
    else if (r.phases !== null) this.carPhases = r.phases;
    if (unplugged) {
      const wasHomey = this.mode === 'homey';
      if (wasHomey) {
        this.mode = 'device';
        void this.host.showMode('device');
      }
      return this.enqueue(async () => {
        if (wasHomey) {
          this.host.log('car unplugged: the target power ended');
          await this.end();
        }
        this.setPausedBy(null);
      });
    }
    if (this.mode !== 'homey' || this.watts === null) return this.queue;
    const range = this.host.currentRange();
    // the first reading after a start applies it again; later ones only when the car's phases change the current
    if (this.applied && sameTargetCurrent(currentForTargetPower(this.watts, this.carPhases, range.minA, range.maxA), this.applied)) return this.queue;
    return this.enqueue(() => this.follow({ resume: false }));
  }

  private enqueue(fn: () => Promise<void>): Promise<void> {
    const run = this.queue.then(fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Mode `homey`: hand the target's current on, pause below the minimum, resume what may be resumed. */
  private async follow(o: { resume: boolean; anyPause?: boolean; keepPause?: boolean }): Promise<void> {
    const { minA, maxA } = this.host.currentRange();
    if (this.watts === null) {
      if (o.anyPause) await this.host.resume(); // no target yet: a person's switch, as in mode `device`
      return;
    }
    const t = currentForTargetPower(this.watts, this.carPhases, minA, maxA);
    this.applied = t;
    if (t.paused) {
      const { balanced } = await this.host.setTargetCurrent(0);
      if (!balanced && this.pausedBy === null) {
        this.host.log(`target power ${Math.round(this.watts)} W is below the minimum current: pausing`);
        await this.host.pause();
        this.setPausedBy('target');
      }
      return;
    }
    await this.host.setTargetCurrent(t.currentA);
    if (o.keepPause) return;
    if (this.pausedBy === 'target' || (o.resume && this.pausedBy !== null) || o.anyPause) await this.host.resume();
  }

  /** The target no longer counts: no maximum, and a pause of the target is undone. */
  private async end(): Promise<void> {
    this.applied = null;
    await this.host.setTargetCurrent(null);
    if (this.pausedBy === 'target') await this.host.resume();
  }

  private setPausedBy(by: PausedBy | null): void {
    if (by === this.pausedBy) return;
    this.pausedBy = by;
    void this.host.savePausedBy(by);
  }
}
