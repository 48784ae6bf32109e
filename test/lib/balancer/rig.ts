/**
 * Test rig for the balancer: a tiny plant (house load + chargers whose cars follow commands at once)
 * that turns balancer commands into charger state and charger state into meter samples.
 */
import { Balancer } from '../../../lib/balancer/balancer';
import type { SiteLimit } from '../../../lib/limits';
import {
  DEFAULT_BALANCER_CONFIG,
  GRID_PHASES,
  type BalancerCommand,
  type BalancerConfig,
  type BalancerOutput,
  type ChargerInput,
  type Triple,
} from '../../../lib/balancer/types';

export function chargerInput(over: Partial<ChargerInput> = {}): ChargerInput {
  return {
    id: 'a',
    name: 'Garage',
    enabled: true,
    phaseMap: ['L1', 'L2', 'L3'],
    measuredA: [0, 0, 0],
    currentLimitA: 16,
    minCurrentA: 6,
    maxCurrentA: 16,
    paused: false,
    carConnected: true,
    priority: 0,
    latencyClass: 'local',
    ...over,
  };
}

export interface SimCharger {
  input: ChargerInput;
  /** Charger phases (0..2) the car draws on. */
  carPhases: number[];
  /** The car draws at most this (A per phase), e.g. when nearly full. */
  carMaxA: number;
}

export class Rig {
  readonly balancer: Balancer;
  nowMs = 0;
  seq = 0;
  house: Triple<number> = [0, 0, 0];
  readonly chargers: SimCharger[] = [];
  readonly log: BalancerOutput[] = [];
  /** A ceiling from outside the fuse handed to every step (lib/limits.ts); null = none. */
  site: SiteLimit | null = null;

  /** The careful rules by default (quickStressBudget 0): the tests of the quick ones ask for them (and `lastHourKnown`). */
  constructor(config: Partial<BalancerConfig> = {}, opts: { lastHourKnown?: boolean } = {}) {
    this.balancer = new Balancer({ ...DEFAULT_BALANCER_CONFIG, quickStressBudget: 0, ...config }, opts);
  }

  add(over: Partial<ChargerInput> = {}, carPhases = [0, 1, 2], carMaxA = 32): SimCharger {
    const c: SimCharger = { input: chargerInput(over), carPhases, carMaxA };
    this.chargers.push(c);
    this.updateDraw();
    return c;
  }

  get(id: string): SimCharger {
    const c = this.chargers.find((x) => x.input.id === id);
    if (!c) throw new Error(`no charger ${id}`);
    return c;
  }

  /** Each car draws min(limit, carMaxA) on its phases, at once. */
  updateDraw(): void {
    for (const c of this.chargers) {
      const i = c.input;
      const drawing = i.carConnected && !i.paused && i.currentLimitA !== null;
      const a = drawing ? Math.min(i.currentLimitA as number, c.carMaxA) : 0;
      i.measuredA = [0, 1, 2].map((k) => (c.carPhases.includes(k) && i.phaseMap[k] ? a : 0)) as Triple<number>;
    }
  }

  /** What the meter sees: house plus every charger's draw mapped to grid phases. */
  meter(): Triple<number> {
    const m: Triple<number> = [...this.house];
    for (const c of this.chargers) {
      c.input.phaseMap.forEach((g, k) => {
        if (g) m[GRID_PHASES.indexOf(g)] += c.input.measuredA[k] ?? 0;
      });
    }
    return m;
  }

  applyCommands(cmds: BalancerCommand[]): void {
    for (const cmd of cmds) {
      const c = this.get(cmd.chargerId);
      if (cmd.type === 'pause') c.input.paused = true;
      else {
        c.input.currentLimitA = cmd.currentA;
        if (cmd.type === 'resume') c.input.paused = false;
      }
    }
    this.updateDraw();
  }

  /** Advance time, deliver a fresh sample (or a tick when `fresh` is false), apply the commands. */
  step(dtS: number, fresh = true, currents?: Triple<number | null>): BalancerOutput {
    this.nowMs += dtS * 1000;
    const sample = fresh ? { timeMs: this.nowMs, seq: ++this.seq, currentsA: currents ?? this.meter() } : null;
    const out = this.balancer.step(this.nowMs, sample, this.chargers.map((c) => c.input), this.site);
    this.log.push(out);
    this.applyCommands(out.commands);
    return out;
  }

  /** Run n fresh samples dtS apart; returns every output. */
  run(n: number, dtS = 1): BalancerOutput[] {
    const outs: BalancerOutput[] = [];
    for (let i = 0; i < n; i++) outs.push(this.step(dtS));
    return outs;
  }

  limit(id = 'a'): number | null {
    const c = this.get(id);
    return c.input.paused ? 0 : c.input.currentLimitA;
  }
}

/** Deterministic PRNG (mulberry32), shared with the simulator and the soak. */
export { seededRandom as prng } from '../../../tools/random';
