/**
 * One Charge Amps login session per account. The cloud keeps only ten live tokens per account and
 * logs out the oldest on every extra login (including the owner's phone app), so this class logs in
 * once, renews by refresh shortly before the access token expires, and shares a single in-flight
 * login/refresh between concurrent callers. A login that the server refused is not retried until
 * the credentials change (repeating it would only risk locking the account).
 *
 * A login or refresh belongs to the credentials it started with: after a repair (`updateCredentials`) a caller never
 * joins one still in flight with the old credentials, and the old one's refusal does not mark the new ones refused.
 */
import type { Clock } from '../clock';
import { PeerError, SecretSlot, registerSecret } from '../errors';
import { DEFAULT_TIMEOUT_MS, HttpTransport } from '../http';
import { DEFAULT_BASE_URL, LoginResponse, TokenPair, isTransient, parseJsonAnswer, peerErrorFor } from './types';

export interface ChargeAmpsCredentials {
  email: string;
  password: string;
  apiKey: string;
}

export interface AuthOptions {
  /** API root including the version, default https://eapi.charge.space/api/v5 */
  baseUrl?: string;
  credentials: ChargeAmpsCredentials;
  clock: Clock;
  transport: HttpTransport;
  timeoutMs?: number;
  /** Renew this long before the access token expires (s), default 120. */
  refreshMarginS?: number;
}

/** Named so that `redact` (which hides whatever follows "refreshtoken:") leaves the message readable. */
const REFRESH_WHERE = 'token refresh (POST auth/refreshtoken)';

/** Used when a token carries no readable `exp`: the documented lifetime of 120 minutes. */
const DEFAULT_TOKEN_LIFETIME_MS = 120 * 60 * 1000;

export function normaliseBaseUrl(url: string | undefined): string {
  const u = (url ?? DEFAULT_BASE_URL).trim().replace(/\/+$/, '');
  if (!/^https?:\/\/[^/]+/i.test(u)) throw new PeerError('protocol', `base URL "${u}" is not an http(s) URL`);
  return u;
}

/** The `exp` claim of a JWT in ms, read without verifying the signature; null when unreadable. */
export function jwtExpiryMs(token: string): number | null {
  const part = token.split('.')[1];
  if (!part) return null;
  try {
    const claims = JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as { exp?: unknown };
    return typeof claims.exp === 'number' && Number.isFinite(claims.exp) ? claims.exp * 1000 : null;
  } catch {
    return null;
  }
}

export class ChargeAmpsAuth {
  readonly baseUrl: string;
  readonly counters = { logins: 0, refreshes: 0, failedRefreshes: 0 };
  private credentials: ChargeAmpsCredentials;
  private readonly clock: Clock;
  private readonly transport: HttpTransport;
  private readonly timeoutMs: number;
  private readonly marginMs: number;
  private token: string | null = null;
  private refreshToken: string | null = null;
  /** The session's tokens as secrets: each renewal replaces them (the password and API key stay registered for good). */
  private readonly tokenSecrets = { token: new SecretSlot(), refreshToken: new SecretSlot() };
  /** When to renew: the margin before `exp`, or half-way for tokens shorter than twice the margin. */
  private renewAtMs = 0;
  /** The login/refresh in flight, shared by its callers, and the credentials it runs with. */
  private pending: { promise: Promise<string>; credentials: ChargeAmpsCredentials } | null = null;
  /** The server refused these credentials; do not ask again until they change. */
  private refused: PeerError | null = null;

  constructor(opts: AuthOptions) {
    this.baseUrl = normaliseBaseUrl(opts.baseUrl);
    this.clock = opts.clock;
    this.transport = opts.transport;
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.marginMs = (opts.refreshMarginS ?? 120) * 1000;
    this.credentials = { ...opts.credentials };
    this.registerSecrets();
  }

  get email(): string {
    return this.credentials.email;
  }

  /** New password or API key (repair). Keeps a working session; clears a refused login. */
  updateCredentials(credentials: ChargeAmpsCredentials): void {
    const c = this.credentials;
    if (c.email === credentials.email && c.password === credentials.password && c.apiKey === credentials.apiKey) return;
    this.credentials = { ...credentials };
    this.registerSecrets();
    this.refused = null;
  }

  /** True when these are the credentials in use and a login with them has succeeded. */
  isLoggedInAs(credentials: ChargeAmpsCredentials): boolean {
    const c = this.credentials;
    return this.token !== null && c.email === credentials.email && c.password === credentials.password && c.apiKey === credentials.apiKey;
  }

  /** A valid access token; renews first when it expires within the margin. */
  async getToken(): Promise<string> {
    if (this.token && this.clock.nowMs() < this.renewAtMs) return this.token;
    return this.renew();
  }

  /** The server answered 401 to `usedToken`: renew once, shared by every caller that used that token. */
  async tokenRejected(usedToken: string): Promise<string> {
    if (this.token && this.token !== usedToken && !this.pending) return this.token;
    this.renewAtMs = 0;
    return this.renew();
  }

  /** Log in now (used to validate credentials while pairing). */
  async verify(): Promise<void> {
    await this.getToken();
  }

  /** Join the login/refresh in flight with the current credentials, or start one (`credentials` is replaced, never changed). */
  private renew(): Promise<string> {
    const credentials = this.credentials;
    if (this.pending?.credentials === credentials) return this.pending.promise;
    const promise: Promise<string> = this.doRenew(credentials).finally(() => {
      if (this.pending?.promise === promise) this.pending = null;
    });
    this.pending = { promise, credentials };
    return promise;
  }

  private async doRenew(credentials: ChargeAmpsCredentials): Promise<string> {
    if (this.token && this.refreshToken) {
      try {
        return await this.refresh(credentials, this.token, this.refreshToken);
      } catch (err) {
        // A network or overload failure says nothing about the refresh token: try again later rather
        // than log in (every extra login evicts another session of this account).
        if (isTransient(err)) throw err;
        this.counters.failedRefreshes++;
        this.token = null;
        this.refreshToken = null;
      }
    }
    return this.login(credentials);
  }

  private url(path: string): string {
    return `${this.baseUrl}/${path}`;
  }

  private async login(credentials: ChargeAmpsCredentials): Promise<string> {
    if (this.refused) throw this.refused;
    const { email, password, apiKey } = credentials;
    this.counters.logins++;
    const res = await this.transport({
      method: 'POST',
      url: this.url('auth/login'),
      headers: { apiKey, Accept: 'application/json' },
      body: { email, password },
      timeoutMs: this.timeoutMs,
    });
    if (res.status === 401 || res.status === 403) {
      const refused = new PeerError('auth', `authentication failed: Charge Amps refused the email, password or API key (HTTP ${res.status})`, res.status);
      // only while these are still the credentials in use: a repair made meanwhile gets its own try
      if (this.credentials === credentials) this.refused = refused;
      throw refused;
    }
    if (res.status !== 200) throw peerErrorFor(res, 'POST auth/login', this.clock.nowMs());
    return this.accept(parseJsonAnswer<LoginResponse>(res, 'POST auth/login') ?? null, 'POST auth/login', credentials);
  }

  private async refresh(credentials: ChargeAmpsCredentials, token: string, refreshToken: string): Promise<string> {
    this.counters.refreshes++;
    const res = await this.transport({
      method: 'POST',
      url: this.url('auth/refreshtoken'),
      headers: { apiKey: credentials.apiKey, Accept: 'application/json' },
      body: { token, refreshToken },
      timeoutMs: this.timeoutMs,
    });
    if (res.status !== 200) throw peerErrorFor(res, REFRESH_WHERE, this.clock.nowMs());
    return this.accept(parseJsonAnswer<TokenPair>(res, REFRESH_WHERE) ?? null, REFRESH_WHERE, credentials);
  }

  private accept(body: TokenPair | null, where: string, credentials: ChargeAmpsCredentials): string {
    if (!body || typeof body.token !== 'string' || !body.token || typeof body.refreshToken !== 'string' || !body.refreshToken) {
      throw new PeerError('protocol', `${where}: answer has no token and refresh token`);
    }
    // a login or refresh of credentials replaced meanwhile (a repair): its session is not this account's any more
    if (credentials !== this.credentials) throw new PeerError('auth', `${where}: the credentials changed while it ran; signing in with the new ones`);
    this.tokenSecrets.token.set(body.token);
    this.tokenSecrets.refreshToken.set(body.refreshToken);
    this.token = body.token;
    this.refreshToken = body.refreshToken;
    const now = this.clock.nowMs();
    const expiresAtMs = jwtExpiryMs(body.token) ?? now + DEFAULT_TOKEN_LIFETIME_MS;
    this.renewAtMs = expiresAtMs - Math.min(this.marginMs, Math.max(0, expiresAtMs - now) / 2);
    return body.token;
  }

  private registerSecrets(): void {
    registerSecret(this.credentials.password);
    registerSecret(this.credentials.apiKey);
  }
}
