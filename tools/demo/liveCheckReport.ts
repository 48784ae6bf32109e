/**
 * The verdict and docs/live.md of `npm run live-check` (tools/demo/liveCheck.ts): pure functions of
 * the measured results, so they can be tested without a live run.
 */
import { DEFAULT_BALANCER_CONFIG as D } from '../../lib/balancer/types';
import { LIVE_GOE_POLL_S } from './live';
import { FUSE_A } from './liveCheckRig';
import {
  CAR,
  CAR_START_DELAY_MS,
  HOUSE_A,
  METER_FAULTS,
  SESSION_WATCH_S,
  type IgnoredLimitResult,
  type MeterOutageResult,
  type SessionRun,
} from './liveCheckScenarios';

/** Issue 11, Done when, live mode. */
export const TARGETS = { sessionRuns: 20, ignoredLimitPausedS: 45, meterMinimumS: 20, meterPausedS: 75 } as const;

export interface LiveCheckResult {
  dateIso: string;
  node: string;
  wallS: number;
  parallel: number;
  sessions: SessionRun[];
  ignored: IgnoredLimitResult;
  outages: MeterOutageResult[];
  /** Unhandled rejections and uncaught exceptions seen during the run. */
  unhandled: string[];
}

export interface TargetRow {
  what: string;
  measured: string;
  target: string;
  met: boolean;
}

const s = (v: number | null): string => (v === null ? 'never' : `${v.toFixed(1)} s`);
const within = (v: number | null, max: number): boolean => v !== null && v <= max;

export function targetRows(r: LiveCheckResult): TargetRow[] {
  const clean = r.sessions.filter((x) => x.error === undefined && x.pausedAtS === null).length;
  const rows: TargetRow[] = [
    {
      what: `1. no pause in the first ${SESSION_WATCH_S} s of a session whose phase has room (car starts between two go-e polls)`,
      measured: `${clean}/${r.sessions.length} runs`,
      target: `${TARGETS.sessionRuns}/${TARGETS.sessionRuns}`,
      met: r.sessions.length >= TARGETS.sessionRuns && clean === r.sessions.length,
    },
    {
      what: '2. a go-e that ignores its limit is paused: load step → go-e not allowed (frc=1)',
      measured: r.ignored.error ? `error: ${r.ignored.error}` : s(r.ignored.goePausedS),
      target: `≤ ${TARGETS.ignoredLimitPausedS} s`,
      met: !r.ignored.error && within(r.ignored.goePausedS, TARGETS.ignoredLimitPausedS),
    },
  ];
  for (const o of r.outages) {
    rows.push({
      what: `3. meter stops answering (${o.fault}): meter stop → go-e offers 6 A`,
      measured: o.error ? `error: ${o.error}` : `${s(o.minimumS)}${o.minimumS !== null && !o.sawSixA ? ' (paused directly)' : ''}`,
      target: `≤ ${TARGETS.meterMinimumS} s`,
      met: !o.error && within(o.minimumS, TARGETS.meterMinimumS),
    });
    rows.push({
      what: `3. meter stops answering (${o.fault}): meter stop → go-e paused (frc=1)`,
      measured: o.error ? `error: ${o.error}` : s(o.pausedS),
      target: `≤ ${TARGETS.meterPausedS} s`,
      met: !o.error && within(o.pausedS, TARGETS.meterPausedS),
    });
  }
  rows.push({ what: 'unhandled rejections / uncaught exceptions', measured: String(r.unhandled.length), target: '0', met: r.unhandled.length === 0 });
  return rows;
}

export const allMet = (rows: TargetRow[]): boolean => rows.every((x) => x.met);

const cell = (v: string): string => v.replace(/\|/g, '\\|').replace(/\n/g, ' ');
const yn = (v: boolean | null): string => (v === null ? '?' : v ? 'yes' : 'no');

function sessionTable(runs: SessionRun[]): string[] {
  const out = [
    '| run | planned offset | measured offset | app saw the car before it drew | meter showed the car before the go-e did | go-e limit at plug-in | outcome | car at 60 s | balancer events in the 60 s | go-e writes in the 60 s |',
    '|---:|---:|---:|---|---|---:|---|---:|---|---|',
  ];
  for (const x of runs) {
    const outcome = x.error ? `error: ${x.error}` : x.pausedAtS === null ? 'no pause' : `**paused** at +${x.pausedAtS.toFixed(1)} s: ${x.pauseReason ?? ''}`;
    const offset = x.offsetS === null ? '?' : `${x.offsetS.toFixed(2)} s`;
    const limit = x.limitAtPlugA === null ? '?' : x.limitAtPlugA === 0 ? 'paused' : `${x.limitAtPlugA} A`;
    const endA = x.endA === null ? '?' : `${x.endA} A`;
    const list = (v: string[]): string => (v.length ? cell(v.join(', ')) : '–');
    out.push(`| ${x.no} | ${x.plannedOffsetS.toFixed(2)} s | ${offset} | ${yn(x.sawCarBeforeDraw)} | ${yn(x.meterFirst)} | ${limit} | ${cell(outcome)} | ${endA} | ${list(x.events)} | ${list(x.writes)} |`);
  }
  return out;
}

function setupLines(r: LiveCheckResult): string[] {
  const house = HOUSE_A.join('/');
  return [
    '## Setup',
    '',
    '- Live mode exactly as `npm start -- --meter homewizard://HOST --goe HOST` runs it (`startLive` in tools/demo/live.ts): the real Controller, balancer, actuator, go-e client (local API v2) and HomeWizard P1 source, on the real clock (`SystemClock`), over loopback HTTP against the go-e emulator (firmware profile v2-060) and the HomeWizard P1 emulator (DSMR 5: a telegram every second, whole amps).',
    `- App default settings: fuse ${FUSE_A} A, margin ${D.marginA} A, staleAfterS ${D.staleAfterS}, pauseAfterS ${D.pauseAfterS}, resumeWindowS ${D.resumeWindowS}, restore step ${D.restoreStepA} A per ${D.restoreHoldS} s; the meter is polled every second, the go-e every ${LIVE_GOE_POLL_S} s, the controller ticks every second.`,
    `- House load ${house} A on L1/L2/L3: ${FUSE_A - D.marginA - HOUSE_A[0]} A free on each phase. A 3-phase car that takes up to ${CAR.maxCurrentA} A; the go-e starts it ${CAR_START_DELAY_MS / 1000} s after it is plugged in and allowed. The meter shows house load + what the emulated car really draws. Every run has a fresh rig (own emulators, own live mode) in one process: up to ${r.parallel} session-start runs side by side, alongside the four rigs of scenarios 2 and 3.`,
    `- **1. Session start:** after two go-e polls, the car is plugged in so that its first current comes a set *offset* after a go-e status read (offsets spread evenly over 0.3–4.7 s of the ${LIVE_GOE_POLL_S} s poll interval). Offset ≥ ${CAR_START_DELAY_MS / 1000} s: plugged in and drawing within one poll interval (the app has not seen the car); offset < ${CAR_START_DELAY_MS / 1000} s: plugged in before the read, which sees the car connected but not drawing. Outcome = a \`paused\` event within ${SESSION_WATCH_S} s of the plug-in. A car's first amps taken for house load would leave less than 6 A: a pause.`,
    '- **2. Ignored limit:** a steady session (car charging, no write for 20 s), then go-e emulator `faults.ignoreLimit = true` (the car keeps its current whatever `amp` says, the status reports the new `amp`), then L1 house load steps so that L1 is 4 A over fuse − margin unless the go-e is cut by 4 A (a cut, not a pause). Measured from the step: the first write, the `paused` event, the moment the emulator has `frc=1` (charging not allowed).',
    `- **3. Meter outage:** a steady session, then the meter stops answering; measured from that moment: the go-e offers 6 A (or is paused), the go-e is paused (\`frc=1\`). Kinds, each on its own rig: ${Object.entries(METER_FAULTS).map(([k, v]) => `\`${k}\` (${v})`).join('; ')}.`,
    '- Times are real seconds taken at the emulators, sampled every 20 ms (0.1 s resolution); one run of the command, so a repeat can differ by a few tenths of a second.',
    '',
  ];
}

function detailLines(r: LiveCheckResult): string[] {
  const i = r.ignored;
  const out = [
    '## 2. Ignored limit, in detail',
    '',
    i.error
      ? `Error: ${i.error}`
      : `Car at ${i.carA ?? '?'} A; L1 house load ${i.houseStep?.join(' → ') ?? '?'} A. First write after the step: ${s(i.cutS)}; \`paused\` decided: ${s(i.pauseDecidedS)}; go-e not allowed (frc=1): ${s(i.goePausedS)}. L1 above the ${FUSE_A} A fuse for ${i.overFuseS.toFixed(1)} s (peak ${i.peakA ?? '?'} A) until the go-e stopped.`,
    '',
    '## 3. Meter outage, in detail',
    '',
    '| kind | car before | go-e at 6 A | paused | `meterStale` event |',
    '|---|---:|---:|---:|---:|',
  ];
  for (const o of r.outages) {
    if (o.error) out.push(`| ${o.fault} | error: ${cell(o.error)} | | | |`);
    else out.push(`| ${o.fault} | ${o.carA ?? '?'} A | ${s(o.minimumS)}${o.sawSixA ? '' : ' (paused directly)'} | ${s(o.pausedS)} | ${s(o.staleEventS)} |`);
  }
  out.push('');
  return out;
}

/** What live mode printed around each missed target (nothing when every target is met). */
function missLines(r: LiveCheckResult): string[] {
  const blocks: string[] = [];
  const add = (title: string, trail: string[]): void => {
    blocks.push(`### ${title}`, '', '```', ...trail, '```', '');
  };
  if (r.ignored.error || !within(r.ignored.goePausedS, TARGETS.ignoredLimitPausedS)) add('2. Ignored limit', r.ignored.trail);
  for (const o of r.outages) {
    if (o.error || !within(o.minimumS, TARGETS.meterMinimumS) || !within(o.pausedS, TARGETS.meterPausedS)) add(`3. Meter outage (${o.fault})`, o.trail);
  }
  if (r.unhandled.length) add('Unhandled rejections', r.unhandled);
  return blocks.length ? ['## Log excerpts of missed targets', '', ...blocks] : [];
}

export function renderLiveDoc(r: LiveCheckResult): string {
  const rows = targetRows(r);
  const met = allMet(rows);
  return [
    '# Live mode: measured',
    '',
    '<!-- GENERATED by `npm run live-check` (tools/demo/liveCheck.ts). Do not edit by hand: rerun the command. -->',
    '',
    `Generated ${r.dateIso.slice(0, 10)} on Node ${r.node} by \`npm run live-check\`: ${r.wallS.toFixed(0)} s wall time. Result: **${met ? 'all targets met' : 'TARGET MISSED'}**. The live-mode targets of issue 11 (Done when).`,
    '',
    ...setupLines(r),
    '## Targets',
    '',
    '| what | measured | target | met |',
    '|---|---:|---:|---|',
    ...rows.map((x) => `| ${cell(x.what)} | ${cell(x.measured)} | ${x.target} | ${x.met ? 'yes' : '**no**'} |`),
    '',
    `## 1. Session start, run by run`,
    '',
    ...sessionTable(r.sessions),
    '',
    ...detailLines(r),
    ...missLines(r),
  ].join('\n');
}

/** The short summary the command prints. */
export function summaryLines(r: LiveCheckResult): string[] {
  const rows = targetRows(r);
  return [
    ...rows.map((x) => `${x.met ? 'met   ' : 'MISSED'}  ${x.what}: ${x.measured} (target ${x.target})`),
    `${allMet(rows) ? 'all live-mode targets met' : 'a live-mode target was missed'} (${r.wallS.toFixed(0)} s)`,
  ];
}
