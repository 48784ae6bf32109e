/**
 * `npm run soak`: the real controller, balancer, both charger clients and the meter source against
 * the go-e and Charge Amps emulators over loopback HTTP, fed by the bundled P1 traces looped, with
 * seeded faults one at a time (tools/bench/soak/plan.ts lists the kinds, tools/bench/soak/faults.ts how each is
 * injected, tools/bench/soak/measure.ts what is attributed to each occurrence). Writes docs/soak.md
 * (generated) and exits 1 when a criterion fails.
 *
 *   npm run soak [-- --seed 7 --hours 24 --out docs/soak.md]
 *   npm run --silent soak -- --hours 6 --seed 3 --json [--out FILE.md]   one JSON object on stdout
 *   npm run soak -- --matrix [--seeds 1-5 --hours 6]                     the Done-when matrix of issue 11
 */
import { spawn } from 'child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'fs';
import os from 'os';
import path from 'path';
import { matrixVerdict } from './soak/matrix';
import { renderMatrixMarkdown, renderSoakMarkdown } from './soak/report';
import { toJson, type SoakResult } from './soak/result';
import { runSoak } from './soak/run';

export { FAULT_KINDS, FAULT_SPECS, faultFreeMask, gapBefore, planFaults, segments, worstSlotS } from './soak/plan';
export { seededRandom } from '../random';
export { runSoak } from './soak/run';
export { toJson } from './soak/result';

const ROOT = path.join(__dirname, '..', '..');
const DEFAULT_OUT = path.join(ROOT, 'docs', 'soak.md');

function usage(message: string): never {
  console.error(message);
  process.exit(2);
}

function numberFlag(argv: string[], name: string, fallback: number): number {
  const i = argv.indexOf(name);
  if (i < 0) return fallback;
  const v = Number(argv[i + 1]);
  if (!Number.isFinite(v) || v <= 0) usage(`${name}: expected a positive number, got "${argv[i + 1] ?? ''}"`);
  return v;
}

function stringFlag(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(name);
  if (i < 0) return undefined;
  const v = argv[i + 1];
  if (v === undefined || v.startsWith('--')) usage(`${name}: expected a value`);
  return v;
}

/** "1-5" or "1,3,7" → seeds. */
export function parseSeeds(text: string): number[] {
  const range = /^(\d+)-(\d+)$/.exec(text);
  const seeds = range ? Array.from({ length: Number(range[2]) - Number(range[1]) + 1 }, (_, i) => Number(range[1]) + i) : text.split(',').map(Number);
  if (!seeds.length || seeds.some((s) => !Number.isInteger(s) || s <= 0)) usage(`--seeds: expected e.g. 1-5 or 1,3,7, got "${text}"`);
  return seeds;
}

async function single(argv: string[]): Promise<number> {
  const seed = numberFlag(argv, '--seed', 1);
  const hours = numberFlag(argv, '--hours', 24);
  const json = argv.includes('--json');
  const resultFile = stringFlag(argv, '--result-file'); // the matrix's child runs hand their result over in a file
  const out = stringFlag(argv, '--out') ?? (resultFile ? undefined : DEFAULT_OUT);
  // With --json, stdout carries the one JSON object only: everything else goes to stderr.
  const say = json || resultFile ? (l: string) => console.error(l) : (l: string) => console.log(l);
  const log = console.log;
  if (json) console.log = (...a: unknown[]) => console.error(...a);
  if (!(globalThis as { gc?: unknown }).gc) console.error('note: run with --expose-gc (npm run soak does) for a forced gc before each heap sample');
  const r = await runSoak({ seed, hours, log: say });
  console.log = log;
  if (out) writeFileSync(out, renderSoakMarkdown(r));
  if (resultFile) writeFileSync(resultFile, JSON.stringify(r));
  if (json) process.stdout.write(`${JSON.stringify(toJson(r))}\n`);
  say('');
  for (const c of r.criteria) say(`${c.met ? 'ok  ' : 'FAIL'} ${c.name}: ${c.measured}`);
  for (const u of [...r.uncaught, ...r.unhandled]) say(`  ${u.split('\n')[0]}`);
  say(`seed ${r.seed}, ${r.hours} h simulated in ${r.wallS.toFixed(0)} s; ${r.occurrences.length} faults${out ? `; report: ${path.relative(process.cwd(), out)}` : ''}`);
  return r.criteria.every((c) => c.met) ? 0 : 1;
}

/** One seed in a child process (a crash or a late rejection of one run cannot touch another). */
function child(seed: number, hours: number, dir: string): Promise<SoakResult> {
  const file = path.join(dir, `seed-${seed}.json`);
  const args = [...process.execArgv, process.argv[1], '--seed', String(seed), '--hours', String(hours), '--result-file', file];
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.on('data', (d: Buffer) => {
      err += d.toString();
      const last = d.toString().trim().split('\n').filter((l) => l.startsWith('[')).pop();
      if (last) console.error(`seed ${seed} ${last}`);
    });
    p.on('error', reject);
    p.on('close', () => {
      try {
        resolve(JSON.parse(readFileSync(file, 'utf8')) as SoakResult);
      } catch {
        reject(new Error(`seed ${seed}: no result (${err.trim().split('\n').slice(-3).join(' | ')})`));
      }
    });
  });
}

async function matrix(argv: string[]): Promise<number> {
  const seeds = parseSeeds(stringFlag(argv, '--seeds') ?? '1-5');
  const hours = numberFlag(argv, '--hours', 6);
  const out = stringFlag(argv, '--out') ?? DEFAULT_OUT;
  const parallel = Math.max(1, Math.min(seeds.length, numberFlag(argv, '--parallel', Math.max(1, Math.min(2, os.cpus().length)))));
  const started = Date.now();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'soak-'));
  const results: SoakResult[] = [];
  try {
    const queue = [...seeds];
    await Promise.all(
      Array.from({ length: parallel }, async () => {
        for (let s = queue.shift(); s !== undefined; s = queue.shift()) results.push(await child(s, hours, dir));
      }),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  results.sort((a, b) => a.seed - b.seed);
  const v = matrixVerdict(results);
  writeFileSync(out, renderMatrixMarkdown(results, v, (Date.now() - started) / 1000));
  console.log(`seeds ${seeds.join(', ')}, ${hours} h each; worst per kind over all seeds:`);
  for (const k of v.kinds) console.log(`  ${k.met ? 'ok  ' : 'FAIL'} ${k.kind.padEnd(22)} injected ${String(k.summary.count).padStart(3)}  worst ${String(k.summary.maxSecondsOverFuse ?? '–').padStart(4)} s over (${k.bound})  peak ${k.summary.maxPhaseA ?? '–'} A  overloadUnresolved ${k.summary.unresolvedAlarmWithinS ?? '–'}${k.summary.unresolvedAlarmMissed ? ` (missed ${k.summary.unresolvedAlarmMissed}×)` : ''}`);
  for (const c of v.criteria) console.log(`${c.met ? 'ok  ' : 'FAIL'} ${c.name}: ${c.measured}`);
  console.log(`report: ${path.relative(process.cwd(), out)}`);
  return v.criteria.every((c) => c.met) ? 0 : 1;
}

if (require.main === module) {
  const argv = process.argv.slice(2);
  (argv.includes('--matrix') ? matrix(argv) : single(argv)).then(
    (code) => process.exit(code),
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}
