/**
 * Run listeners of the app-level balancer flow cards (declared in .homeycompose/flow/) and the code
 * that fires the triggers from controller events. Thin: every decision lives in lib/.
 */
import type Homey from 'homey/lib/Homey';
import type { GridPhase, Triple } from '../lib/balancer/types';
import { GRID_PHASES } from '../lib/balancer/types';
import type { ControllerEvent } from '../lib/controller';
import { quoteInput, UserInputError } from '../lib/errors';
import { AppSettings, defaultChargerSettings } from '../lib/settings';

/** What the cards need from the app. */
export interface BalancerCardHost {
  getSettings(): AppSettings;
  /** Validates the changed settings as a whole and saves them, or throws one clear line. */
  updateSettings(change: (s: AppSettings) => AppSettings): Promise<void>;
  reportPhaseCurrents(currentsA: Triple<number | null>): void;
  chargerChoices(): { id: string; name: string }[];
  isChargerLimited(id: string): boolean;
  headroomA(): Triple<number | null>;
}

interface ChargerArg {
  id: string;
  name: string;
}

type PhaseChoice = GridPhase | 'any';

function phasesOf(choice: PhaseChoice): number[] {
  return choice === 'any' ? [0, 1, 2] : [GRID_PHASES.indexOf(choice)];
}

function requireCharger(host: BalancerCardHost, arg: ChargerArg | undefined): ChargerArg {
  const found = arg && host.chargerChoices().find((c) => c.id === arg.id);
  if (!found) throw new UserInputError('charger', 'this charger is no longer known to the app; pick it again in the card');
  return found;
}

function finiteArg(name: string, value: unknown): number {
  const n = typeof value === 'number' ? value : Number(value);
  if (typeof value === 'boolean' || value === null || value === '' || !Number.isFinite(n)) {
    throw new UserInputError(name, `expected a number, got ${quoteInput(value, 20)}`);
  }
  return n;
}

export class BalancerCards {
  private previousHeadroom: Triple<number | null> = [null, null, null];

  constructor(
    private readonly homey: Homey,
    private readonly host: BalancerCardHost,
  ) {}

  register(): void {
    const { flow } = this.homey;
    const chargerAutocomplete = async (query: string) =>
      this.host
        .chargerChoices()
        .filter((c) => c.name.toLowerCase().includes((query ?? '').toLowerCase()))
        .map((c) => ({ id: c.id, name: c.name }));

    flow.getConditionCard('balancer_is_on').registerRunListener(async () => this.host.getSettings().balancing);

    const limited = flow.getConditionCard('balancer_charger_limited');
    limited.registerArgumentAutocompleteListener('charger', chargerAutocomplete);
    limited.registerRunListener(async (args: { charger: ChargerArg }) =>
      this.host.isChargerLimited(requireCharger(this.host, args.charger).id),
    );

    flow
      .getConditionCard('balancer_headroom_above')
      .registerRunListener(async (args: { phase: PhaseChoice; threshold: number }) => {
        const threshold = finiteArg('threshold', args.threshold);
        const headroom = this.host.headroomA();
        const known = phasesOf(args.phase).map((i) => headroom[i]);
        if (known.some((h) => h === null)) throw new UserInputError('phase', 'no fresh meter data for this phase yet');
        return (known as number[]).every((h) => h > threshold);
      });

    flow
      .getTriggerCard('balancer_headroom_below')
      .registerRunListener(
        async (args: { phase: PhaseChoice; threshold: number }, state: { phase: number; headroom: number; previous: number }) =>
          phasesOf(args.phase).includes(state.phase) && state.headroom < args.threshold && state.previous >= args.threshold,
      );

    flow.getActionCard('balancer_set_enabled').registerRunListener(async (args: { state: 'on' | 'off' }) => {
      if (args.state !== 'on' && args.state !== 'off') throw new UserInputError('state', 'expected "on" or "off"');
      await this.host.updateSettings((s) => ({ ...s, balancing: args.state === 'on' }));
    });

    flow.getActionCard('balancer_set_fuse').registerRunListener(async (args: { fuse: number }) => {
      const fuseA = finiteArg('fuse', args.fuse);
      await this.host.updateSettings((s) => ({ ...s, fuseA }));
    });

    flow.getActionCard('balancer_set_margin').registerRunListener(async (args: { margin: number }) => {
      const marginA = finiteArg('margin', args.margin);
      // checked here too, so the line names the card's own field
      if (!Number.isInteger(marginA)) throw new UserInputError('margin', `expected whole amps (0, 1, 2 …): the meter and the chargers work in whole amps; got ${marginA}`);
      await this.host.updateSettings((s) => ({ ...s, marginA }));
    });

    const priority = flow.getActionCard('balancer_set_priority');
    priority.registerArgumentAutocompleteListener('charger', chargerAutocomplete);
    priority.registerRunListener(async (args: { charger: ChargerArg; priority: number }) => {
      const { id } = requireCharger(this.host, args.charger);
      const value = finiteArg('priority', args.priority);
      await this.host.updateSettings((s) => {
        const current = s.chargers[id] ?? defaultChargerSettings();
        return { ...s, chargers: { ...s.chargers, [id]: { ...current, priority: value } } };
      });
    });

    flow
      .getActionCard('balancer_report_phase_currents')
      .registerRunListener(async (args: { l1: number; l2: number; l3: number }) => {
        this.host.reportPhaseCurrents([args.l1, args.l2, args.l3]);
      });
  }

  /** Fire the trigger that matches a balancer event. */
  async fireEvent(ev: ControllerEvent): Promise<void> {
    const charger = ev.chargerName ?? '';
    const phase = ev.phase ?? '';
    const { flow } = this.homey;
    switch (ev.type) {
      case 'reduced':
      case 'restored':
        await flow
          .getTriggerCard(ev.type === 'reduced' ? 'balancer_current_reduced' : 'balancer_current_restored')
          .trigger({ charger, from: ev.fromA ?? 0, to: ev.toA ?? 0, phase, reason: ev.reason });
        break;
      case 'paused':
        await flow.getTriggerCard('balancer_charging_paused').trigger({ charger, phase, reason: ev.reason });
        break;
      case 'resumed':
        await flow.getTriggerCard('balancer_charging_resumed').trigger({ charger, to: ev.toA ?? 0, reason: ev.reason });
        break;
      case 'meterStale':
        await flow.getTriggerCard('balancer_meter_stale').trigger({ reason: ev.reason });
        break;
      case 'overloadUnresolved':
        await flow.getTriggerCard('balancer_overload_unresolved').trigger({ charger, phase, reason: ev.reason });
        break;
    }
  }

  /** Called after every fresh sample: fires "headroom dropped below X" for flows whose X was crossed. */
  async onHeadroom(headroomA: Triple<number | null>): Promise<void> {
    const card = this.homey.flow.getTriggerCard('balancer_headroom_below');
    const previous = this.previousHeadroom;
    this.previousHeadroom = [...headroomA] as Triple<number | null>;
    for (let i = 0; i < 3; i++) {
      const now = headroomA[i];
      const before = previous[i];
      if (now === null || before === null || now >= before) continue;
      await card.trigger({ phase: GRID_PHASES[i], headroom: Math.round(now * 10) / 10 }, { phase: i, headroom: now, previous: before });
    }
  }
}
