/**
 * The account side of a Charge Amps device: what the store holds and the one shared client (one
 * login session) per account in this app.
 */
import { ChargeAmpsClient, ClientOptions, sharedClients } from '../../lib/chargeamps/client';
import { SystemClock } from '../../lib/clock';
import { nodeFetchTransport } from '../../lib/http';

/** The device store: the only place the password and API key live (never settings, never logs). */
export interface ChargeAmpsStore {
  email: string;
  password: string;
  apiKey: string;
  /** Only for another API host (or the emulator). */
  baseUrl?: string;
  chargePointId: string;
  connectorId: number;
  schuko: boolean;
}

export type AccountStore = Pick<ChargeAmpsStore, 'email' | 'password' | 'apiKey' | 'baseUrl'>;

const clock = new SystemClock();

function options(store: AccountStore): ClientOptions {
  return {
    baseUrl: store.baseUrl || undefined,
    credentials: { email: store.email, password: store.password, apiKey: store.apiKey },
    clock,
    transport: nodeFetchTransport,
    timeoutMs: 15_000,
  };
}

/** The account's shared client; no request is made. */
export function clientFor(store: AccountStore): ChargeAmpsClient {
  return sharedClients.acquire(options(store));
}

/** Log in with these credentials (or reuse the session that already uses them), then acquire. */
export function verifiedClientFor(store: AccountStore): Promise<ChargeAmpsClient> {
  return sharedClients.acquireVerified(options(store));
}
