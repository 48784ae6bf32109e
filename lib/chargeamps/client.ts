/**
 * Charge Amps EAPI v5 client for one account: authenticated requests (a 401 renews the token and
 * sends the request once more with the new one), and a write queue.
 *
 * - Every write is tried once; its error goes to the caller (the charger's actuator decides whether
 *   and when to try again). Nothing is merged or skipped: every call is a request.
 * - Writes of one account run one at a time, so the read-modify-write of connector settings (a
 *   missing field would reset to its default on the server) never interleaves. Decreases run first;
 *   writes to one connector keep the order they were asked in (a raise queued before a decrease is
 *   pulled forward with it, so the decrease is never overwritten by an older raise).
 * - A 429 or 5xx answer starts a jittered back-off that gates reads only (polls fail fast with a
 *   'rate-limit' PeerError). Writes always go out. The PeerError of a 429/5xx carries the server's
 *   `Retry-After` as `retryAfterMs` (seconds or an HTTP-date, read on the injected clock).
 * - A 2xx answer must be empty or JSON: anything else (an HTML maintenance page) is a 'protocol'
 *   PeerError, so a write that did not land never looks as if it had.
 */
import { backoffMs } from '../backoff';
import type { Clock } from '../clock';
import { PeerError, UserInputError } from '../errors';
import type { PollLimits } from '../pollInterval';
import type { HttpResponse } from '../http';
import { AuthOptions, ChargeAmpsAuth, ChargeAmpsCredentials, normaliseBaseUrl } from './auth';
import {
  ChargePoint,
  ChargePointSettings,
  ChargePointStatus,
  ChargingSession,
  ConnectorSettings,
  parseJsonAnswer,
  peerErrorFor,
} from './types';

export const DEFAULT_POLL_INTERVAL_S = 30;
export const MIN_POLL_INTERVAL_S = 15;

/** Charge Amps asks for no more than a poll every 15 s per connector. */
export const CHARGEAMPS_POLL: PollLimits = { defaultS: DEFAULT_POLL_INTERVAL_S, minS: MIN_POLL_INTERVAL_S, device: 'the Charge Amps cloud' };

export interface ClientOptions extends AuthOptions {
  /** 0..1 random source for back-off jitter (tests pass a fixed one). */
  random?: () => number;
  /** First read back-off after a 429/5xx (ms), doubled per repeated failure up to backoffMaxMs; default 2000. */
  backoffBaseMs?: number;
  /** Longest read back-off (ms), default 120 000. */
  backoffMaxMs?: number;
  /** Reuse a charge point status this young for other connectors of the same charge point (ms), default 5000. */
  statusMaxAgeMs?: number;
}

/** Lower runs first. */
export const PRIORITY_DECREASE = 0;
export const PRIORITY_NORMAL = 1;

interface WriteJob {
  /** What the write changes ("<cp>:<connector>"): writes to one target keep their order. */
  target: string;
  priority: number;
  seq: number;
  run: () => Promise<unknown>;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
}

type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

export class ChargeAmpsClient {
  readonly auth: ChargeAmpsAuth;
  /** requests sent; writes that succeeded / failed; reads refused without a request during a back-off. */
  readonly counters = { requests: 0, writes: 0, failedWrites: 0, skippedDuringBackoff: 0 };
  private readonly opts: ClientOptions;
  private readonly clock: Clock;
  private readonly random: () => number;
  private backoffUntilMs = 0;
  private backoffLevel = 0;
  private queue: WriteJob[] = [];
  private writing = false;
  private seq = 0;
  private statusCache = new Map<string, { atMs: number; value: Promise<ChargePointStatus> }>();
  private cpSettingsCache = new Map<string, { atMs: number; value: ChargePointSettings }>();

  constructor(opts: ClientOptions) {
    this.opts = opts;
    this.clock = opts.clock;
    this.random = opts.random ?? Math.random;
    this.auth = new ChargeAmpsAuth(opts);
  }

  get baseUrl(): string {
    return this.auth.baseUrl;
  }

  /** ms until reads go to the cloud again (0 when not backing off). Writes never wait for it. */
  backoffRemainingMs(): number {
    return Math.max(0, this.backoffUntilMs - this.clock.monoMs());
  }

  // --- transport -------------------------------------------------------------------------------

  private async send(method: Method, path: string, body: unknown, token: string): Promise<HttpResponse> {
    this.counters.requests++;
    return this.opts.transport({
      method,
      url: `${this.baseUrl}/${path}`,
      headers: { Authorization: `Bearer ${token}`, Accept: 'application/json' },
      body,
      timeoutMs: this.opts.timeoutMs,
    });
  }

  /**
   * One authenticated request; parsed JSON, or undefined for an empty answer. A GET is refused
   * without a request while a back-off runs; any other method always goes out.
   */
  async request<T>(method: Method, path: string, body?: unknown): Promise<T | undefined> {
    return this.call<T>(method, path, body, method === 'GET');
  }

  private async call<T>(method: Method, path: string, body: unknown, gated: boolean): Promise<T | undefined> {
    const where = `${method} ${path}`;
    const waitMs = this.backoffRemainingMs();
    if (gated && waitMs > 0) {
      this.counters.skippedDuringBackoff++;
      throw new PeerError('rate-limit', `${where}: backing off after an overload answer; next try in ${Math.ceil(waitMs / 1000)} s`, undefined, {
        retryAfterMs: waitMs,
      });
    }
    const token = await this.auth.getToken();
    let res = await this.send(method, path, body, token);
    if (res.status === 401) res = await this.send(method, path, body, await this.auth.tokenRejected(token));
    if (res.status >= 200 && res.status < 300) {
      this.backoffLevel = 0;
      return parseJsonAnswer<T>(res, where);
    }
    const err = peerErrorFor(res, where, this.clock.nowMs());
    if (res.status === 429 || res.status >= 500) this.startBackoff(err.retryAfterMs);
    throw err;
  }

  /** Back off reads: jittered exponential, at least what the server asked for, at most backoffMaxMs. */
  private startBackoff(serverMs: number | undefined): void {
    const base = this.opts.backoffBaseMs ?? 2000;
    const max = this.opts.backoffMaxMs ?? 120_000;
    this.backoffLevel = Math.min(this.backoffLevel + 1, 16);
    const exp = backoffMs(this.backoffLevel - 1, base, max);
    const jittered = exp / 2 + (exp / 2) * this.random();
    const delay = serverMs !== undefined && serverMs > 0 ? Math.min(max, Math.max(serverMs, jittered)) : jittered;
    this.backoffUntilMs = Math.max(this.backoffUntilMs, this.clock.monoMs() + delay);
  }

  // --- write queue -----------------------------------------------------------------------------

  /**
   * Run a write through the queue, once: it resolves or rejects with that one attempt. `target` names
   * what it changes; writes to one target run in the order they were asked.
   */
  write<T>(target: string, priority: number, run: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ target, priority, seq: this.seq++, run, resolve: resolve as (v: unknown) => void, reject });
      void this.drain();
    });
  }

  /**
   * The next write: the most urgent queued write (decreases first, then the oldest) — or, when its
   * target has an older write queued, that older one first (writes to one target keep their order).
   */
  private nextJob(): WriteJob {
    const byUrgency = [...this.queue].sort((a, b) => a.priority - b.priority || a.seq - b.seq);
    const urgent = byUrgency[0];
    const job = this.queue.find((j) => j.target === urgent.target) as WriteJob; // the queue is in seq order
    this.queue = this.queue.filter((j) => j !== job);
    return job;
  }

  private async drain(): Promise<void> {
    if (this.writing) return;
    this.writing = true;
    try {
      while (this.queue.length > 0) {
        const job = this.nextJob();
        try {
          const value = await job.run();
          this.counters.writes++;
          job.resolve(value);
        } catch (err) {
          this.counters.failedWrites++;
          job.reject(err);
        }
      }
    } finally {
      this.writing = false;
    }
  }

  // --- endpoints -------------------------------------------------------------------------------

  async listChargePoints(): Promise<ChargePoint[]> {
    const list = await this.request<ChargePoint[]>('GET', 'chargepoints/owned');
    if (!Array.isArray(list)) throw new PeerError('protocol', 'GET chargepoints/owned: expected a list of charge points');
    return list.filter((cp) => cp && typeof cp.id === 'string');
  }

  async getChargePoint(cpId: string): Promise<ChargePoint> {
    const cp = await this.request<ChargePoint>('GET', `chargepoints/${enc(cpId)}`);
    if (!cp || typeof cp.id !== 'string') throw new PeerError('protocol', `GET chargepoints/${cpId}: expected a charge point`);
    return cp;
  }

  /** Status of a charge point and all its connectors; concurrent and very recent calls share one request. */
  async getStatus(cpId: string): Promise<ChargePointStatus> {
    const cached = this.statusCache.get(cpId);
    const maxAge = this.opts.statusMaxAgeMs ?? 5000;
    if (cached && this.clock.monoMs() - cached.atMs < maxAge) return cached.value;
    const value = this.request<ChargePointStatus>('GET', `chargepoints/${enc(cpId)}/status`).then((s) => {
      if (!s || typeof s.status !== 'string') throw new PeerError('protocol', `GET chargepoints/${cpId}/status: expected a status object`);
      return s;
    });
    this.statusCache.set(cpId, { atMs: this.clock.monoMs(), value });
    value.catch(() => this.statusCache.delete(cpId));
    return value;
  }

  /** Drop cached statuses and charge point settings (the next read asks the cloud). */
  forgetCached(): void {
    this.statusCache.clear();
    this.cpSettingsCache.clear();
  }

  async getConnectorSettings(cpId: string, connectorId: number): Promise<ConnectorSettings> {
    return this.readConnectorSettings(cpId, connectorId, true);
  }

  /** `gated` false: the read of a read-modify-write, which goes out even during a back-off. */
  private async readConnectorSettings(cpId: string, connectorId: number, gated: boolean): Promise<ConnectorSettings> {
    const s = await this.call<ConnectorSettings>('GET', connectorPath(cpId, connectorId, 'settings'), undefined, gated);
    if (!s || typeof s.rfidLock !== 'boolean') throw new PeerError('protocol', `GET ${connectorPath(cpId, connectorId, 'settings')}: expected connector settings`);
    return s;
  }

  /** Charge point settings (dimmer, down light); cached for maxAgeMs because they rarely change. */
  async getChargePointSettings(cpId: string, maxAgeMs = 0): Promise<ChargePointSettings> {
    const cached = this.cpSettingsCache.get(cpId);
    if (cached && this.clock.monoMs() - cached.atMs < maxAgeMs) return cached.value;
    return this.readChargePointSettings(cpId, true);
  }

  private async readChargePointSettings(cpId: string, gated: boolean): Promise<ChargePointSettings> {
    const s = await this.call<ChargePointSettings>('GET', `chargepoints/${enc(cpId)}/settings`, undefined, gated);
    if (!s || typeof s.dimmer !== 'string') throw new PeerError('protocol', `GET chargepoints/${cpId}/settings: expected charge point settings`);
    this.cpSettingsCache.set(cpId, { atMs: this.clock.monoMs(), value: s });
    return s;
  }

  /**
   * Change connector settings by read-modify-write of the whole object (a missing field would reset
   * to its default on the server). `check` may veto the change once the current settings are known.
   */
  updateConnectorSettings(
    cpId: string,
    connectorId: number,
    patch: Partial<Pick<ConnectorSettings, 'maxCurrent' | 'mode' | 'cableLock' | 'rfidLock'>>,
    priority = PRIORITY_NORMAL,
    check?: (current: ConnectorSettings) => void,
  ): Promise<ConnectorSettings> {
    return this.write(`${cpId}:${connectorId}`, priority, async () => {
      const current = await this.readConnectorSettings(cpId, connectorId, false);
      check?.(current);
      const next: ConnectorSettings = {
        chargePointId: current.chargePointId ?? cpId,
        connectorId,
        maxCurrent: current.maxCurrent,
        rfidLock: current.rfidLock,
        mode: current.mode,
        cableLock: current.cableLock,
        ...patch,
      };
      await this.request('PUT', connectorPath(cpId, connectorId, 'settings'), next);
      this.statusCache.delete(cpId);
      return { ...next, installationCurrent: current.installationCurrent };
    });
  }

  updateChargePointSettings(cpId: string, patch: Partial<Pick<ChargePointSettings, 'dimmer' | 'downLight'>>): Promise<ChargePointSettings> {
    return this.write(cpId, PRIORITY_NORMAL, async () => {
      const current = await this.readChargePointSettings(cpId, false);
      const next: ChargePointSettings = {
        id: current.id ?? cpId,
        dimmer: current.dimmer,
        downLight: current.downLight,
        maxCurrent: current.maxCurrent,
        ...patch,
      };
      await this.request('PUT', `chargepoints/${enc(cpId)}/settings`, next);
      const value = { ...next, installationCurrent: current.installationCurrent };
      this.cpSettingsCache.set(cpId, { atMs: this.clock.monoMs(), value });
      return value;
    });
  }

  /** Stop the running session. Resolves false when nothing was charging (the cloud answers 400). */
  remoteStop(cpId: string, connectorId: number): Promise<boolean> {
    return this.write(`${cpId}:${connectorId}`, PRIORITY_DECREASE, async () => {
      try {
        await this.request('PUT', connectorPath(cpId, connectorId, 'remotestop'), {});
        return true;
      } catch (err) {
        if (err instanceof PeerError && err.status === 400) return false;
        throw err;
      } finally {
        this.statusCache.delete(cpId);
      }
    });
  }

  /** Start a session with an RFID tag in hex (4, 7 or 10 bytes); needed when the RFID lock is on. */
  async remoteStart(cpId: string, connectorId: number, rfidHex: string): Promise<void> {
    const rfid = rfidHex.trim().toUpperCase();
    if (!/^[0-9A-F]+$/.test(rfid) || ![8, 14, 20].includes(rfid.length)) {
      throw new UserInputError('rfid', `expected a hex RFID of 4, 7 or 10 bytes (8, 14 or 20 hex digits), got "${rfidHex}"`);
    }
    return this.write(`${cpId}:${connectorId}`, PRIORITY_NORMAL, async () => {
      await this.request('PUT', connectorPath(cpId, connectorId, 'remotestart'), {
        rfidLength: rfid.length / 2,
        rfidFormat: 'Hex',
        rfid,
        externalTransactionId: null,
      });
      this.statusCache.delete(cpId);
    });
  }

  /** Charging sessions of one connector, optionally since a time. */
  async getSessions(cpId: string, connectorId: number, since?: Date): Promise<ChargingSession[]> {
    const query = since ? `?startTime=${encodeURIComponent(since.toISOString())}` : '';
    const list = await this.request<ChargingSession[]>('GET', `${connectorPath(cpId, connectorId, 'chargingsessions')}${query}`);
    if (!Array.isArray(list)) throw new PeerError('protocol', `GET ${connectorPath(cpId, connectorId, 'chargingsessions')}: expected a list`);
    return list;
  }
}

function enc(id: string): string {
  return encodeURIComponent(id);
}

function connectorPath(cpId: string, connectorId: number, rest: string): string {
  return `chargepoints/${enc(cpId)}/connectors/${connectorId}/${rest}`;
}

/** An account's e-mail as Charge Amps matches it (case and surrounding spaces do not matter): the one comparison. */
export function accountEmail(email: string): string {
  return email.trim().toLowerCase();
}

/**
 * One client (so one login session) per (base URL, email), however many devices use the account.
 * Devices acquire on init and release on deletion; the last release forgets the session.
 */
export class ChargeAmpsClientRegistry {
  private readonly entries = new Map<string, { client: ChargeAmpsClient; users: number }>();

  static key(baseUrl: string | undefined, email: string): string {
    return `${normaliseBaseUrl(baseUrl)}\n${accountEmail(email)}`;
  }

  acquire(opts: ClientOptions): ChargeAmpsClient {
    const key = ChargeAmpsClientRegistry.key(opts.baseUrl, opts.credentials.email);
    const entry = this.entries.get(key);
    if (entry) {
      entry.users++;
      entry.client.auth.updateCredentials(opts.credentials);
      return entry.client;
    }
    const client = new ChargeAmpsClient(opts);
    this.entries.set(key, { client, users: 1 });
    return client;
  }

  /**
   * Check credentials by logging in (pairing, repair), then acquire. When the account already has a
   * session with exactly these credentials no new login is made; when they differ, a probe login
   * checks them (one extra token) and the shared session takes them over.
   */
  async acquireVerified(opts: ClientOptions): Promise<ChargeAmpsClient> {
    const key = ChargeAmpsClientRegistry.key(opts.baseUrl, opts.credentials.email);
    if (this.entries.get(key)?.client.auth.isLoggedInAs(opts.credentials)) return this.acquire(opts);
    const probe = new ChargeAmpsClient(opts);
    await probe.auth.verify();
    if (this.entries.has(key)) return this.acquire(opts); // (possibly created while the probe logged in)
    this.entries.set(key, { client: probe, users: 1 });
    return probe;
  }

  release(client: ChargeAmpsClient): void {
    const key = ChargeAmpsClientRegistry.key(client.baseUrl, client.auth.email);
    const entry = this.entries.get(key);
    if (!entry || entry.client !== client) return;
    if (--entry.users <= 0) this.entries.delete(key);
  }

  /** Give every user of this account new credentials (after a repair). */
  updateCredentials(baseUrl: string | undefined, credentials: ChargeAmpsCredentials): void {
    this.entries.get(ChargeAmpsClientRegistry.key(baseUrl, credentials.email))?.client.auth.updateCredentials(credentials);
  }

  get size(): number {
    return this.entries.size;
  }
}

/** The registry the Homey app and the CLI share within one process. */
export const sharedClients = new ChargeAmpsClientRegistry();
