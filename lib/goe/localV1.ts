/**
 * go-e local HTTP API v1 (HW v1/v2, and the "legacy" API of a V3/V4): `GET /status` reads, `GET
 * /mqtt?payload=key=value` writes one key and answers the whole status with the value already changed
 * (a refused value simply stays unchanged). Values are strings in v1 units.
 */
import { PeerError } from '../errors';
import { GoeApi, GoeHttp, GoeWritten } from './api';
import { GoeRawStatus, looksLikeGoe } from './status';

/** The `payload` of a v1 write (local `/mqtt`, cloud `/api`): `key=value`, the value unquoted. */
export function v1Payload(key: string, value: unknown): string {
  return `${key}=${encodeURIComponent(String(value))}`;
}

export class LocalV1Api implements GoeApi {
  readonly api = 'v1';
  readonly dialect = 'v1';

  constructor(private readonly http: GoeHttp) {}

  async readStatus(): Promise<GoeRawStatus> {
    const res = await this.http.send('/status');
    if (res.status !== 200) throw this.http.httpError(res, '/status');
    const raw = this.http.jsonObject(res, '/status');
    if (!looksLikeGoe(raw)) throw new PeerError('protocol', `${this.http.where}/status: the answer is not a go-e status`);
    return raw;
  }

  async write(key: string, value: unknown): Promise<GoeWritten> {
    const res = await this.http.send(`/mqtt?payload=${v1Payload(key, value)}`);
    const raw = this.http.jsonObject(res, '/mqtt');
    if (res.status !== 200 || !looksLikeGoe(raw)) throw this.http.httpError(res, '/mqtt');
    // fw 040.0 takes `amx` but does not list it: its value shows in `amp`. Any other missing key is unconfirmed.
    const shown = key in raw ? key : key === 'amx' && 'amp' in raw ? 'amp' : null;
    if (shown === null) throw new PeerError('protocol', `go-e did not confirm ${key}=${String(value)}: its answer has no ${key}`);
    if (!sameValue(raw[shown], value)) throw new PeerError('protocol', `go-e did not accept ${key}=${String(value)} (still ${String(raw[shown])})`);
    return { status: raw };
  }
}

function sameValue(current: unknown, wanted: unknown): boolean {
  if (wanted === null) return current === null || current === undefined || current === '0' || current === 0;
  if (typeof current === 'string') return current === String(wanted);
  if (typeof current === 'boolean') return current === Boolean(wanted);
  return current === wanted;
}
