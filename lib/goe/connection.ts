/**
 * From a go-e connection (a local host and API, or a cloud serial and token) to the API that speaks
 * to it: a fixed dialect, or for `api: 'auto'` the local v2 API when the charger answers it, else the
 * legacy v1 API — kept until a failure that may mean the charger now speaks another API.
 */
import { Clock } from '../clock';
import { PeerError, UserInputError, quoteInput, registerSecret } from '../errors';
import { type HostUse, hostBaseUrl } from '../host';
import { HttpTransport } from '../http';
import { GoeApi, GoeHttp } from './api';
import { CloudV1Api, CloudV2Api } from './cloud';
import { LocalV1Api } from './localV1';
import { LocalV2Api } from './localV2';
import { GoeRawStatus } from './status';

export type GoeLocalApi = 'auto' | 'v1' | 'v2';

export type GoeConnection =
  | { kind: 'local'; host: string; api?: GoeLocalApi }
  | { kind: 'cloud'; serial: string; token: string; api?: 'v1' | 'v2'; baseUrl?: string };

/** How a go-e address is named in messages. */
export const GOE_HOST_USE: HostUse = { field: 'host', device: 'go-e charger' };

/**
 * The base URL ("http://host[:port]") of a go-e address: a host name, IPv4 or IPv6 address (bare or
 * in brackets) with an optional port, as lib/host.ts accepts it — and, as older versions stored it,
 * with "http://" or "https://" in front and "/" or "/api" behind ("http://go-echarger/api/" →
 * "http://go-echarger", "fd00::20" → "http://[fd00::20]").
 */
export function normaliseHost(input: string, use: HostUse = GOE_HOST_USE): string {
  const trimmed = String(input ?? '').trim();
  if (!trimmed) throw new UserInputError(use.field, 'is empty; enter the IP address or host name of the charger, e.g. 192.168.1.20');
  const withScheme = /^([a-z][a-z0-9+.-]*):\/\/(.*)$/is.exec(trimmed);
  const scheme = withScheme ? withScheme[1].toLowerCase() : 'http';
  if (scheme !== 'http' && scheme !== 'https') throw new UserInputError(use.field, `${quoteInput(trimmed)}: only http:// and https:// are supported`);
  const address = (withScheme ? withScheme[2] : trimmed).replace(/\/+(api\/*)?$/i, '');
  if (address.includes('@')) throw new UserInputError(use.field, 'must not contain a user name or password');
  return hostBaseUrl(address, scheme, use);
}

/** go-e serials are six digits with leading zeros. */
export function normaliseSerial(serial: string): string {
  const s = (serial ?? '').trim();
  if (!/^\d{1,12}$/.test(s)) throw new UserInputError('serial', `"${s}" is not a go-e serial number (digits only, e.g. 012345)`);
  return s.padStart(6, '0');
}

/** Which API a client speaks: one fixed API, or the automatic choice between local v2 and v1. */
export interface GoeApiChoice {
  /** The API in use, once known. */
  readonly chosen: GoeApi | undefined;
  /** Read the status through the API in use, choosing it first when needed. */
  read(): Promise<{ api: GoeApi; raw: GoeRawStatus }>;
  /** After a failure: forget an automatic choice when the failure may mean another API. */
  forget(err: PeerError): void;
}

export interface GoeWireOptions {
  transport: HttpTransport;
  clock: Clock;
  timeoutMs: number;
  /** Minimum time between two requests; default 200 ms local, 1000 ms cloud. */
  minGapMs?: number;
}

export interface OpenedGoe {
  /** The connection with its defaults filled in and its serial normalised. */
  connection: GoeConnection;
  http: GoeHttp;
  choice: GoeApiChoice;
}

/** Check the connection (before any request) and build the API that speaks to it. */
export function openGoe(connection: GoeConnection, options: GoeWireOptions): OpenedGoe {
  if (connection.kind === 'local') {
    const api = connection.api ?? 'auto';
    if (!['auto', 'v1', 'v2'].includes(api)) throw new UserInputError('api', `"${api}" is not one of auto, v1, v2`);
    const http = new GoeHttp(normaliseHost(connection.host), { ...options, minGapMs: options.minGapMs ?? 200 });
    const v2 = new LocalV2Api(http);
    const v1 = new LocalV1Api(http);
    const choice = api === 'auto' ? new AutoLocalApi(http, v2, v1) : fixed(api === 'v2' ? v2 : v1);
    return { connection: { ...connection, api }, http, choice };
  }
  const token = (connection.token ?? '').trim();
  if (!token) throw new UserInputError('cloud token (API key)', 'is empty; copy the API token from the go-e app (Internet → Advanced settings)');
  registerSecret(token);
  const serial = normaliseSerial(connection.serial);
  const api = connection.api ?? 'v2';
  if (api !== 'v1' && api !== 'v2') throw new UserInputError('api', `"${String(api)}" is not one of v1, v2 for the cloud`);
  const defaultBase = api === 'v2' ? `https://${serial}.api.v3.go-e.io` : 'https://api.go-e.co';
  const base = connection.baseUrl ? normaliseHost(connection.baseUrl) : defaultBase;
  const headers = api === 'v2' ? { Authorization: `Bearer ${token}` } : undefined;
  const http = new GoeHttp(base, { ...options, minGapMs: options.minGapMs ?? 1000, headers });
  const choice = fixed(api === 'v2' ? new CloudV2Api(http) : new CloudV1Api(http, token));
  return { connection: { ...connection, serial, token, api }, http, choice };
}

function fixed(api: GoeApi): GoeApiChoice {
  return { chosen: api, read: async () => ({ api, raw: await api.readStatus() }), forget: () => undefined };
}

/** `api: 'auto'`: v2 first (V3/V4), else the legacy v1 (HW v1/v2, or a V3 with only the legacy API on). */
class AutoLocalApi implements GoeApiChoice {
  chosen: GoeApi | undefined;

  constructor(
    private readonly http: GoeHttp,
    private readonly v2: LocalV2Api,
    private readonly v1: LocalV1Api,
  ) {}

  async read(): Promise<{ api: GoeApi; raw: GoeRawStatus }> {
    if (this.chosen) return { api: this.chosen, raw: await this.chosen.readStatus() };
    const v2 = await this.v2.probe();
    if (v2) {
      this.chosen = this.v2;
      return { api: this.v2, raw: v2 };
    }
    const v1 = await this.v1.readStatus().catch((err: unknown) => {
      if (err instanceof PeerError && (err.kind === 'http' || err.kind === 'protocol')) {
        throw new PeerError(
          'protocol',
          `${this.http.where} does not answer like a go-e charger (tried /api/status and /status); check the address and enable the HTTP API (v2) or the legacy API (v1) in the go-e app`,
        );
      }
      throw err;
    });
    this.chosen = this.v1;
    return { api: this.v1, raw: v1 };
  }

  forget(err: PeerError): void {
    if (['timeout', 'unreachable', 'protocol'].includes(err.kind)) this.chosen = undefined;
  }
}
