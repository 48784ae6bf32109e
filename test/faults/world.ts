/**
 * A small house for the actuation fault tests: the real controller, a go-e (local API, polled every
 * 5 s) and/or a Charge Amps connector (cloud, polled every 30 s) over their emulators on loopback
 * HTTP, one ManualClock, a P1 meter sample every second (house + what the cars really draw), and the
 * two figures the table is about: seconds with a phase above the fuse, and the highest phase.
 * `restart()` builds a new controller from the same store, as the Homey app does after a restart.
 */
import type { GridPhase, MeterSample, Triple } from '../../lib/balancer/types';
import type { Charger } from '../../lib/charger';
import { ChargeAmpsConnectorCharger } from '../../lib/chargeamps/charger';
import { ChargeAmpsClient } from '../../lib/chargeamps/client';
import { ChargeAmpsEmulator, EMULATOR_API_KEY, EMULATOR_EMAIL, EMULATOR_PASSWORD } from '../../tools/emulators/chargeamps/emulator';
import { ManualClock } from '../../lib/clock';
import { Controller, type ControllerEvent, type StateStore } from '../../lib/controller';
import { describeError } from '../../lib/errors';
import { GoeCharger } from '../../lib/goe/charger';
import { GoeClient } from '../../lib/goe/client';
import { GoeEmulator } from '../../tools/emulators/goe/emulator';
import { nodeFetchTransport, type HttpTransport } from '../../lib/http';
import { AppSettings, defaultAppSettings, defaultChargerSettings } from '../../lib/settings';
import { countingTransport, JumpClock, type CountingTransport } from './rig';

export const CA_CP = 'HALO-4001';
export const CA_ID = `${CA_CP}:1`;

export interface WorldOptions {
  goe?: { phases: 1 | 3; phaseMap?: Triple<GridPhase | null> };
  ca?: { phases: 1 | 3; phaseMap?: Triple<GridPhase | null> };
  settings?: Partial<AppSettings>;
  goePollS?: number;
  caPollS?: number;
  /** From a Charge Amps settings change to the car following (ms); default 20 s, as the real cloud. */
  caLatencyMs?: number;
  /** Wrap a charger (e.g. to slow its writes down). */
  wrap?: (c: Charger) => Charger;
}

class MemoryStore implements StateStore {
  value: unknown = null;
  load(): unknown {
    return this.value === null ? null : JSON.parse(JSON.stringify(this.value));
  }
  save(state: unknown): void {
    this.value = JSON.parse(JSON.stringify(state));
  }
}

export class World {
  readonly clock = new ManualClock(Date.UTC(2026, 2, 1, 18));
  readonly wall = new JumpClock(this.clock);
  readonly store = new MemoryStore();
  readonly logs: string[] = [];
  readonly events: ControllerEvent[] = [];
  goe: GoeEmulator | null = null;
  goeCharger: Charger | null = null;
  ca: ChargeAmpsEmulator | null = null;
  caCharger: Charger | null = null;
  caClient: ChargeAmpsClient | null = null;
  net: CountingTransport | null = null;
  controller!: Controller;
  house: Triple<number> = [3, 3, 3];
  /** While false, the meter sends nothing. */
  meterOn = true;
  /** Seconds with a phase above the fuse, and the highest phase current, since the last `resetFigures`. */
  overS = 0;
  peakA = 0;
  seconds = 0;
  private seq = 0;
  private settings!: AppSettings;

  static async create(opts: WorldOptions): Promise<World> {
    const w = new World();
    await w.build(opts);
    return w;
  }

  private async build(opts: WorldOptions): Promise<void> {
    const chargers: AppSettings['chargers'] = {};
    if (opts.goe) {
      this.goe = new GoeEmulator({ clock: this.clock, profile: 'v2-060', startDelayMs: 2000 });
      await this.goe.start();
      this.goe.plugIn({ maxCurrentA: 16, phases: opts.goe.phases, needWh: 500_000 });
      this.net = await countingTransport();
      const client = new GoeClient({ kind: 'local', host: this.goe.url, api: 'v2' }, { clock: this.clock, minGapMs: 0, timeoutMs: 300, transport: this.track(this.net.transport) });
      const c = new GoeCharger(client, this.goe.serial);
      this.goeCharger = opts.wrap ? opts.wrap(c) : c;
      chargers[this.goeCharger.id] = { ...defaultChargerSettings(), phaseMap: opts.goe.phaseMap ?? ['L1', 'L2', 'L3'] };
    }
    if (opts.ca) {
      this.ca = new ChargeAmpsEmulator({
        clock: this.clock,
        commandLatencyMs: opts.caLatencyMs ?? 20_000,
        chargePoints: [{ id: CA_CP, name: 'Carport', model: 'HALO', protocol: 'capi', installationCurrentA: 16 }],
      });
      await this.ca.start();
      this.ca.plugIn(CA_CP, 1, { phases: opts.ca.phases, maxCurrentA: 16 });
      this.caClient = new ChargeAmpsClient({
        baseUrl: this.ca.baseUrl,
        credentials: { email: EMULATOR_EMAIL, password: EMULATOR_PASSWORD, apiKey: EMULATOR_API_KEY },
        clock: this.clock,
        transport: this.track(nodeFetchTransport),
        timeoutMs: 300,
        random: () => 0.5,
      });
      const c = new ChargeAmpsConnectorCharger({ client: this.caClient, chargePointId: CA_CP, connectorId: 1 });
      this.caCharger = opts.wrap ? opts.wrap(c) : c;
      chargers[CA_ID] = { ...defaultChargerSettings(), phaseMap: opts.ca.phaseMap ?? ['L1', 'L2', 'L3'] };
    }
    this.settings = { ...defaultAppSettings(), fuseA: 25, marginA: 1, ...opts.settings, chargers };
    this.goePhases = opts.goe?.phases ?? 3;
    this.caPhases = opts.ca?.phases ?? 3;
    this.goePollS = opts.goePollS ?? 5;
    this.caPollS = opts.caPollS ?? 30;
    this.startController();
    await this.controller.idle();
  }

  goePollS = 5;
  caPollS = 30;
  goePhases = 3;
  caPhases = 3;

  /** A new controller from the same store, the chargers added again (what a Homey app restart does). */
  startController(): Controller {
    this.controller?.removeAllListeners();
    const ctrl = new Controller({ clock: this.wall, settings: this.settings, store: this.store, log: (l) => this.logs.push(l), random: () => 0.5 });
    ctrl.on('event', (e: ControllerEvent) => this.events.push(e));
    if (this.goeCharger) ctrl.addCharger(this.goeCharger, 'go-e Garage');
    if (this.caCharger) ctrl.addCharger(this.caCharger, 'Charge Amps Carport');
    this.controller = ctrl;
    return ctrl;
  }

  /** What each car draws per grid phase now. */
  carsA(): Triple<number> {
    const out: Triple<number> = [0, 0, 0];
    const add = (id: string, draw: Triple<number>): void => {
      const map = this.settings.chargers[id]?.phaseMap ?? ['L1', 'L2', 'L3'];
      map.forEach((g, k) => {
        if (g) out[['L1', 'L2', 'L3'].indexOf(g)] += draw[k];
      });
    };
    if (this.goe && this.goeCharger) add(this.goeCharger.id, this.goeDrawA());
    if (this.ca) add(CA_ID, this.caDrawA());
    return out;
  }

  goeDrawA(): Triple<number> {
    const a = this.goe!.drawA;
    return [a, this.goePhases === 3 ? a : 0, this.goePhases === 3 ? a : 0];
  }

  caDrawA(): Triple<number> {
    const a = this.ca!.snapshot(CA_CP, 1).drawA;
    return [a, this.caPhases === 3 ? a : 0, this.caPhases === 3 ? a : 0];
  }

  /** One second: the clock, the charger polls, one meter sample (or a tick), writes settle. */
  async second(): Promise<void> {
    await this.clock.advance(1000);
    this.seconds++;
    const s = Math.round(this.clock.monoMs() / 1000);
    if (this.goeCharger && s % this.goePollS === 0) await this.poll(this.goeCharger);
    if (this.caCharger && s % this.caPollS === 0) await this.poll(this.caCharger);
    const cars = this.carsA();
    const phases = this.house.map((h, g) => h + cars[g]) as Triple<number>;
    const fuseA = this.controller.getSettings().fuseA;
    if (phases.some((a) => a > fuseA + 1e-9)) this.overS++;
    this.peakA = Math.max(this.peakA, ...phases);
    if (this.meterOn) {
      const sample: MeterSample = { timeMs: this.wall.nowMs(), seq: ++this.seq, currentsA: phases };
      this.controller.onSample(sample);
    } else {
      this.controller.tick();
    }
    if (this.meterOn) this.controller.tick();
    await this.settle();
  }

  /** Requests on the wire now (real loopback HTTP). */
  private httpInFlight = 0;

  private track(t: HttpTransport): HttpTransport {
    return async (req) => {
      this.httpInFlight++;
      try {
        return await t(req);
      } finally {
        this.httpInFlight--;
      }
    };
  }

  /**
   * Let every write and poll that is on the wire answer before the manual clock moves on (however
   * loaded the machine); a write that waits on the manual clock itself is not waited for.
   */
  private async settle(): Promise<void> {
    const deadline = Date.now() + 5_000;
    for (;;) {
      for (let i = 0; i < 20; i++) await Promise.resolve();
      if (this.httpInFlight === 0 || Date.now() > deadline) return;
      await new Promise((r) => setTimeout(r, 2));
    }
  }

  async run(n: number): Promise<void> {
    for (let i = 0; i < n; i++) await this.second();
  }

  /** Run until `done()` or `maxS`; returns the seconds it took (or null). */
  async until(done: () => boolean, maxS: number): Promise<number | null> {
    for (let i = 1; i <= maxS; i++) {
      await this.second();
      if (done()) return i;
    }
    return null;
  }

  resetFigures(): void {
    this.overS = 0;
    this.peakA = 0;
  }

  private async poll(c: Charger): Promise<void> {
    try {
      this.controller.reportStatus(c.id, await c.getStatus());
    } catch (err) {
      this.logs.push(`poll ${c.id}: ${describeError(err)}`);
    }
  }

  async stop(): Promise<void> {
    await Promise.race([this.controller.idle(), new Promise((r) => setTimeout(r, 500))]);
    await this.goe?.stop();
    await this.ca?.stop();
  }
}
