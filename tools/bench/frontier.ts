/**
 * The fair frontier (issue 12): the balancer's margin swept over whole amps gives, per trace group, a
 * curve of (energy, overload); a baseline is compared at its own energy. The dominance ratio is the
 * balancer's overload at the baseline's energy (linear between neighbouring margins) divided by the
 * baseline's overload. A baseline that charges more than the balancer at any margin lies beyond the
 * frontier: a miss.
 */
import { carGridPhases } from '../sim/models';
import { createPolicy } from '../sim/policies';
import { runPolicy, type PolicyMetrics, type Scenario } from '../sim/simulate';
import { BASELINES, byGroup, DEFAULT_MARGIN_A, policyFor, sum, type Baseline, type Row } from './matrix';

export const FRONTIER_MARGINS_A = [0, 1, 2, 3];
/** The target: at most this dominance ratio against every baseline in every group. */
export const DOMINANCE_TARGET = 0.6;

export interface EnergyOverload {
  energyKWh: number;
  overloadAs: number;
}

export interface FrontierPoint extends EnergyOverload {
  marginA: number;
}

export type Dominance =
  /** `ratio` is 0 when both overloads are 0, Infinity when only the baseline's is. */
  | { kind: 'ratio'; overloadAtEnergyAs: number; ratio: number; how: string }
  | { kind: 'miss'; how: string };

const EPS = 1e-9;

/**
 * The balancer's overload at `energyKWh` on its frontier: the lowest of (a) the linear interpolation on
 * every pair of neighbouring margins whose energies bracket it, and (b) any margin that charges at least
 * as much (more energy for less overload is at least as good). Null when every margin charges less.
 */
export function overloadAtEnergy(frontier: FrontierPoint[], energyKWh: number): { overloadAs: number; how: string } | null {
  const pts = [...frontier].sort((a, b) => a.marginA - b.marginA);
  let best: { overloadAs: number; how: string } | null = null;
  const consider = (overloadAs: number, how: string): void => {
    if (!best || overloadAs < best.overloadAs - EPS) best = { overloadAs, how };
  };
  for (let i = 1; i < pts.length; i++) {
    const [a, b] = [pts[i - 1], pts[i]];
    const lo = Math.min(a.energyKWh, b.energyKWh);
    const hi = Math.max(a.energyKWh, b.energyKWh);
    if (energyKWh < lo - EPS || energyKWh > hi + EPS) continue;
    const w = hi - lo < EPS ? 0 : (energyKWh - a.energyKWh) / (b.energyKWh - a.energyKWh);
    const o = hi - lo < EPS ? Math.min(a.overloadAs, b.overloadAs) : a.overloadAs + w * (b.overloadAs - a.overloadAs);
    consider(o, `between margins ${a.marginA} and ${b.marginA} A`);
  }
  for (const p of pts) if (p.energyKWh >= energyKWh - EPS) consider(p.overloadAs, `margin ${p.marginA} A charges at least as much`);
  return best;
}

export function dominance(frontier: FrontierPoint[], baseline: EnergyOverload): Dominance {
  const at = overloadAtEnergy(frontier, baseline.energyKWh);
  if (!at) {
    const most = Math.max(...frontier.map((p) => p.energyKWh));
    return { kind: 'miss', how: `beyond the frontier: ${baseline.energyKWh.toFixed(2)} kWh > the balancer's most, ${most.toFixed(2)} kWh` };
  }
  const ratio = baseline.overloadAs > EPS ? at.overloadAs / baseline.overloadAs : at.overloadAs > EPS ? Infinity : 0;
  return { kind: 'ratio', overloadAtEnergyAs: at.overloadAs, ratio, how: at.how };
}

export const met = (d: Dominance | null): boolean => d !== null && d.kind === 'ratio' && d.ratio <= DOMINANCE_TARGET + EPS;

export interface BaselinePoint extends EnergyOverload {
  baseline: Baseline;
  policy: string;
  dominance: Dominance;
}

export interface GroupFrontier {
  group: string;
  idealKWh: number;
  balancer: FrontierPoint[];
  /** The reactive oracle told fuse − margin: what no reactive policy with that margin beats. */
  oracle: FrontierPoint[];
  baselines: (BaselinePoint | { baseline: Baseline; policy: null })[];
}

/** The reactive oracle with the scenario's margin taken off the fuse (metrics still against the real fuse). */
export function oracleAtMargin(scenario: Scenario, marginA: number): PolicyMetrics {
  const ctx = { fuseA: scenario.fuseA - marginA, marginA: 0, carGridPhases: carGridPhases(scenario.car) };
  return runPolicy(scenario, createPolicy('reactive-oracle', ctx)).metrics;
}

export interface Sweep {
  frontiers: GroupFrontier[];
  /** Per row (same order as the matrix): the balancer and the oracle at each margin. */
  balancerAt: Map<Row, Map<number, PolicyMetrics>>;
  oracleAt: Map<Row, Map<number, PolicyMetrics>>;
}

const point = (marginA: number, ms: PolicyMetrics[]): FrontierPoint => ({
  marginA,
  energyKWh: sum(ms.map((m) => m.energyKWh)),
  overloadAs: sum(ms.map((m) => m.overloadAmpSeconds)),
});

/** Sweep the margin for every row (the default margin's balancer run is reused from the matrix). */
export function sweep(rows: Row[]): Sweep {
  const balancerAt = new Map<Row, Map<number, PolicyMetrics>>();
  const oracleAt = new Map<Row, Map<number, PolicyMetrics>>();
  for (const row of rows) {
    const b = new Map<number, PolicyMetrics>();
    const o = new Map<number, PolicyMetrics>();
    for (const m of FRONTIER_MARGINS_A) {
      b.set(m, m === row.scenario.marginA ? row.results.balancer : runPolicy({ ...row.scenario, marginA: m }, 'balancer').metrics);
      o.set(m, oracleAtMargin(row.scenario, m));
    }
    balancerAt.set(row, b);
    oracleAt.set(row, o);
  }
  const frontiers = [...byGroup(rows)].map(([group, rs]): GroupFrontier => {
    const balancer = FRONTIER_MARGINS_A.map((m) => point(m, rs.map((r) => balancerAt.get(r)!.get(m)!)));
    const oracle = FRONTIER_MARGINS_A.map((m) => point(m, rs.map((r) => oracleAt.get(r)!.get(m)!)));
    const baselines = BASELINES.map((baseline) => {
      const policy = policyFor(baseline);
      if (!policy) return { baseline, policy: null };
      const p = point(DEFAULT_MARGIN_A, rs.map((r) => r.results[policy]));
      return { baseline, policy, energyKWh: p.energyKWh, overloadAs: p.overloadAs, dominance: dominance(balancer, p) };
    });
    return { group, idealKWh: sum(rs.map((r) => r.results.ideal.energyKWh)), balancer, oracle, baselines };
  });
  return { frontiers, balancerAt, oracleAt };
}
