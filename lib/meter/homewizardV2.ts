/**
 * HomeWizard P1 meter over the local API v2 (firmware 6.00+) as the house meter: one WebSocket (homewizardV2Ws.ts)
 * over TLS pinned to the certificate seen at pairing, authorised with the paired token, subscribed to "measurement".
 * The meter pushes each new telegram (every second on DSMR 5) as it reads it: the lowest latency a P1 meter offers,
 * and no polling at all.
 *
 * Per push: `current_l1_a`…`current_l3_a` (signed by the firmware, negative = export), refined with `power_lN_w` /
 * `voltage_lN_v` (`homeWizardCurrents`, as for v1); `power_w` (net, import positive) as `powerW`, the voltages as
 * `voltagesV`, `monthly_power_peak_w` as `meterPeakW`. A push whose content (all but Wi-Fi fields) equals the last one
 * is no news (no sample); freshness is judged on receipt by the monotonic clock, never by the meter's `timestamp`.
 *
 * Connection: when it fails, closes, or brings no measurement for `silenceTimeoutMs` (stale: the meter stopped
 * pushing), it is closed and opened again after a back-off that doubles from `reconnectMinMs` to `reconnectMaxMs`
 * and falls back to the minimum only after a measurement arrived: a meter that accepts and drops at once, or refuses
 * the token, causes no storm. `status().error` says in one line what is wrong and when the next try is. The token
 * never appears in a message (it is registered as a secret, and no message is built from it).
 */
import type { Clock, TimerHandle } from '../clock';
import type { Triple } from '../balancer/types';
import { PeerError, UserInputError, describeError, registerSecret } from '../errors';
import { type HomeWizardData, homeWizardCurrents, telegramFingerprint } from './homewizard';
import { isV2Token, normaliseFingerprint, splitV2Host } from './homewizardV2Client';
import { type V2Socket, type V2SocketConnect, nodeV2SocketConnect } from './homewizardV2Ws';
import { BaseMeterSource, formatWait, type MeterSourceStatus, streamTimings, type StreamTimings } from './source';
import { backoffMs } from '../backoff';
import { isRecord } from '../record';

export interface HomeWizardV2SourceOptions {
  /** host[:port] of the meter (port 443 unless given). */
  host: string;
  /** The token created at pairing. */
  token: string;
  /** SHA-256 fingerprint of the meter's certificate, pinned at pairing. */
  certFingerprint: string;
  clock: Clock;
  connect?: V2SocketConnect;
  /** Default 5000 ms (TLS, upgrade). */
  connectTimeoutMs?: number;
  /** No measurement for this long: stale, reconnect; default 20000 ms (DSMR 4 meters send every 10 s). */
  silenceTimeoutMs?: number;
  /** Default 1000 ms. */
  reconnectMinMs?: number;
  /** Default 60000 ms. */
  reconnectMaxMs?: number;
  nominalVoltageV?: number;
}

export const V2_DEFAULTS = { connectTimeoutMs: 5000, silenceTimeoutMs: 20_000, reconnectMinMs: 1000, reconnectMaxMs: 60_000 } as const;

export interface HomeWizardV2Counters {
  connects: number;
  connectFailures: number;
  disconnects: number;
  /** Connections closed because no measurement came for `silenceTimeoutMs`. */
  staleTimeouts: number;
  /** Measurement pushes received (each a telegram the meter read); turned into a sample, equal to the last one, or
   *  without any phase. */
  telegrams: number;
  accepted: number;
  repeated: number;
  unusable: number;
  /** Times the meter refused the token. */
  tokenRefused: number;
}

export interface HomeWizardV2Status extends MeterSourceStatus {
  v2: HomeWizardV2Counters & { connected: boolean; authorized: boolean };
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** The extras a v2 measurement carries besides the currents. */
export function v2MeasurementExtras(data: HomeWizardData): { powerW: number | null; voltagesV: Triple<number | null>; meterPeakW: number | null } {
  return {
    powerW: num(data.power_w),
    voltagesV: [num(data.voltage_l1_v), num(data.voltage_l2_v), num(data.voltage_l3_v)],
    meterPeakW: num(data.monthly_power_peak_w),
  };
}

export class HomeWizardV2Source extends BaseMeterSource {
  readonly kind = 'homewizard-v2' as const;
  readonly host: string;
  readonly counters: HomeWizardV2Counters = {
    connects: 0, connectFailures: 0, disconnects: 0, staleTimeouts: 0, telegrams: 0, accepted: 0, repeated: 0, unusable: 0, tokenRefused: 0,
  };
  private readonly token: string;
  private readonly pin: string;
  private readonly connectFn: V2SocketConnect;
  private readonly opts: StreamTimings;
  private socket: V2Socket | null = null;
  private connecting: Promise<void> | null = null;
  private authorized = false;
  private retryTimer: TimerHandle | undefined;
  private silenceTimer: TimerHandle | undefined;
  private failures = 0;
  private closeReason: string | null = null;
  private lastFingerprint: string | null = null;

  constructor(opts: HomeWizardV2SourceOptions) {
    super(opts.clock);
    this.host = splitV2Host(opts.host).hostPort;
    if (!isV2Token(opts.token)) throw new UserInputError('meter.pairing', 'no token for the HomeWizard API v2: pair the meter on the settings page');
    const pin = normaliseFingerprint(opts.certFingerprint);
    if (!pin) throw new UserInputError('meter.pairing', 'no pinned certificate for the HomeWizard API v2: pair the meter on the settings page');
    registerSecret(opts.token);
    this.token = opts.token;
    this.pin = pin;
    this.connectFn = opts.connect ?? nodeV2SocketConnect;
    this.opts = streamTimings(opts, V2_DEFAULTS);
  }

  protected begin(): void {
    this.connect();
  }

  protected async end(): Promise<void> {
    this.clock.clearTimeout(this.retryTimer);
    this.clock.clearTimeout(this.silenceTimer);
    this.retryTimer = this.silenceTimer = undefined;
    await this.connecting;
    const socket = this.socket;
    this.socket = null;
    socket?.close();
  }

  status(): HomeWizardV2Status {
    return { ...super.status(), v2: { ...this.counters, connected: this.socket !== null, authorized: this.authorized } };
  }

  /** Resolves when no connection attempt is in flight (tests). */
  async idle(): Promise<void> {
    while (this.connecting) await this.connecting;
  }

  private connect(): void {
    if (!this.running || this.socket || this.connecting) return;
    this.retryTimer = undefined;
    let socket: V2Socket | null = null;
    // what arrives before the connect promise settles (the meter's first message may come with the upgrade answer)
    const early: string[] = [];
    let earlyEnd: Error | null | undefined;
    const handlers = {
      onText: (text: string) => {
        if (!socket) early.push(text);
        else if (this.socket === socket) this.message(socket, text);
      },
      onEnd: (error: Error | null) => {
        if (!socket) earlyEnd = error;
        else if (this.socket === socket) this.closed(error);
      },
    };
    this.connecting = this.connectFn(this.host, this.pin, this.opts.connectTimeoutMs, handlers)
      .then(
        (s) => {
          socket = s;
          if (!this.running) return s.close();
          this.opened(s);
          for (const text of early.splice(0)) if (this.socket === s) this.message(s, text);
          if (earlyEnd !== undefined && this.socket === s) this.closed(earlyEnd);
        },
        (err) => {
          this.counters.connectFailures++;
          if (err instanceof PeerError && err.status === 401) this.counters.tokenRefused++;
          this.retry(describeError(err));
        },
      )
      .finally(() => {
        this.connecting = null;
      });
  }

  private opened(socket: V2Socket): void {
    this.counters.connects++;
    this.socket = socket;
    this.authorized = false;
    this.closeReason = null;
    this.armSilence();
  }

  /** One text message from the meter; anything but a JSON object (malformed, `null`, a number, string or list) is ignored. */
  private message(socket: V2Socket, text: string): void {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return;
    }
    if (!isRecord(parsed)) return;
    const msg = parsed as { type?: unknown; data?: unknown };
    if (msg.type === 'authorization_requested') socket.send(JSON.stringify({ type: 'authorization', data: this.token }));
    else if (msg.type === 'authorized') {
      this.authorized = true;
      socket.send(JSON.stringify({ type: 'subscribe', data: 'measurement' }));
    } else if (msg.type === 'error') {
      const what = typeof msg.data === 'object' && msg.data !== null ? String((msg.data as { message?: unknown }).message ?? '') : String(msg.data ?? '');
      if (!this.authorized || /unauthori[sz]ed|token/i.test(what)) {
        this.counters.tokenRefused++;
        this.closeReason = 'the meter refused the token: pair it again on the settings page';
      } else this.closeReason = `the meter reported an error (${what.slice(0, 60)})`;
      socket.close();
    } else if (msg.type === 'measurement' && typeof msg.data === 'object' && msg.data !== null) this.measurement(msg.data as HomeWizardData);
  }

  private measurement(data: HomeWizardData): void {
    this.counters.telegrams++;
    const currents = homeWizardCurrents(data, this.opts.nominalVoltageV);
    if (currents.every((c) => c === null)) {
      this.counters.unusable++;
      return;
    }
    // a usable measurement: the connection works
    this.failures = 0;
    this.armSilence();
    this.setError(null);
    const fp = telegramFingerprint(data);
    if (fp === this.lastFingerprint) {
      this.counters.repeated++;
      return;
    }
    this.lastFingerprint = fp;
    this.counters.accepted++;
    this.emit(currents, v2MeasurementExtras(data));
  }

  private closed(error: Error | null): void {
    this.socket = null;
    this.authorized = false;
    this.counters.disconnects++;
    this.clock.clearTimeout(this.silenceTimer);
    const why = this.closeReason ?? (error ? describeError(error) : 'the meter closed the connection');
    this.retry(why);
  }

  private retry(why: string): void {
    if (!this.running) return;
    const waitMs = backoffMs(this.failures, this.opts.reconnectMinMs, this.opts.reconnectMaxMs);
    this.failures++;
    const text = why.startsWith('HomeWizard') ? why : `HomeWizard ${this.host}: ${why}`;
    this.setError(`${text}; reconnecting in ${formatWait(waitMs)}`);
    this.clock.clearTimeout(this.retryTimer);
    this.retryTimer = this.clock.setTimeout(() => this.connect(), waitMs);
  }

  private armSilence(): void {
    this.clock.clearTimeout(this.silenceTimer);
    this.silenceTimer = this.clock.setTimeout(() => {
      if (!this.socket) return;
      this.counters.staleTimeouts++;
      this.closeReason = this.authorized
        ? `no measurement for ${formatWait(this.opts.silenceTimeoutMs)} (stale)`
        : `not authorised within ${formatWait(this.opts.silenceTimeoutMs)}`;
      this.socket.close();
    }, this.opts.silenceTimeoutMs);
  }
}
