/**
 * Issue 16, Done-when (go-e part): the go-e client against every emulator firmware profile with access
 * control on (v2 `acs`=1; HW v1/v2 `ast`=1), each logic mode, unplug and the 60.x filter rule. A resume starts
 * a session in each case where the user allowed it, and says why not where not.
 */
import assert from 'assert';
import { ManualClock } from '../../../lib/clock';
import { PeerError } from '../../../lib/errors';
import { nodeFetchTransport } from '../../../lib/http';
import { GoeAuthorisationError, GoeClient } from '../../../lib/goe/client';
import { goeReason } from '../../../lib/goe/reason';
import { GOE_PROFILES, GoeEmulator, GoeProfile } from '../../../tools/emulators/goe/emulator';
import { emulator, local, sets, stopEmulators } from './harness';

const PROFILES = Object.keys(GOE_PROFILES) as GoeProfile[];
const V2_PROFILES = PROFILES.filter((p) => GOE_PROFILES[p].v2);

const REFUSAL = /^the charger waits for authorisation \(RFID\/app\): enable "Authorise sessions waiting for RFID" in the device settings, or hold a card to it$/;

async function refused(p: Promise<unknown>): Promise<GoeAuthorisationError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof GoeAuthorisationError, `expected GoeAuthorisationError, got ${String(err)}`);
    assert.match(err.message, REFUSAL);
    return err;
  }
  return assert.fail('expected the resume to be refused');
}

const advance = (emu: GoeEmulator, ms: number): Promise<void> => (emu.clock as ManualClock).advance(ms);

/** Let the car start (the emulator's start delay is 0 here; the charger's logic runs once a second). */
async function charges(emu: GoeEmulator, client: GoeClient): Promise<boolean> {
  await advance(emu, 1000);
  return emu.drawA > 0 && (await client.getSnapshot()).status.state === 'charging';
}

describe('lib/goe authorisation, logic modes and resume (issue 16)', () => {
  afterEach(() => stopEmulators());

  describe('access control on, every firmware profile', () => {
    for (const profile of PROFILES) {
      const v2 = GOE_PROFILES[profile].v2;

      it(`${profile}: a waiting session is not authorised unless allowed; the refusal says what to do, and a card then starts it`, async () => {
        const emu = await emulator({ profile, acs: 1, startDelayMs: 0 });
        const client = local(emu);
        emu.plugIn({ needWh: 50_000 });
        const snap = await client.getSnapshot();
        assert.strictEqual(snap.detail.accessControl, 1);
        assert.strictEqual(snap.detail.waitingForAuthorisation, true);
        if (v2) assert.deepStrictEqual([snap.detail.reason?.id, snap.status.reason], ['waiting_for_authorisation', 'waiting_for_authorisation']);
        await refused(client.resume());
        // v2 writes frc=0 first, so that a card then starts the session; v1 writes nothing (alw=1 would authorise)
        assert.deepStrictEqual(sets(emu), v2 ? ['frc=0'] : []);
        assert.strictEqual(await charges(emu, client), false);
        emu.holdCard(2);
        assert.strictEqual(await charges(emu, client), true, 'a card starts it');
        assert.strictEqual((await client.getSnapshot()).detail.transaction, 2);
      });

      it(`${profile}: where the user allowed it, a resume authorises (${v2 ? 'trx=0, then frc=0' : 'alw=1'}) and the session starts`, async () => {
        const emu = await emulator({ profile, acs: 1, startDelayMs: 0 });
        const client = local(emu, 'auto', { authorise: true });
        emu.plugIn({ needWh: 50_000 });
        const done = await client.resume();
        assert.deepStrictEqual(done, { wrote: v2 ? ['trx=0', 'frc=0'] : ['alw=1'], authorised: true });
        assert.deepStrictEqual(sets(emu), done.wrote);
        assert.strictEqual(await charges(emu, client), true);
      });

      it(`${profile}: the app's own pause and resume within an authorised session need no authorisation; after unplug the next session waits again`, async () => {
        const emu = await emulator({ profile, acs: 1, startDelayMs: 0 });
        const client = local(emu);
        emu.plugIn({ needWh: 50_000 });
        emu.holdCard(1);
        assert.strictEqual(await charges(emu, client), true);
        await client.pause();
        assert.strictEqual(await charges(emu, client), false);
        assert.deepStrictEqual(await client.resume(), { wrote: [v2 ? 'frc=0' : 'alw=1'], authorised: false });
        assert.strictEqual(await charges(emu, client), true);
        await client.pause();
        emu.unplug();
        assert.strictEqual((await client.getSnapshot()).detail.pwmSignal, 'ready_no_car');
        emu.plugIn({ needWh: 50_000 });
        await refused(client.resume());
        assert.strictEqual(await charges(emu, client), false);
      });
    }

    it('v1: a session the go-e app unlocked (no card) and the client paused resumes; a new client cannot tell it from a waiting one', async () => {
      for (const profile of ['v1-020', 'v1-042'] as GoeProfile[]) {
        const emu = await emulator({ profile, acs: 1, startDelayMs: 0 });
        emu.plugIn({ needWh: 50_000 });
        const client = local(emu);
        await client.getSnapshot();
        await fetch(`${emu.url}/mqtt?payload=alw=1`); // the go-e app's start button
        assert.strictEqual(await charges(emu, client), true);
        await client.pause();
        assert.deepStrictEqual(await client.resume(), { wrote: ['alw=1'], authorised: false });
        assert.strictEqual(await charges(emu, client), true);
        await client.pause();
        // after an app restart the pause is not known: alw=0 without a card looks like a session that waits
        await refused(local(emu).resume());
      }
    });

    it('a charger without a car needs no authorisation: resume writes only the resume', async () => {
      for (const profile of ['v1-042', 'v2-060'] as GoeProfile[]) {
        const emu = await emulator({ profile, acs: 1, startDelayMs: 0 });
        const client = local(emu);
        await client.pause();
        assert.deepStrictEqual((await client.resume()).authorised, false);
        assert.deepStrictEqual(sets(emu), GOE_PROFILES[profile].v2 ? ['frc=1', 'frc=0'] : ['alw=0', 'alw=1']);
      }
    });

    it('the refusal names what the caller offers instead of the device setting (the CLI: --authorise)', async () => {
      const emu = await emulator({ profile: 'v2-055', acs: 1, startDelayMs: 0 });
      emu.plugIn();
      const client = local(emu, 'v2', { authoriseHint: 'run goe resume --authorise' });
      await assert.rejects(client.resume(), { name: 'GoeAuthorisationError', message: 'the charger waits for authorisation (RFID/app): run goe resume --authorise, or hold a card to it' });
    });

    it('a firmware that refuses trx=0 fails the resume in one line, one write, and a card still works', async () => {
      const emu = await emulator({ profile: 'v2-060', acs: 1, startDelayMs: 0 });
      emu.faults.trxReadOnly = true;
      emu.plugIn();
      const client = local(emu, 'v2', { authorise: true });
      await assert.rejects(client.resume(), (err: unknown) => err instanceof PeerError && /^go-e refused trx=0: trx: tried to set api key without setter \(0\)$/.test(err.message));
      assert.deepStrictEqual(sets(emu), ['trx=0']);
      emu.holdCard(1);
      assert.deepStrictEqual(await client.resume(), { wrote: ['frc=0'], authorised: false });
      assert.strictEqual(await charges(emu, client), true);
    });
  });

  describe('logic modes (lmo) and the force state, every v2 profile', () => {
    for (const profile of V2_PROFILES) {
      it(`${profile}: lmo 3 resumes; lmo 4 and 5 resume with frc=0 and the charger's own logic keeps it off, saying why`, async () => {
        for (const [lmo, id] of [[3, 'allowed'], [4, 'eco_waiting_for_price'], [5, 'next_trip_waiting']] as const) {
          const emu = await emulator({ profile, lmo, startDelayMs: 0 });
          const client = local(emu);
          emu.plugIn({ needWh: 50_000 });
          await client.pause();
          assert.strictEqual((await client.getSnapshot()).detail.reason?.id, 'forced_off');
          await client.resume();
          assert.deepStrictEqual(sets(emu), ['frc=1', 'frc=0'], `lmo ${lmo}`);
          assert.strictEqual(await charges(emu, client), lmo === 3, `lmo ${lmo}`);
          const snap = await client.getSnapshot();
          assert.strictEqual(snap.detail.logicMode, lmo);
          assert.strictEqual(snap.detail.reason?.id, id);
          assert.strictEqual(snap.status.reason, id);
          if (lmo !== 3) assert.match(snap.detail.reason?.text ?? '', /^not charging: (Eco mode: waiting for a low price|next trip: waiting for the planned start)$/);
          // the charger's own logic says on: charging starts without another write
          if (lmo === 4) emu.ecoPriceLow = true;
          if (lmo === 5) emu.nextTripWindow = true;
          assert.strictEqual(await charges(emu, client), true, `lmo ${lmo} on by its own logic`);
          assert.strictEqual((await client.getSnapshot()).detail.reason?.id, lmo === 4 ? 'allowed_cheap_price' : lmo === 5 ? 'allowed_next_trip' : 'allowed');
        }
      });

      it(`${profile}: a session the user forced on (frc=2) is restored with frc=2 after the app's pause; a new session is neutral again`, async () => {
        const emu = await emulator({ profile, lmo: 4, startDelayMs: 0 });
        const client = local(emu);
        emu.plugIn({ needWh: 50_000 });
        emu.frc = 2; // forced on in the go-e app: charges although the price is high
        assert.strictEqual(await charges(emu, client), true);
        assert.strictEqual((await client.getSnapshot()).detail.reason?.id, 'allowed_forced_on');
        await client.pause();
        await client.pause(); // a repeated pause keeps what the first one replaced
        assert.strictEqual(await charges(emu, client), false);
        assert.deepStrictEqual(await client.resume(), { wrote: ['frc=2'], authorised: false });
        assert.strictEqual(await charges(emu, client), true, 'forced on again');
        // unplug: the charger resets frc; the client forgets what its pause replaced
        await client.pause();
        emu.unplug();
        await client.getSnapshot();
        emu.plugIn({ needWh: 50_000 });
        await client.resume();
        assert.deepStrictEqual(sets(emu).slice(-1), ['frc=0']);
        assert.strictEqual(await charges(emu, client), false, 'Eco mode decides again');
      });
    }

    it('a firmware that keeps frc over an unplug: the client still writes neutral for the next session', async () => {
      const emu = await emulator({ profile: 'v2-060', lmo: 5, startDelayMs: 0 });
      emu.faults.frcKeptOnUnplug = true;
      const client = local(emu);
      emu.plugIn();
      emu.frc = 2;
      await client.getSnapshot();
      await client.pause();
      emu.unplug();
      await client.getSnapshot();
      emu.plugIn();
      await client.resume();
      assert.deepStrictEqual(sets(emu), ['frc=1', 'frc=0']);
      assert.strictEqual((await client.getSnapshot()).detail.reason?.id, 'next_trip_waiting');
    });

    it('a reason code newer than this app is shown as "other" with its code', async () => {
      const emu = await emulator({ profile: 'v2-060' });
      emu.faults.modelStatus = 42;
      const snap = await local(emu).getSnapshot();
      assert.deepStrictEqual(snap.detail.reason, { code: 42, id: 'other', charging: false, text: 'reason code 42 (unknown to this app)' });
      assert.deepStrictEqual(goeReason(39), { code: 39, id: 'load_management', charging: false, text: 'not charging: zero current setpoint' });
      assert.strictEqual(goeReason('3'), null);
    });
  });

  describe('the 60.x status filter rule', () => {
    it('60.3 answers the client\'s filter (with acs,trx,lmo,modelStatus) although it lacks cbl (HTTP 400 with the body); a resume authorises where allowed', async () => {
      const emu = await emulator({ profile: 'v2-060', acs: 1, startDelayMs: 0 });
      emu.plugIn({ needWh: 50_000 });
      const client = local(emu, 'v2', { authorise: true });
      const snap = await client.getSnapshot();
      assert.deepStrictEqual([snap.detail.accessControl, snap.detail.transaction, snap.detail.logicMode, snap.detail.reason?.code], [1, null, 3, 2]);
      assert.strictEqual(snap.detail.cableEncodingA, null);
      assert.deepStrictEqual((await client.resume()).wrote, ['trx=0', 'frc=0']);
      assert.strictEqual(await charges(emu, client), true);
    });

    it('every status answered 400 (PRO 60.3) and the 60.0–60.2 card keys: the client still reads acs/trx and says why not', async () => {
      const emu = await emulator({ profile: 'v2-060', acs: 1, startDelayMs: 0 });
      emu.faults.status400 = true;
      emu.faults.cardsSplit = true;
      emu.plugIn({ needWh: 50_000 });
      const client = local(emu);
      assert.strictEqual(client.api, null);
      await refused(client.resume());
      assert.strictEqual(client.api, 'v2');
      assert.strictEqual(await charges(emu, client), false);
      assert.strictEqual((await client.getSnapshot()).status.reason, 'waiting_for_authorisation');
    });

    it('a firmware whose status lacks trx: modelStatus 2 alone tells that the session waits', async () => {
      const emu = await emulator({ profile: 'v2-055', acs: 1, startDelayMs: 0 });
      emu.plugIn();
      const client = new GoeClient({ kind: 'local', host: emu.url, api: 'v2' }, {
        clock: emu.clock,
        minGapMs: 0,
        transport: async (req) => {
          const res = await nodeFetchTransport(req);
          if (!req.url.includes('/api/status')) return res;
          const body = JSON.parse(res.text) as Record<string, unknown>;
          delete body.trx;
          return { ...res, text: JSON.stringify(body) };
        },
      });
      assert.strictEqual((await client.getSnapshot()).detail.waitingForAuthorisation, true);
      await refused(client.resume());
    });
  });
});
