import { ManualClock } from '../../../lib/clock';
import { HttpRequest, HttpTransport, nodeFetchTransport } from '../../../lib/http';
import { ChargeAmpsClient, ClientOptions } from '../../../lib/chargeamps/client';
import { ChargeAmpsEmulator, EMULATOR_API_KEY, EMULATOR_EMAIL, EMULATOR_PASSWORD, EmulatorOptions } from '../../../tools/emulators/chargeamps/emulator';

export const CREDENTIALS = { email: EMULATOR_EMAIL, password: EMULATOR_PASSWORD, apiKey: EMULATOR_API_KEY };

export interface Rig {
  clock: ManualClock;
  emu: ChargeAmpsEmulator;
  client: ChargeAmpsClient;
  /** Every request the client sent: "METHOD path" relative to the API root. */
  sent: string[];
  transport: HttpTransport;
  stop(): Promise<void>;
}

/** An emulator and a client on the same manual clock. */
export async function rig(emuOpts: Omit<EmulatorOptions, 'clock'> = {}, clientOpts: Partial<ClientOptions> = {}): Promise<Rig> {
  const clock = new ManualClock(Date.UTC(2026, 0, 1, 12));
  const emu = new ChargeAmpsEmulator({ ...emuOpts, clock });
  const baseUrl = await emu.start();
  const sent: string[] = [];
  const transport: HttpTransport = (req: HttpRequest) => {
    sent.push(`${req.method ?? 'GET'} ${req.url.slice(baseUrl.length + 1)}`);
    return nodeFetchTransport(req);
  };
  const client = new ChargeAmpsClient({ baseUrl, credentials: CREDENTIALS, clock, transport, random: () => 0.5, ...clientOpts });
  return { clock, emu, client, sent, transport, stop: () => emu.stop() };
}

/** Wait for `p` while moving the manual clock in steps (real HTTP needs real time to answer). */
export async function drive<T>(clock: ManualClock, p: Promise<T>, stepMs = 5000, maxSteps = 200): Promise<T> {
  let done = false;
  const watched = p.finally(() => {
    done = true;
  });
  watched.catch(() => undefined);
  for (let i = 0; i < maxSteps && !done; i++) {
    await new Promise((r) => setTimeout(r, 5));
    if (!done) await clock.advance(stepMs);
  }
  return watched;
}
