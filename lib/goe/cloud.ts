/**
 * The go-e cloud, with the API token of the go-e app:
 * - cloud v2 (`https://<serial>.api.v3.go-e.io`, V3/V4): the local v2 protocol (`/api/status`,
 *   `/api/set`) with the token as a bearer header;
 * - cloud v1 (`https://api.go-e.co`, HW v1/v2): `/api_status?token=…` and `/api?token=…&payload=key=value`,
 *   every answer wrapped in `{"success":…,"data":<v1 status>}`.
 * The token never appears in a message (it is registered as a secret and URLs are shown without query).
 */
import { PeerError } from '../errors';
import { HttpResponse } from '../http';
import { GoeApi, GoeHttp, GoeWritten } from './api';
import { v1Payload } from './localV1';
import { V2_STATUS_PATH, writeV2 } from './localV2';
import { GoeRawStatus, looksLikeGoe } from './status';

export class CloudV2Api implements GoeApi {
  readonly api = 'cloud-v2';
  readonly dialect = 'v2';

  /** `http` sends the token as `Authorization: Bearer …`. */
  constructor(private readonly http: GoeHttp) {}

  async readStatus(): Promise<GoeRawStatus> {
    const res = await this.http.send(V2_STATUS_PATH);
    checkCloudAnswer(res, '/api/status');
    if (res.status !== 200) throw this.http.httpError(res, '/api/status');
    const raw = this.http.jsonObject(res, '/api/status');
    if (!raw) throw new PeerError('protocol', `${this.http.where}/api/status: the answer is not a go-e status`);
    return raw;
  }

  write(key: string, value: unknown): Promise<GoeWritten> {
    return writeV2(this.http, key, value, checkCloudAnswer);
  }
}

export class CloudV1Api implements GoeApi {
  readonly api = 'cloud-v1';
  readonly dialect = 'v1';
  private readonly token: string;

  constructor(private readonly http: GoeHttp, token: string) {
    this.token = encodeURIComponent(token);
  }

  async readStatus(): Promise<GoeRawStatus> {
    const res = await this.http.send(`/api_status?token=${this.token}&wait=0`);
    const body = this.body(res, '/api_status');
    if (!looksLikeGoe(body.data)) throw new PeerError('protocol', `${this.http.where}/api_status: the answer holds no go-e status`);
    return body.data;
  }

  async write(key: string, value: unknown): Promise<GoeWritten> {
    const res = await this.http.send(`/api?token=${this.token}&payload=${v1Payload(key, value)}`);
    this.body(res, '/api');
    return { changed: { [key]: String(value) } };
  }

  /** The `{success, error, data}` wrapper; `success: false` names the problem. */
  private body(res: HttpResponse, path: string): { data?: unknown } {
    const body = this.http.jsonObject(res, path) as { success?: unknown; error?: unknown; data?: unknown } | null;
    if (!body || typeof body.success !== 'boolean') throw this.http.httpError(res, path);
    if (!body.success) {
      const error = String(body.error ?? 'unknown error');
      if (/token/i.test(error)) throw new PeerError('auth', `go-e cloud: ${error}; check the cloud token`, res.status);
      if (/rate/i.test(error)) throw new PeerError('rate-limit', `go-e cloud: ${error}`, res.status);
      throw new PeerError('http', `go-e cloud: ${error}`, res.status);
    }
    return body;
  }
}

/** The cloud v2's own refusals: a rejected token, an offline charger, no data, too many requests. */
function checkCloudAnswer(res: HttpResponse, path: string): void {
  const where = `go-e cloud ${path}`;
  if (res.status === 401) throw new PeerError('auth', `${where}: the API token was rejected (HTTP 401); copy it again from the go-e app`, 401);
  if (res.status === 403) {
    throw new PeerError('http', `${where}: charger offline or cloud API not enabled (HTTP 403); enable it in the go-e app → Internet → Advanced`, 403);
  }
  if (res.status === 404) throw new PeerError('http', `${where}: no recent data from the charger (HTTP 404); is it online?`, 404);
  if (res.status === 429) throw new PeerError('rate-limit', `${where}: too many requests (HTTP 429)`, 429);
}
