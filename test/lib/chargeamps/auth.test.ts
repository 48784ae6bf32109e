/**
 * lib/chargeamps/auth.ts against the Charge Amps emulator over loopback HTTP: a repair (new password) made while a
 * login with the old password is still on its way. That login belongs to the old credentials: its refusal must not
 * mark the new ones refused, and a caller after the repair must not wait for it but log in with the new password.
 * And the session's tokens as secrets: each renewal replaces the last pair, so the registry `redact` walks stays small.
 */
import assert from 'assert';
import { ChargeAmpsAuth } from '../../../lib/chargeamps/auth';
import { ManualClock } from '../../../lib/clock';
import { redact, registeredSecretCount } from '../../../lib/errors';
import { HttpRequest, HttpTransport, nodeFetchTransport } from '../../../lib/http';
import { ChargeAmpsEmulator } from '../../../tools/emulators/chargeamps/emulator';
import { CREDENTIALS } from './helpers';

const NEW_PASSWORD = 'new-staple-battery-horse';

describe('lib/chargeamps/auth: a repair while a login with the old password is in flight', () => {
  let emu: ChargeAmpsEmulator;
  let clock: ManualClock;
  let baseUrl: string;
  /** The passwords of the logins sent, in order. */
  let logins: string[];
  /** Releases the held login with the old password (it then goes to the emulator). */
  let releaseOld: (() => void) | null;

  /** Logins with the old password wait for `releaseOld`; everything reaches the emulator. */
  const transport: HttpTransport = async (req: HttpRequest) => {
    if (req.url.endsWith('/auth/login')) {
      const { password } = req.body as { password: string };
      logins.push(password);
      if (password === CREDENTIALS.password) await new Promise<void>((resolve) => (releaseOld = resolve));
    }
    return nodeFetchTransport(req);
  };

  beforeEach(async () => {
    clock = new ManualClock(Date.UTC(2026, 0, 1, 12));
    emu = new ChargeAmpsEmulator({ clock });
    baseUrl = await emu.start();
    logins = [];
    releaseOld = null;
    emu.setPassword(CREDENTIALS.email, NEW_PASSWORD); // the owner changed the password in the Charge Amps app
  });

  afterEach(async () => {
    releaseOld?.(); // a login still held (a failed test) goes out and ends
    await emu.stop();
  });

  async function oldLoginInFlight(): Promise<{ auth: ChargeAmpsAuth; first: Promise<string> }> {
    const auth = new ChargeAmpsAuth({ baseUrl, credentials: CREDENTIALS, clock, transport });
    const first = auth.getToken();
    first.catch(() => undefined);
    while (!releaseOld) await new Promise((r) => setImmediate(r));
    auth.updateCredentials({ ...CREDENTIALS, password: NEW_PASSWORD }); // the user repairs
    return { auth, first };
  }

  it('the old login\'s refusal does not mark the new password refused: the next getToken logs in with it', async () => {
    const { auth, first } = await oldLoginInFlight();
    releaseOld!();
    await assert.rejects(first, /^PeerError: authentication failed: Charge Amps refused/);
    const token = await auth.getToken();
    assert.ok(token.length > 0);
    assert.deepStrictEqual(logins, [CREDENTIALS.password, NEW_PASSWORD]);
    assert.deepStrictEqual([emu.counters.failedLogins, emu.counters.logins], [1, 1]);
    assert.ok(auth.isLoggedInAs({ ...CREDENTIALS, password: NEW_PASSWORD }));
  });

  it('a getToken after the repair does not join the old login: it logs in with the new password at once', async () => {
    const { auth, first } = await oldLoginInFlight();
    const second = auth.getToken(); // the old login is still held
    second.catch(() => undefined);
    assert.deepStrictEqual(logins, [CREDENTIALS.password, NEW_PASSWORD], 'the new login went out without waiting');
    const token = await second;
    assert.ok(token.length > 0);
    releaseOld!();
    await assert.rejects(first, /authentication failed/);
    assert.strictEqual(await auth.getToken(), token, 'the session of the new password stays in use');
    assert.deepStrictEqual(logins.length, 2);
  });

  it('a login of the old credentials that succeeds after the repair does not become the session (another account\'s token)', async () => {
    // the old login answers OK (the old account still exists) only after the new one has signed in
    const oldSession = { token: 'old-account-token-0123456789', refreshToken: 'old-account-refresh-0123456789' };
    const twoAccounts: HttpTransport = async (req: HttpRequest) => {
      const body = req.body as { password?: string } | undefined;
      if (req.url.endsWith('/auth/login') && body?.password === CREDENTIALS.password) {
        logins.push(CREDENTIALS.password);
        await new Promise<void>((resolve) => (releaseOld = resolve));
        return { status: 200, headers: { 'content-type': 'application/json' }, text: JSON.stringify(oldSession) };
      }
      return transport(req);
    };
    const auth = new ChargeAmpsAuth({ baseUrl, credentials: CREDENTIALS, clock, transport: twoAccounts });
    const first = auth.getToken();
    first.catch(() => undefined);
    while (!releaseOld) await new Promise((r) => setImmediate(r));
    auth.updateCredentials({ ...CREDENTIALS, password: NEW_PASSWORD });
    const token = await auth.getToken();
    releaseOld!();
    await assert.rejects(first, /credentials changed while it ran/);
    assert.strictEqual(await auth.getToken(), token, 'still the new account\'s session');
    assert.notStrictEqual(token, oldSession.token);
  });

  it('a refusal of the current credentials still stops further logins until they change', async () => {
    const auth = new ChargeAmpsAuth({ baseUrl, credentials: { ...CREDENTIALS, password: 'wrong-password-123' }, clock, transport });
    await assert.rejects(auth.getToken(), /authentication failed/);
    await assert.rejects(auth.getToken(), /authentication failed/);
    assert.deepStrictEqual(logins, ['wrong-password-123']);
    auth.updateCredentials({ ...CREDENTIALS, password: NEW_PASSWORD });
    await auth.getToken();
    assert.deepStrictEqual(logins, ['wrong-password-123', NEW_PASSWORD]);
  });
});

describe('lib/chargeamps/auth: the session\'s tokens as secrets', () => {
  let emu: ChargeAmpsEmulator;
  afterEach(() => emu.stop());

  it('after many refreshes only the current token pair is held as a secret; both are still redacted', async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1, 12));
    emu = new ChargeAmpsEmulator({ clock, tokenLifetimeS: 300 });
    const baseUrl = await emu.start();
    const refreshTokens: string[] = [];
    const transport: HttpTransport = async (req) => {
      const res = await nodeFetchTransport(req);
      if (res.status === 200) refreshTokens.push((JSON.parse(res.text) as { refreshToken: string }).refreshToken);
      return res;
    };
    const before = registeredSecretCount();
    const auth = new ChargeAmpsAuth({ baseUrl, credentials: CREDENTIALS, clock, transport });
    const first = await auth.getToken();
    let token = first;
    for (let i = 0; i < 60; i++) {
      token = await auth.getToken();
      await clock.advance(290_000);
    }
    assert.strictEqual(auth.counters.refreshes, 59);
    assert.strictEqual(auth.counters.logins, 1);
    assert.ok(registeredSecretCount() - before <= 4, `secrets held: ${registeredSecretCount() - before} more (password, API key, token, refresh token)`);
    const current = refreshTokens[refreshTokens.length - 1];
    assert.strictEqual(redact(`a ${current} b`), 'a *** b', 'the current refresh token');
    assert.strictEqual(redact(`a ${token} b`), 'a *** b', 'the current access token');
    assert.strictEqual(redact(`a ${refreshTokens[0]} b`), `a ${refreshTokens[0]} b`, 'a replaced refresh token is no longer held');
    assert.notStrictEqual(token, first);
    assert.strictEqual(redact(`a ${first} b`), 'a *** b', 'a replaced access token (a JWT) is still caught by the JWT pattern');
  });
});
