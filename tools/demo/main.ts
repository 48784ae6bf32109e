/**
 * `npm start` — the main job without a Homey.
 *
 *   npm start                                   demo: emulated go-e + Charge Amps, a real P1 trace, report in out/
 *   npm start -- --fuse 20 --trace FILE         the demo with another fuse or trace (CSV time,l1,l2,l3)
 *   npm start -- --meter homewizard://192.168.1.30 --goe 192.168.1.20 [--chargeamps] [--fuse 25]
 *                                               the same controller live against real devices, until Ctrl-C
 *                                               (--chargeamps reads CHARGEAMPS_EMAIL/PASSWORD/API_KEY)
 * Exit codes: 0 done, 1 a device failed, 2 usage error. Never prints a stack trace or a secret.
 */
import fs from 'fs';
import path from 'path';
import { UserInputError, describeError } from '../../lib/errors';
import { parseFlags, UsageError } from '../cli/args';
import { runDemo } from './demo';
import { startLive, type LiveOptions } from './live';
import { renderDemoReport, summaryLines } from './report';

export interface MainIo {
  out(line: string): void;
  err(line: string): void;
  env: Record<string, string | undefined>;
  /** Resolves when the user asks to stop a live run (Ctrl-C). */
  stopSignal: Promise<void>;
}

const FLAGS = {
  trace: 'string',
  fuse: 'number',
  duration: 'number',
  out: 'string',
  meter: 'string',
  goe: 'string',
  chargeamps: 'boolean',
  'chargeamps-base-url': 'string',
  help: 'boolean',
} as const;

function checkFuse(fuse: unknown): number | undefined {
  if (fuse === undefined) return undefined;
  if (typeof fuse !== 'number' || fuse < 6 || fuse > 100) throw new UsageError('--fuse', `expected the main fuse in A from 6 to 100, got ${String(fuse)}`);
  return fuse;
}

export async function main(argv: string[], io: MainIo): Promise<number> {
  let flags;
  try {
    flags = parseFlags(argv, { ...FLAGS }).flags;
    if (flags.help) {
      io.out('usage: npm start [-- --fuse A --trace FILE --duration S]   (demo)');
      io.out('       npm start -- --meter homewizard://IP (--goe HOST | --chargeamps) [--fuse A]   (live, Ctrl-C to stop)');
      return 0;
    }
    checkFuse(flags.fuse);
    if (flags.duration !== undefined && !((flags.duration as number) > 0)) throw new UsageError('--duration', 'expected a number of simulated seconds > 0');
  } catch (err) {
    io.err(`error: ${describeError(err)}`);
    return 2;
  }
  try {
    return flags.meter !== undefined || flags.goe !== undefined || flags.chargeamps ? await live(flags, io) : await demo(flags, io);
  } catch (err) {
    io.err(`error: ${describeError(err)}`);
    return err instanceof UserInputError ? 2 : 1;
  }
}

async function demo(flags: Record<string, unknown>, io: MainIo): Promise<number> {
  io.out('PhaseGuard EV demo: real controller + balancer, emulated go-e and Charge Amps chargers, recorded P1 trace');
  const result = await runDemo({
    tracePath: flags.trace as string | undefined,
    fuseA: flags.fuse as number | undefined,
    durationS: flags.duration as number | undefined,
    onProgress: (p) => {
      const pct = String(Math.round(p.fraction * 100)).padStart(3);
      const clock = `${String(Math.floor(p.simS / 3600)).padStart(2, '0')}:${String(Math.floor((p.simS % 3600) / 60)).padStart(2, '0')}`;
      const allowed = Object.values(p.allowedA).map((a) => (a === null ? '–' : `${a} A`)).join(' / ');
      io.out(`[${pct}%] ${clock} simulated  meter L1 ${p.measuredA[0]} A  L2 ${p.measuredA[1]} A  L3 ${p.measuredA[2]} A  chargers ${allowed}`);
    },
  });
  for (const line of summaryLines(result)) io.out(line);
  const outDir = path.resolve((flags.out as string | undefined) ?? 'out');
  fs.mkdirSync(outDir, { recursive: true });
  const file = path.join(outDir, 'demo-report.html');
  fs.writeFileSync(file, renderDemoReport(result));
  io.out(`report: ${path.relative(process.cwd(), file) || file}`);
  return 0;
}

async function live(flags: Record<string, unknown>, io: MainIo): Promise<number> {
  const meterUrl = flags.meter as string | undefined;
  if (!meterUrl) throw new UsageError('--meter', 'is required for a live run, e.g. --meter homewizard://192.168.1.30');
  const m = /^homewizard:\/\/(.+)$/i.exec(meterUrl);
  if (!m) throw new UsageError('--meter', `expected homewizard://HOST, got "${meterUrl}"`);
  if (flags.goe === undefined && !flags.chargeamps) throw new UsageError('--goe', 'name at least one charger: --goe HOST and/or --chargeamps');
  let chargeAmps: LiveOptions['chargeAmps'];
  if (flags.chargeamps) {
    const email = io.env.CHARGEAMPS_EMAIL;
    const password = io.env.CHARGEAMPS_PASSWORD;
    const apiKey = io.env.CHARGEAMPS_API_KEY;
    if (!email) throw new UsageError('CHARGEAMPS_EMAIL', 'is not set (with --chargeamps also set CHARGEAMPS_PASSWORD and CHARGEAMPS_API_KEY)');
    if (!password) throw new UsageError('CHARGEAMPS_PASSWORD', 'is not set');
    if (!apiKey) throw new UsageError('CHARGEAMPS_API_KEY', 'is not set');
    chargeAmps = { email, password, apiKey, baseUrl: flags['chargeamps-base-url'] as string | undefined };
  }
  const run = await startLive({
    meterHost: m[1],
    goeHost: flags.goe === undefined ? undefined : String(flags.goe),
    chargeAmps,
    settings: { fuseA: checkFuse(flags.fuse) ?? 25 },
    out: io.out,
    err: io.err,
  });
  io.out(`live: fuse ${run.settings.fuseA} A, meter ${meterUrl}, chargers: ${run.chargers.map((c) => c.name).join(', ')} (Ctrl-C to stop)`);
  await io.stopSignal;
  await run.stop();
  io.out('stopped');
  return 0;
}

if (require.main === module) {
  const stopSignal = new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
  main(process.argv.slice(2), {
    out: (l) => process.stdout.write(`${l}\n`),
    err: (l) => process.stderr.write(`${l}\n`),
    env: process.env,
    stopSignal,
  }).then(
    (code) => process.exit(code),
    (err) => {
      process.stderr.write(`error: ${describeError(err)}\n`);
      process.exit(1);
    },
  );
}
