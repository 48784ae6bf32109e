/**
 * `npm run bench`: every policy over the scenario matrix (trace groups × fuse 16/20/25 A × 1-/3-phase
 * car × meter 1 s/10 s × go-e/Charge Amps, tools/bench/matrix.ts), the balancer's margin swept over
 * 0–3 A for the fair frontier (frontier.ts), issue 12's Done-when measured line by line (doneWhen.ts),
 * balancer step timing with 4 chargers and a 10 h replay (perf.ts). Writes docs/benchmarks.md
 * (generated, report.ts) and prints the Done-when table. Not a test: nothing here fails the build.
 *
 *   npm run bench [-- --out FILE.md]
 */
import { writeFileSync } from 'fs';
import path from 'path';
import type { BalancerConfig } from '../../lib/balancer/types';
import { formatTable } from '../sim/cli';
import { carGridPhases } from '../sim/models';
import { createPolicy } from '../sim/policies';
import { runPolicy } from '../sim/simulate';
import { capacitySection } from './capacity';
import { doneWhen } from './doneWhen';
import { appendLatencySection } from './latency';
import { appendSolarSection } from './solar';
import { sweep } from './frontier';
import { byGroup, ROOT, runMatrix, sum, traceGroups, type Row } from './matrix';
import { measurePerformance } from './perf';
import { appendPlanSection } from './plan';
import { renderBenchmarks, type Variant } from './report';

const DEFAULT_OUT = path.join(ROOT, 'docs', 'benchmarks.md');

function outFile(argv: string[]): string {
  const i = argv.indexOf('--out');
  if (i < 0) return DEFAULT_OUT;
  if (!argv[i + 1]) throw new Error('--out needs a file name');
  return path.resolve(argv[i + 1]);
}

/** The balancer with one rule relaxed, or the quick rules off (diagnostic: where its energy goes). */
const VARIANTS: { label: string; balancer: Partial<BalancerConfig> }[] = [
  { label: 'the configured waits always (`quickStressBudget` 0: no quick rules)', balancer: { quickStressBudget: 0 } },
  { label: 'restore in one step (`restoreStepA` 16)', balancer: { restoreStepA: 16 } },
  { label: 'restore hold 10 s (`restoreHoldS` 10)', balancer: { restoreHoldS: 10 } },
  { label: 'resume window 30 s (`resumeWindowS` 30)', balancer: { resumeWindowS: 30 } },
  { label: 'no cloud raise window or reserve (`cloudRaiseWindowS` 0, `cloudRaiseReserveA` 0)', balancer: { cloudRaiseWindowS: 0, cloudRaiseReserveA: 0 } },
  {
    label: 'all four relaxed',
    balancer: { restoreStepA: 16, restoreHoldS: 10, resumeWindowS: 30, cloudRaiseWindowS: 0, cloudRaiseReserveA: 0 },
  },
];

function runVariants(rows: Row[]): Variant[] {
  return VARIANTS.map((v) => {
    const perGroup = new Map<string, { energyKWh: number; overloadAs: number }>();
    for (const [group, rs] of byGroup(rows)) {
      const ms = rs.map((r) => {
        const ctx = { fuseA: r.scenario.fuseA, marginA: r.scenario.marginA, carGridPhases: carGridPhases(r.scenario.car), balancer: v.balancer };
        return runPolicy(r.scenario, createPolicy('balancer', ctx)).metrics;
      });
      perGroup.set(group, { energyKWh: sum(ms.map((m) => m.energyKWh)), overloadAs: sum(ms.map((m) => m.overloadAmpSeconds)) });
    }
    const all = [...perGroup.values()];
    return { label: v.label, perGroup, energyKWh: sum(all.map((x) => x.energyKWh)), overloadAs: sum(all.map((x) => x.overloadAs)) };
  });
}

function main(): void {
  const out = outFile(process.argv.slice(2));
  const started = Date.now();
  const { groups, missing } = traceGroups();
  const rows = runMatrix(groups);
  const sw = sweep(rows);
  const variants = runVariants(rows);
  const oneSecond = groups.find((g) => g.name.includes('1s'))?.trace ?? groups[0].trace;
  const perf = measurePerformance(oneSecond);
  const targets = doneWhen(rows, sw, perf);
  const seconds = (Date.now() - started) / 1000;
  writeFileSync(out, `${renderBenchmarks({ groups, missingGroups: missing, rows, sweep: sw, targets, perf, variants, seconds })}\n${capacitySection(groups)}`);

  console.log(formatTable(['Done-when line', 'measured', 'met'], targets.map((t) => [t.line, t.measured, t.met === null ? 'not measured' : t.met ? 'yes' : 'NO'])));
  console.log(`\nwrote ${path.relative(ROOT, out)} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  appendSolarSection(out);
  appendPlanSection(out);
  void appendLatencySection(out).then(() => process.exit(0));
}

main();
