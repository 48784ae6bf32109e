/**
 * The demo behind `npm start`: the real controller, balancer and charger clients drive a go-e and a
 * Charge Amps emulator over loopback HTTP, fed by a real P1 trace replayed on a virtual clock, so hours
 * of charging pass in seconds. Returns everything the terminal summary and the HTML report need.
 */
import path from 'path';
import type { MeterSample, Triple } from '../balancer/types';
import { ChargeAmpsClient } from '../chargeamps/client';
import { ChargeAmpsConnectorCharger } from '../chargeamps/charger';
import { ChargeAmpsEmulator, EMULATOR_API_KEY, EMULATOR_EMAIL, EMULATOR_PASSWORD } from '../chargeamps/emulator';
import type { Charger } from '../charger';
import { ManualClock } from '../clock';
import { Controller, ControllerEvent } from '../controller';
import { GoeCharger } from '../goe/charger';
import { GoeClient } from '../goe/client';
import { GoeEmulator } from '../goe/emulator';
import { nodeFetchTransport, type HttpTransport } from '../http';
import { AppSettings, defaultAppSettings } from '../settings';
import { replayTrace } from '../sim/replay';
import { loadTrace, type Trace } from '../sim/trace';

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
}

export interface DemoResult {
  traceName: string;
  fuseA: number;
  marginA: number;
  durationS: number;
  /** Σ over phases of ∫ max(0, I − fuse) dt at the meter, with the balancer (A·s). */
  overloadAmpSeconds: number;
  /** The same with both cars charging at their maximum and no balancer (A·s). */
  unbalancedOverloadAmpSeconds: number;
  maxPhaseA: number;
  energyKWh: number;
  chargers: DemoCharger[];
  events: { simS: number; type: string; reason: string }[];
  /** Every 10 s of simulated time. */
  series: {
    simS: number[];
    houseA: Triple<number[]>;
    meterA: Triple<number[]>;
    allowedA: Record<string, number[]>;
    drawnA: Record<string, number[]>;
  };
  wallMs: number;
}

const VOLTAGE_V = 230;
const GOE_POLL_S = 5;
const CA_POLL_S = 30;
const RECORD_EVERY_S = 10;

/** One emulated charger of the demo rig with the car behind it. */
export interface DemoCar {
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
  controller: Controller;
  /** Hand the chargers to the controller. */
  attach(): void;
  stop(): Promise<void>;
}

export const DEMO_CA_ID = 'HALO-2001';

export async function createDemoRig(opts: {
  clock: ManualClock;
  fuseA: number;
  transport?: HttpTransport;
  random?: () => number;
  /** Energy the go-e's car takes before it is full (Wh, default 200 kWh). */
  goeNeedWh?: number;
}): Promise<DemoRig> {
  const { clock, fuseA } = opts;
  const transport = opts.transport ?? nodeFetchTransport;
  const goeEmu = new GoeEmulator({ clock, startDelayMs: 5000, profile: 'v2-060' });
  await goeEmu.start();
  goeEmu.plugIn({ maxCurrentA: 16, phases: 3, needWh: opts.goeNeedWh ?? 200_000 });
  const caEmu = new ChargeAmpsEmulator({
    clock,
    chargePoints: [{ id: DEMO_CA_ID, name: 'Carport Halo', model: 'HALO', protocol: 'capi', installationCurrentA: 16 }],
  });
  await caEmu.start();
  caEmu.plugIn(DEMO_CA_ID, 1, { phases: 1, maxCurrentA: 16 });

  const goe = new GoeCharger(new GoeClient({ kind: 'local', host: goeEmu.url, api: 'v2' }, { clock, minGapMs: 0, transport }));
  const caClient = new ChargeAmpsClient({
    baseUrl: caEmu.baseUrl,
    credentials: { email: EMULATOR_EMAIL, password: EMULATOR_PASSWORD, apiKey: EMULATOR_API_KEY },
    clock,
    transport,
    random: opts.random,
  });
  const ca = new ChargeAmpsConnectorCharger({ client: caClient, chargePointId: DEMO_CA_ID, connectorId: 1 });

  const goeId = (await goe.getStatus()).id;
  const cars: DemoCar[] = [
    {
      charger: goe,
      name: 'go-e Garage',
      drawA: () => {
        const a = goeEmu.charging ? Math.min(goeEmu.offeredA, 16) : 0;
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
  const ids = [goeId, ca.id];

  const settings: AppSettings = {
    ...defaultAppSettings(),
    fuseA,
    chargers: {
      [goeId]: { enabled: true, priority: 5, phaseMap: ['L1', 'L2', 'L3'], maxCurrentA: 16 },
      [ca.id]: { enabled: true, priority: 5, phaseMap: ['L3', 'L1', 'L2'], maxCurrentA: 16 },
    },
  };
  const controller = new Controller({ clock, settings, random: opts.random });
  return {
    goeEmu,
    caEmu,
    cars,
    ids,
    settings,
    controller,
    attach: () => cars.forEach((c) => controller.addCharger(c.charger, c.name)),
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
  const clock = new ManualClock(Date.UTC(2025, 3, 27, 8));

  // --- emulated chargers, real clients over loopback HTTP ---
  const rig = await createDemoRig({ clock, fuseA });
  const { cars, ids, settings, controller } = rig;

  const events: DemoResult['events'] = [];
  let simS = 0;
  controller.on('event', (e: ControllerEvent) => {
    events.push({ simS, type: e.type, reason: e.reason });
    opts.onEvent?.(e, simS);
  });
  const writes: Record<string, number> = Object.fromEntries(ids.map((id) => [id, 0]));
  const pauses: Record<string, number> = Object.fromEntries(ids.map((id) => [id, 0]));
  controller.on('applied', (a: { chargerId: string; paused: boolean | null }) => {
    writes[a.chargerId]++;
  });
  controller.on('event', (e: ControllerEvent) => {
    if (e.type === 'paused' && e.chargerId) pauses[e.chargerId]++;
  });
  rig.attach();

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
    fuseA,
    marginA: settings.marginA,
    durationS,
    overloadAmpSeconds: 0,
    unbalancedOverloadAmpSeconds: 0,
    maxPhaseA: 0,
    energyKWh: 0,
    chargers: [],
    events,
    series: { simS: [], houseA: [[], [], []], meterA: [[], [], []], allowedA: {}, drawnA: {} },
    wallMs: 0,
  };
  for (const id of ids) {
    result.series.allowedA[id] = [];
    result.series.drawnA[id] = [];
  }
  const energyWh: Record<string, number> = Object.fromEntries(ids.map((id) => [id, 0]));
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
      for (let p = 0; p < 3; p++) {
        const at = house[p] + draw[p];
        result.overloadAmpSeconds += Math.max(0, Math.abs(at) - fuseA);
        result.maxPhaseA = Math.max(result.maxPhaseA, at);
        const unbalanced = house[p] + cars.reduce((s, c) => s + c.maxDrawA[p], 0);
        result.unbalancedOverloadAmpSeconds += Math.max(0, Math.abs(unbalanced) - fuseA);
      }
      cars.forEach((c, i) => {
        energyWh[ids[i]] += (c.drawA().reduce((s, a) => s + a, 0) * VOLTAGE_V) / 3600;
      });

      if (simS % RECORD_EVERY_S === 0) {
        const s = result.series;
        s.simS.push(simS);
        for (let p = 0; p < 3; p++) {
          s.houseA[p].push(house[p]);
          s.meterA[p].push(house[p] + draw[p]);
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
  result.chargers = cars.map((c, i) => ({
    id: ids[i],
    name: c.name,
    phases: c.phases,
    energyKWh: energyWh[ids[i]] / 1000,
    writes: writes[ids[i]],
    pauses: pauses[ids[i]],
  }));
  result.energyKWh = result.chargers.reduce((s, c) => s + c.energyKWh, 0);
  result.durationS = Math.min(durationS, simS);
  result.wallMs = Date.now() - started;
  return result;
}
