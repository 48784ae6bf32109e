/**
 * The bench's charging-plan section (issue 15): the four plan policies of tools/sim/plan.ts over the bundled
 * household traces and the bundled real day-ahead series (Nord Pool SE3, 2025-10-01, 15 minutes; and the same
 * averaged per hour), trace starts at 00:00 and 15:00 of the price day, fuse 16 / 25 A, a 3-phase and a 1-phase
 * car, three energy targets each. Returns markdown with the Done-when lines measured; nothing here fails a build.
 */
import { appendFileSync } from 'fs';
import path from 'path';
import { loadPriceFile, PLAN_POLICY_NAMES, runPlanPolicies, type PlanResult } from '../sim/plan';
import type { Scenario } from '../sim/simulate';
import { loadTrace, type Trace } from '../sim/trace';
import type { PriceSlot } from '../../lib/plan/prices';

const ROOT = path.join(__dirname, '..', '..');
const PRICE_FILE = path.join(ROOT, 'test', 'fixtures', 'prices', 'nordpool_se3_2025-10-01_15min.json');
const TRACES = [
  { file: 'hu_aux_10s_day_6h50m.csv', deadlineS: 6.5 * 3600, kwh3: [10, 20, 30], kwh1: [5, 10, 18] },
  { file: 'hu_aux_10s_evening_3h.csv', deadlineS: 3 * 3600, kwh3: [6, 12, 21], kwh1: [3, 6, 9] },
];
const FUSES = [16, 25];
const START_HOURS = [0, 15];
const H = 3600_000;

interface PlanRow {
  label: string;
  fuseA: number;
  energyKWh: number;
  results: Record<string, PlanResult>;
}

function hourlyFrom(quarters: PriceSlot[]): PriceSlot[] {
  const out: PriceSlot[] = [];
  for (let i = 0; i + 4 <= quarters.length; i += 4) {
    out.push({ startMs: quarters[i].startMs, endMs: quarters[i + 3].endMs, price: quarters.slice(i, i + 4).reduce((s, q) => s + q.price, 0) / 4 });
  }
  return out;
}

/** The series shifted so that `startHour` of the price day is the trace start (earlier slots dropped). */
function shifted(prices: PriceSlot[], startHour: number): PriceSlot[] {
  return prices.filter((p) => p.endMs > startHour * H).map((p) => ({ ...p, startMs: p.startMs - startHour * H, endMs: p.endMs - startHour * H }));
}

function scenario(trace: Trace, fuseA: number, phases: 1 | 3): Scenario {
  return { trace, fuseA, marginA: 1, car: { phases, phase: 'L1', maxA: 16 }, meter: { intervalS: 10 }, charger: 'goe', plugInAfterS: 60 };
}

export function runPlanBench(): PlanRow[] {
  const quarters = loadPriceFile(PRICE_FILE);
  const series = [
    { name: '15 min', prices: quarters },
    { name: '1 h', prices: hourlyFrom(quarters) },
  ];
  const rows: PlanRow[] = [];
  for (const t of TRACES) {
    const trace = loadTrace(path.join(ROOT, 'test', 'fixtures', 'traces', t.file));
    for (const s of series) {
      for (const startHour of START_HOURS) {
        for (const fuseA of FUSES) {
          for (const phases of [3, 1] as const) {
            for (const energyKWh of phases === 3 ? t.kwh3 : t.kwh1) {
              const prices = shifted(s.prices, startHour);
              const res = runPlanPolicies(scenario(trace, fuseA, phases), { prices, energyKWh, deadlineS: t.deadlineS });
              const label = `${trace.name}, ${s.name} from ${String(startHour).padStart(2, '0')}:00, ${fuseA} A, ${phases}-phase, ${energyKWh} kWh by ${t.deadlineS / 3600} h`;
              rows.push({ label, fuseA, energyKWh, results: Object.fromEntries(res.map((r) => [r.policy, r])) });
            }
          }
        }
      }
    }
  }
  return rows;
}

const f2 = (n: number): string => n.toFixed(2);

export interface PlanTarget {
  line: string;
  measured: string;
  met: boolean;
}

export function planTargets(rows: PlanRow[]): PlanTarget[] {
  const idealMet = rows.filter((r) => r.results['plan-ideal'].planMet);
  const oursMet = idealMet.filter((r) => r.results.plan.planMet);
  const ratios = oursMet.map((r) => r.results.plan.planCost / r.results['plan-ideal'].planCost);
  const worst = ratios.length ? Math.max(...ratios) : NaN;
  const naiveMiss = rows.filter((r) => r.fuseA === 16 && r.results.plan.planMet && !r.results['naive-cheapest'].planMet);
  return [
    {
      line: 'Target met by the deadline in 100 % of the runs where the ideal meets it',
      measured: `${oursMet.length} of ${idealMet.length} (${f2((100 * oursMet.length) / Math.max(1, idealMet.length))} %)`,
      met: oursMet.length === idealMet.length,
    },
    {
      line: "Cost ≤ 1.05 × the ideal's",
      measured: `worst ${f2(worst)} ×, median ${f2(median(ratios))} × over ${ratios.length} runs`,
      met: ratios.length > 0 && worst <= 1.05,
    },
    {
      line: 'The naive planner misses at least one deadline on a small-fuse scenario that ours meets',
      measured: `${naiveMiss.length} small-fuse (16 A) runs${naiveMiss[0] ? `, e.g. ${naiveMiss[0].label}: naive ${f2(naiveMiss[0].results['naive-cheapest'].planEnergyKWh)} kWh` : ''}`,
      met: naiveMiss.length > 0,
    },
  ];
}

function median(xs: number[]): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

export function renderPlanSection(rows: PlanRow[], seconds: number): string {
  const targets = planTargets(rows);
  const lines: string[] = [
    '',
    '## Charging plan (issue 15)',
    '',
    `Generated by \`tools/bench/plan.ts\` in ${seconds.toFixed(1)} s: ${rows.length} scenarios × ${PLAN_POLICY_NAMES.length} policies. Household traces`,
    'as in the matrix; prices: the real Nord Pool SE3 day-ahead series of 2025-10-01 (15 minutes, SEK/kWh, bundled, see',
    '`test/fixtures/ATTRIBUTION.md`) and the same averaged per hour, with the trace starting at 00:00 or 15:00 of that day;',
    'margin 1 A, go-e, 10 s meter. `fast` charges at once; `naive-cheapest` takes the cheapest slots that would deliver the',
    'energy at the car\'s full power (16 A), ignoring the fuse and the household; `plan` is `PlanLimitSource` through',
    '`applyLimits` and the balancer, its load profile learned from the same household the day before; `plan-ideal` knows the',
    'household current of every second in advance and acts instantly (the cost reference). Every policy stops at the target;',
    'cost counts the energy until the deadline at the price of its slot. How the planner works: [plan.md](plan.md).',
    '',
    '| Done-when line | measured | met |',
    '| --- | --- | --- |',
    ...targets.map((t) => `| ${t.line} | ${t.measured} | ${t.met ? 'yes' : 'NO'} |`),
    '',
    '| policy | target met (runs) | mean cost / ideal | overload A·s (all runs) |',
    '| --- | --- | --- | --- |',
  ];
  for (const p of PLAN_POLICY_NAMES) {
    const met = rows.filter((r) => r.results[p].planMet).length;
    const both = rows.filter((r) => r.results[p].planMet && r.results['plan-ideal'].planMet);
    const ratio = both.reduce((s, r) => s + r.results[p].planCost / r.results['plan-ideal'].planCost, 0) / Math.max(1, both.length);
    const overload = rows.reduce((s, r) => s + r.results[p].overloadAmpSeconds, 0);
    lines.push(`| \`${p}\` | ${met} of ${rows.length} | ${both.length ? f2(ratio) : '-'} | ${overload.toFixed(0)} |`);
  }
  lines.push('', '<details><summary>Every run: kWh by the deadline / cost (a miss in bold)</summary>', '');
  lines.push(`| scenario | ${PLAN_POLICY_NAMES.join(' | ')} |`, `| --- |${PLAN_POLICY_NAMES.map(() => ' --- |').join('')}`);
  for (const r of rows) {
    const cell = (p: string): string => {
      const x = r.results[p];
      const text = `${f2(x.planEnergyKWh)} / ${f2(x.planCost)}`;
      return x.planMet ? text : `**${text}**`;
    };
    lines.push(`| ${r.label} | ${PLAN_POLICY_NAMES.map(cell).join(' | ')} |`);
  }
  lines.push('', '</details>', '');
  return lines.join('\n');
}

/** The whole section (the one hook of tools/bench/run.ts). */
export function planSection(): string {
  const started = Date.now();
  const rows = runPlanBench();
  const md = renderPlanSection(rows, (Date.now() - started) / 1000);
  for (const t of planTargets(rows)) console.log(`plan: ${t.line}: ${t.measured} — ${t.met ? 'met' : 'NOT met'}`);
  return md;
}

/** Append the section to the generated report (the one hook line of tools/bench/run.ts). */
export function appendPlanSection(out: string): void {
  appendFileSync(out, planSection());
}
