/**
 * go-e local HTTP API v2 (V3/V4, CORE, PRO): `GET /api/status?filter=…` reads, `GET /api/set?key=<json>`
 * writes and answers a JSON object with `true` (or an error string) per key. Native JSON in v2 units.
 * The `/api/set` write is shared with the cloud v2, which speaks the same protocol through the cloud.
 */
import { PeerError } from '../errors';
import { HttpResponse } from '../http';
import { GoeApi, GoeHttp, GoeWritten } from './api';
import { GoeRawStatus, V2_STATUS_KEYS, looksLikeGoe } from './status';

/** The v2 status read, asking only for the keys the client uses (a full status is expensive for the charger). */
export const V2_STATUS_PATH = `/api/status?filter=${V2_STATUS_KEYS.join(',')}`;

/** The cloud's own answers to check first (401, 403, 404, 429), for the cloud v2. */
export type CloudAnswerCheck = (res: HttpResponse, path: string) => void;

export class LocalV2Api implements GoeApi {
  readonly api = 'v2';
  readonly dialect = 'v2';

  constructor(private readonly http: GoeHttp) {}

  async readStatus(): Promise<GoeRawStatus> {
    return (await this.read(true)) as GoeRawStatus;
  }

  /**
   * The status, or null when the answer is not a v2 status (the auto-detection then tries v1). A server error
   * (a V3's "couldn't take api lock in 3s") says nothing about the API: it throws, and the next read probes again.
   */
  probe(): Promise<GoeRawStatus | null> {
    return this.read(false);
  }

  write(key: string, value: unknown): Promise<GoeWritten> {
    return writeV2(this.http, key, value);
  }

  private async read(strict: boolean): Promise<GoeRawStatus | null> {
    const res = await this.http.send(V2_STATUS_PATH);
    // Firmware 60.x answers 400 when a filtered key does not exist, but still sends the others.
    if (res.status === 200 || res.status === 400) {
      const raw = this.http.jsonObject(res, '/api/status', strict);
      if (raw && (typeof raw.sse === 'string' || typeof raw.fwv === 'string' || looksLikeGoe(raw))) return raw;
      if (strict) throw new PeerError('protocol', `${this.http.where}/api/status: the answer is not a go-e status`);
      return null;
    }
    if (strict || res.status >= 500) throw this.http.httpError(res, '/api/status');
    return null;
  }
}

/**
 * One `/api/set` of one key (local or, with `cloud`, through the cloud, which may answer 202 without a
 * result). A 2xx answer must be the JSON object of results: an HTML page (a proxy, a captive portal)
 * means the value never reached the charger. PV data (`ids`) is not part of the status.
 */
export async function writeV2(http: GoeHttp, key: string, value: unknown, cloud?: CloudAnswerCheck): Promise<GoeWritten> {
  const res = await http.send(`/api/set?${key}=${encodeURIComponent(JSON.stringify(value))}`);
  cloud?.(res, '/api/set');
  const ok = res.status === 200 || (cloud !== undefined && res.status === 202);
  const body = http.jsonObject(res, '/api/set', ok);
  const result = body ? body[key] : undefined;
  if (ok && (result === true || (cloud && result === undefined))) return key === 'ids' ? {} : { changed: { [key]: value } };
  const what = `${key}=${JSON.stringify(value)}`;
  if (typeof result === 'string') throw new PeerError('http', `go-e refused ${what}: ${result}`, res.status);
  if (res.status === 422) throw new PeerError('http', `go-e cloud refused ${what}`, res.status);
  const text = res.text.trim().slice(0, 120);
  if (res.status === 404) throw new PeerError('http', `${http.where}/api/set: not found (HTTP 404); enable the HTTP API v2 in the go-e app`, 404);
  throw new PeerError('http', `go-e refused ${what} (HTTP ${res.status}${text ? `: ${text}` : ''})`, res.status);
}
