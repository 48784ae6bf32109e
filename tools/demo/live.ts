/**
 * Live mode of `npm start -- --meter homewizard://HOST|p1tcp://HOST:PORT --goe HOST [--chargeamps]`: the app's real
 * controller against real devices, without a Homey. The HomeWizard P1 source polls the meter, or the P1 TCP source
 * reads the raw telegrams a P1 dongle or serial-to-TCP bridge streams (the app's two network meters); each
 * charger is polled on its own interval (go-e 5 s, Charge Amps 30 s, as the Homey devices do); the
 * controller ticks every second. `startLive` returns once everything runs; `stop()` ends it.
 * Everything is timed by the injected clock (the real one from the command line, SystemClock in the
 * live-mode test).
 */
import { ChargeAmpsClient } from '../../lib/chargeamps/client';
import { ChargeAmpsConnectorCharger, listConnectors } from '../../lib/chargeamps/charger';
import type { Charger } from '../../lib/charger';
import { SystemClock, type Clock, type TimerHandle } from '../../lib/clock';
import { Controller } from '../../lib/controller';
import { describeError, registerSecret } from '../../lib/errors';
import { GoeCharger } from '../../lib/goe/charger';
import { GoeClient } from '../../lib/goe/client';
import { nodeFetchTransport } from '../../lib/http';
import { DEFAULT_METER_TIME_ZONE, isValidTimeZone } from '../../lib/meter/dsmr';
import { HomeWizardP1Source } from '../../lib/meter/homewizard';
import { HomeWizardV2Source } from '../../lib/meter/homewizardV2';
import { P1TcpSource } from '../../lib/meter/p1tcp';
import { AppSettings, defaultAppSettings } from '../../lib/settings';

export const LIVE_GOE_POLL_S = 5;
export const LIVE_CHARGEAMPS_POLL_S = 30;
export const LIVE_TICK_MS = 1000;

export interface LiveOptions {
  /** host[:port] of the HomeWizard P1 meter, or host:port of the P1 dongle (`meterKind` 'p1tcp'). */
  meterHost: string;
  /** Which meter `meterHost` is; default 'homewizard' (the local API v1). */
  meterKind?: 'homewizard' | 'homewizard-v2' | 'p1tcp';
  /** The HomeWizard API v2 pairing (`meterKind` 'homewizard-v2'): see homewizardV2Live.ts. */
  v2?: { token: string; certFingerprint: string };
  /** The P1 dongle's meter time zone (IANA); default this machine's, or Europe/Amsterdam when it has none known. */
  timeZone?: string;
  /** The go-e's host or http:// URL. */
  goeHost?: string;
  /** Charge Amps account: every connector except Schuko outlets takes part. */
  chargeAmps?: { email: string; password: string; apiKey: string; baseUrl?: string };
  /** Settings over the app defaults (fuse, margins, staleAfterS, …). */
  settings?: Partial<AppSettings>;
  clock?: Clock;
  /** Charger poll intervals (s); default go-e 5, Charge Amps 30. */
  pollS?: { goe?: number; chargeAmps?: number };
  out(line: string): void;
  err(line: string): void;
}

export interface LiveCharger {
  charger: Charger;
  name: string;
  pollS: number;
}

export interface LiveRun {
  controller: Controller;
  meter: HomeWizardP1Source | HomeWizardV2Source | P1TcpSource;
  chargers: LiveCharger[];
  settings: AppSettings;
  /** Stop polling and ticking; resolves once nothing is in flight. */
  stop(): Promise<void>;
}

async function liveChargers(opts: LiveOptions, clock: Clock): Promise<LiveCharger[]> {
  const chargers: LiveCharger[] = [];
  if (opts.goeHost !== undefined) {
    const charger = new GoeCharger(new GoeClient({ kind: 'local', host: opts.goeHost }, { clock }));
    const status = await charger.getStatus();
    chargers.push({ charger, name: `go-e ${status.name || status.id}`, pollS: opts.pollS?.goe ?? LIVE_GOE_POLL_S });
  }
  if (opts.chargeAmps) {
    const { email, password, apiKey, baseUrl } = opts.chargeAmps;
    registerSecret(password);
    registerSecret(apiKey);
    const client = new ChargeAmpsClient({ baseUrl, credentials: { email, password, apiKey }, clock, transport: nodeFetchTransport });
    for (const c of await listConnectors(client)) {
      if (c.schuko) continue;
      const charger = new ChargeAmpsConnectorCharger({ client, chargePointId: c.chargePointId, connectorId: c.connectorId });
      chargers.push({ charger, name: c.name, pollS: opts.pollS?.chargeAmps ?? LIVE_CHARGEAMPS_POLL_S });
    }
  }
  return chargers;
}

function liveMeter(opts: LiveOptions, clock: Clock): HomeWizardP1Source | HomeWizardV2Source | P1TcpSource {
  if (opts.meterKind === 'homewizard-v2') {
    if (!opts.v2) throw new Error('live: a HomeWizard API v2 meter needs its pairing (token and certificate)');
    return new HomeWizardV2Source({ host: opts.meterHost, token: opts.v2.token, certFingerprint: opts.v2.certFingerprint, clock });
  }
  if (opts.meterKind !== 'p1tcp') return new HomeWizardP1Source({ host: opts.meterHost, clock });
  const local = opts.timeZone ?? Intl.DateTimeFormat().resolvedOptions().timeZone;
  return new P1TcpSource({ host: opts.meterHost, clock, timeZone: isValidTimeZone(local) ? local : DEFAULT_METER_TIME_ZONE });
}

/** Call `fn` every `everyMs` on `clock` until the returned stop is called. */
function every(clock: Clock, everyMs: number, fn: () => void): () => void {
  let handle: TimerHandle | undefined;
  let stopped = false;
  const run = (): void => {
    if (stopped) return;
    fn();
    handle = clock.setTimeout(run, everyMs);
  };
  handle = clock.setTimeout(run, everyMs);
  return () => {
    stopped = true;
    clock.clearTimeout(handle);
  };
}

export async function startLive(opts: LiveOptions): Promise<LiveRun> {
  const clock = opts.clock ?? new SystemClock();
  const meter = liveMeter(opts, clock);
  const chargers = await liveChargers(opts, clock);
  const settings: AppSettings = { ...defaultAppSettings(), ...opts.settings };
  // The controller logs every balancer event ("balancer reduced: …") with its other news: printing
  // that log, time-stamped, prints each event once (a listener on 'event' as well printed it twice).
  const controller = new Controller({ clock, settings, log: (l) => opts.out(`${new Date(clock.nowMs()).toISOString()} ${l}`) });
  chargers.forEach((c) => controller.addCharger(c.charger, c.name));
  meter.onSample((s) => controller.onSample(s));
  meter.onError((e) => {
    controller.setMeterError(e);
    if (e) opts.err(`meter: ${e}`);
  });
  await meter.start();
  const stops = [every(clock, LIVE_TICK_MS, () => controller.tick())];
  const polls = new Set<Promise<void>>();
  for (const c of chargers) {
    let busy = false;
    const poll = (): void => {
      if (busy) return; // a slow charger is not asked again before it answered
      busy = true;
      const p = c.charger.getStatus().then(
        (s) => controller.reportStatus(c.charger.id, s),
        (err) => opts.err(`${c.name}: ${describeError(err)}`),
      );
      const done = p.finally(() => {
        busy = false;
        polls.delete(done);
      });
      polls.add(done);
    };
    poll();
    stops.push(every(clock, c.pollS * 1000, poll));
  }
  return {
    controller,
    meter,
    chargers,
    settings,
    stop: async () => {
      stops.forEach((s) => s());
      await meter.stop();
      await Promise.all([...polls]);
      await controller.idle();
    },
  };
}
