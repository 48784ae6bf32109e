/**
 * Shared pieces of the fault matrix: a watcher for unhandled rejections and uncaught exceptions, a
 * counting transport that can also refuse connections, and a controller + go-e emulator rig on one
 * ManualClock over loopback HTTP (the pattern of tools/demo/demo.ts).
 */
import assert from 'assert';
import http from 'http';
import type { AddressInfo } from 'net';
import type { MeterSample, Triple } from '../../lib/balancer/types';
import { Clock, ManualClock, TimerHandle } from '../../lib/clock';
import { Controller } from '../../lib/controller';
import { describeError } from '../../lib/errors';
import { GoeCharger } from '../../lib/goe/charger';
import { GoeClient, type GoeLocalApi } from '../../lib/goe/client';
import { GoeEmulator, type GoeProfile } from '../../tools/emulators/goe/emulator';
import { HttpRequest, HttpTransport, nodeFetchTransport } from '../../lib/http';
import { AppSettings, defaultAppSettings } from '../../lib/settings';

/** Collects unhandled rejections and uncaught exceptions while a test runs; `check()` fails on any. */
export function watchProcess(): { check(): void; stop(): void } {
  const seen: string[] = [];
  const onRejection = (reason: unknown): void => {
    seen.push(`unhandled rejection: ${describeError(reason)}`);
  };
  const onException = (err: unknown): void => {
    seen.push(`uncaught exception: ${describeError(err)}`);
  };
  process.on('unhandledRejection', onRejection);
  process.on('uncaughtExceptionMonitor', onException);
  return {
    check: () => assert.deepStrictEqual(seen, []),
    stop: () => {
      process.off('unhandledRejection', onRejection);
      process.off('uncaughtExceptionMonitor', onException);
    },
  };
}

/** A port on 127.0.0.1 that nobody listens on (connections are refused). */
export async function deadPort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface CountingTransport {
  transport: HttpTransport;
  /** Every request: "METHOD url-without-origin". */
  sent: string[];
  /** While true, requests go to a closed port and are refused by the OS. */
  refuse: boolean;
  /** Requests whose path contains this, since the given index. */
  count(pathPart: string, since?: number): number;
}

export async function countingTransport(): Promise<CountingTransport> {
  const dead = await deadPort();
  const t: CountingTransport = {
    sent: [],
    refuse: false,
    transport: (req: HttpRequest) => {
      const u = new URL(req.url);
      t.sent.push(`${req.method ?? 'GET'} ${u.pathname}${u.search}`);
      if (t.refuse) u.port = String(dead);
      return nodeFetchTransport({ ...req, url: u.toString() });
    },
    count: (part, since = 0) => t.sent.slice(since).filter((s) => s.includes(part)).length,
  };
  return t;
}

/** The controller's view of time: a ManualClock whose wall time can jump (NTP fix, DST bug, restored backup). */
export class JumpClock implements Clock {
  offsetMs = 0;
  constructor(private readonly base: ManualClock) {}
  nowMs(): number {
    return this.base.nowMs() + this.offsetMs;
  }
  monoMs(): number {
    return this.base.monoMs();
  }
  setTimeout(fn: () => void, delayMs: number): TimerHandle {
    return this.base.setTimeout(fn, delayMs);
  }
  clearTimeout(handle: TimerHandle | undefined): void {
    this.base.clearTimeout(handle);
  }
  sleep(delayMs: number): Promise<void> {
    return this.base.sleep(delayMs);
  }
}

export interface GoeRig {
  clock: ManualClock;
  /** The clock the controller and the meter samples use (may jump). */
  wall: JumpClock;
  emu: GoeEmulator;
  client: GoeClient;
  charger: GoeCharger;
  controller: Controller;
  net: CountingTransport;
  logs: string[];
  pollErrors: string[];
  /** One simulated second: the car follows, the charger is polled (every `pollEveryS`), the meter reports house + car. */
  second(houseA: Triple<number>, opts?: { report?: boolean; sample?: (s: MeterSample) => MeterSample }): Promise<void>;
  seconds(n: number, houseA: Triple<number>, opts?: { report?: boolean }): Promise<void>;
  /** What the car draws per phase now. */
  carA(): Triple<number>;
  stop(): Promise<void>;
}

export interface GoeRigOptions {
  profile?: GoeProfile;
  api?: GoeLocalApi;
  timeoutMs?: number;
  pollEveryS?: number;
  settings?: Partial<AppSettings>;
}

export async function goeRig(opts: GoeRigOptions = {}): Promise<GoeRig> {
  const clock = new ManualClock(Date.UTC(2025, 5, 1, 12));
  const emu = new GoeEmulator({ clock, startDelayMs: 0, profile: opts.profile ?? 'v2-060' });
  await emu.start();
  emu.plugIn({ maxCurrentA: 16, phases: 3, needWh: 500_000 });
  const net = await countingTransport();
  const client = new GoeClient({ kind: 'local', host: emu.url, api: opts.api ?? 'v2' }, { clock, minGapMs: 0, timeoutMs: opts.timeoutMs ?? 150, transport: net.transport });
  const charger = new GoeCharger(client, emu.serial);
  const logs: string[] = [];
  const pollErrors: string[] = [];
  const settings: AppSettings = { ...defaultAppSettings(), fuseA: 25, marginA: 1, restoreHoldS: 5, restoreStepA: 4, ...opts.settings };
  const wall = new JumpClock(clock);
  const controller = new Controller({ clock: wall, settings, log: (l) => logs.push(l), random: () => 0.5 });
  controller.addCharger(charger, 'Garage');
  await controller.idle();
  const pollEveryS = opts.pollEveryS ?? 5;
  let tick = 0;
  const carA = (): Triple<number> => {
    const a = emu.charging ? Math.min(emu.offeredA, 16) : 0;
    return [a, a, a];
  };
  const rig: GoeRig = {
    clock,
    wall,
    emu,
    client,
    charger,
    controller,
    net,
    logs,
    pollErrors,
    carA,
    async second(houseA, o = {}) {
      await clock.advance(1000);
      tick++;
      if (tick % pollEveryS === 0) {
        try {
          controller.reportStatus(charger.id, await charger.getStatus());
        } catch (err) {
          pollErrors.push(describeError(err));
        }
      }
      if (o.report ?? true) {
        const car = carA();
        const sample: MeterSample = { timeMs: wall.nowMs(), currentsA: [houseA[0] + car[0], houseA[1] + car[1], houseA[2] + car[2]] };
        controller.onSample(o.sample ? o.sample(sample) : sample);
      } else {
        controller.tick();
      }
      await controller.idle();
    },
    async seconds(n, houseA, o) {
      for (let i = 0; i < n; i++) await rig.second(houseA, o);
    },
    async stop() {
      await controller.idle();
      await emu.stop();
    },
  };
  return rig;
}

/** Every line must be one readable line: no stack trace, no "[object Object]", no "undefined". */
export function assertReadable(lines: string[]): void {
  for (const l of lines) {
    assert.ok(!/\n|\s+at\s+\S+\s+\(|\[object Object\]|\bundefined\b/.test(l), `not a readable line: ${l}`);
  }
}
