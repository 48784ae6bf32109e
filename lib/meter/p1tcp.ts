/**
 * Raw P1 over TCP: a P1-to-Ethernet/Wi-Fi dongle or a serial-to-TCP bridge (ser2net, ESP "P1 reader")
 * that streams the smart meter's DSMR telegrams as they come, every second (DSMR 5, e-MUCS) or every
 * 10 s (DSMR 2.2/3/4). Address `host:port` (the port is required: dongles differ), anything lib/host.ts
 * accepts, optionally written `p1tcp://host:port`.
 *
 * Stream: cut into telegrams on '/' (`DsmrStreamSplitter`: noise between telegrams and telegrams cut off
 * are dropped and counted), each checked by `parseDsmrTelegram`: refused when cut off, when its CRC does
 * not match, or when it lacks a CRC although it is DSMR 4+ (or this meter sent CRCs before).
 * Values: implausible ones (see `P1_PLAUSIBLE`) are dropped and counted; what remains of a phase gives its
 * signed current through `phaseCurrentA` (sign of import − export power, magnitude the larger of |I| and
 * |P|/U). A telegram without any per-phase current or power is unusable (counted).
 *
 * Freshness: each accepted telegram is a new reading, received now (monotonic clock): one sample, `seq` + 1,
 * `timeMs` = wall time at receipt. A telegram byte for byte the same as the previous one that carries a
 * meter timestamp is a repeat a bridge sent again (a meter never stamps two telegrams alike): no sample.
 * The meter's own time (in `timeZone`) is shown in the status, never used to judge freshness.
 *
 * Connection: one TCP connection; when it fails, closes, or delivers no usable telegram for
 * `silenceTimeoutMs`, a reconnect follows after a back-off that doubles from `reconnectMinMs` to
 * `reconnectMaxMs` and falls back to the minimum only after a usable telegram (a bridge that accepts and
 * drops at once causes no storm). `status().error` says in one line what is wrong and when the next try is.
 */
import net from 'net';
import type { Clock, TimerHandle } from '../clock';
import type { Triple } from '../balancer/types';
import { PeerError, UserInputError, describeError } from '../errors';
import { type HostUse, tryNormaliseHost } from '../host';
import { DEFAULT_METER_TIME_ZONE, DsmrStreamSplitter, type DsmrReading, dsmrNetPowerW, dsmrSignedCurrents, isValidTimeZone, parseDsmrTelegram } from './dsmr';
import { BaseMeterSource, formatWait, type MeterExtras, type MeterSourceStatus, streamTimings, type StreamTimings } from './source';
import { backoffMs } from '../backoff';

/** A connected byte stream (the production one is node's net.Socket, see `nodeTcpConnect`). */
export interface P1Stream {
  /** Start delivering: received bytes as latin-1 text, then exactly one `onEnd` (with the error, if any). */
  listen(onData: (text: string) => void, onEnd: (error: Error | null) => void): void;
  /** Close the connection; `onEnd` follows. */
  close(): void;
}

/** Opens a stream to `host` (a name or IP address, IPv6 without brackets) and `port`; rejects with a one-line error. */
export type P1Connect = (host: string, port: number, timeoutMs: number) => Promise<P1Stream>;

export interface P1TcpSourceOptions {
  /** "host:port" of the dongle or bridge ("p1tcp://host:port" too); IPv6 as "[fd00::30]:23". */
  host: string;
  clock: Clock;
  /** The meter's time zone (IANA name), for its timestamps; default Europe/Amsterdam. */
  timeZone?: string;
  /** How to open the TCP connection; default node's net (`nodeTcpConnect`). */
  connect?: P1Connect;
  /** Give up a connection attempt after this long; default 5000 ms. */
  connectTimeoutMs?: number;
  /** Reconnect when no usable telegram came for this long; default 30000 ms (DSMR 4 sends every 10 s). */
  silenceTimeoutMs?: number;
  /** First wait before a reconnect; default 1000 ms. */
  reconnectMinMs?: number;
  /** Longest wait before a reconnect; default 60000 ms. */
  reconnectMaxMs?: number;
  /** Voltage used when a phase reports none; default 230 V. */
  nominalVoltageV?: number;
}

/** What the source counted since it was created (diagnostics, tests). */
export interface P1TcpCounters {
  connects: number;
  connectFailures: number;
  disconnects: number;
  silenceTimeouts: number;
  /** Complete telegrams the stream delivered. */
  telegrams: number;
  /** Telegrams turned into a sample. */
  accepted: number;
  repeated: number;
  crcErrors: number;
  /** Telegrams without their CRC (cut off before it) or without their '!' end. */
  incomplete: number;
  /** Telegrams cut off by the next '/' or by the end of a connection (never handed to the parser). */
  cut: number;
  noiseBytes: number;
  /** Telegrams with no per-phase current or power left. */
  unusable: number;
  /** Values dropped as implausible (current, power or voltage of one phase). */
  implausibleValues: number;
}

export interface P1TcpStatus extends MeterSourceStatus {
  p1: P1TcpCounters & {
    connected: boolean;
    /** The meter's own time of the last accepted telegram (ms), null when it sends none or it is unreadable. */
    meterTimeMs: number | null;
    /** Why the last refused telegram or dropped value was refused (one line), or null. */
    lastProblem: string | null;
  };
}

/** Plausible ranges of one phase; anything outside is dropped. 0 V means "not measured" and is not counted. */
export const P1_PLAUSIBLE = {
  /** A house connection: at most 3 × 200 A. */
  maxCurrentA: 200,
  /** 200 A at 300 V. */
  maxPowerW: 60_000,
  minVoltageV: 150,
  maxVoltageV: 300,
} as const;

export const P1_DEFAULTS = {
  connectTimeoutMs: 5000,
  silenceTimeoutMs: 30_000,
  reconnectMinMs: 1000,
  reconnectMaxMs: 60_000,
} as const;

const HOST_USE: HostUse = { field: 'meter.host', device: 'P1 dongle', example: '192.168.1.30:23' };

/** "host:port" (or "p1tcp://host:port") → the normalised "host:port" and its parts; throws a UserInputError. */
export function parseP1TcpAddress(input: unknown): P1TcpAddress {
  const r = tryP1TcpAddress(input, HOST_USE);
  if (r.problem !== null) throw new UserInputError(HOST_USE.field, r.problem);
  return r.address;
}

export interface P1TcpAddress {
  hostPort: string;
  host: string;
  port: number;
}

/**
 * The one reading of a P1 dongle's address (`host:port`, an optional `p1tcp://`, IPv6 in brackets; the
 * port is required), or the problem in one line for `use` (the settings page names its own field and example).
 */
export function tryP1TcpAddress(input: unknown, use: HostUse): { address: P1TcpAddress; problem: null } | { address: null; problem: string } {
  const text = typeof input === 'string' ? input.trim().replace(/^p1tcp:\/\//i, '') : input;
  const r = tryNormaliseHost(text, use);
  if (r.problem !== null) return { address: null, problem: r.problem };
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(r.host);
  if (!m) return { address: null, problem: `add the TCP port the ${use.device} streams on (e.g. ${use.example})` };
  return { address: { hostPort: r.host, host: m[1] ?? m[2], port: Number(m[3]) }, problem: null };
}

/** Node's net.Socket as a `P1Stream`. */
export const nodeTcpConnect: P1Connect = (host, port, timeoutMs) =>
  new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    socket.setTimeout(timeoutMs);
    const fail = (err: Error): void => {
      socket.destroy();
      reject(new PeerError('unreachable', socketProblem(err)));
    };
    socket.once('timeout', () => fail(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })));
    socket.once('error', fail);
    socket.once('connect', () => {
      socket.removeAllListeners('timeout');
      socket.removeListener('error', fail);
      socket.setTimeout(0);
      socket.setEncoding('latin1');
      resolve(nodeStream(socket));
    });
  });

function nodeStream(socket: net.Socket): P1Stream {
  let error: Error | null = null;
  let closed = false;
  let onClose: ((error: Error | null) => void) | null = null;
  socket.on('error', (err) => {
    error = new PeerError('unreachable', socketProblem(err));
  });
  socket.once('close', () => {
    closed = true;
    onClose?.(error);
  });
  return {
    listen(onData, onEnd) {
      socket.on('data', (chunk: string | Buffer) => onData(typeof chunk === 'string' ? chunk : chunk.toString('latin1')));
      if (closed) queueMicrotask(() => onEnd(error));
      else onClose = onEnd;
    },
    close: () => socket.destroy(),
  };
}

/** A socket error in plain words. */
function socketProblem(err: Error): string {
  const code = (err as NodeJS.ErrnoException).code ?? '';
  const words: Record<string, string> = {
    ECONNREFUSED: 'connection refused (is the port right, and the TCP server of the dongle switched on?)',
    ETIMEDOUT: 'no answer (timeout)',
    ENOTFOUND: 'host name not found',
    EAI_AGAIN: 'host name not found (DNS did not answer)',
    EHOSTUNREACH: 'host unreachable',
    ENETUNREACH: 'network unreachable',
    ECONNRESET: 'connection reset by the dongle',
    EPIPE: 'connection broken',
  };
  return words[code] ?? describeError(err);
}

/** Drop the values of `r` outside `P1_PLAUSIBLE` (in place); returns a description of each. */
export function dropImplausible(r: Pick<DsmrReading, 'currentA' | 'importW' | 'exportW' | 'voltageV'>): string[] {
  const dropped: string[] = [];
  for (let p = 0; p < 3; p++) {
    const phase = `L${p + 1}`;
    const i = r.currentA[p];
    if (i !== null && !(i >= 0 && i <= P1_PLAUSIBLE.maxCurrentA)) {
      dropped.push(`${phase} current ${i} A`);
      r.currentA[p] = null;
    }
    const u = r.voltageV[p];
    if (u !== null && u !== 0 && !(u >= P1_PLAUSIBLE.minVoltageV && u <= P1_PLAUSIBLE.maxVoltageV)) {
      dropped.push(`${phase} voltage ${u} V`);
      r.voltageV[p] = null;
    }
    for (const key of ['importW', 'exportW'] as const) {
      const w = r[key][p];
      if (w !== null && !(w >= 0 && w <= P1_PLAUSIBLE.maxPowerW)) {
        dropped.push(`${phase} ${key === 'importW' ? 'import' : 'export'} ${w} W`);
        r[key][p] = null;
      }
    }
    const [imp, exp] = [r.importW[p], r.exportW[p]];
    if (imp !== null && exp !== null && imp > 0 && exp > 0) {
      dropped.push(`${phase} imports ${imp} W and exports ${exp} W at once`);
      r.importW[p] = null;
      r.exportW[p] = null;
    }
  }
  return dropped;
}

/** Reads a raw DSMR telegram stream over TCP and emits a sample for every new, valid telegram. */
export class P1TcpSource extends BaseMeterSource {
  readonly kind = 'p1tcp' as const;
  /** The normalised "host:port". */
  readonly host: string;
  readonly timeZone: string;
  readonly counters: P1TcpCounters = {
    connects: 0, connectFailures: 0, disconnects: 0, silenceTimeouts: 0, telegrams: 0, accepted: 0, repeated: 0,
    crcErrors: 0, incomplete: 0, cut: 0, noiseBytes: 0, unusable: 0, implausibleValues: 0,
  };
  private readonly address: { host: string; port: number };
  private readonly connectFn: P1Connect;
  private readonly opts: StreamTimings;
  private stream: P1Stream | null = null;
  private connecting: Promise<void> | null = null;
  private splitter = new DsmrStreamSplitter();
  private retryTimer: TimerHandle | undefined;
  private silenceTimer: TimerHandle | undefined;
  /** Consecutive connections (or attempts) without a usable telegram: the back-off exponent. */
  private failures = 0;
  private closeReason: string | null = null;
  private crcSeen = false;
  private lastTelegram: string | null = null;
  private meterTimeMs: number | null = null;
  private lastProblem: string | null = null;

  constructor(opts: P1TcpSourceOptions) {
    super(opts.clock);
    const { hostPort, host, port } = parseP1TcpAddress(opts.host);
    this.host = hostPort;
    this.address = { host, port };
    const tz = opts.timeZone ?? DEFAULT_METER_TIME_ZONE;
    if (!isValidTimeZone(tz)) throw new UserInputError('meter.timeZone', `"${String(tz).slice(0, 40)}" is not a time zone name such as Europe/Amsterdam`);
    this.timeZone = tz;
    this.connectFn = opts.connect ?? nodeTcpConnect;
    this.opts = streamTimings(opts, P1_DEFAULTS);
  }

  protected begin(): void {
    this.connect();
  }

  protected async end(): Promise<void> {
    this.clock.clearTimeout(this.retryTimer);
    this.clock.clearTimeout(this.silenceTimer);
    this.retryTimer = undefined;
    this.silenceTimer = undefined;
    await this.connecting;
    const stream = this.stream;
    this.stream = null;
    stream?.close();
  }

  status(): P1TcpStatus {
    return {
      ...super.status(),
      p1: { ...this.counters, connected: this.stream !== null, meterTimeMs: this.meterTimeMs, lastProblem: this.lastProblem },
    };
  }

  /** Resolves when no connection attempt is in flight (tests). */
  async idle(): Promise<void> {
    while (this.connecting) await this.connecting;
  }

  private connect(): void {
    if (!this.running || this.stream || this.connecting) return;
    this.retryTimer = undefined;
    this.connecting = this.connectFn(this.address.host, this.address.port, this.opts.connectTimeoutMs)
      .then(
        (stream) => this.opened(stream),
        (err) => {
          this.counters.connectFailures++;
          this.retry(describeError(err));
        },
      )
      .finally(() => {
        this.connecting = null;
      });
  }

  private opened(stream: P1Stream): void {
    if (!this.running) {
      stream.close();
      return;
    }
    this.counters.connects++;
    this.stream = stream;
    this.splitter = new DsmrStreamSplitter();
    this.closeReason = null;
    this.armSilence();
    stream.listen(
      (text) => {
        if (this.stream === stream) this.receive(text);
      },
      (error) => {
        if (this.stream === stream) this.closed(error);
      },
    );
  }

  private closed(error: Error | null): void {
    this.stream = null;
    this.counters.disconnects++;
    this.clock.clearTimeout(this.silenceTimer);
    this.splitter.reset();
    this.takeSplitterCounts();
    const why = this.closeReason ?? (error ? `connection lost: ${describeError(error)}` : 'the dongle closed the connection');
    this.retry(why);
  }

  /** Set the error and schedule the next attempt with back-off. */
  private retry(why: string): void {
    if (!this.running) return;
    const waitMs = backoffMs(this.failures, this.opts.reconnectMinMs, this.opts.reconnectMaxMs);
    this.failures++;
    this.setError(`P1 meter ${this.host}: ${why}; reconnecting in ${formatWait(waitMs)}`);
    this.clock.clearTimeout(this.retryTimer);
    this.retryTimer = this.clock.setTimeout(() => this.connect(), waitMs);
  }

  private armSilence(): void {
    this.clock.clearTimeout(this.silenceTimer);
    this.silenceTimer = this.clock.setTimeout(() => {
      if (!this.stream) return;
      this.counters.silenceTimeouts++;
      this.closeReason = `no valid telegram for ${formatWait(this.opts.silenceTimeoutMs)}${this.lastProblem ? ` (last problem: ${this.lastProblem})` : ''}`;
      this.stream.close();
    }, this.opts.silenceTimeoutMs);
  }

  private receive(text: string): void {
    const telegrams = this.splitter.push(text);
    this.takeSplitterCounts();
    for (const t of telegrams) this.telegram(t);
  }

  private takeSplitterCounts(): void {
    const c = this.splitter.counts;
    this.counters.cut += c.cut + c.oversized;
    this.counters.noiseBytes += c.noiseBytes;
    c.cut = c.oversized = c.noiseBytes = 0;
  }

  private telegram(text: string): void {
    this.counters.telegrams++;
    const r = parseDsmrTelegram(text, { timeZone: this.timeZone });
    if (r.crc !== 'absent') this.crcSeen = true;
    const problem = r.problem ?? (r.crc === 'absent' && this.crcSeen ? 'no CRC after "!", though this meter sent CRCs before (cut off?)' : null);
    if (problem !== null) {
      if (r.crc === 'mismatch') this.counters.crcErrors++;
      else this.counters.incomplete++;
      this.lastProblem = problem;
      return;
    }
    if (r.timestampMs !== null && text === this.lastTelegram) {
      this.counters.repeated++; // sent again by a bridge: no news, and no sign of a live meter
      return;
    }
    const dropped = dropImplausible(r);
    if (dropped.length > 0) {
      this.counters.implausibleValues += dropped.length;
      this.lastProblem = `implausible value dropped: ${dropped.join(', ')}`;
    }
    const currents: Triple<number | null> = dsmrSignedCurrents(r, this.opts.nominalVoltageV);
    if (currents.every((c) => c === null)) {
      this.counters.unusable++;
      this.lastProblem = 'telegram without per-phase current or power';
      return;
    }
    // a usable telegram: the connection works
    this.failures = 0;
    this.armSilence();
    this.setError(null);
    this.lastTelegram = text;
    this.meterTimeMs = r.timestampMs;
    this.counters.accepted++;
    this.emit(currents, p1Extras(r));
  }
}

/**
 * The house's net power (1.7.0 − 2.7.0, else the per-phase powers; dropped when over 3 × the plausible phase power),
 * the measured voltages, and the meter's own month peak (Fluvius 1.6.0) for the capacity guard.
 */
export function p1Extras(r: DsmrReading): MeterExtras {
  const netW = dsmrNetPowerW(r);
  const plausible = (w: number | null): number | null => (w !== null && Math.abs(w) <= 3 * P1_PLAUSIBLE.maxPowerW ? w : null);
  return {
    powerW: plausible(netW),
    voltagesV: r.voltageV.map((v) => (v !== null && v >= P1_PLAUSIBLE.minVoltageV ? v : null)) as Triple<number | null>,
    meterPeakW: plausible(r.monthPeakW),
  };
}
