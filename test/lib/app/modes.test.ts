import assert from 'assert';
import { CHARGING_MODES, type ChargingMode } from '../../../lib/limits';
import {
  CHARGING_MODE_IDS, chargingModeFromId, chargingModeId, ModeStore, type ModeChangedBy, type ModeHolder,
} from '../../../lib/app/modes';

/** A holder like a device's store: it keeps what it is told and records each change. */
function holder(saved: unknown = undefined): ModeHolder & { saved: unknown; changes: string[] } {
  return {
    saved,
    changes: [],
    savedMode() {
      return this.saved;
    },
    async modeChanged(mode: ChargingMode, previous: ChargingMode, by: ModeChangedBy) {
      this.saved = mode;
      this.changes.push(`${previous}->${mode} by ${by}`);
    },
  };
}

describe('lib/app/modes', () => {
  it('the enum ids: one per mode, valid Homey ids (no "+"), and back again; the app\'s own spelling is accepted too', () => {
    for (const mode of CHARGING_MODES) {
      assert.match(chargingModeId(mode), /^[a-z_]+$/);
      assert.strictEqual(chargingModeFromId(chargingModeId(mode)), mode);
      assert.strictEqual(chargingModeFromId(mode), mode);
    }
    assert.strictEqual(new Set(Object.values(CHARGING_MODE_IDS)).size, CHARGING_MODES.length);
    assert.strictEqual(chargingModeId('min+solar'), 'min_solar');
    for (const bad of ['', 'Fast', 'eco', null, undefined, 3, {}]) assert.strictEqual(chargingModeFromId(bad), null, String(bad));
  });

  it('a charger never set is in fast; attaching takes the saved mode (a broken saved value is fast)', () => {
    const modes = new ModeStore();
    assert.strictEqual(modes.modeOf('a'), 'fast');
    assert.strictEqual(modes.attach('a', holder('min_solar')), 'min+solar');
    assert.strictEqual(modes.attach('b', holder('solar')), 'solar');
    assert.strictEqual(modes.attach('c', holder('turbo')), 'fast');
    assert.strictEqual(modes.attach('d', holder(undefined)), 'fast');
    assert.deepStrictEqual(modes.all(), { a: 'min+solar', b: 'solar', c: 'fast', d: 'fast' });
  });

  it('setMode saves through the holder before modeChanged (id, mode, previous, by); the same mode again is no change', async () => {
    const modes = new ModeStore();
    const h = holder('fast');
    modes.attach('a', h);
    const events: unknown[][] = [];
    modes.on('modeChanged', (...args: unknown[]) => events.push([...args, h.saved]));
    assert.deepStrictEqual(await modes.setMode('a', 'solar', 'user'), { chargerId: 'a', mode: 'solar', previous: 'fast', by: 'user' });
    assert.strictEqual(await modes.setMode('a', 'solar', 'flow'), null);
    await modes.setMode('a', 'off', 'flow');
    assert.deepStrictEqual(h.changes, ['fast->solar by user', 'solar->off by flow']);
    assert.deepStrictEqual(events, [['a', 'solar', 'fast', 'user', 'solar'], ['a', 'off', 'solar', 'flow', 'off']]);
    assert.strictEqual(modes.modeOf('a'), 'off');
  });

  it('a restart: the device instance detaches, the mode stays, the next instance reads the same saved mode', async () => {
    const modes = new ModeStore();
    const first = holder();
    modes.attach('a', first);
    await modes.setMode('a', 'min+solar', 'user');
    modes.detach('a', first);
    assert.strictEqual(modes.modeOf('a'), 'min+solar');
    const second = holder(first.saved);
    modes.attach('a', second);
    modes.detach('a', first); // the old instance going late does not detach the new one
    await modes.setMode('a', 'fast', 'flow');
    assert.deepStrictEqual(second.changes, ['min+solar->fast by flow']);
    assert.deepStrictEqual(first.changes, ['fast->min+solar by user']);
  });

  it('forget (device deleted): back to fast; a mode for a charger without a holder is kept here only', async () => {
    const modes = new ModeStore();
    modes.attach('a', holder('off'));
    modes.forget('a');
    assert.strictEqual(modes.modeOf('a'), 'fast');
    await modes.setMode('x', 'planned', 'app');
    assert.strictEqual(modes.modeOf('x'), 'planned');
  });

  it('refuses what is not a mode with one line naming the modes', async () => {
    const modes = new ModeStore();
    await assert.rejects(modes.setMode('a', 'turbo' as ChargingMode, 'flow'), /charging mode must be one of: fast, min\+solar, solar, off, planned \(got "turbo"\)/);
    assert.strictEqual(modes.modeOf('a'), 'fast');
  });
});
