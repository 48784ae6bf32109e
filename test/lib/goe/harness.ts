/** Shared by the go-e client tests: emulators on a ManualClock (stopped after each test), a local client, the writes seen. */
import { ManualClock } from '../../../lib/clock';
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
