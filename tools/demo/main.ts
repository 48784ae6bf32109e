/**
 * `npm start` — the main job without a Homey.
 *
 *   npm start                                   demo: emulated go-e + Charge Amps, a real P1 trace, report in out/
 *   npm start -- --fuse 20 --trace FILE         the demo with another fuse or trace (CSV time,l1,l2,l3)
 *   npm start -- --meter homewizard://192.168.1.30 --goe 192.168.1.20 [--chargeamps] [--fuse 25]
 *   npm start -- --meter p1tcp://192.168.1.40:8088 --goe 192.168.1.20
 *                                               the same controller live against real devices, until Ctrl-C
 *                                               (--chargeamps reads CHARGEAMPS_EMAIL/PASSWORD/API_KEY or asks)
 *   npm start -- --help                         every flag
 * Exit codes: 0 done, 1 a device failed, 2 usage error. Never prints a stack trace or a secret.
 */
import fs from 'fs';
import path from 'path';
import { UserInputError, describeError, quoteInput } from '../../lib/errors';
import { readMeterHost, readP1TcpHost } from '../../lib/settingsValidation';
import { formatHelp, parseFlags, specOf, UsageError, wantsHelp, type FlagDocs } from '../cli/args';
import { readCredential, terminalPrompt, type Prompt } from '../cli/credentials';
import { runDemo } from './demo';
import { liveV2Pairing } from './homewizardV2Live';
import { startLive, type LiveOptions } from './live';
import { renderDemoReport, summaryLines } from './report';

export interface MainIo {
  out(line: string): void;
  err(line: string): void;
  env: Record<string, string | undefined>;
  /** Resolves when the user asks to stop a live run (Ctrl-C). */
  stopSignal: Promise<void>;
  /** Asks for a credential the environment lacks (a terminal only). */
  prompt?: Prompt;
}

const REPORT_FILE = 'demo-report.html';

const FLAGS: FlagDocs = {
  fuse: { type: 'number', value: 'A', help: 'the main fuse per phase in A, 6 to 100 (default 25)' },
  trace: { type: 'string', value: 'FILE', help: 'demo: a household trace, CSV time,l1,l2,l3 (default: the bundled 6 h 50 min P1 recording)' },
  duration: { type: 'number', value: 'S', help: 'demo: simulate only the first S seconds of the trace' },
  out: { type: 'string', value: 'DIR', help: 'demo: the directory for demo-report.html (default out/; checked before the run)' },
  meter: {
    type: 'string', value: 'homewizard://HOST',
    help: 'live: the HomeWizard P1 meter (its local API switched on); homewizard-v2://HOST, a P1 meter with firmware 6+ over API v2 ' +
      '(paired at start: press its button); or p1tcp://HOST:PORT, a P1 dongle / serial-to-TCP bridge streaming raw P1 telegrams',
  },
  goe: { type: 'string', value: 'HOST', help: "live: a go-e charger's IP address or host name" },
  chargeamps: { type: 'boolean', help: 'live: every Charge Amps connector of the account (credentials from the environment or a prompt)' },
  'chargeamps-base-url': { type: 'string', value: 'URL', help: 'live: another address for the Charge Amps cloud API' },
};

const HELP = formatHelp({
  command: 'npm start --',
  summary:
    'Without --meter: the demo. The real controller and balancer drive an emulated go-e and Charge Amps charger over a recorded P1 trace on a virtual clock and write DIR/demo-report.html. ' +
    'With --meter: live mode, the same controller against real devices until Ctrl-C.',
  flags: FLAGS,
  env: {
    CHARGEAMPS_EMAIL: 'live --chargeamps: the e-mail of the Charge Amps account',
    CHARGEAMPS_PASSWORD: 'its password (asked for in a terminal when not set)',
    CHARGEAMPS_API_KEY: 'the API key Charge Amps support issued (asked for in a terminal when not set)',
    HOMEWIZARD_TOKEN: 'live --meter homewizard-v2://…: a token the meter gave before (with HOMEWIZARD_CERT_SHA256); else pair at start',
    HOMEWIZARD_CERT_SHA256: "the SHA-256 fingerprint of that meter's certificate, pinned at that pairing",
  },
  notes: [
    'examples:', '  npm start -- --fuse 20 --duration 3600 --out out/short', '  npm start -- --meter homewizard://192.168.1.30 --goe 192.168.1.20 --fuse 25',
    '  npm start -- --meter p1tcp://192.168.1.40:8088 --goe 192.168.1.20', '  npm start -- --meter homewizard-v2://192.168.1.30 --goe 192.168.1.20',
    'Exit 0 done, 1 a device failed, 2 bad input.',
  ],
});

function checkFuse(fuse: unknown): number | undefined {
  if (fuse === undefined) return undefined;
  if (typeof fuse !== 'number' || fuse < 6 || fuse > 100) throw new UsageError('--fuse', `expected the main fuse in A from 6 to 100, got ${String(fuse)}`);
  return fuse;
}

/** The report's directory, made and checked before the run: a file there, or no way to write, is a usage error. */
export function prepareOutDir(out: string | undefined): string {
  const dir = path.resolve(out ?? 'out');
  const shown = out ?? 'out';
  const code = (err: unknown): string => (err as NodeJS.ErrnoException).code ?? String(err);
  if (fs.existsSync(dir) && !fs.statSync(dir).isDirectory()) {
    throw new UsageError('--out', `"${shown}" is a file; name a directory (the report is written into it as demo-report.html)`);
  }
  try {
    fs.mkdirSync(dir, { recursive: true });
  } catch (err) {
    throw new UsageError('--out', `cannot create the directory "${shown}" (${code(err)}); name a directory you can write to`);
  }
  try {
    fs.accessSync(dir, fs.constants.W_OK);
  } catch {
    throw new UsageError('--out', `the directory "${shown}" is not writable; name a directory you can write to`);
  }
  const file = path.join(dir, REPORT_FILE);
  if (fs.existsSync(file) && !fs.statSync(file).isFile()) throw new UsageError('--out', `"${path.join(shown, REPORT_FILE)}" exists and is not a file`);
  return dir;
}

export async function main(argv: string[], io: MainIo): Promise<number> {
  let flags;
  let outDir = '';
  try {
    if (wantsHelp(argv)) {
      HELP.forEach((l) => io.out(l));
      return 0;
    }
    flags = parseFlags(argv, specOf(FLAGS)).flags;
    checkFuse(flags.fuse);
    if (flags.duration !== undefined && !((flags.duration as number) > 0)) throw new UsageError('--duration', 'expected a number of simulated seconds > 0');
    if (!isLive(flags)) outDir = prepareOutDir(flags.out as string | undefined);
  } catch (err) {
    io.err(`error: ${describeError(err)}`);
    return 2;
  }
  try {
    return isLive(flags) ? await live(flags, io) : await demo(flags, outDir, io);
  } catch (err) {
    io.err(`error: ${describeError(err)}`);
    return err instanceof UserInputError ? 2 : 1;
  }
}

const isLive = (flags: Record<string, unknown>): boolean => flags.meter !== undefined || flags.goe !== undefined || flags.chargeamps === true;

async function demo(flags: Record<string, unknown>, outDir: string, io: MainIo): Promise<number> {
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
  const file = path.join(outDir, REPORT_FILE);
  fs.writeFileSync(file, renderDemoReport(result));
  io.out(`report: ${path.relative(process.cwd(), file) || file}`);
  return 0;
}

/** `--meter homewizard://HOST` or `--meter p1tcp://HOST:PORT` (the address checked like the settings page does). */
function liveMeter(meterUrl: string): Pick<LiveOptions, 'meterHost' | 'meterKind'> {
  const m = /^(homewizard|homewizard-v2|p1tcp):\/\/(.+)$/i.exec(meterUrl);
  if (!m) throw new UsageError('--meter', `expected homewizard://HOST, homewizard-v2://HOST or p1tcp://HOST:PORT, got ${quoteInput(meterUrl)}`);
  if (m[1].toLowerCase() === 'homewizard') return { meterHost: m[2], meterKind: 'homewizard' };
  if (m[1].toLowerCase() === 'homewizard-v2') {
    const r = readMeterHost(m[2]);
    if (r.problem !== null) throw new UsageError('--meter', r.problem.charAt(0).toLowerCase() + r.problem.slice(1));
    return { meterHost: r.host, meterKind: 'homewizard-v2' };
  }
  const r = readP1TcpHost(m[2]);
  if (r.problem !== null) throw new UsageError('--meter', r.problem.charAt(0).toLowerCase() + r.problem.slice(1));
  return { meterHost: r.host, meterKind: 'p1tcp' };
}

async function live(flags: Record<string, unknown>, io: MainIo): Promise<number> {
  const meterUrl = flags.meter as string | undefined;
  if (!meterUrl) throw new UsageError('--meter', 'is required for a live run, e.g. --meter homewizard://192.168.1.30');
  const meter = liveMeter(meterUrl);
  if (flags.goe === undefined && !flags.chargeamps) throw new UsageError('--goe', 'name at least one charger: --goe HOST and/or --chargeamps');
  let chargeAmps: LiveOptions['chargeAmps'];
  if (flags.chargeamps) {
    const email = await readCredential({ env: 'CHARGEAMPS_EMAIL', label: 'Charge Amps e-mail', secret: false }, io.env, io.prompt);
    const password = await readCredential({ env: 'CHARGEAMPS_PASSWORD', label: 'Charge Amps password', secret: true }, io.env, io.prompt);
    const apiKey = await readCredential({ env: 'CHARGEAMPS_API_KEY', label: 'Charge Amps API key', secret: true }, io.env, io.prompt);
    chargeAmps = { email, password, apiKey, baseUrl: flags['chargeamps-base-url'] as string | undefined };
  }
  const v2 = meter.meterKind === 'homewizard-v2' ? await liveV2Pairing(meter.meterHost, { env: io.env, out: io.out }) : undefined;
  const run = await startLive({
    ...meter,
    v2,
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
    prompt: terminalPrompt(),
  }).then(
    (code) => process.exit(code),
    (err) => {
      process.stderr.write(`error: ${describeError(err)}\n`);
      process.exit(1);
    },
  );
}
