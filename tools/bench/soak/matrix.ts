/**
 * The Done-when matrix of issue 11: several seeds (1–5), 6 h each; per kind the worst over all seeds
 * against its bound, and the run-wide criteria over all seeds.
 */
import { kindVerdict, worstOf, type KindSummary } from './measure';
import { FAULT_KINDS } from './plan';
import { GOE_POLL_S, HEAP_LIMIT_MB, resumeAfterRestart, type Criterion, type SoakResult } from './result';

export interface MatrixKind {
  kind: string;
  summary: KindSummary;
  bound: string;
  met: boolean;
}

export interface MatrixVerdict {
  summaries: KindSummary[];
  kinds: MatrixKind[];
  /** The seed with the most seconds over the fuse per kind. */
  worstSeed: Record<string, number | null>;
  criteria: Criterion[];
}

export function matrixVerdict(results: SoakResult[]): MatrixVerdict {
  const summaries = worstOf(results.map((r) => r.kinds));
  const kinds = summaries.map((s) => ({ kind: s.kind, summary: s, ...kindVerdict(s) }));
  const worstSeed: Record<string, number | null> = {};
  for (const k of FAULT_KINDS) {
    let best: { seed: number; s: number } | null = null;
    for (const r of results) {
      const s = r.kinds.find((x) => x.kind === k)?.maxSecondsOverFuse ?? null;
      if (s !== null && s > 0 && (!best || s > best.s)) best = { seed: r.seed, s };
    }
    worstSeed[k] = best?.seed ?? null;
  }
  const missing = results.flatMap((r) => r.kinds.filter((k) => k.count === 0).map((k) => `seed ${r.seed}: ${k.kind}`));
  const crashes = results.reduce((n, r) => n + r.uncaught.length, 0);
  const rejections = results.reduce((n, r) => n + r.unhandled.length, 0);
  const heap = Math.max(...results.map((r) => r.heapGrowthMB));
  const heapSampled = results.every((r) => r.totals.heapMB.length > 1);
  const resume = results.flatMap((r) => resumeAfterRestart(r).map((v) => ({ v, bound: r.settings.resumeWindowS + GOE_POLL_S })));
  const failing = kinds.filter((k) => !k.met).map((k) => k.kind);
  const criteria: Criterion[] = [
    { name: 'every fault kind injected in every seed', measured: missing.length ? `missing: ${missing.join(', ')}` : `${FAULT_KINDS.length}/${FAULT_KINDS.length} in each of ${results.length}`, met: missing.length === 0 },
    { name: 'every fault kind within its bound, worst over all seeds', measured: failing.length ? `${kinds.length - failing.length}/${kinds.length}; not: ${failing.join(', ')}` : `${kinds.length}/${kinds.length}`, met: failing.length === 0 },
    {
      name: 'restart-during-resume: charging allowed again ≤ resumeWindowS + one go-e poll after the charger answers',
      measured: resume.length ? `${resume.filter((x) => x.v !== null && x.v <= x.bound).length}/${resume.length} (worst ${resume.some((x) => x.v === null) ? 'never' : `${Math.max(...resume.map((x) => x.v as number))} s`}, bound ${resume[0].bound} s)` : 'not reached',
      met: resume.length > 0 && resume.every((x) => x.v !== null && x.v <= x.bound),
    },
    { name: '0 crashes', measured: String(crashes), met: crashes === 0 },
    { name: '0 unhandled rejections', measured: String(rejections), met: rejections === 0 },
    { name: `heap growth < ${HEAP_LIMIT_MB} MB in every seed`, measured: `worst ${heap.toFixed(2)} MB`, met: heap < HEAP_LIMIT_MB && heapSampled },
    failsafeCriterion(results, 'at its minimum within staleAfterS', (f) => [f.checked, f.violations.length]),
    failsafeCriterion(results, 'paused within pauseAfterS', (f) => [f.pauseChecked, f.pauseViolations.length]),
  ];
  return { summaries, kinds, worstSeed, criteria };
}

/** Every charger after every meter outage of every seed (a cloud charger's command latency added). */
function failsafeCriterion(results: SoakResult[], what: string, pick: (f: SoakResult['totals']['failsafe']) => [number, number]): Criterion {
  const [checked, bad] = results.map((r) => pick(r.totals.failsafe)).reduce(([c, b], [c2, b2]) => [c + c2, b + b2], [0, 0]);
  return { name: `fail-safe: every charger ${what} (+ 2 s, + 20 s command latency for the cloud charger) of every meter outage`, measured: `${checked - bad}/${checked}`, met: checked > 0 && bad === 0 };
}
