/**
 * Run listeners of the capacity-tariff flow cards (.homeycompose/flow/{triggers,conditions,actions}/capacity_*.json)
 * and the code that fires the triggers from the guard's events. Thin: the guard (lib/capacity) decides.
 */
import type Homey from 'homey/lib/Homey';
import type { Triple } from '../lib/balancer/types';
import type { CapacityEvent, CapacityStatus } from '../lib/capacity/types';
import { quoteInput, UserInputError } from '../lib/errors';

/** What the cards need from the app. */
export interface CapacityCardHost {
  /** The guard's status; null before it exists. */
  capacityStatus(): CapacityStatus | null;
  /** The cap in force until the settings change; throws one clear line when no capacity rule is chosen. */
  setCapacityKW(kw: number): void;
  /** No cap until this period ends; throws one clear line when no capacity rule is chosen. */
  suspendCapacity(): void;
  /** "Report phase currents and house power": throws one clear line when the flow card is not the meter source. */
  reportHouse(currentsA: Triple<number | null>, powerW: unknown): void;
}

const round1 = (v: number): number => Math.round(v * 10) / 10;

function kwArg(name: string, value: unknown): number {
  const n = typeof value === 'number' ? value : Number(value);
  if (typeof value === 'boolean' || value === null || value === '' || !Number.isFinite(n)) {
    throw new UserInputError(name, `expected a number of kW, got ${quoteInput(value, 20)}`);
  }
  return n;
}

export class CapacityCards {
  constructor(
    private readonly homey: Homey,
    private readonly host: CapacityCardHost,
  ) {}

  register(): void {
    const { flow } = this.homey;
    flow.getConditionCard('capacity_headroom_below').registerRunListener(async (args: { threshold: number }) => {
      const threshold = kwArg('threshold', args.threshold);
      const s = this.host.capacityStatus();
      // no cap in force (no rule, suspended, an hour that does not count): nothing to run out of
      return !!s && s.active && s.headroomKW < threshold;
    });

    flow.getActionCard('capacity_set_cap').registerRunListener(async (args: { cap: number }) => {
      this.host.setCapacityKW(kwArg('cap', args.cap));
    });

    flow.getActionCard('capacity_suspend').registerRunListener(async () => {
      this.host.suspendCapacity();
    });

    flow
      .getActionCard('balancer_report_phase_currents_power')
      .registerRunListener(async (args: { l1: number; l2: number; l3: number; power: number }) => {
        this.host.reportHouse([args.l1, args.l2, args.l3], args.power);
      });
  }

  /** Fire the trigger of a guard event (kW to one decimal, minutes whole). */
  async fireEvent(e: CapacityEvent): Promise<void> {
    const { flow } = this.homey;
    if (e.type === 'willExceed') {
      await flow.getTriggerCard('capacity_will_exceed').trigger({
        projected: round1(e.projectedKW),
        cap: round1(e.capKW),
        minutes_left: Math.max(0, Math.round(e.minutesLeft)),
      });
    } else if (e.type === 'newMonthlyPeak') {
      await flow.getTriggerCard('capacity_new_peak').trigger({ peak: round1(e.peakKW ?? e.projectedKW) });
    }
  }
}
