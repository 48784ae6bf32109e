import assert from 'assert';
import { defaultAppSettings } from '../../lib/settings';
import { METER_SIGNS, validateAppSettings } from '../../lib/settingsValidation';

describe('lib/settingsValidation: the meter\'s current sign (solar surplus)', () => {
  it('auto by default; auto, signed and unsigned are kept', () => {
    assert.strictEqual(defaultAppSettings().meterSign, 'auto');
    for (const sign of METER_SIGNS) {
      const r = validateAppSettings({ ...defaultAppSettings(), meterSign: sign }, []);
      assert.ok(r.ok);
      assert.strictEqual(r.value.meterSign, sign);
    }
  });

  it('settings saved before it existed stay valid (absent means auto)', () => {
    const { meterSign: _dropped, ...old } = defaultAppSettings();
    const r = validateAppSettings(old, []);
    assert.ok(r.ok);
    assert.strictEqual(r.value.meterSign ?? 'auto', 'auto');
  });

  it('anything else: one line for the field, naming the three choices', () => {
    for (const bad of ['negative', 'Signed', true, 1]) {
      const r = validateAppSettings({ ...defaultAppSettings(), meterSign: bad }, []);
      assert.ok(!r.ok, String(bad));
      assert.deepStrictEqual(Object.keys(r.errors), ['meterSign']);
      assert.match(r.errors.meterSign, /auto .*signed .*unsigned/);
    }
  });
});
