/**
 * The demo behind `npm start`: the real controller, balancer and charger clients drive a go-e and a
 * Charge Amps emulator over loopback HTTP, fed by a real P1 trace replayed on a virtual clock, so hours
 * of charging pass in seconds. Returns everything the terminal summary and the HTML report need.
 */
import path from 'path';
import type { BalancerEventType, MeterSample, Triple } from '../../lib/balancer/types';
import { ChargeAmpsClient } from '../../lib/chargeamps/client';
import { ChargeAmpsConnectorCharger } from '../../lib/chargeamps/charger';
import { ChargeAmpsEmulator, EMULATOR_API_KEY, EMULATOR_EMAIL, EMULATOR_PASSWORD } from '../emulators/chargeamps/emulator';
import type { Charger } from '../../lib/charger';
import { ManualClock, type Clock } from '../../lib/clock';
import { Controller, ControllerEvent, type StateStore } from '../../lib/controller';
import { GoeCharger } from '../../lib/goe/charger';
import { GoeClient } from '../../lib/goe/client';
import { GoeEmulator } from '../emulators/goe/emulator';
import { nodeFetchTransport, type HttpTransport } from '../../lib/http';
import { AppSettings, defaultAppSettings } from '../../lib/settings';
import { replayTrace } from '../sim/replay';
import { loadTrace, type Trace } from '../sim/trace';
import { bestChargeWh, FuseTally, type CarLimit, type FuseStats } from './tally';

export const DEFAULT_DEMO_TRACE = path.join(__dirname, '..', '..', 'test', 'fixtures', 'traces', 'hu_aux_10s_day_6h50m.csv');

export interface DemoOptions {
  tracePath?: string;
  fuseA?: number;
  /** Simulated seconds to run (default: the whole trace). */
  durationS?: number;
  /** Meter reading interval (s); default the trace's own interval. */
  meterIntervalS?: number;
  /** Called about every 5 % of the run. */
  onProgress?: (p: DemoProgress) => void;
  onEvent?: (e: ControllerEvent, simS: number) => void;
}

export interface DemoProgress {
  fraction: number;
  simS: number;
  measuredA: Triple<number>;
  allowedA: Record<string, number | null>;
}

export interface DemoCharger {
  id: string;
  name: string;
  /** Grid phases the car draws on. */
  phases: string;
  energyKWh: number;
  writes: number;
  pauses: number;
  /** Seconds the app held it paused. */
  pausedS: number;
}

export interface DemoResult {
  traceName: string;
  /** The virtual clock at the start (ms since the epoch, UTC); clock times in the report count from it. */
  startMs: number;
  fuseA: number;
  marginA: number;
  /** A fresh meter reading every this many seconds. */
  meterIntervalS: number;
  durationS: number;
  /** Σ over phases of ∫ max(0, I − fuse) dt at the meter, with the balancer (A·s). */
  overloadAmpSeconds: number;
  /** The same with both cars charging at their maximum and no balancer (A·s). */
  unbalancedOverloadAmpSeconds: number;
  maxPhaseA: number;
  /** The main fuse second by second, with the balancer and without it (both cars at their maximum). */
  fuse: { balanced: FuseStats; unbalanced: FuseStats };
  energyKWh: number;
  /** The most the cars could have taken within fuse − margin had the house's load been known in advance (whole amps). */
  possibleEnergyKWh: number;
  /** Both cars at their maximum the whole time, whatever the fuse. */
  fullSpeedEnergyKWh: number;
  chargers: DemoCharger[];
  events: DemoEvent[];
  /** Every 10 s of simulated time, and every second in which a phase was over the fuse. */
  series: {
    simS: number[];
    houseA: Triple<number[]>;
    meterA: Triple<number[]>;
    /** House + both cars at their maximum (no balancer). */
    unbalancedA: Triple<number[]>;
    allowedA: Record<string, number[]>;
    drawnA: Record<string, number[]>;
  };
  wallMs: number;
}

export interface DemoEvent {
  simS: number;
  type: BalancerEventType;
  reason: string;
  chargerId?: string;
  chargerName?: string | null;
}

const VOLTAGE_V = 230;
const GOE_POLL_S = 5;
const CA_POLL_S = 30;
const RECORD_EVERY_S = 10;

/** One emulated charger of the demo rig with the car behind it. */
export interface DemoCar {
  /** The app's client for this charger; a restart (`DemoRig.restart`) replaces it with a new one. */
  charger: Charger;
  name: string;
  /** Per grid phase: the current this car draws now (A). */
  drawA(): Triple<number>;
  maxDrawA: Triple<number>;
  pollEveryS: number;
  phases: string;
}

/**
 * The demo's installation, shared with the soak (`npm run soak`): a go-e (3-phase car) and a Charge
 * Amps Halo (1-phase car on grid L3) emulator on loopback HTTP, the real clients, and a controller,
 * all on one ManualClock. Call `attach()` once listeners are on the controller, `stop()` at the end.
 */
export interface DemoRig {
  goeEmu: GoeEmulator;
  caEmu: ChargeAmpsEmulator;
  cars: DemoCar[];
  ids: string[];
  settings: AppSettings;
  /** The current controller (a new one after each `restart`). */
  readonly controller: Controller;
  /** What the controllers persist (in memory, JSON round trip like Homey's settings store). */
  store: StateStore;
  /** Call `wire` with the current controller now and with every new one a restart builds. */
  onController(wire: (controller: Controller) => void): void;
  /** Hand the chargers to the controller. */
  attach(): void;
  /**
   * An app restart: the controller and every charger client are thrown away; a new controller is
   * built from the same StateStore, new clients for the same chargers (ids from pairing) are added
   * to it. Writes in flight on the old clients are not awaited, as a process exit would not.
   */
  restart(): void;
  stop(): Promise<void>;
}

export const DEMO_CA_ID = 'HALO-2001';
/** The emulated Charge Amps cloud takes this long from a settings change to the car, as the real one (~15–20 s). */
export const CA_COMMAND_LATENCY_MS = 20_000;

/**
 * The clock a device keeps: the rig's time without the wall-clock steps the Homey may take (an NTP
 * fix on the Homey does not move a charger's or a meter's own clock).
 */
export function deviceClockOf(clock: Clock): Clock {
  return {
    nowMs: () => clock.monoMs(),
    monoMs: () => clock.monoMs(),
    setTimeout: (fn, delayMs) => clock.setTimeout(fn, delayMs),
    clearTimeout: (handle) => clock.clearTimeout(handle),
    sleep: (delayMs) => clock.sleep(delayMs),
  };
}

/** A StateStore in memory that keeps a JSON copy, as Homey's settings store does. */
export function memoryStateStore(): StateStore {
  let json: string | null = null;
  return {
    load: () => (json === null ? null : JSON.parse(json)),
    save: (state) => void (json = JSON.stringify(state)),
  };
}

export async function createDemoRig(opts: {
  clock: ManualClock;
  fuseA: number;
  transport?: HttpTransport;
  random?: () => number;
  /** Energy the go-e's car takes before it is full (Wh, default 200 kWh). */
  goeNeedWh?: number;
  store?: StateStore;
}): Promise<DemoRig> {
  const { clock, fuseA } = opts;
  const transport = opts.transport ?? nodeFetchTransport;
  const deviceClock = deviceClockOf(clock);
  const goeEmu = new GoeEmulator({ clock: deviceClock, startDelayMs: 5000, profile: 'v2-060' });
  await goeEmu.start();
  goeEmu.plugIn({ maxCurrentA: 16, phases: 3, needWh: opts.goeNeedWh ?? 200_000 });
  const caEmu = new ChargeAmpsEmulator({
    clock: deviceClock,
    commandLatencyMs: CA_COMMAND_LATENCY_MS,
    chargePoints: [{ id: DEMO_CA_ID, name: 'Carport Halo', model: 'HALO', protocol: 'capi', installationCurrentA: 16 }],
  });
  await caEmu.start();
  caEmu.plugIn(DEMO_CA_ID, 1, { phases: 1, maxCurrentA: 16 });

  const goeSerial = goeEmu.serial;
  const newClients = (): [Charger, Charger] => {
    const goe = new GoeCharger(new GoeClient({ kind: 'local', host: goeEmu.url, api: 'v2' }, { clock, minGapMs: 0, transport }), goeSerial);
    const caClient = new ChargeAmpsClient({
      baseUrl: caEmu.baseUrl,
      credentials: { email: EMULATOR_EMAIL, password: EMULATOR_PASSWORD, apiKey: EMULATOR_API_KEY },
      clock,
      transport,
      random: opts.random,
    });
    return [goe, new ChargeAmpsConnectorCharger({ client: caClient, chargePointId: DEMO_CA_ID, connectorId: 1 })];
  };
  const [goe, ca] = newClients();
  await goe.getStatus(); // the go-e client learns its firmware and limits, as at pairing
  const cars: DemoCar[] = [
    {
      charger: goe,
      name: 'go-e Garage',
      drawA: () => {
        const a = goeEmu.drawA; // what the car really draws (it may ignore the limit: faults.ignoreLimit)
        return [a, a, a];
      },
      maxDrawA: [16, 16, 16],
      pollEveryS: GOE_POLL_S,
      phases: 'L1 L2 L3',
    },
    {
      charger: ca,
      name: 'Charge Amps Carport',
      // A 1-phase car on charger phase 1, which the electrician wired to grid L3.
      drawA: () => [0, 0, caEmu.snapshot(DEMO_CA_ID, 1).drawA],
      maxDrawA: [0, 0, 16],
      pollEveryS: CA_POLL_S,
      phases: 'L3',
    },
  ];
  const ids = [goe.id, ca.id];

  const settings: AppSettings = {
    ...defaultAppSettings(),
    fuseA,
    chargers: {
      [goe.id]: { enabled: true, priority: 5, phaseMap: ['L1', 'L2', 'L3'], maxCurrentA: 16 },
      [ca.id]: { enabled: true, priority: 5, phaseMap: ['L3', 'L1', 'L2'], maxCurrentA: 16 },
    },
  };
  const store = opts.store ?? memoryStateStore();
  const wires: ((c: Controller) => void)[] = [];
  let controller = new Controller({ clock, settings, store, random: opts.random });
  const attach = (): void => cars.forEach((c) => controller.addCharger(c.charger, c.name));
  return {
    goeEmu,
    caEmu,
    cars,
    ids,
    settings,
    store,
    get controller() {
      return controller;
    },
    onController: (wire) => {
      wires.push(wire);
      wire(controller);
    },
    attach,
    restart: () => {
      controller.removeAllListeners();
      const fresh = newClients();
      cars.forEach((c, i) => (c.charger = fresh[i]));
      controller = new Controller({ clock, settings, store, random: opts.random });
      for (const wire of wires) wire(controller);
      attach();
    },
    stop: async () => {
      await goeEmu.stop();
      await caEmu.stop();
    },
  };
}

export async function runDemo(opts: DemoOptions = {}): Promise<DemoResult> {
  const started = Date.now();
  const trace: Trace = loadTrace(opts.tracePath ?? DEFAULT_DEMO_TRACE);
  const fuseA = opts.fuseA ?? 25;
  const durationS = Math.min(opts.durationS ?? trace.durationS, trace.durationS);
  const meterIntervalS = opts.meterIntervalS ?? Math.max(1, Math.round(trace.durationS / Math.max(1, trace.points.length - 1)));
  const startMs = Date.UTC(2025, 3, 27, 8);
  const clock = new ManualClock(startMs);

  // --- emulated chargers, real clients over loopback HTTP ---
  const rig = await createDemoRig({ clock, fuseA });
  const { cars, ids, settings } = rig;

  const events: DemoResult['events'] = [];
  let simS = 0;
  const pauses: Record<string, number> = Object.fromEntries(ids.map((id) => [id, 0]));
  rig.onController((controller) => {
    controller.on('event', (e: ControllerEvent) => {
      events.push({ simS, type: e.type, reason: e.reason, chargerId: e.chargerId, chargerName: e.chargerName });
      if (e.type === 'paused' && e.chargerId) pauses[e.chargerId]++;
      opts.onEvent?.(e, simS);
    });
  });
  rig.attach();
  const controller = rig.controller;

  const evDrawA = (): Triple<number> => {
    const sum: Triple<number> = [0, 0, 0];
    for (const c of cars) c.drawA().forEach((a, i) => (sum[i] += a));
    return sum;
  };

  let lastSample: MeterSample | null = null;
  const replay = replayTrace({
    trace,
    clock,
    meter: { intervalS: meterIntervalS, wholeAmps: true },
    extraA: evDrawA,
    onSample: (s) => {
      lastSample = s;
      controller.onSample(s);
    },
  });

  const result: DemoResult = {
    traceName: trace.name,
    startMs,
    fuseA,
    marginA: settings.marginA,
    meterIntervalS,
    durationS,
    overloadAmpSeconds: 0,
    unbalancedOverloadAmpSeconds: 0,
    maxPhaseA: 0,
    fuse: { balanced: new FuseTally(fuseA).result(), unbalanced: new FuseTally(fuseA).result() },
    energyKWh: 0,
    possibleEnergyKWh: 0,
    fullSpeedEnergyKWh: 0,
    chargers: [],
    events,
    series: { simS: [], houseA: [[], [], []], meterA: [[], [], []], unbalancedA: [[], [], []], allowedA: {}, drawnA: {} },
    wallMs: 0,
  };
  for (const id of ids) {
    result.series.allowedA[id] = [];
    result.series.drawnA[id] = [];
  }
  const energyWh: Record<string, number> = Object.fromEntries(ids.map((id) => [id, 0]));
  const pausedS: Record<string, number> = Object.fromEntries(ids.map((id) => [id, 0]));
  const balanced = new FuseTally(fuseA);
  const unbalanced = new FuseTally(fuseA);
  const carLimits: CarLimit[] = cars.map((c) => ({ maxDrawA: c.maxDrawA, minA: c.charger.minCurrentA }));
  const fullSpeedA: Triple<number> = [0, 1, 2].map((p) => cars.reduce((s, c) => s + c.maxDrawA[p], 0)) as Triple<number>;
  let possibleWh = 0;
  let bestMemo = { key: '', wh: 0 };
  const bestWh = (house: Triple<number>): number => {
    const key = house.join(',');
    if (key !== bestMemo.key) bestMemo = { key, wh: bestChargeWh(house, carLimits, fuseA - settings.marginA, VOLTAGE_V) };
    return bestMemo.wh;
  };
  const cursorHouse = (t: number): Triple<number> => {
    // house current at trace time t (the step in effect), for the unbalanced comparison
    let lo = 0;
    let hi = trace.points.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (trace.points[mid].timeS <= t) lo = mid;
      else hi = mid - 1;
    }
    return trace.points[lo].currentsA;
  };

  const progressEvery = Math.max(1, Math.round(durationS / 20));
  try {
    await controller.pollStatuses();
    for (simS = 1; simS <= durationS; simS++) {
      await clock.advance(1000);
      controller.tick();
      for (const c of cars) {
        if (simS % c.pollEveryS === 0) {
          try {
            controller.reportStatus(c.charger.id, await c.charger.getStatus());
          } catch {
            // a failed poll is the controller's business on the next one
          }
        }
      }
      await controller.idle();

      // ground truth at the meter, every simulated second
      const house = cursorHouse(simS);
      const draw = evDrawA();
      const meterA = house.map((h, p) => h + draw[p]) as Triple<number>;
      const unbalancedA = house.map((h, p) => h + fullSpeedA[p]) as Triple<number>;
      balanced.add(simS, meterA, house);
      unbalanced.add(simS, unbalancedA, house);
      possibleWh += bestWh(house);
      cars.forEach((c, i) => {
        energyWh[ids[i]] += (c.drawA().reduce((s, a) => s + a, 0) * VOLTAGE_V) / 3600;
        if (controller.appliedLimit(ids[i])?.paused) pausedS[ids[i]]++;
      });

      if (simS % RECORD_EVERY_S === 0 || meterA.some((a) => Math.abs(a) > fuseA)) {
        const s = result.series;
        s.simS.push(simS);
        for (let p = 0; p < 3; p++) {
          s.houseA[p].push(house[p]);
          s.meterA[p].push(meterA[p]);
          s.unbalancedA[p].push(unbalancedA[p]);
        }
        cars.forEach((c, i) => {
          const applied = controller.appliedLimit(ids[i]);
          s.allowedA[ids[i]].push(applied?.paused ? 0 : (applied?.limitA ?? 0));
          s.drawnA[ids[i]].push(Math.max(...c.drawA()));
        });
      }
      if (opts.onProgress && (simS % progressEvery === 0 || simS === durationS)) {
        const measured = ((lastSample as MeterSample | null)?.currentsA ?? [0, 0, 0]).map((v) => v ?? 0) as Triple<number>;
        opts.onProgress({
          fraction: simS / durationS,
          simS,
          measuredA: measured,
          allowedA: Object.fromEntries(ids.map((id) => [id, controller.appliedLimit(id)?.limitA ?? null])),
        });
      }
    }
  } finally {
    replay.stop();
    await controller.idle();
    await rig.stop();
  }
  // writes as the chargers saw them (the controller's 'applied' also tells of confirmations)
  const writes = [rig.goeEmu.requests.filter((r) => r.path === '/api/set').length, rig.caEmu.counters.puts];
  result.chargers = cars.map((c, i) => ({
    id: ids[i],
    name: c.name,
    phases: c.phases,
    energyKWh: energyWh[ids[i]] / 1000,
    writes: writes[i],
    pauses: pauses[ids[i]],
    pausedS: pausedS[ids[i]],
  }));
  result.energyKWh = result.chargers.reduce((s, c) => s + c.energyKWh, 0);
  result.durationS = Math.min(durationS, simS);
  result.fuse = { balanced: balanced.result(), unbalanced: unbalanced.result() };
  result.overloadAmpSeconds = result.fuse.balanced.overloadAmpSeconds;
  result.unbalancedOverloadAmpSeconds = result.fuse.unbalanced.overloadAmpSeconds;
  result.maxPhaseA = result.fuse.balanced.peakA;
  result.possibleEnergyKWh = possibleWh / 1000;
  result.fullSpeedEnergyKWh = (fullSpeedA.reduce((s, a) => s + a, 0) * VOLTAGE_V * result.durationS) / 3600 / 1000;
  result.wallMs = Date.now() - started;
  return result;
}
