/**
 * `npm run soak`: 24 simulated hours of the real controller, balancer and both charger clients against
 * the go-e and Charge Amps emulators over loopback HTTP (the `npm start` rig, `createDemoRig`), fed by
 * the bundled P1 traces looped to a day, with seeded random faults from the fault matrix: charger
 * network faults, reboots, token revocation, a charger going offline, meter gaps, a frozen meter,
 * absurd spikes and cars unplugged and plugged in again.
 *
 * It checks: no uncaught exception or unhandled rejection; overload at the meter in the fault-free
 * parts within 1.5 × the reactive oracle on the same segments; heap growth after warm-up < 5 MB;
 * no leaked clock timers or sockets; the fail-safe after every meter outage longer than staleAfterS.
 * Prints a summary, writes docs/soak.md (generated) and exits 1 when a criterion fails.
 *
 *   npm run soak [-- --seed 7 --hours 24 --out docs/soak.md]
 */
import { writeFileSync } from 'fs';
import path from 'path';
import type { MeterSample, Triple } from '../lib/balancer/types';
import { ManualClock } from '../lib/clock';
import type { ControllerEvent } from '../lib/controller';
import { createDemoRig, DEMO_CA_ID } from '../lib/demo/demo';
import { nodeFetchTransport, type HttpTransport } from '../lib/http';
import { replayTrace } from '../lib/sim/replay';
import { runPolicy, type Scenario } from '../lib/sim/simulate';
import { loadTrace, loopTrace, makeTrace, TraceCursor, type Trace, type TracePoint } from '../lib/sim/trace';

const ROOT = path.join(__dirname, '..');
const TRACE_DIR = path.join(ROOT, 'test', 'fixtures', 'traces');
const TRACE_FILES = ['hu_aux_10s_day_6h50m.csv', 'hu_aux_10s_evening_3h.csv', 'hu_aux_solar_10s_9min.csv', 'nl_iskra_1s_9min.csv'];

const FUSE_A = 25;
const METER_INTERVAL_S = 1;
/** After a fault, this long must pass before a second counts as fault-free. */
const QUIET_AFTER_FAULT_S = 300;
const WARMUP_HOURS = 2;
const HEAP_LIMIT_BYTES = 5 * 1024 * 1024;
/** The fail-safe must show this long after the meter went stale. */
const FAILSAFE_GRACE_S = 2;
const SPIKE_A = 400;
/** Fault-free overload may be this many times the reactive oracle's (the benchmark's target factor). */
const ORACLE_FACTOR = 1.5;

// ---- seeded faults ---------------------------------------------------------------------------------

export const FAULT_KINDS = [
  'goe-delay',
  'goe-500',
  'goe-garbage',
  'goe-drop',
  'goe-reboot',
  'ca-429',
  'ca-500',
  'ca-garbage',
  'ca-revoke',
  'ca-offline',
  'meter-gap',
  'meter-frozen',
  'meter-spike',
  'goe-unplug',
  'ca-unplug',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface Fault {
  kind: FaultKind;
  startS: number;
  /** 0 for one-shot faults (a reboot, a spike, failNext, a revocation). */
  durationS: number;
  /** delayMs for goe-delay, the number of failing requests for failNext faults, the phase for a spike. */
  arg: number;
}

import { seededRandom } from '../lib/random';
export { seededRandom };

const between = (random: () => number, lo: number, hi: number): number => lo + Math.floor(random() * (hi - lo + 1));

/**
 * The fault plan: after `startS`, a fault every 2–25 min until `endS` (the last one ends by then).
 * Kinds come in shuffled rounds of all kinds, so every kind is injected about equally often.
 */
export function planFaults(random: () => number, startS: number, endS: number): Fault[] {
  const out: Fault[] = [];
  let round: FaultKind[] = [];
  for (let t = startS + between(random, 120, 1500); ; t += between(random, 120, 1500)) {
    if (!round.length) {
      round = [...FAULT_KINDS];
      for (let i = round.length - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1));
        [round[i], round[j]] = [round[j], round[i]];
      }
    }
    const kind = round.pop() as FaultKind;
    const f: Fault = { kind, startS: t, durationS: 0, arg: 0 };
    if (kind === 'goe-delay') [f.durationS, f.arg] = [between(random, 10, 60), between(random, 10, 50)];
    else if (kind === 'goe-500' || kind === 'goe-garbage' || kind === 'goe-drop') f.durationS = between(random, 10, 120);
    else if (kind === 'ca-429' || kind === 'ca-500' || kind === 'ca-garbage') f.arg = between(random, 1, 3);
    else if (kind === 'ca-offline' || kind === 'goe-unplug' || kind === 'ca-unplug') f.durationS = between(random, 60, 600);
    else if (kind === 'meter-gap' || kind === 'meter-frozen') f.durationS = between(random, 20, 120);
    else if (kind === 'meter-spike') f.arg = between(random, 0, 2);
    if (t + f.durationS > endS) break;
    out.push(f);
  }
  return out;
}

/** Per second of the run: is it fault-free (no fault active, the last one ended ≥ quietS ago)? */
export function faultFreeMask(faults: Fault[], durationS: number, quietS: number): Uint8Array {
  const mask = new Uint8Array(durationS + 1).fill(1);
  for (let s = 0; s <= Math.min(quietS, durationS); s++) mask[s] = 0; // session start
  for (const f of faults) {
    for (let s = f.startS; s <= Math.min(durationS, f.startS + f.durationS + quietS); s++) mask[s] = 0;
  }
  return mask;
}

/** Contiguous runs of 1 in the mask as [first, last] seconds. */
export function segments(mask: Uint8Array): [number, number][] {
  const out: [number, number][] = [];
  let start = -1;
  for (let s = 0; s <= mask.length; s++) {
    const on = s < mask.length && mask[s] === 1;
    if (on && start < 0) start = s;
    if (!on && start >= 0) {
      out.push([start, s - 1]);
      start = -1;
    }
  }
  return out;
}

// ---- the run ---------------------------------------------------------------------------------------

export interface SoakOptions {
  seed: number;
  hours: number;
  log?: (line: string) => void;
}

interface Criterion {
  name: string;
  measured: string;
  met: boolean;
}

export interface SoakResult {
  seed: number;
  hours: number;
  traceName: string;
  wallS: number;
  faults: Fault[];
  faultCounts: Record<FaultKind, number>;
  uncaught: string[];
  unhandled: string[];
  faultFreeHours: number;
  faultFreeOverloadAs: number;
  oracleOverloadAs: number;
  overloadAsAll: number;
  maxPhaseA: number;
  heapMB: { hour: number; mb: number }[];
  heapGrowthBytes: number;
  timers: { start: number; end: number; max: number };
  handles: { before: number; start: number; end: number; max: number; after: number };
  chargers: { name: string; writes: number; faultFreeWrites: number; raisesUndone: number; pauses: number; energyKWh: number }[];
  pollFailures: Record<string, number>;
  commandFailures: Record<string, number>;
  failsafe: { checked: number; skipped: number; violations: string[]; pauseChecked: number; pauseViolations: string[] };
  criteria: Criterion[];
}

function soakTrace(durationS: number): Trace {
  const points: TracePoint[] = [];
  let offset = 0;
  const names: string[] = [];
  for (const f of TRACE_FILES) {
    const t = loadTrace(path.join(TRACE_DIR, f));
    names.push(t.name);
    for (const p of t.points) points.push({ timeS: offset + p.timeS, currentsA: p.currentsA });
    offset += t.durationS;
  }
  const day = loopTrace({ name: names.join('+'), points, durationS: offset }, durationS);
  return { ...day, name: `${names.join(' + ')}, looped to ${durationS / 3600} h` };
}

function activeHandles(): number {
  return (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles().length;
}

function heapUsedAfterGc(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc) {
    gc();
    gc();
  }
  return process.memoryUsage().heapUsed;
}

/**
 * Overload of the reactive oracle (lib/sim/policies) on the same fault-free segments: the simulator
 * models one car behind one charger, so each car runs on its own (go-e 3-phase, Charge Amps 1-phase
 * on L3) over the household trace and the two overloads are added. Each segment gets the 5 min before
 * it as lead-in so that no session start is counted, as in the soak.
 */
function oracleOverload(trace: Trace, segs: [number, number][]): number {
  let total = 0;
  for (const [a, b] of segs) {
    const lead = Math.min(a, QUIET_AFTER_FAULT_S);
    const cursor = new TraceCursor(trace);
    const pts: TracePoint[] = [];
    for (let s = a - lead; s <= b; s++) pts.push({ timeS: s, currentsA: cursor.at(s) });
    const slice = makeTrace('segment', pts);
    const cars: Pick<Scenario, 'car' | 'charger'>[] = [
      { car: { phases: 3, maxA: 16 }, charger: 'goe' },
      { car: { phases: 1, phase: 'L3', maxA: 16 }, charger: 'chargeamps' },
    ];
    for (const c of cars) {
      const scenario: Scenario = { trace: slice, fuseA: FUSE_A, marginA: 1, meter: { intervalS: METER_INTERVAL_S }, ...c };
      const series = runPolicy(scenario, 'reactive-oracle', { record: true }).series;
      if (!series) continue;
      series.timeS.forEach((t, i) => {
        if (t < lead) return;
        for (let p = 0; p < 3; p++) total += Math.max(0, Math.abs(series.houseA[p][i]) - FUSE_A);
      });
    }
  }
  return total;
}

export async function runSoak(opts: SoakOptions): Promise<SoakResult> {
  const log = opts.log ?? (() => undefined);
  const wallStart = Date.now();
  const durationS = Math.round(opts.hours * 3600);
  const random = seededRandom(opts.seed);
  const trace = soakTrace(durationS);
  const faults = planFaults(random, QUIET_AFTER_FAULT_S, durationS - 2 * QUIET_AFTER_FAULT_S);
  const faultCounts = Object.fromEntries(FAULT_KINDS.map((k) => [k, 0])) as Record<FaultKind, number>;
  const mask = faultFreeMask(faults, durationS, QUIET_AFTER_FAULT_S);

  const uncaught: string[] = [];
  const unhandled: string[] = [];
  const onUncaught = (err: unknown): void => void uncaught.push(String((err as Error)?.stack ?? err));
  const onUnhandled = (err: unknown): void => void unhandled.push(String((err as Error)?.stack ?? err));
  process.on('uncaughtException', onUncaught);
  process.on('unhandledRejection', onUnhandled);

  // Every request goes through here, so the loop can wait until the network is quiet before it moves
  // the clock: HTTP takes real time, the virtual clock does not move while it is in flight.
  let httpInFlight = 0;
  const transport: HttpTransport = async (req) => {
    httpInFlight++;
    try {
      return await nodeFetchTransport(req);
    } finally {
      httpInFlight--;
    }
  };
  const settle = async (): Promise<void> => {
    for (let quiet = 0; quiet < 3; ) {
      await new Promise((r) => setImmediate(r));
      quiet = httpInFlight === 0 ? quiet + 1 : 0;
    }
  };

  const handlesBefore = activeHandles();
  const clock = new ManualClock(Date.UTC(2025, 3, 27, 0));
  const rig = await createDemoRig({ clock, fuseA: FUSE_A, transport, random, goeNeedWh: 1e9 });
  const { goeEmu, caEmu, cars, ids, controller, settings } = rig;
  const names = cars.map((c) => c.name);
  const writes: Record<string, number> = Object.fromEntries(ids.map((id) => [id, 0]));
  const pauses: Record<string, number> = Object.fromEntries(ids.map((id) => [id, 0]));
  const commandFailures: Record<string, number> = Object.fromEntries(names.map((n) => [n, 0]));
  const pollFailures: Record<string, number> = Object.fromEntries(names.map((n) => [n, 0]));
  let faultFreeNow = false;
  const faultFreeWrites: Record<string, number> = Object.fromEntries(ids.map((id) => [id, 0]));
  controller.on('applied', (a: { chargerId: string }) => {
    writes[a.chargerId]++;
    if (faultFreeNow) faultFreeWrites[a.chargerId]++;
  });
  // A raise taken back by the next fresh samples: the meter shows the raise before the charger's own
  // (polled) reading does, so the balancer briefly counts it as household load.
  const raisedAtMs: Record<string, number> = {};
  const raisesUndone: Record<string, number> = Object.fromEntries(ids.map((id) => [id, 0]));
  controller.on('event', (e: ControllerEvent) => {
    if (!e.chargerId) return;
    if (e.type === 'paused') pauses[e.chargerId]++;
    if (e.type === 'restored') raisedAtMs[e.chargerId] = e.timeMs;
    if (e.type === 'reduced' && e.timeMs - (raisedAtMs[e.chargerId] ?? -Infinity) <= 5000) raisesUndone[e.chargerId]++;
  });
  controller.on('chargerError', (e: { name: string }) => void commandFailures[e.name]++);
  rig.attach();

  // ---- the meter, with its faults ----
  let meterMode: 'ok' | 'gap' | 'frozen' = 'ok';
  let spikePhase = -1;
  let lastDelivered: MeterSample | null = null;
  const replay = replayTrace({
    trace,
    clock,
    meter: { intervalS: METER_INTERVAL_S, wholeAmps: true },
    loop: true, // keeps its timer to the end, so the timer count at the end compares with the start
    extraA: () => {
      const sum: Triple<number> = [0, 0, 0];
      for (const c of cars) c.drawA().forEach((a, i) => (sum[i] += a));
      return sum;
    },
    onSample: (s) => {
      if (meterMode === 'gap') return;
      if (meterMode === 'frozen' && lastDelivered) {
        controller.onSample(lastDelivered); // the same telegram again: same seq, same time
        return;
      }
      if (spikePhase >= 0) {
        const currentsA = [...s.currentsA] as Triple<number | null>;
        currentsA[spikePhase] = SPIKE_A;
        spikePhase = -1;
        controller.onSample({ ...s, currentsA }); // one absurd reading; the next one is normal again
        return;
      }
      lastDelivered = s;
      controller.onSample(s);
    },
  });

  // ---- fault actions ----
  const starts = new Map<number, Fault[]>();
  const ends = new Map<number, Fault[]>();
  for (const f of faults) {
    starts.set(f.startS, [...(starts.get(f.startS) ?? []), f]);
    if (f.durationS > 0) ends.set(f.startS + f.durationS, [...(ends.get(f.startS + f.durationS) ?? []), f]);
  }
  const goeCar = { maxCurrentA: 16, phases: 3 as const, needWh: 1e9 };
  const caCar = { phases: 1 as const, maxCurrentA: 16 };
  const begin = (f: Fault): void => {
    faultCounts[f.kind]++;
    switch (f.kind) {
      case 'goe-delay':
        goeEmu.faults.delayMs = f.arg;
        break;
      case 'goe-500':
        goeEmu.faults.http500 = true;
        break;
      case 'goe-garbage':
        goeEmu.faults.garbage = true;
        break;
      case 'goe-drop':
        goeEmu.faults.drop = true;
        break;
      case 'goe-reboot':
        goeEmu.reboot();
        break;
      case 'ca-429':
        caEmu.failNext('429', f.arg);
        break;
      case 'ca-500':
        caEmu.failNext('500', f.arg);
        break;
      case 'ca-garbage':
        caEmu.failNext('garbage', f.arg);
        break;
      case 'ca-revoke':
        caEmu.revokeTokens();
        break;
      case 'ca-offline':
        caEmu.setOnline(DEMO_CA_ID, false);
        break;
      case 'meter-gap':
        meterMode = 'gap';
        break;
      case 'meter-frozen':
        meterMode = 'frozen';
        break;
      case 'meter-spike':
        spikePhase = f.arg;
        break;
      case 'goe-unplug':
        goeEmu.unplug();
        break;
      case 'ca-unplug':
        caEmu.unplug(DEMO_CA_ID, 1);
        break;
    }
  };
  const end = (f: Fault): void => {
    switch (f.kind) {
      case 'goe-delay':
        goeEmu.faults.delayMs = 0;
        break;
      case 'goe-500':
        goeEmu.faults.http500 = false;
        break;
      case 'goe-garbage':
        goeEmu.faults.garbage = false;
        break;
      case 'goe-drop':
        goeEmu.faults.drop = false;
        break;
      case 'ca-offline':
        caEmu.setOnline(DEMO_CA_ID, true);
        break;
      case 'meter-gap':
      case 'meter-frozen':
        meterMode = 'ok';
        break;
      case 'goe-unplug':
        goeEmu.plugIn(goeCar);
        break;
      case 'ca-unplug':
        caEmu.plugIn(DEMO_CA_ID, 1, caCar);
        break;
      default:
        break;
    }
  };
  /** Is charger i affected by a charger-side fault around [fromS, toS] (then the fail-safe is excused)? */
  const chargerFaulted = (i: number, fromS: number, toS: number): boolean =>
    faults.some(
      (f) =>
        f.kind.startsWith(i === 0 ? 'goe-' : 'ca-') &&
        f.kind !== (i === 0 ? 'goe-unplug' : 'ca-unplug') &&
        f.startS <= toS &&
        f.startS + f.durationS + QUIET_AFTER_FAULT_S >= fromS,
    );

  // fail-safe checks: at gap start + staleAfterS + grace every car draws ≤ its minimum; after
  // pauseAfterS + grace it draws nothing
  const checks = new Map<number, { fault: Fault; pause: boolean }[]>();
  for (const f of faults) {
    if (f.kind !== 'meter-gap' && f.kind !== 'meter-frozen') continue;
    const add = (at: number, pause: boolean): void => void checks.set(at, [...(checks.get(at) ?? []), { fault: f, pause }]);
    if (f.durationS > settings.staleAfterS + FAILSAFE_GRACE_S) add(f.startS + settings.staleAfterS + FAILSAFE_GRACE_S, false);
    if (f.durationS > settings.pauseAfterS + FAILSAFE_GRACE_S) add(f.startS + settings.pauseAfterS + FAILSAFE_GRACE_S, true);
  }
  const failsafe: SoakResult['failsafe'] = { checked: 0, skipped: 0, violations: [], pauseChecked: 0, pauseViolations: [] };

  // ---- loop ----
  let overloadAsAll = 0;
  let faultFreeOverloadAs = 0;
  let faultFreeS = 0;
  let maxPhaseA = 0;
  const energyWh = cars.map(() => 0);
  const houseCursor = new TraceCursor(trace);
  const heapMB: SoakResult['heapMB'] = [];
  await controller.pollStatuses();
  await settle();
  const timersStart = clock.pendingTimers();
  const handlesStart = activeHandles();
  let timersMax = timersStart;
  let timersEnd = NaN;
  let handlesEnd = NaN;
  let handlesMax = handlesStart;
  const hhmm = (s: number): string => `${String(Math.floor(s / 3600)).padStart(2, '0')}:${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;

  try {
    for (let simS = 1; simS <= durationS; simS++) {
      for (const f of ends.get(simS) ?? []) end(f);
      for (const f of starts.get(simS) ?? []) begin(f);
      faultFreeNow = mask[simS] === 1;
      await clock.advance(1000);
      controller.tick();
      for (const c of cars) {
        if (simS % c.pollEveryS !== 0) continue;
        try {
          controller.reportStatus(c.charger.id, await c.charger.getStatus());
        } catch {
          pollFailures[c.name]++;
        }
      }
      await settle();

      // ground truth at the meter
      const house = houseCursor.at(simS);
      const draws = cars.map((c) => c.drawA());
      let over = 0;
      for (let p = 0; p < 3; p++) {
        const at = house[p] + draws.reduce((s, d) => s + d[p], 0);
        over += Math.max(0, Math.abs(at) - FUSE_A);
        maxPhaseA = Math.max(maxPhaseA, at);
      }
      overloadAsAll += over;
      if (mask[simS]) {
        faultFreeOverloadAs += over;
        faultFreeS++;
      }
      draws.forEach((d, i) => (energyWh[i] += ((d[0] + d[1] + d[2]) * 230) / 3600));

      for (const chk of checks.get(simS) ?? []) {
        cars.forEach((c, i) => {
          if (chargerFaulted(i, chk.fault.startS - QUIET_AFTER_FAULT_S, simS)) {
            failsafe.skipped++;
            return;
          }
          const drawn = Math.max(...draws[i]);
          const limit = chk.pause ? 0 : c.charger.minCurrentA;
          if (chk.pause) failsafe.pauseChecked++;
          else failsafe.checked++;
          if (drawn > limit) {
            const line = `${chk.fault.kind} at ${hhmm(chk.fault.startS)} (${chk.fault.durationS} s): ${c.name} still draws ${drawn} A ${simS - chk.fault.startS} s after the meter went silent`;
            (chk.pause ? failsafe.pauseViolations : failsafe.violations).push(line);
          }
        });
      }

      if (simS % 3600 === 0) {
        goeEmu.requests.length = 0; // the emulator's request log is for tests; keep it from growing
        const hour = simS / 3600;
        timersMax = Math.max(timersMax, clock.pendingTimers());
        handlesMax = Math.max(handlesMax, activeHandles());
        if (hour >= WARMUP_HOURS) heapMB.push({ hour, mb: heapUsedAfterGc() / 1048576 });
        log(`[${hhmm(simS)}] faults so far ${faults.filter((f) => f.startS <= simS).length}, overload ${overloadAsAll.toFixed(0)} A·s, heap ${(process.memoryUsage().heapUsed / 1048576).toFixed(1)} MB, timers ${clock.pendingTimers()}, handles ${activeHandles()}, wall ${((Date.now() - wallStart) / 1000).toFixed(0)} s`);
      }
    }
    // the plan leaves the last 10 min fault-free: whatever waited on a back-off is done by now
    await settle();
    timersEnd = clock.pendingTimers();
    handlesEnd = activeHandles();
  } finally {
    replay.stop();
  }
  await Promise.race([controller.idle(), new Promise((r) => setTimeout(r, 5000).unref())]);
  await rig.stop();
  await new Promise((r) => setTimeout(r, 200));
  const handlesAfter = activeHandles();
  process.off('uncaughtException', onUncaught);
  process.off('unhandledRejection', onUnhandled);

  const segs = segments(mask);
  const oracleOverloadAs = oracleOverload(trace, segs);
  const heapGrowthBytes = heapMB.length > 1 ? (heapMB[heapMB.length - 1].mb - heapMB[0].mb) * 1048576 : 0;
  const hours = durationS / 3600;
  const chargers = cars.map((c, i) => ({ name: c.name, writes: writes[ids[i]], faultFreeWrites: faultFreeWrites[ids[i]], raisesUndone: raisesUndone[ids[i]], pauses: pauses[ids[i]], energyKWh: energyWh[i] / 1000 }));
  const bound = ORACLE_FACTOR * oracleOverloadAs;
  const criteria: Criterion[] = [
    { name: 'no uncaught exception', measured: String(uncaught.length), met: uncaught.length === 0 },
    { name: 'no unhandled rejection', measured: String(unhandled.length), met: unhandled.length === 0 },
    {
      name: `fault-free overload ≤ ${ORACLE_FACTOR} × reactive oracle on the same segments`,
      measured: `${faultFreeOverloadAs.toFixed(0)} vs ${oracleOverloadAs.toFixed(0)} A·s`,
      met: faultFreeOverloadAs <= bound,
    },
    {
      name: `heap growth hour ${WARMUP_HOURS} → end < 5 MB`,
      measured: `${(heapGrowthBytes / 1048576).toFixed(2)} MB${(globalThis as { gc?: unknown }).gc ? '' : ' (no --expose-gc: not forced)'}`,
      met: heapGrowthBytes < HEAP_LIMIT_BYTES && heapMB.length > 1,
    },
    { name: 'no timer leak (virtual clock timers at end ≤ start)', measured: `${timersStart} → ${timersEnd} (max ${timersMax})`, met: timersEnd <= timersStart },
    {
      name: 'no handle/socket leak (active handles at end ≤ start, all gone after stop)',
      measured: `${handlesBefore} before, ${handlesStart} at start → ${handlesEnd} at end (max ${handlesMax}), ${handlesAfter} after stop`,
      met: handlesEnd <= handlesStart && handlesAfter <= handlesBefore,
    },
    {
      name: `fail-safe: ≤ minimum within staleAfterS + ${FAILSAFE_GRACE_S} s of every meter outage`,
      measured: `${failsafe.checked - failsafe.violations.length}/${failsafe.checked}`,
      met: failsafe.violations.length === 0 && failsafe.checked > 0,
    },
    {
      name: `fail-safe: paused within pauseAfterS + ${FAILSAFE_GRACE_S} s of every meter outage`,
      measured: `${failsafe.pauseChecked - failsafe.pauseViolations.length}/${failsafe.pauseChecked}`,
      met: failsafe.pauseViolations.length === 0,
    },
    { name: 'every fault kind injected', measured: `${FAULT_KINDS.filter((k) => faultCounts[k] > 0).length}/${FAULT_KINDS.length}`, met: FAULT_KINDS.every((k) => faultCounts[k] > 0) },
  ];
  return {
    seed: opts.seed,
    hours,
    traceName: trace.name,
    wallS: (Date.now() - wallStart) / 1000,
    faults,
    faultCounts,
    uncaught,
    unhandled,
    faultFreeHours: faultFreeS / 3600,
    faultFreeOverloadAs,
    oracleOverloadAs,
    overloadAsAll,
    maxPhaseA,
    heapMB,
    heapGrowthBytes,
    timers: { start: timersStart, end: timersEnd, max: timersMax },
    handles: { before: handlesBefore, start: handlesStart, end: handlesEnd, max: handlesMax, after: handlesAfter },
    chargers,
    pollFailures,
    commandFailures,
    failsafe,
    criteria,
  };
}

// ---- report ----------------------------------------------------------------------------------------

export function renderSoakMarkdown(r: SoakResult): string {
  const ok = r.criteria.every((c) => c.met);
  const perH = (n: number): string => (n / r.hours).toFixed(1);
  const lines = [
    '# Soak',
    '',
    '<!-- GENERATED by `npm run soak` (bench/soak.ts). Do not edit by hand: rerun the soak. -->',
    '',
    `Generated ${new Date().toISOString().slice(0, 10)} on Node ${process.version}: ${r.hours} simulated hours in ${r.wallS.toFixed(0)} s wall time, seed ${r.seed}. Result: **${ok ? 'all criteria met' : 'CRITERIA NOT MET'}**.`,
    '',
    '## Setup',
    '',
    `- The \`npm start\` rig (\`createDemoRig\` in lib/demo/demo.ts): the real Controller, balancer, go-e client and Charge Amps client drive the go-e emulator (3-phase car, 16 A) and the Charge Amps emulator (Halo, 1-phase car on grid L3) over loopback HTTP, all on one ManualClock. Main fuse ${FUSE_A} A, margin 1 A, staleAfterS 15, pauseAfterS 60 (app defaults).`,
    `- Meter: the bundled traces (${r.traceName}) replayed every ${METER_INTERVAL_S} s with the cars' draw added, whole amps. The go-e is polled every 5 s, the Charge Amps every 30 s; the controller ticks every second.`,
    `- Faults (seeded, \`--seed\`): one every 2–25 simulated minutes, kinds in shuffled rounds. go-e: \`faults.delayMs\` 10–50 ms (real time) / \`http500\` / \`garbage\` / \`drop\` for 10–120 s, \`reboot()\`. Charge Amps: \`failNext('429'|'500'|'garbage')\` × 1–3, \`revokeTokens()\`, \`setOnline(false)\` for 1–10 min. Meter: gap (no samples) or frozen (the same sample, same seq, again every second) for 20–120 s, one ${SPIKE_A} A sample on one phase. Cars: unplugged for 1–10 min, then plugged in again.`,
    `- Fault-free = no fault active and ≥ ${QUIET_AFTER_FAULT_S / 60} min after the last one ended (and not the first ${QUIET_AFTER_FAULT_S / 60} min). Reference: \`reactive-oracle\` of lib/sim/policies.ts (exact headroom on every fresh sample, no rate limit) run by lib/sim/simulate.ts over the same household segments; the simulator models one car per run, so each car runs on its own and the overloads are added, each segment with the ${QUIET_AFTER_FAULT_S / 60} min before it as lead-in.`,
    '- The seed fixes the trace, the fault plan and every jitter; HTTP runs in real time on loopback, so two runs with one seed can differ by a few A·s or writes.',
    '- Overload = Σ over phases ∫ max(0, |I| − fuse) dt at the meter, every simulated second, from the trace plus what the emulated cars really draw.',
    '',
    '## Criteria',
    '',
    '| criterion | measured | met |',
    '|---|---:|---:|',
    ...r.criteria.map((c) => `| ${c.name} | ${c.measured} | ${c.met ? 'yes' : '**NO**'} |`),
    '',
    '## Figures',
    '',
    '| measure | value |',
    '|---|---:|',
    `| fault-free time | ${r.faultFreeHours.toFixed(1)} h of ${r.hours} h |`,
    `| overload, fault-free parts | ${r.faultFreeOverloadAs.toFixed(0)} A·s (${(r.faultFreeOverloadAs / Math.max(r.faultFreeHours, 1e-9)).toFixed(1)} A·s/h) |`,
    `| reactive oracle, same segments | ${r.oracleOverloadAs.toFixed(0)} A·s (${(r.oracleOverloadAs / Math.max(r.faultFreeHours, 1e-9)).toFixed(1)} A·s/h) |`,
    `| overload, whole run (faults included) | ${r.overloadAsAll.toFixed(0)} A·s |`,
    `| highest phase current at the meter | ${r.maxPhaseA.toFixed(1)} A |`,
    `| heap after gc, hourly from hour ${WARMUP_HOURS} (MB) | ${r.heapMB.map((h) => h.mb.toFixed(1)).join(' ')} |`,
    `| virtual clock timers start / end / max | ${r.timers.start} / ${r.timers.end} / ${r.timers.max} |`,
    `| active handles before / start / end / max / after stop | ${r.handles.before} / ${r.handles.start} / ${r.handles.end} / ${r.handles.max} / ${r.handles.after} |`,
    `| fail-safe checks (≤ min / paused), skipped (charger itself faulted) | ${r.failsafe.checked} / ${r.failsafe.pauseChecked}, ${r.failsafe.skipped} |`,
    '',
    '| charger | writes | writes/h | writes/h fault-free | raises cut again within 5 s | pauses | pauses/h | energy kWh | failed polls | failed commands |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...r.chargers.map(
      (c) => `| ${c.name} | ${c.writes} | ${perH(c.writes)} | ${(c.faultFreeWrites / Math.max(r.faultFreeHours, 1e-9)).toFixed(1)} | ${c.raisesUndone} | ${c.pauses} | ${perH(c.pauses)} | ${c.energyKWh.toFixed(1)} | ${r.pollFailures[c.name]} | ${r.commandFailures[c.name]} |`,
    ),
    '',
    '| fault | injected |',
    '|---|---:|',
    ...FAULT_KINDS.map((k) => `| ${k} | ${r.faultCounts[k]} |`),
    `| **total** | ${r.faults.length} |`,
    '',
  ];
  const undone = r.chargers.reduce((n, c) => n + c.raisesUndone, 0);
  const writes = r.chargers.reduce((n, c) => n + c.writes, 0);
  // The controller counts a charger's draw as following a raise until a newer reading arrives
  // (lib/controller.ts ownDrawEstimate); before that, 75 % of all writes here were raise/cut pairs.
  // Flag it again should the share of such pairs grow beyond a fifth of the writes.
  if (2 * undone > 0.2 * writes) {
    lines.push(
      '## Finding: raises taken back',
      '',
      `${undone} raises were cut again within 5 s (${((200 * undone) / Math.max(writes, 1)).toFixed(0)} % of all ${writes} writes are such raise/cut pairs). The meter shows a raise at once while the charger's own reading (polled every 5 s for the go-e, 30 s for the Charge Amps) may still show the old current; the controller's draw estimate after a raise should prevent that. It is safe (never over the fuse) but wastes writes.`,
      '',
    );
  }
  const problems = [...r.uncaught.map((s) => `uncaught: ${s.split('\n')[0]}`), ...r.unhandled.map((s) => `unhandled rejection: ${s.split('\n')[0]}`), ...r.failsafe.violations, ...r.failsafe.pauseViolations];
  if (problems.length) lines.push('## Problems', '', ...problems.slice(0, 30).map((p) => `- ${p}`), '');
  return lines.join('\n');
}

function flag(argv: string[], name: string, fallback: number): number {
  const i = argv.indexOf(name);
  if (i < 0) return fallback;
  const v = Number(argv[i + 1]);
  if (!Number.isFinite(v) || v <= 0) {
    console.error(`${name}: expected a positive number, got "${argv[i + 1] ?? ''}"`);
    process.exit(2);
  }
  return v;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const seed = flag(argv, '--seed', 1);
  const hours = flag(argv, '--hours', 24);
  const oi = argv.indexOf('--out');
  const out = oi >= 0 ? argv[oi + 1] : path.join(ROOT, 'docs', 'soak.md');
  if (!(globalThis as { gc?: unknown }).gc) console.error('note: run with --expose-gc (npm run soak does) for a forced gc before each heap sample');
  const r = await runSoak({ seed, hours, log: (l) => console.log(l) });
  writeFileSync(out, renderSoakMarkdown(r));
  console.log('');
  for (const c of r.criteria) console.log(`${c.met ? 'ok  ' : 'FAIL'} ${c.name}: ${c.measured}`);
  for (const v of [...r.failsafe.violations, ...r.failsafe.pauseViolations]) console.log(`  ${v}`);
  for (const u of [...r.uncaught, ...r.unhandled]) console.log(`  ${u.split('\n')[0]}`);
  console.log(`seed ${r.seed}, ${r.hours} h simulated in ${r.wallS.toFixed(0)} s; ${r.faults.length} faults; report: ${path.relative(process.cwd(), out)}`);
  process.exit(r.criteria.every((c) => c.met) ? 0 : 1);
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
