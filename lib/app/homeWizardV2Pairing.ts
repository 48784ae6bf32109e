/**
 * Pairing a HomeWizard P1 meter over the local API v2 from the settings page (POST /homewizard-v2/pair): the page
 * asks once with `restart` (the user pressed "Pair"), then every 2 s while its 30 s countdown runs; each call is one
 * `POST /api/user` to the meter. Until the button on the meter is pressed the answer is 'press-button'. The first
 * call pins the certificate the meter presents; later calls of the same pairing go only to that certificate, so the
 * token is created by, and sent back to, one device. Once the meter gives a token, the device is checked with it
 * (GET /api: a P1 or 3-phase kWh meter) and the pairing is saved with the meter settings (source 'homewizard-v2',
 * host, serial, token, certificate fingerprint) through the one settings store, which restarts the meter feed.
 *
 * The token never leaves the app: the page gets the state, the device's name and serial and the fingerprint's start.
 */
import { describeError } from '../errors';
import { fetchV2Device, normaliseFingerprint, requestV2Token, shortFingerprint } from '../meter/homewizardV2Client';
import type { AppSettings } from '../settings';
import { readMeterHost } from '../settingsValidation';

export type V2PairView =
  | { state: 'press-button'; host: string }
  | { state: 'paired'; host: string; productName: string; serial: string; certificate: string }
  /** Refused: one line; `field` 'meter.host' when the address itself is wrong (shown next to it), else null. */
  | { state: 'failed'; field: 'meter.host' | null; error: string };

export interface V2PairingDeps {
  settings: { get(): AppSettings; update(change: (s: AppSettings) => AppSettings): Promise<void> };
  /** For tests: the meter's port when it is not 443 is part of the host anyway. */
  timeoutMs?: number;
}

export class HomeWizardV2Pairing {
  /** The certificate pinned at the first call of the pairing running for a host. */
  private readonly pins = new Map<string, string>();

  constructor(private readonly deps: V2PairingDeps) {}

  /**
   * One pairing step for `{ host, restart? }` from the page. A bad address or a meter that cannot be paired is an
   * answer (`state: 'failed'` with one line), not an error of the Web API: the page shows it, nothing is saved.
   */
  async step(body: unknown): Promise<V2PairView> {
    const b = (typeof body === 'object' && body !== null ? body : {}) as { host?: unknown; restart?: unknown };
    const r = readMeterHost(b.host ?? '');
    if (r.problem !== null) return { state: 'failed', field: 'meter.host', error: r.problem };
    try {
      return await this.pair(r.host, b.restart === true);
    } catch (err) {
      return { state: 'failed', field: null, error: describeError(err) };
    }
  }

  private async pair(host: string, restart: boolean): Promise<V2PairView> {
    if (restart) this.pins.delete(host);
    const pin = this.pins.get(host) ?? null;
    const answer = await requestV2Token(host, pin, { timeoutMs: this.deps.timeoutMs });
    if (pin === null) this.pins.set(host, answer.fingerprint);
    if (answer.state === 'press-button') return { state: 'press-button', host };
    this.pins.delete(host);
    const device = await fetchV2Device(host, answer.fingerprint, answer.token, this.deps.timeoutMs);
    await this.deps.settings.update((s) => ({
      ...s,
      meter: { ...s.meter, source: 'homewizard-v2', host, serial: device.serial || null, token: answer.token, certFingerprint: answer.fingerprint },
    }));
    return { state: 'paired', host, productName: device.productName, serial: device.serial, certificate: shortFingerprint(answer.fingerprint) };
  }
}

/** The settings as the page may see them: the v2 token left out (a secret stays in the app). */
export function withoutSecrets(settings: AppSettings): AppSettings {
  const { token: _token, ...meter } = settings.meter;
  return { ...settings, meter };
}

/**
 * A settings body from the page with the stored pairing put back: the page never has the token, so a save keeps the
 * stored one (and its certificate) while the meter's host stays the same; a new host typed in needs a new pairing.
 * A page opened before the app followed the meter to a new address still names the paired meter (its serial, which
 * the page sends only for the address it was paired at, and its certificate): that save keeps the pairing and the
 * address the app followed the meter to, instead of failing until the page is reloaded.
 */
export function withStoredPairing(body: unknown, stored: AppSettings): unknown {
  if (typeof body !== 'object' || body === null) return body;
  const b = body as Record<string, unknown>;
  const meter = b.meter;
  if (typeof meter !== 'object' || meter === null || !stored.meter.token) return body;
  const m = meter as Record<string, unknown>;
  if (m.token !== undefined) return body;
  const sameHost = typeof m.host === 'string' && readMeterHost(m.host).host === stored.meter.host;
  const followed =
    !sameHost &&
    m.source === 'homewizard-v2' &&
    typeof m.serial === 'string' &&
    m.serial !== '' &&
    m.serial === stored.meter.serial &&
    normaliseFingerprint(m.certFingerprint) === stored.meter.certFingerprint;
  if (!sameHost && !followed) return body;
  const host = followed ? stored.meter.host : m.host;
  return { ...b, meter: { ...m, host, token: stored.meter.token, certFingerprint: m.certFingerprint ?? stored.meter.certFingerprint } };
}
