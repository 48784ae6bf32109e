/**
 * A go-e device follows one charger, by serial: when another go-e answers at its address (DHCP gave the IP to
 * another charger) every read and command fails with one line, and nothing is written to the other charger.
 */
import assert from 'assert';
import { ManualClock } from '../../../lib/clock';
import { GoeCharger } from '../../../lib/goe/charger';
import { GoeClient, GoeOtherChargerError } from '../../../lib/goe/client';
import { HttpRequest, HttpResponse } from '../../../lib/http';
import { emulator, local, sets, stopEmulators } from './harness';

describe('lib/goe charger: only the paired charger is read and commanded', () => {
  afterEach(() => stopEmulators());

  it('paired to 111111, another go-e (222222) at the address: reads and commands fail, nothing is written', async () => {
    const other = await emulator({ serial: '222222', profile: 'v2-055' });
    const charger = new GoeCharger(local(other), '111111');
    const host = other.url.replace(/^http:\/\//, '');
    const wrong = (err: unknown): boolean =>
      err instanceof GoeOtherChargerError && err.message === `the charger at ${host} is serial 222222, not 111111; repair the device or fix the address`;
    await assert.rejects(charger.getStatus(), wrong);
    await assert.rejects(charger.setCurrentLimit(10), wrong);
    await assert.rejects(charger.pause(), wrong);
    await assert.rejects(charger.resume(), wrong);
    assert.deepStrictEqual(sets(other), []);
    assert.strictEqual(charger.client.lastSnapshot, undefined);
    assert.strictEqual(charger.id, '111111');
  });

  it('a new connection (useClient) is held to the same serial', async () => {
    const mine = await emulator({ serial: '111111', profile: 'v2-055' });
    const other = await emulator({ serial: '222222', profile: 'v2-055' });
    const charger = new GoeCharger(local(mine), '111111');
    await charger.setCurrentLimit(10);
    charger.useClient(local(other));
    await assert.rejects(charger.pause(), GoeOtherChargerError);
    assert.deepStrictEqual(sets(mine), ['amp=10']);
    assert.deepStrictEqual(sets(other), []);
  });

  it('a serial learnt from the first status holds from then on', async () => {
    const mine = await emulator({ serial: '111111', profile: 'v1-042' });
    const other = await emulator({ serial: '222222', profile: 'v1-042' });
    const charger = new GoeCharger(local(mine));
    await charger.getStatus();
    assert.strictEqual(charger.id, '111111');
    charger.useClient(local(other));
    await assert.rejects(charger.setCurrentLimit(8), GoeOtherChargerError);
    assert.deepStrictEqual(sets(other), []);
  });

  it('leading zeros do not matter, and a status without a serial (older firmware) is accepted', async () => {
    const mine = await emulator({ serial: '012345', profile: 'v2-055' });
    const charger = new GoeCharger(local(mine), '12345');
    await charger.setCurrentLimit(9);
    assert.deepStrictEqual(sets(mine), ['amp=9']);

    const status = { fwv: '020-rc1', car: '2', amp: '16', alw: '1', err: '0', pha: '63', ama: '32', nrg: new Array(16).fill(0) };
    const transport = async (req: HttpRequest): Promise<HttpResponse> => {
      const payload = new URL(req.url).searchParams.get('payload');
      if (payload === 'alw=0') status.alw = '0';
      return { status: 200, headers: {}, text: JSON.stringify(status) };
    };
    const serialLess = new GoeCharger(new GoeClient({ kind: 'local', host: '192.168.1.20', api: 'v1' }, { transport, clock: new ManualClock(), minGapMs: 0 }), '111111');
    assert.strictEqual((await serialLess.getStatus()).currentLimitA, 16);
    await serialLess.pause();
    assert.strictEqual(serialLess.client.lastSnapshot?.status.chargingAllowed, false);
  });
});
