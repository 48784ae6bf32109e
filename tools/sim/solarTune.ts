/**
 * The solar control's experiment harness (docs/solar.md, "Experiments"): `solar` mode with a given tuning on the
 * bundled solar traces (every fuse/meter pair of the bench, with and without switching) and on the held-out cloud
 * seeds of the 9 kW day, one summary line per tuning. `npx tsx tools/sim/solarTune.ts '{"disableDelayS":180}' …`
 */
import path from 'path';
import type { SolarConfig } from '../../lib/solar/config';
import { runSolar, type SolarMetrics } from './solar';
import { buildSolarTrace, SOLAR_TRACES } from './solarTrace';
import { loadTrace, type Trace } from './trace';
import type { Scenario } from './simulate';

const ROOT = path.join(__dirname, '..', '..');
/** Cloud seeds of the 9 kW day (the bundled trace is seed 14): 21–26 held out in round 1, tuned on in round 2. */
export const TUNED_SEEDS = [21, 22, 23, 24, 25, 26];
/** Seeds run once, after round 2's tuning was fixed: never tuned on. */
export const FRESH_SEEDS = [31, 32, 33, 34, 35, 36];

/** The 9 kW day with cloud seed `seed` (as the bundled trace, another sky). */
export function heldOutTrace(household: Trace, seed: number): Trace {
  return buildSolarTrace(household, { file: `solar_hu_aux_day_pv9kw_seed${seed}.csv`, peakW: 9000, seed, cloudEveryS: 900 });
}

function scenario(trace: Trace, fuseA: number, meterS: number): Scenario {
  return { trace, fuseA, marginA: 1, car: { phases: 3, maxA: 16 }, meter: { intervalS: meterS }, charger: 'goe' };
}

export interface TuneRun { trace: string; fuseA: number; meterS: number; sw: boolean; m: SolarMetrics }

export function tune(config: Partial<SolarConfig>, opts: { bundled?: boolean; heldOut?: boolean; seeds?: number[] } = {}): TuneRun[] {
  const runs: TuneRun[] = [];
  const dir = path.join(ROOT, 'test', 'fixtures', 'traces');
  if (opts.bundled !== false) {
    for (const spec of SOLAR_TRACES) {
      const trace = loadTrace(path.join(dir, spec.file));
      for (const [fuseA, meterS] of [[25, 1], [25, 10], [16, 1]] as const) {
        for (const sw of [false, true]) {
          if (!sw && spec.file.includes('pv4kw')) continue;
          runs.push({ trace: trace.name, fuseA, meterS, sw, m: runSolar(scenario(trace, fuseA, meterS), 'balancer', { mode: 'solar', phaseSwitching: sw, solarConfig: config }) });
        }
      }
    }
  }
  if (opts.heldOut !== false) {
    const household = loadTrace(path.join(dir, 'hu_aux_10s_day_6h50m.csv'));
    for (const seed of opts.seeds ?? TUNED_SEEDS) {
      const trace = heldOutTrace(household, seed);
      for (const sw of [false, true]) runs.push({ trace: trace.name, fuseA: 25, meterS: 1, sw, m: runSolar(scenario(trace, 25, 1), 'balancer', { mode: 'solar', phaseSwitching: sw, solarConfig: config }) });
    }
  }
  return runs;
}

const p = (x: number): string => (x * 100).toFixed(1);
const used = (r: TuneRun): number => (r.sw ? r.m.surplusUsedSwitchLimited : r.m.surplusUsed) ?? 0;

export function summary(runs: TuneRun[]): string {
  const h = runs.filter((r) => r.trace.includes('_seed'));
  const b = runs.filter((r) => !h.includes(r));
  const out: string[] = [];
  if (b.length) {
    const judged = b.filter((r) => r.fuseA === 25 && (r.sw ? r.trace.includes('pv4kw') : r.trace.includes('pv9kw')));
    const big = b.filter((r) => r.fuseA === 25 && r.sw && r.trace.includes('pv9kw'));
    out.push(`bundled: used ${judged.map((r) => p(r.m.surplusUsed ?? 0)).join('/')} grid ${judged.map((r) => p(r.m.gridShare ?? 0)).join('/')} ` +
      `9kw-sw free ${big.map((r) => p(r.m.surplusUsed ?? 0)).join('/')} lim ${big.map((r) => p(r.m.surplusUsedSwitchLimited ?? 0)).join('/')} ` +
      `chg≤${Math.max(...b.map((r) => r.m.modeChangesPerHour)).toFixed(2)} sw≤${Math.max(...b.map((r) => r.m.phaseSwitchesPerHour)).toFixed(2)}`);
  }
  for (const sw of [false, true]) {
    const rs = h.filter((r) => r.sw === sw);
    if (!rs.length) continue;
    const u = rs.map(used);
    out.push(`held ${sw ? 'sw ' : '3ph'}: used ${u.map(p).join(' ')} (mean ${p(u.reduce((a, x) => a + x, 0) / u.length)}) grid ${rs.map((r) => p(r.m.gridShare ?? 0)).join(' ')} chg≤${Math.max(...rs.map((r) => r.m.modeChangesPerHour)).toFixed(2)}`);
  }
  return out.join('\n');
}

if (require.main === module) {
  for (const arg of process.argv.slice(2).length ? process.argv.slice(2) : ['{}']) {
    const cfg = JSON.parse(arg) as Partial<SolarConfig>;
    process.stdout.write(`== ${arg}\n${summary(tune(cfg))}\n`);
  }
}
