/**
 * One soak run: the `npm start` rig (real controller, balancer and both charger clients against the
 * go-e and Charge Amps emulators over loopback HTTP, one ManualClock) with the house meter read through
 * the app's real HomeyDeviceSource, the bundled P1 traces looped, and the planned faults one at a time.
 * Every simulated second: faults, meter update, clock, controller tick, charger polls, ground truth.
 */
import path from 'path';
import type { Triple } from '../../../lib/balancer/types';
import { ManualClock } from '../../../lib/clock';
import type { Controller, ControllerEvent } from '../../../lib/controller';
import { CA_COMMAND_LATENCY_MS, createDemoRig, type DemoCar, type DemoRig } from '../../demo/demo';
import { nodeFetchTransport, type HttpTransport } from '../../../lib/http';
import { HomeyDeviceSource } from '../../../lib/meter/homeyDevice';
import { seededRandom } from '../../random';
import { loadTrace, loopTrace, TraceCursor, type Trace, type TracePoint } from '../../sim/trace';
import { startFault, type SoakWorld } from './faults';
import { FaultSchedule, summarizeKinds } from './measure';
import { SoakMeterDevice, soakHomeyApi } from './meterDevice';
import { faultFreeMask, FIRST_FAULT_S, planFaults, segments } from './plan';
import { buildResult, type RunTotals, type SoakResult } from './result';

const ROOT = path.join(__dirname, '..', '..', '..');
const TRACE_DIR = path.join(ROOT, 'test', 'fixtures', 'traces');
const TRACE_FILES = ['hu_aux_10s_day_6h50m.csv', 'hu_aux_10s_evening_3h.csv', 'hu_aux_solar_10s_9min.csv', 'nl_iskra_1s_9min.csv'];

export const FUSE_A = 25;
/** After an occurrence window closed, this long must pass before a second counts as fault-free. */
export const QUIET_AFTER_FAULT_S = 180;
export const WARMUP_HOURS = 2;
/** The fail-safe must show this long after the meter went stale. */
export const FAILSAFE_GRACE_S = 2;

export interface SoakOptions {
  seed: number;
  hours: number;
  log?: (line: string) => void;
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

export function activeHandles(): number {
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

const hhmmss = (s: number): string => [Math.floor(s / 3600), Math.floor((s % 3600) / 60), s % 60].map((n) => String(n).padStart(2, '0')).join(':');

/** Requests go through here, so the loop can wait for a quiet network before it moves the clock. */
function countingTransport(): { transport: HttpTransport; inFlight: () => number } {
  let n = 0;
  return {
    transport: async (req) => {
      n++;
      try {
        return await nodeFetchTransport(req);
      } finally {
        n--;
      }
    },
    inFlight: () => n,
  };
}

class SoakRun implements SoakWorld {
  readonly clock = new ManualClock(Date.UTC(2025, 3, 27, 0));
  readonly meter = new SoakMeterDevice(this.clock);
  readonly extraA: Triple<number> = [0, 0, 0];
  readonly events: { simS: number; event: ControllerEvent }[] = [];
  readonly totals: RunTotals;
  simS = 0;
  rig!: DemoRig;
  private source: HomeyDeviceSource | null = null;
  private readonly net = countingTransport();
  private readonly houseCursor: TraceCursor;
  private readonly schedule: FaultSchedule;
  private readonly raisedAtMs: Record<string, number> = {};
  private readonly polling = new Set<DemoCar>();
  /** Writes seen at the emulators so far: go-e request log entries read, Charge Amps PUTs. */
  private goeRequestsSeen = 0;
  private caPutsSeen = 0;
  /** No fault window open and the last one closed ≥ QUIET_AFTER_FAULT_S ago (the same rule as faultFreeMask). */
  private faultFreeNow = false;

  constructor(
    readonly opts: SoakOptions,
    readonly trace: Trace,
    readonly durationS: number,
    private readonly random: () => number,
  ) {
    this.houseCursor = new TraceCursor(trace);
    this.schedule = new FaultSchedule(planFaults(random, durationS), FIRST_FAULT_S, durationS, (f) => startFault(this, f));
    this.totals = {
      overloadAsAll: 0,
      faultFreeOverloadAs: 0,
      faultFreeS: 0,
      maxPhaseA: 0,
      energyWh: [0, 0],
      heapMB: [],
      writes: {},
      faultFreeWrites: {},
      pauses: {},
      raisesUndone: {},
      commandFailures: {},
      pollFailures: {},
      failsafe: { checked: 0, violations: [], pauseChecked: 0, pauseViolations: [] },
      timers: { start: 0, end: NaN, max: 0 },
      handles: { before: activeHandles(), start: 0, end: NaN, max: 0, after: NaN },
      restarts: 0,
      meterListenersAtEnd: NaN,
    };
  }

  get settings() {
    return this.rig.settings;
  }

  phaseNow(phase: number): { houseA: number; evA: number; totalA: number } {
    const houseA = this.houseCursor.at(this.simS)[phase] + this.extraA[phase];
    const evA = this.rig.cars.reduce((s, c) => s + c.drawA()[phase], 0);
    return { houseA, evA, totalA: houseA + evA };
  }

  async setup(): Promise<void> {
    this.rig = await createDemoRig({ clock: this.clock, fuseA: FUSE_A, transport: this.net.transport, random: this.random, goeNeedWh: 1e9 });
    const t = this.totals;
    for (const [i, id] of this.rig.ids.entries()) {
      for (const m of [t.writes, t.faultFreeWrites, t.pauses, t.raisesUndone]) m[id] = 0;
      t.commandFailures[this.rig.cars[i].name] = 0;
      t.pollFailures[this.rig.cars[i].name] = 0;
    }
    this.rig.onController((c) => this.wire(c));
    this.rig.attach();
    await this.startMeter();
  }

  private wire(controller: Controller): void {
    const t = this.totals;
    // A raise taken back by the next fresh samples (a raise/cut pair wastes a write).
    controller.on('event', (e: ControllerEvent) => {
      this.events.push({ simS: this.simS, event: e });
      if (e.type === 'overloadUnresolved') this.schedule.onAlarm(this.simS);
      if (!e.chargerId) return;
      if (e.type === 'paused') t.pauses[e.chargerId]++;
      if (e.type === 'restored') this.raisedAtMs[e.chargerId] = this.clock.monoMs();
      if (e.type === 'reduced' && this.clock.monoMs() - (this.raisedAtMs[e.chargerId] ?? -Infinity) <= 5000) t.raisesUndone[e.chargerId]++;
    });
    controller.on('chargerError', (e: { name: string }) => void t.commandFailures[e.name]++);
  }

  private async startMeter(): Promise<void> {
    const source = new HomeyDeviceSource({ api: soakHomeyApi(this.meter), deviceId: this.meter.id, clock: this.clock });
    source.onSample((s) => this.rig.controller.onSample(s));
    this.source = source;
    await source.start();
  }

  async restart(): Promise<void> {
    this.totals.restarts++;
    await this.source?.stop();
    this.rig.restart();
    await this.startMeter();
  }

  async settle(): Promise<void> {
    for (let quiet = 0; quiet < 3; ) {
      await new Promise((r) => setImmediate(r));
      quiet = this.net.inFlight() === 0 ? quiet + 1 : 0;
    }
  }

  /**
   * Poll a charger as its Homey device does: in the background, one poll at a time, the status
   * reported when it comes. Never awaited here: a client waiting on the virtual clock (a back-off,
   * a Retry-After) must not stop the clock. A poll of a client a restart threw away reports nothing.
   */
  private poll(c: DemoCar): void {
    if (this.polling.has(c)) return;
    const charger = c.charger;
    this.polling.add(c);
    charger
      .getStatus()
      .then(
        (status) => {
          if (c.charger === charger) this.rig.controller.reportStatus(charger.id, status);
        },
        () => void this.totals.pollFailures[c.name]++,
      )
      .finally(() => this.polling.delete(c));
  }

  /** One simulated second: faults, ground truth, meter reading, clock, controller tick, polls. */
  async second(simS: number): Promise<void> {
    this.simS = simS;
    if (this.events.length && !this.schedule.open) this.events.length = 0; // only the open window needs them
    await this.schedule.beforeSecond(simS);
    const lastEndS = this.schedule.occurrences.at(-1)?.endS ?? 0;
    this.faultFreeNow = !this.schedule.open && simS > lastEndS + QUIET_AFTER_FAULT_S;
    // Ground truth as the meter takes its reading, before the app has reacted to it: a fault's
    // overload counts from the second it starts.
    this.groundTruth(simS);
    const reading = [0, 1, 2].map((p) => this.phaseNow(p).totalA) as Triple<number>;
    this.meter.publish(simS, reading);
    await this.clock.advance(1000);
    this.rig.controller.tick();
    for (const c of this.rig.cars) if (simS % c.pollEveryS === 0) this.poll(c);
    await this.settle();
    this.countWrites();
  }

  /** Writes as the chargers saw them: go-e `/api/set` requests, Charge Amps PUTs (attempts, failed ones included). */
  private countWrites(): void {
    const t = this.totals;
    const [goeId, caId] = this.rig.ids;
    const reqs = this.rig.goeEmu.requests;
    let goeSets = 0;
    for (let i = this.goeRequestsSeen; i < reqs.length; i++) if (reqs[i].path === '/api/set') goeSets++;
    this.goeRequestsSeen = reqs.length;
    const caPuts = this.rig.caEmu.counters.puts - this.caPutsSeen;
    this.caPutsSeen = this.rig.caEmu.counters.puts;
    t.writes[goeId] += goeSets;
    t.writes[caId] += caPuts;
    if (!this.faultFreeNow) return;
    t.faultFreeWrites[goeId] += goeSets;
    t.faultFreeWrites[caId] += caPuts;
  }

  private groundTruth(simS: number): void {
    const t = this.totals;
    let overAs = 0;
    let overFuse = false;
    let maxA = -Infinity;
    for (let p = 0; p < 3; p++) {
      const { evA, totalA } = this.phaseNow(p);
      overAs += Math.max(0, Math.abs(totalA) - FUSE_A);
      if (totalA > FUSE_A && evA > 0) overFuse = true;
      maxA = Math.max(maxA, totalA);
    }
    t.maxPhaseA = Math.max(t.maxPhaseA, maxA);
    t.overloadAsAll += overAs;
    if (this.faultFreeNow) {
      t.faultFreeOverloadAs += overAs;
      t.faultFreeS++;
    }
    this.schedule.afterSecond(simS, overFuse, maxA);
    this.rig.cars.forEach((c, i) => (t.energyWh[i] += (c.drawA().reduce((s, a) => s + a, 0) * 230) / 3600));
    this.failsafeChecks(simS);
  }

  /**
   * At staleAfterS + grace into a meter outage every car draws ≤ its minimum; at pauseAfterS + grace
   * nothing. The grace of a cloud charger includes its cloud's command latency.
   */
  private failsafeChecks(simS: number): void {
    const occ = this.schedule.open;
    if (!occ || !['meter-gap', 'meter-frozen', 'no-meter-at-start'].includes(occ.kind) || occ.clearedS !== null) return;
    const relS = simS - occ.startS;
    const f = this.totals.failsafe;
    this.rig.cars.forEach((c) => {
      const graceS = FAILSAFE_GRACE_S + (c.charger.latencyClass === 'cloud' ? CA_COMMAND_LATENCY_MS / 1000 : 0);
      const pause = relS === this.settings.pauseAfterS + graceS;
      if (relS !== this.settings.staleAfterS + graceS && !pause) return;
      const drawn = Math.max(...c.drawA());
      const limit = pause ? 0 : c.charger.minCurrentA;
      if (pause) f.pauseChecked++;
      else f.checked++;
      if (drawn <= limit) return;
      const line = `${occ.kind} at ${hhmmss(occ.startS)} (${occ.planned.durationS} s): ${c.name} still draws ${drawn} A ${relS} s after the meter went silent`;
      (pause ? f.pauseViolations : f.violations).push(line);
    });
  }

  /** Hourly: heap, timers, handles, a progress line. */
  hourly(simS: number, wallStartMs: number): void {
    const t = this.totals;
    this.rig.goeEmu.requests.length = 0; // the emulator's request log is for tests; keep it from growing
    this.goeRequestsSeen = 0;
    const hour = simS / 3600;
    t.timers.max = Math.max(t.timers.max, this.clock.pendingTimers());
    t.handles.max = Math.max(t.handles.max, activeHandles());
    if (hour >= WARMUP_HOURS) t.heapMB.push({ hour, mb: heapUsedAfterGc() / 1048576 });
    this.opts.log?.(
      `[${hhmmss(simS)}] faults so far ${this.schedule.occurrences.length}, overload ${t.overloadAsAll.toFixed(0)} A·s, heap ${(process.memoryUsage().heapUsed / 1048576).toFixed(1)} MB, timers ${this.clock.pendingTimers()}, handles ${activeHandles()}, wall ${((Date.now() - wallStartMs) / 1000).toFixed(0)} s`,
    );
  }

  async loop(wallStartMs: number): Promise<void> {
    const t = this.totals;
    // (never await controller.idle() while the virtual clock stands still: a write waiting on it would never end)
    // Both clients talk once before the start counts are taken, so their idle keep-alive sockets count there too.
    for (const c of this.rig.cars) this.poll(c);
    await this.settle();
    t.timers.start = this.clock.pendingTimers();
    t.timers.max = t.timers.start;
    t.handles.start = activeHandles();
    t.handles.max = t.handles.start;
    for (let simS = 1; simS <= this.durationS; simS++) {
      await this.second(simS);
      if (simS % 3600 === 0) this.hourly(simS, wallStartMs);
    }
    this.schedule.finish(this.durationS);
    await this.settle();
    // sockets a peer has closed may take a moment to go: wait up to 2 s (a leaked one stays)
    for (let i = 0; i < 40 && activeHandles() > t.handles.start; i++) await new Promise((r) => setTimeout(r, 50));
    t.timers.end = this.clock.pendingTimers();
    t.handles.end = activeHandles();
  }

  /** The fault-free segments: seconds outside every window and its quiet time. */
  faultFree(): [number, number][] {
    return segments(faultFreeMask(this.schedule.windows(), this.durationS, QUIET_AFTER_FAULT_S));
  }

  async teardown(): Promise<void> {
    await this.source?.stop();
    this.totals.meterListenersAtEnd = this.meter.listenerCount();
    await Promise.race([this.rig.controller.idle(), new Promise((r) => setTimeout(r, 5000).unref())]);
    await this.rig.stop();
    await new Promise((r) => setTimeout(r, 200));
    this.totals.handles.after = activeHandles();
  }

  get occurrences() {
    return this.schedule.occurrences;
  }
}

export async function runSoak(opts: SoakOptions): Promise<SoakResult> {
  const wallStartMs = Date.now();
  const durationS = Math.round(opts.hours * 3600);
  const random = seededRandom(opts.seed);
  const trace = soakTrace(durationS);
  const uncaught: string[] = [];
  const unhandled: string[] = [];
  const onUncaught = (err: unknown): void => void uncaught.push(String((err as Error)?.stack ?? err));
  const onUnhandled = (err: unknown): void => void unhandled.push(String((err as Error)?.stack ?? err));
  process.on('uncaughtException', onUncaught);
  process.on('unhandledRejection', onUnhandled);
  const run = new SoakRun(opts, trace, durationS, random);
  try {
    await run.setup();
    await run.loop(wallStartMs);
  } finally {
    await run.teardown();
    process.off('uncaughtException', onUncaught);
    process.off('unhandledRejection', onUnhandled);
  }
  return buildResult({
    seed: opts.seed,
    trace,
    durationS,
    wallS: (Date.now() - wallStartMs) / 1000,
    totals: run.totals,
    occurrences: run.occurrences,
    kinds: summarizeKinds(run.occurrences),
    faultFreeSegments: run.faultFree(),
    chargerNames: run.rig.cars.map((c) => c.name),
    chargerIds: run.rig.ids,
    settings: run.rig.settings,
    uncaught,
    unhandled,
  });
}
