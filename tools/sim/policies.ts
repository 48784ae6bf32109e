/**
 * Control policies the simulator compares on the same scenario. Every policy speaks the balancer's
 * contract (`step(nowMs, sample, chargers) → commands`); the baselines (here and in ./peers) control
 * the first charger only. `step` is called on every simulated second, with the fresh meter sample
 * when there is one (null otherwise).
 */
import { Balancer } from '../../lib/balancer/balancer';
import {
  DEFAULT_BALANCER_CONFIG,
  GRID_PHASES,
  type BalancerCommand,
  type BalancerConfig,
  type ChargerInput,
  type MeterSample,
  type Triple,
} from '../../lib/balancer/types';
import { EvccPolicy } from './peers/evcc';
import { HassEvsePolicy } from './peers/hassEvse';
import { SmartEvsePolicy } from './peers/smartEvse';
import { SIM_START } from './models';

export interface PolicyContext {
  fuseA: number;
  marginA: number;
  /** Grid phases (0..2) the car draws on: only the oracle and ideal policies may know this. */
  carGridPhases: number[];
  /** `balancer` only: settings to change from `DEFAULT_BALANCER_CONFIG` (the bench's variants). */
  balancer?: Partial<BalancerConfig>;
}

export interface PolicyStep {
  nowMs: number;
  sample: MeterSample | null;
  chargers: ChargerInput[];
  /** The true household current without the EV now. Only `ideal` may look at it. */
  householdA: Triple<number>;
}

export interface Policy {
  readonly name: string;
  /** Commands act at once and the car follows at once (the `ideal` bound). */
  readonly zeroLatency?: boolean;
  step(input: PolicyStep): BalancerCommand[];
}

/**
 * `evcc`, `hass-evse` and `smartevse` are ports of those systems' own control loops (tools/sim/peers/,
 * sources and simplifications in docs/peers.md); `seed-flows` is the Homey-flows recipe; the oracle and
 * ideal are bounds; `balancer` is ours.
 */
export const POLICY_NAMES = ['none', 'seed-flows', 'evcc', 'hass-evse', 'smartevse', 'reactive-oracle', 'ideal', 'balancer'] as const;
export type PolicyName = (typeof POLICY_NAMES)[number];

export function createPolicy(name: PolicyName, ctx: PolicyContext): Policy {
  switch (name) {
    case 'none':
      return { name, step: () => [] };
    case 'seed-flows':
      return new SeedFlowsPolicy(ctx);
    case 'evcc':
      return new EvccPolicy(ctx);
    case 'hass-evse':
      return new HassEvsePolicy(ctx);
    case 'smartevse':
      return new SmartEvsePolicy(ctx);
    case 'reactive-oracle':
      return new ReactiveOraclePolicy(ctx);
    case 'ideal':
      return new IdealPolicy(ctx);
    case 'balancer':
      return new BalancerPolicy(ctx);
  }
}

/** The charger's own draw per grid phase (A). */
function chargerDrawPerGridPhase(ch: ChargerInput): Triple<number> {
  const out: Triple<number> = [0, 0, 0];
  ch.phaseMap.forEach((g, k) => {
    if (g) out[GRID_PHASES.indexOf(g)] += ch.measuredA[k] ?? 0;
  });
  return out;
}

/**
 * Shared by the baselines: remembers what it last asked the charger for (0 = paused) so that it
 * writes only on a change, as each of the systems it imitates does.
 */
abstract class SetpointPolicy implements Policy {
  abstract readonly name: string;
  protected setpointA: number | null = null;
  constructor(protected readonly ctx: PolicyContext) {}

  abstract step(input: PolicyStep): BalancerCommand[];

  /** Commands that move the charger to `wantA` (below its minimum = pause). */
  protected moveTo(ch: ChargerInput, wantA: number, reason: string): BalancerCommand[] {
    const setpoint = this.setpointA ?? (ch.paused ? 0 : (ch.currentLimitA ?? ch.maxCurrentA));
    const target = wantA < ch.minCurrentA ? 0 : Math.min(ch.maxCurrentA, Math.floor(wantA));
    this.setpointA = target;
    if (target === setpoint) return [];
    if (target === 0) return [{ type: 'pause', chargerId: ch.id, reason }];
    if (setpoint === 0) return [{ type: 'resume', chargerId: ch.id, currentA: target, reason }];
    return [{ type: 'setCurrentLimit', chargerId: ch.id, currentA: target, reason }];
  }
}

/**
 * The Homey-flows recipe from niklasogren/chargeamps (seed 004). Our reading of it:
 * - The P1 app's "phase current changed" trigger fires on a fresh sample whose value differs from the
 *   previous one on that phase (capability-change semantics: an unchanged overload does not re-fire).
 * - It acts when a phase reaches fuse − 1 A (24 A on 25 A) and cuts the charger by the excess over
 *   that level, at least 1 A; every phase counts, whichever phases the car uses.
 * - The charger never goes below 6 A (the flows only set maxCurrent; they never pause).
 * - A periodic flow every 60 s raises the charger by 1 A toward the car's maximum (16 A) while every
 *   phase stays at least 1 A below the trigger level.
 */
class SeedFlowsPolicy extends SetpointPolicy {
  readonly name = 'seed-flows';
  /** Last value seen per phase (the capability value the trigger compares with). */
  private lastA: Triple<number | null> = [null, null, null];
  private nextRestoreMs: number | null = null;

  step({ nowMs, sample, chargers }: PolicyStep): BalancerCommand[] {
    const ch = chargers[0];
    const triggerA = this.ctx.fuseA - 1;
    const current = this.setpointA ?? ch.currentLimitA ?? ch.maxCurrentA;
    this.nextRestoreMs ??= nowMs + 60_000;
    if (sample) {
      let cutA = 0;
      sample.currentsA.forEach((a, p) => {
        if (a === null) return;
        if (a >= triggerA && a !== this.lastA[p]) cutA = Math.max(cutA, a - triggerA, 1);
        this.lastA[p] = a;
      });
      if (cutA > 0) return this.moveTo(ch, Math.max(ch.minCurrentA, current - Math.ceil(cutA)), 'phase at fuse − 1 A');
    }
    if (nowMs >= this.nextRestoreMs) {
      this.nextRestoreMs += 60_000;
      const room = this.lastA.every((a) => a === null || a + 1 < triggerA);
      if (room && current < ch.maxCurrentA) return this.moveTo(ch, current + 1, 'periodic restore +1 A');
    }
    return [];
  }
}

/**
 * The latency bound: on every fresh sample, set exactly the headroom on the car's phases (house
 * minus the charger's own draw), no margin, no rate limit, no hysteresis.
 */
class ReactiveOraclePolicy extends SetpointPolicy {
  readonly name = 'reactive-oracle';

  step({ sample, chargers }: PolicyStep): BalancerCommand[] {
    if (!sample) return [];
    const ch = chargers[0];
    const own = chargerDrawPerGridPhase(ch);
    const headroom = this.ctx.carGridPhases.map((p) => this.ctx.fuseA - ((sample.currentsA[p] ?? 0) - own[p]));
    return this.moveTo(ch, Math.min(...headroom), 'exact headroom');
  }
}

/** The energy bound: knows the household current now, acts instantly, never over the fuse. */
class IdealPolicy extends SetpointPolicy {
  readonly name = 'ideal';
  readonly zeroLatency = true;

  step({ chargers, householdA }: PolicyStep): BalancerCommand[] {
    const ch = chargers[0];
    const headroom = this.ctx.carGridPhases.map((p) => this.ctx.fuseA - householdA[p]);
    return this.moveTo(ch, Math.min(...headroom), 'ideal');
  }
}

/** Our balancer (lib/balancer) with its default tuning (or `ctx.balancer`), adapted to the scenario's fuse and margin. */
class BalancerPolicy implements Policy {
  readonly name = 'balancer';
  private readonly balancer: Balancer;
  constructor(ctx: PolicyContext) {
    this.balancer = new Balancer({ ...DEFAULT_BALANCER_CONFIG, fuseA: ctx.fuseA, marginA: ctx.marginA, ...ctx.balancer }, SIM_START);
  }

  step({ nowMs, sample, chargers }: PolicyStep): BalancerCommand[] {
    return this.balancer.step(nowMs, sample, chargers).commands;
  }
}
