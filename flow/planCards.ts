/**
 * The charging plan's app-level flow card and its device trigger: the action "Set electricity prices" (JSON text →
 * the plan; a bad text fails the flow with the parser's one line), and firing `<driver>_plan_changed` on the charger's
 * device when its plan was made again. Thin: every decision lives in lib/app/plan.ts.
 */
import type Homey from 'homey/lib/Homey';
import { describeError } from '../lib/errors';
import type { PlanChangedTokens } from '../lib/app/plan';

/** What the price action needs from the app. */
export interface PlanPricesHost {
  /** Throws one line for a bad text; returns the number of price slots taken. */
  setPricesFromFlow(text: unknown): number;
}

interface ChargerDeviceRef {
  getCharger?(): { id: string };
}

export class PlanCards {
  constructor(
    private readonly homey: Homey,
    private readonly host: PlanPricesHost,
  ) {}

  register(): void {
    this.homey.flow.getActionCard('plan_set_prices').registerRunListener(async (args: { prices: unknown }) => {
      this.host.setPricesFromFlow(args.prices);
    });
  }

  /** Fire `<driver id>_plan_changed` on the device of `chargerId` (driver ids are the card prefixes: goe, chargeamps). */
  async planChanged(chargerId: string, tokens: PlanChangedTokens): Promise<void> {
    for (const [driverId, driver] of Object.entries(this.homey.drivers.getDrivers())) {
      const device = driver.getDevices().find((d) => (d as unknown as ChargerDeviceRef).getCharger?.().id === chargerId);
      if (!device) continue;
      await this.homey.flow
        .getDeviceTriggerCard(`${driverId}_plan_changed`)
        .trigger(device, { ...tokens })
        .catch((err: unknown) => this.homey.app?.error?.(`${driverId}_plan_changed:`, describeError(err)));
      return;
    }
  }
}
