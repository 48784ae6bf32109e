/**
 * The go-e device settings: a new host where another go-e answers (another serial) is refused with one line
 * naming the host field; the device keeps its address and never commands the other charger.
 */
import assert from 'assert';
import { userSaveSettings } from '../../homey-standin';
import { goeDriverRig } from './rig';

describe('drivers/goe settings: a host where another go-e answers is refused', () => {
  const rig = goeDriverRig();

  it('refuses the address of another charger, accepts its own charger at a new address', async () => {
    const mine = await rig.emulator({ serial: '111111', profile: 'v2-055' });
    const other = await rig.emulator({ serial: '222222', profile: 'v2-055' });
    const device = await rig.paired(mine);
    const otherHost = other.url.replace(/^http:\/\//, '');
    await assert.rejects(userSaveSettings(device, { host: other.url }), (err: unknown) =>
      err instanceof Error &&
      err.message === `Host: the charger at ${otherHost} is serial 222222, not this device's 111111; enter the address of charger 111111, or repair the device.`);
    assert.strictEqual(device.getSettings().host, mine.url);
    await device.setCurrentLimit(10);
    assert.ok(!other.requests.some((r) => r.path === '/api/set'), 'nothing written to the other charger');
    assert.ok(mine.requests.some((r) => r.path === '/api/set' && r.query.amp === '10'));

    const moved = await rig.emulator({ serial: '111111', profile: 'v2-055' });
    await userSaveSettings(device, { host: moved.url });
    assert.strictEqual(device.getSettings().host, moved.url);
  });
});
