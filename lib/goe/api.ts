/**
 * The one small interface every go-e API dialect implements (local v1, local v2, cloud v1/v2), and the
 * HTTP plumbing they share: one request at a time, spaced on the injected clock, each with a timeout;
 * JSON answers checked; errors one line without secrets.
 *
 * A dialect only reads and writes raw keys. Which key and value a command writes (`alw` or `frc`, 0.1
 * kWh or Wh) depends on the units the dialect speaks (`GoeApi.dialect`) and lives in status.ts, with the
 * parsing; validation, limits and the last snapshot live in the client.
 */
import { ChargerApi } from '../charger';
import { Clock } from '../clock';
import { PeerError } from '../errors';
import { HttpResponse, HttpTransport, safeUrl } from '../http';
import { GoeDialect, GoeRawStatus } from './status';

export interface GoeApi {
  /** As the status reports it: 'v1', 'v2', 'cloud-v1' or 'cloud-v2'. */
  readonly api: ChargerApi;
  /** The keys and units this API speaks. */
  readonly dialect: GoeDialect;
  /** The charger's status, raw (in this dialect's units). */
  readStatus(): Promise<GoeRawStatus>;
  /** Write one key, once (never repeated, never skipped); resolves only when the answer confirms it. */
  write(key: string, value: unknown): Promise<GoeWritten>;
}

/** What a confirmed write tells about the status. */
export interface GoeWritten {
  /** The whole status, when the answer carries one (local v1). */
  status?: GoeRawStatus;
  /** Keys that now hold these values (none for a key outside the status, such as PV data). */
  changed?: GoeRawStatus;
}

export interface GoeHttpOptions {
  transport: HttpTransport;
  clock: Clock;
  timeoutMs: number;
  /** Minimum time between two requests, on the clock's monotonic time. */
  minGapMs: number;
  /** Sent with every request (the cloud v2 bearer token). */
  headers?: Record<string, string>;
}

/** The requests of one client to one base URL, shared by the dialects it tries. */
export class GoeHttp {
  private queue: Promise<unknown> = Promise.resolve();
  private lastRequestMs = -Infinity;

  constructor(
    readonly base: string,
    private readonly options: GoeHttpOptions,
  ) {}

  /** Where the requests go, without any secret and without a trailing slash (messages append the path). */
  get where(): string {
    return safeUrl(this.base).replace(/\/$/, '');
  }

  /** One GET of `base + pathAndQuery`, after the requests before it and at least minGapMs after the last. */
  send(pathAndQuery: string): Promise<HttpResponse> {
    const { transport, clock, timeoutMs, minGapMs, headers } = this.options;
    const run = async (): Promise<HttpResponse> => {
      const waitMs = this.lastRequestMs + minGapMs - clock.monoMs();
      if (waitMs > 0) await clock.sleep(waitMs);
      try {
        const url = `${this.base}${pathAndQuery}`;
        return await transport({ method: 'GET', url, headers: { Accept: 'application/json', ...headers }, timeoutMs, maxBytes: 256 * 1024 });
      } finally {
        this.lastRequestMs = clock.monoMs();
      }
    };
    const next = this.queue.then(run, run);
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** The answer as a JSON object; anything else is a 'protocol' error (strict) or null. */
  jsonObject(res: HttpResponse, path: string, strict = true): GoeRawStatus | null {
    let parsed: unknown;
    try {
      parsed = JSON.parse(res.text);
    } catch {
      if (!strict) return null;
      const snippet = res.text.slice(0, 40).replace(/[\s\u0000-\u001f\u007f]+/g, ' '); // no control characters in a log line
      throw new PeerError('protocol', `${this.where}${path}: expected JSON, got "${snippet}${res.text.length > 40 ? '…' : ''}" (HTTP ${res.status})`);
    }
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as GoeRawStatus;
    if (!strict) return null;
    throw new PeerError('protocol', `${this.where}${path}: expected a JSON object`);
  }

  httpError(res: HttpResponse, path: string): PeerError {
    const text = res.text.trim().replace(/\s+/g, ' ').slice(0, 100);
    const hint = res.status === 404 ? '; is this API enabled in the go-e app?' : '';
    return new PeerError('http', `${this.where}${path}: HTTP ${res.status}${text ? ` "${text}"` : ''}${hint}`, res.status);
  }
}
