/**
 * evcc's load management in "now" mode, one loadpoint under one circuit whose meter is the P1 meter.
 * Re-expressed from evcc-io/evcc (see EVCC_SOURCE; docs/peers.md lists what is simplified):
 * - the site loop runs every 30 s (cmd/setup.go `Interval`); each cycle first reads the circuit's
 *   meter, whose current is the highest of the three signed phase currents (circuit.go `updateMeters`),
 *   then the loadpoint asks for its maximum current (loadpoint.go `fastCharging`);
 * - `setLimit` truncates to whole amps (`roundedCurrent`: go-e and Charge Amps take whole amps) and
 *   lets the circuit cap the request: `ValidateCurrent(old, new)` with `old` = the car's *measured*
 *   highest phase current (`actualMaxChargeCurrent`, 0 before it draws), so a session starts within
 *   the headroom; if `new − old` exceeds `max − current` the result is `min(new, max(0, old + potential))`;
 * - at or above the minimum the limit is written when it changed, and the charger enabled if it was not;
 *   below the minimum it is disabled at once (enable/disable delays belong to PV mode only); a later
 *   cycle enables it again once the minimum fits;
 * - a meter that has not answered for the circuit `timeout` (1 min) counts as overload
 *   (`overloadOnError`): the request is cut to 0, i.e. disabled;
 * - without a vehicle connected the loadpoint disables the charger (`Update`: `setLimit(0)`), so a car
 *   that plugs in waits for the next cycle and then starts within the headroom.
 * The circuit's `maxCurrent` is fuse − margin, as a careful user configures it.
 */
import type { BalancerCommand, MeterSample } from '../../../lib/balancer/types';
import type { Policy, PolicyContext, PolicyStep } from '../policies';
import { ChargerOutput, chargerMaxPhaseA, maxPhaseA, type PeerSource } from './common';

export const EVCC_SOURCE: PeerSource = {
  repo: 'evcc-io/evcc',
  commit: 'b29b49e3056ead3c99ff1f4711b2bb17083114b0',
  files: ['core/circuit/circuit.go', 'core/loadpoint.go', 'core/site.go', 'cmd/setup.go'],
};

/** evcc's defaults: site interval (cmd/setup.go) and circuit meter timeout (circuit.go). */
export const EVCC_TIMING = { intervalMs: 30_000, circuitTimeoutMs: 60_000 } as const;

/**
 * circuit.go `ValidateCurrent` for one circuit without a parent: the request `newA` is capped so that
 * the circuit's current would rise by at most its remaining potential.
 */
export function validateCurrent(oldA: number, newA: number, maxCurrentA: number, circuitA: number): number {
  const delta = Math.max(0, newA - oldA);
  const potential = maxCurrentA - circuitA;
  return delta > potential ? Math.min(newA, Math.max(0, oldA + potential)) : newA;
}

export class EvccPolicy implements Policy {
  readonly name = 'evcc';
  private latest: MeterSample | null = null;
  private nextCycleMs: number | null = null;
  private readonly out = new ChargerOutput();

  constructor(private readonly ctx: PolicyContext) {}

  step({ nowMs, sample, chargers }: PolicyStep): BalancerCommand[] {
    if (sample) this.latest = sample;
    this.nextCycleMs ??= nowMs;
    if (nowMs < this.nextCycleMs) return [];
    while (this.nextCycleMs <= nowMs) this.nextCycleMs += EVCC_TIMING.intervalMs;
    const ch = chargers[0];
    // Update: `case !lp.connected(): setLimit(0)` — without a vehicle the charger is disabled.
    if (!ch.carConnected) return this.out.apply(ch, false, 0, 'evcc: no vehicle connected');
    const circuitA = this.circuitCurrentA(nowMs);
    const wantA = Math.trunc(ch.maxCurrentA);
    const limitA = Math.trunc(validateCurrent(chargerMaxPhaseA(ch), wantA, this.ctx.fuseA - this.ctx.marginA, circuitA));
    if (limitA < ch.minCurrentA) {
      return this.out.apply(ch, false, 0, circuitA === Infinity ? 'evcc: circuit meter timeout' : 'evcc: below minimum current');
    }
    return this.out.apply(ch, true, limitA, limitA < wantA ? 'evcc: circuit limit' : 'evcc: max current');
  }

  /** The circuit's current at this cycle: the latest reading, or overload once the meter is silent past the timeout. */
  private circuitCurrentA(nowMs: number): number {
    const latest = this.latest;
    const a = latest ? maxPhaseA(latest) : null;
    if (!latest || a === null || nowMs - latest.timeMs > EVCC_TIMING.circuitTimeoutMs) return Infinity;
    return a;
  }
}
