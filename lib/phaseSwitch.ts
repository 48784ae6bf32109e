/**
 * Switching a charger between 1 and 3 phases (go-e V3/V4 `psm`), run by the charger's actuator (lib/actuator.ts),
 * the only place that writes to a charger. The sequence:
 *
 * 1. **pause**: the actuator holds the charger paused (`holdsPaused`) and writes the pause;
 * 2. **confirmed paused**: a reading taken after the pause shows no charging allowed and no draw (a contactor
 *    must never switch under load); not confirmed within `PAUSE_CONFIRM_TIMEOUT_MS`: the switch is given up;
 * 3. **write** `setPhases` once;
 * 4. **wait** `waitMs` (default `PHASE_SWITCH_WAIT_MS`): the go-e stops, simulates an unplug (`sumd`, 5 s on the
 *    firmware we know) and only then takes the new phase count; the car wakes up as after a plug-in;
 * 5. **resume**: the hold ends and the actuator resumes the balancer's target (or keeps the pause it wants).
 *
 * At most `maxPerHour` switches (default `MAX_PHASE_SWITCHES_PER_HOUR`) in any rolling hour, so the contactor is
 * not worn and the car is not woken every few minutes; a refused or failed write counts too. A failed write
 * ends the hold at once (the charger keeps its phases). Time from the injected clock.
 */
import type { Charger } from './charger';
import type { Clock } from './clock';
import { describeError } from './errors';

/** Time after an accepted `psm` write before the charger is resumed (ms): the firmware's stop and simulated unplug. */
export const PHASE_SWITCH_WAIT_MS = 15_000;
/** Switches allowed in any rolling hour. */
export const MAX_PHASE_SWITCHES_PER_HOUR = 4;
/** A pause not confirmed this long after the switch began: give the switch up (ms). */
export const PAUSE_CONFIRM_TIMEOUT_MS = 120_000;

export type PhaseSwitchStage = 'idle' | 'pausing' | 'writing' | 'waiting';

export interface PhaseSwitchOptions {
  charger: Charger;
  clock: Clock;
  name: () => string;
  log: (line: string) => void;
  maxPerHour?: number;
  waitMs?: number;
}

export type PhaseRequestResult = { ok: true; reason: string } | { ok: false; reason: string };

export class PhaseSwitch {
  private stage: PhaseSwitchStage = 'idle';
  private wanted: 1 | 3 | null = null;
  private sinceMs = 0;
  private readonly switches: number[] = [];
  /** The phase count the charger was last switched to (null: never switched by us). */
  phases: 1 | 3 | null = null;
  /** Called when the charger runs on the new phase count (after the wait): the controller tells the solar source. */
  onSwitched: ((phases: 1 | 3) => void) | null = null;

  constructor(private readonly opts: PhaseSwitchOptions) {}

  get current(): PhaseSwitchStage {
    return this.stage;
  }

  /** While a switch runs the actuator holds the charger paused. */
  get holdsPaused(): boolean {
    return this.stage !== 'idle';
  }

  /** Ask for `phases`; refused (with the reason) when the charger cannot, a switch runs, or the hour's budget is spent. */
  request(phases: 1 | 3): PhaseRequestResult {
    const c = this.opts.charger;
    if (!c.setPhases || c.canSwitchPhases !== true) return { ok: false, reason: `${this.opts.name()} cannot switch phases` };
    if (this.stage !== 'idle') return { ok: this.wanted === phases, reason: `a switch to ${this.wanted} phase(s) is running` };
    if (this.phases === phases) return { ok: true, reason: `already on ${phases} phase(s)` };
    const now = this.opts.clock.monoMs();
    this.prune(now);
    const max = this.opts.maxPerHour ?? MAX_PHASE_SWITCHES_PER_HOUR;
    if (this.switches.length >= max) return { ok: false, reason: `${max} phase switches in the last hour already; the contactor rests` };
    this.switches.push(now);
    this.stage = 'pausing';
    this.wanted = phases;
    this.sinceMs = now;
    this.opts.log(`${this.opts.name()}: switching to ${phases} phase(s): pausing first`);
    return { ok: true, reason: `switching to ${phases} phase(s)` };
  }

  /** Switches in the last hour. */
  recentSwitches(): number {
    this.prune(this.opts.clock.monoMs());
    return this.switches.length;
  }

  /** Drive the sequence: `pausedConfirmed` = a reading after our pause shows it paused and drawing nothing. */
  step(pausedConfirmed: boolean): void {
    const now = this.opts.clock.monoMs();
    if (this.stage === 'pausing') {
      if (pausedConfirmed) this.write();
      else if (now - this.sinceMs > PAUSE_CONFIRM_TIMEOUT_MS) this.end(`pause not confirmed in ${PAUSE_CONFIRM_TIMEOUT_MS / 1000} s; phase switch given up`);
    } else if (this.stage === 'waiting' && now - this.sinceMs >= (this.opts.waitMs ?? PHASE_SWITCH_WAIT_MS)) {
      const p = this.wanted as 1 | 3;
      this.phases = p;
      this.end(`now on ${p} phase(s); resuming`);
      this.onSwitched?.(p);
    }
  }

  private write(): void {
    const p = this.wanted as 1 | 3;
    this.stage = 'writing';
    const setPhases = this.opts.charger.setPhases?.bind(this.opts.charger);
    if (!setPhases) return this.end('cannot switch phases');
    setPhases(p).then(
      () => {
        this.stage = 'waiting';
        this.sinceMs = this.opts.clock.monoMs();
      },
      (err: unknown) => this.end(`phase switch failed: ${describeError(err)}`),
    );
  }

  private end(why: string): void {
    this.stage = 'idle';
    this.opts.log(`${this.opts.name()}: ${why}`);
  }

  private prune(now: number): void {
    while (this.switches.length && now - this.switches[0] >= 3_600_000) this.switches.shift();
  }
}

/** The phase switch of an actuator, or null where the charger has no `setPhases` (go-e V2, Charge Amps). */
export function createPhaseSwitch(charger: Charger, clock: Clock, name: () => string, log: (line: string) => void): PhaseSwitch | null {
  return charger.setPhases ? new PhaseSwitch({ charger, clock, name, log }) : null;
}
