/**
 * End-to-end meter latency (issue 16): from a telegram leaving an emulator to the balancer's decision on it, on
 * loopback, for the two push meters: the HomeWizard API v2 WebSocket (HTTPS, pinned certificate, token) and raw P1
 * telegrams over TCP. The app's live mode runs as `npm start -- --meter …` does (tools/demo/live.ts: the real meter
 * source, controller and go-e client against the go-e emulator); each telegram carries other currents, so each is a
 * new reading. One telegram at a time: its send time (`performance.now()` right before the emulator writes it) to the
 * moment the controller's step on it has returned (a listener after the controller's own on the meter source). Not a
 * test: the numbers land in docs/benchmarks.md through `npm run bench`.
 */
import fs from 'fs';
import path from 'path';
import { SystemClock } from '../../lib/clock';
import { splitDsmrTelegrams } from '../../lib/meter/dsmr';
import { requestV2Token } from '../../lib/meter/homewizardV2Client';
import { startLive, type LiveRun } from '../demo/live';
import { GoeEmulator } from '../emulators/goe/emulator';
import { HomeWizardV2Emulator, measurementWithValues } from '../emulators/homewizardV2';
import { P1TcpEmulator, telegramWithValues } from '../emulators/p1tcp';

const FIXTURES = path.join(__dirname, '..', '..', 'test', 'fixtures', 'meter');
/** Target of the issue's Done-when line: a telegram to a balancer decision in under 200 ms on loopback. */
export const LATENCY_TARGET_MS = 200;

export interface LatencyResult {
  meter: string;
  sent: number;
  /** Telegrams that led to a decision within 2 s. */
  decided: number;
  p50Ms: number;
  p95Ms: number;
  maxMs: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** Sends `count` telegrams one at a time through `send` and times each to the controller's decision on it. */
async function timeTelegrams(run: LiveRun, count: number, send: () => void): Promise<number[]> {
  const pending: number[] = [];
  const latencies: number[] = [];
  let wake: (() => void) | null = null;
  const off = run.meter.onSample(() => {
    const t0 = pending.shift();
    if (t0 !== undefined) latencies.push(performance.now() - t0);
    wake?.();
  });
  for (let i = 0; i < count; i++) {
    const decided = new Promise<void>((resolve) => {
      wake = resolve;
    });
    pending.push(performance.now());
    send();
    await Promise.race([decided, sleep(2000)]);
    pending.length = 0;
    await sleep(5);
  }
  off();
  return latencies;
}

function summary(meter: string, sent: number, latencies: number[]): LatencyResult {
  const sorted = [...latencies].sort((a, b) => a - b);
  return { meter, sent, decided: sorted.length, p50Ms: percentile(sorted, 50), p95Ms: percentile(sorted, 95), maxMs: sorted.at(-1) ?? NaN };
}

async function withGoe<T>(fn: (goe: GoeEmulator) => Promise<T>): Promise<T> {
  const goe = new GoeEmulator({ clock: new SystemClock(), profile: 'v2-060' });
  await goe.start();
  goe.plugIn({ maxCurrentA: 16, phases: 3, needWh: 1e9 });
  try {
    return await fn(goe);
  } finally {
    await goe.stop();
  }
}

const house = (n: number): number[] => [4 + (n % 7), 5 + (n % 3), 3 + (n % 5)];

async function measureV2(count: number): Promise<LatencyResult> {
  const template = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'homewizard', 'v2_api_measurement_HWE-P1_fw6.00_3phase.json'), 'utf8')) as Record<string, unknown>;
  const emu = new HomeWizardV2Emulator({ measurement: (n) => measurementWithValues(template, { currentsA: house(n), n }), autoPress: true });
  const host = await emu.start();
  try {
    return await withGoe(async (goe) => {
      const paired = await requestV2Token(host, null);
      if (paired.state !== 'token') throw new Error('latency bench: the v2 emulator gave no token');
      const run = await startLive({ meterHost: host, meterKind: 'homewizard-v2', v2: { token: paired.token, certFingerprint: paired.fingerprint }, goeHost: goe.url, out: () => undefined, err: () => undefined });
      try {
        for (let i = 0; i < 200 && run.meter.status().lastSampleMs === null; i++) await sleep(10); // the measurement sent on subscribe
        return summary('HomeWizard API v2 (WebSocket over TLS)', count, await timeTelegrams(run, count, () => emu.pushNext()));
      } finally {
        await run.stop();
      }
    });
  } finally {
    await emu.stop();
  }
}

async function measureP1Tcp(count: number): Promise<LatencyResult> {
  const telegrams = splitDsmrTelegrams(fs.readFileSync(path.join(FIXTURES, 'dsmr', 'nielsbasjes_dsmr-tools_NL_Iskra_AM550_DSMR5_1s_30telegrams.telegrams.txt'), 'latin1'));
  const stamp = (n: number): string => `250601${String(12 + Math.floor(n / 3600)).padStart(2, '0')}${String(Math.floor(n / 60) % 60).padStart(2, '0')}${String(n % 60).padStart(2, '0')}S`;
  const emu = new P1TcpEmulator({ telegrams: (n) => telegramWithValues(telegrams[0], { currentsA: house(n), stamp: stamp(n) }) });
  const host = await emu.start();
  try {
    return await withGoe(async (goe) => {
      const run = await startLive({ meterHost: host, meterKind: 'p1tcp', goeHost: goe.url, out: () => undefined, err: () => undefined });
      try {
        for (let i = 0; i < 200 && emu.clients === 0; i++) await sleep(10);
        return summary('raw P1 telegrams over TCP', count, await timeTelegrams(run, count, () => emu.sendNext()));
      } finally {
        await run.stop();
      }
    });
  } finally {
    await emu.stop();
  }
}

/** Both meters, `count` telegrams each (at least 200 for the Done-when line). */
export async function measureLatency(count = 250): Promise<LatencyResult[]> {
  return [await measureV2(count), await measureP1Tcp(count)];
}

const ms = (v: number): string => (Number.isFinite(v) ? v.toFixed(1) : '–');

/** The markdown section for docs/benchmarks.md, with issue 16's Done-when row. */
export function renderLatency(results: LatencyResult[]): string {
  const met = results.every((r) => r.decided >= 200 && r.p95Ms < LATENCY_TARGET_MS && r.maxMs < LATENCY_TARGET_MS);
  return [
    '## Meter latency: a telegram to a balancer decision (issue 16)',
    '',
    'Loopback, live mode as `npm start -- --meter homewizard-v2://…` / `p1tcp://…` runs it (real meter source, controller,',
    'go-e client against the go-e emulator); one telegram at a time, from just before the emulator writes it to the',
    "return of the controller's step on it (`tools/bench/latency.ts`).",
    '',
    '| meter | telegrams sent | decided | p50 ms | p95 ms | max ms |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
    ...results.map((r) => `| ${r.meter} | ${r.sent} | ${r.decided} | ${ms(r.p50Ms)} | ${ms(r.p95Ms)} | ${ms(r.maxMs)} |`),
    '',
    '| Done-when line (issue 16) | measured | met |',
    '| --- | --- | --- |',
    `| end-to-end latency from a telegram to a balancer decision, target < ${LATENCY_TARGET_MS} ms on loopback (≥ 200 telegrams each) | ` +
      `${results.map((r) => `${r.meter}: max ${ms(r.maxMs)} ms over ${r.decided}`).join('; ')} | ${met ? 'yes' : 'NO'} |`,
    '',
  ].join('\n');
}

/** `npm run bench`'s hook: measure, append the section to `out`, print it. */
export async function appendLatencySection(out: string, count?: number): Promise<void> {
  const md = renderLatency(await measureLatency(count));
  fs.appendFileSync(out, `\n${md}`);
  console.log(`\n${md}`);
}
