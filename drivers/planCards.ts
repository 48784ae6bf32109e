/**
 * The charging plan's device flow cards, the same for every charger driver (ids `<prefix>_plan_*` in the driver's
 * driver.flow.compose.json): set a target in kWh or as a state of charge with a deadline, start and cancel the plan,
 * and the condition "the plan charges now". Each forwards to the app's plan (`homey.app.plan`, lib/app/plan.ts);
 * the trigger `<prefix>_plan_changed` is fired by the app (flow/planCards.ts).
 */
import type Homey from 'homey/lib/Homey';
import type { PlanTarget } from '../lib/plan/planLimit';

/** What the cards need from the app's plan. */
export interface PlanCardHost {
  setTarget(chargerId: string, target: PlanTarget, deadline: string): void;
  start(chargerId: string): Promise<void>;
  cancel(chargerId: string): Promise<void>;
  chargesNow(chargerId: string): boolean;
  /** The charger takes part in the app's balancing (a plan needs it). */
  takesPart(chargerId: string): boolean;
}

interface PlanDevice {
  getCharger(): { id: string };
}

/** The app's plan, or null while the app has not started it. */
export function planOf(app: unknown): PlanCardHost | null {
  const plan = (app as { plan?: Partial<PlanCardHost> } | null | undefined)?.plan;
  return plan && typeof plan.setTarget === 'function' ? (plan as PlanCardHost) : null;
}

export function registerPlanCards(homey: Homey, prefix: string): void {
  const plan = (): PlanCardHost => {
    const p = planOf(homey.app);
    if (!p) throw new Error(homey.__('plan.starting'));
    return p;
  };
  const id = (device: PlanDevice): string => {
    const chargerId = device.getCharger().id;
    if (!plan().takesPart(chargerId)) throw new Error(homey.__('plan.notBalanced'));
    return chargerId;
  };
  const action = <A>(card: string, run: (device: PlanDevice, args: A) => Promise<void> | void): void => {
    homey.flow.getActionCard(`${prefix}_${card}`).registerRunListener(async (args: A & { device: PlanDevice }) => run(args.device, args));
  };
  action<{ energy: number; deadline: string }>('plan_set_energy', (d, a) => plan().setTarget(id(d), { energyKWh: a.energy }, a.deadline));
  action<{ soc: number; battery: number; current: number; deadline: string }>('plan_set_soc', (d, a) =>
    plan().setTarget(id(d), { socPct: a.soc, batteryKWh: a.battery, currentSocPct: a.current }, a.deadline),
  );
  action('plan_start', (d) => plan().start(id(d)));
  action('plan_cancel', (d) => plan().cancel(id(d)));
  homey.flow
    .getConditionCard(`${prefix}_plan_charges_now`)
    .registerRunListener(async ({ device }: { device: PlanDevice }) => plan().chargesNow(id(device)));
}
