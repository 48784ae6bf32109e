/**
 * `npm run live-check` — measures the live-mode targets of issue 11 (Done when) on the real clock:
 * live mode (`startLive`, the `npm start -- --meter homewizard://… --goe …` code path, app default
 * settings) against the go-e and HomeWizard P1 emulators over loopback HTTP.
 *
 *   1. no pause at session start when the phase has room (20 runs, the car starting between two go-e polls)
 *   2. a go-e that ignores its limit is paused within 45 s of the load step that needs the cut
 *   3. a meter that stops answering: go-e at 6 A within 20 s, paused within 75 s
 *
 * Writes docs/live.md (`--out FILE`), prints a summary; exit 0 all targets met, 1 a target missed or
 * the run failed, 2 usage error. Options: `--runs N` (session-start runs, default 20), `--parallel N`
 * (session-start runs side by side, default 10). About 3 minutes.
 */
import fs from 'fs';
import path from 'path';
import { describeError } from '../../lib/errors';
import { parseFlags } from '../cli/args';
import { allMet, renderLiveDoc, summaryLines, targetRows, TARGETS, type LiveCheckResult } from './liveCheckReport';
import { ignoredLimit, meterOutage, sessionOffsets, sessionStartRun, type MeterFault, type SessionRun } from './liveCheckScenarios';

const DEFAULT_OUT = path.resolve(__dirname, '../../docs/live.md');
/** The whole run is abandoned (exit 1) after this. */
const HARD_LIMIT_MS = 15 * 60_000;
const OUTAGE_KINDS: MeterFault[] = ['no-answer', 'http-500', 'stopped'];

/** Run `tasks` with at most `parallel` at a time, results in order. */
async function pool<T>(tasks: (() => Promise<T>)[], parallel: number): Promise<T[]> {
  const results: T[] = new Array(tasks.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < tasks.length) {
      const i = next++;
      results[i] = await tasks[i]();
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(parallel, tasks.length)) }, worker));
  return results;
}

function sessionLine(x: SessionRun, total: number): string {
  const outcome = x.error ? `error: ${x.error}` : x.pausedAtS === null ? 'no pause' : `PAUSED at +${x.pausedAtS} s`;
  return `  session ${String(x.no).padStart(2)}/${total}: car starts ${x.offsetS ?? '?'} s after a go-e poll (planned ${x.plannedOffsetS} s): ${outcome}, car at ${x.endA ?? '?'} A`;
}

async function measure(runs: number, parallel: number, out: (l: string) => void, unhandled: string[]): Promise<LiveCheckResult> {
  const t0 = Date.now();
  const offsets = sessionOffsets(runs, 0.3, 4.7);
  const sessions = pool(
    offsets.map((o, i) => () => sessionStartRun(i + 1, o).then((x) => (out(sessionLine(x, runs)), x))),
    parallel,
  );
  const ignored = ignoredLimit().then((x) => (out(`  ignored limit: go-e paused ${x.goePausedS ?? 'never'} s after the load step${x.error ? ` (error: ${x.error})` : ''}`), x));
  const outages = Promise.all(
    OUTAGE_KINDS.map((k) =>
      meterOutage(k).then((x) => (out(`  meter ${k}: go-e at 6 A after ${x.minimumS ?? 'never'} s, paused after ${x.pausedS ?? 'never'} s${x.error ? ` (error: ${x.error})` : ''}`), x)),
    ),
  );
  const result: LiveCheckResult = {
    dateIso: new Date().toISOString(),
    node: process.version,
    wallS: 0,
    parallel,
    sessions: await sessions,
    ignored: await ignored,
    outages: await outages,
    unhandled,
  };
  result.wallS = (Date.now() - t0) / 1000;
  return result;
}

export async function main(argv: string[], out: (l: string) => void, err: (l: string) => void): Promise<number> {
  let runs: number;
  let parallel: number;
  let file: string;
  try {
    const { flags } = parseFlags(argv, { runs: 'number', parallel: 'number', out: 'string', help: 'boolean' });
    if (flags.help) {
      out('usage: npm run live-check [-- --runs N (20) --parallel N (10) --out FILE (docs/live.md)]');
      return 0;
    }
    runs = (flags.runs as number | undefined) ?? TARGETS.sessionRuns;
    parallel = (flags.parallel as number | undefined) ?? 10;
    if (!Number.isInteger(runs) || runs < 1 || runs > 100) throw new Error(`--runs: expected 1–100, got ${runs}`);
    if (!Number.isInteger(parallel) || parallel < 1 || parallel > 50) throw new Error(`--parallel: expected 1–50, got ${parallel}`);
    file = path.resolve((flags.out as string | undefined) ?? DEFAULT_OUT);
  } catch (e) {
    err(`error: ${describeError(e)}`);
    return 2;
  }
  const unhandled: string[] = [];
  const onRejection = (reason: unknown): void => {
    unhandled.push(`unhandled rejection: ${describeError(reason)}`);
  };
  const onException = (e: unknown): void => {
    unhandled.push(`uncaught exception: ${describeError(e)}`);
  };
  process.on('unhandledRejection', onRejection);
  process.on('uncaughtException', onException);
  try {
    out(`live-check: live mode on the real clock against the go-e and HomeWizard emulators (${runs} session starts, ${parallel} at a time; 4 more rigs alongside; about 3 min)`);
    const result = await measure(runs, parallel, out, unhandled);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, `${renderLiveDoc(result)}\n`);
    summaryLines(result).forEach(out);
    out(`report: ${path.relative(process.cwd(), file) || file}`);
    return allMet(targetRows(result)) ? 0 : 1;
  } finally {
    process.off('unhandledRejection', onRejection);
    process.off('uncaughtException', onException);
  }
}

if (require.main === module) {
  const hard = setTimeout(() => {
    process.stderr.write(`live-check: abandoned after ${HARD_LIMIT_MS / 60_000} min\n`);
    process.exit(1);
  }, HARD_LIMIT_MS);
  hard.unref();
  main(process.argv.slice(2), (l) => process.stdout.write(`${l}\n`), (l) => process.stderr.write(`${l}\n`)).then(
    (code) => process.exit(code),
    (e) => {
      process.stderr.write(`live-check: ${describeError(e)}\n`);
      process.exit(1);
    },
  );
}
