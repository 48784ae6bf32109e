/** Shared by the go-e client tests: emulators on a ManualClock (stopped after each test), a local client, the writes seen. */
import type { Triple } from '../../../lib/balancer/types';
import type { ChargerStatus } from '../../../lib/charger';
import { ManualClock } from '../../../lib/clock';
import type { Controller } from '../../../lib/controller';
import type { GoeCharger } from '../../../lib/goe/charger';
import { GoeClient, GoeClientOptions } from '../../../lib/goe/client';
import { GoeEmulator, GoeEmulatorOptions } from '../../../tools/emulators/goe/emulator';

/** Emulators to stop after the test: `afterEach(() => stopEmulators())`. */
export const running: GoeEmulator[] = [];

export async function stopEmulators(): Promise<void> {
  while (running.length) await running.pop()?.stop();
}

export async function emulator(options: GoeEmulatorOptions = {}): Promise<GoeEmulator> {
  const emu = new GoeEmulator({ clock: new ManualClock(), ...options });
  await emu.start();
  running.push(emu);
  return emu;
}

export function local(emu: GoeEmulator, api: 'auto' | 'v1' | 'v2' = 'auto', options: GoeClientOptions = {}): GoeClient {
  return new GoeClient({ kind: 'local', host: emu.url, api }, { clock: emu.clock, minGapMs: 0, timeoutMs: 2000, ...options });
}

/** The writes the emulator received, as `key=value` (the token left out). */
export const sets = (emu: GoeEmulator): string[] =>
  emu.requests
    .filter((r) => r.path === '/api/set' || r.path === '/mqtt' || r.path === '/api')
    .map((r) => (r.query.payload ? r.query.payload : Object.entries(r.query).filter(([k]) => k !== 'token').map(([k, v]) => `${k}=${v}`).join('&')));

/**
 * The controller over a go-e, one second at a time: the charger is read, the meter reports `houseA` plus the car's
 * draw per phase, the controller ticks, then `each(s)` runs (a phase wish, a request); writes are awaited. Returns
 * the readings seen and the overload over `fuseA` (A·s, summed over phases).
 */
export async function driveGoe(o: {
  ctrl: Controller;
  charger: GoeCharger;
  clock: ManualClock;
  houseA: Triple<number>;
  seconds: number;
  fuseA?: number;
  each?: (s: number) => void;
}): Promise<{ seen: { s: number; status: ChargerStatus }[]; overloadAs: number }> {
  const seen: { s: number; status: ChargerStatus }[] = [];
  let overloadAs = 0;
  let seq = 0;
  for (let s = 0; s < o.seconds; s++) {
    await o.clock.advance(1000);
    const status = await o.charger.getStatus();
    o.ctrl.reportStatus(o.charger.id, status);
    const metered = o.houseA.map((h, i) => h + (status.phases[i].currentA ?? 0)) as Triple<number>;
    for (const a of metered) overloadAs += Math.max(0, a - (o.fuseA ?? Infinity));
    o.ctrl.onSample({ timeMs: o.clock.nowMs(), seq: ++seq, currentsA: metered });
    o.ctrl.tick();
    o.each?.(s);
    await o.ctrl.idle();
    seen.push({ s, status });
  }
  return { seen, overloadAs };
}
