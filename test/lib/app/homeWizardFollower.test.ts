/**
 * Reading the `_homewizard._tcp` records HomeWizard firmware 6 announces for API v2 (TXT serial, product_type,
 * api_version, id = "appliance/<product_type>/<serial>", port 443) and choosing the address a paired v2 meter moved
 * to. The app-level following (stand-in, v2 emulator) is in test/app.homewizardV2Follow.test.ts.
 */
import assert from 'assert';
import { followedV2Host, readV2Record } from '../../../lib/app/homeWizardFollower';
import type { MeterSettings } from '../../../lib/settings';

const SERIAL = '5c2fafaabbcc';
const TXT = { api_version: '2.0.0', id: `appliance/p1dongle/${SERIAL}`, serial: SERIAL, product_name: 'P1 meter', product_type: 'HWE-P1' };
const rec = (address: unknown, port: unknown = 443, txt: Record<string, unknown> = TXT) => ({ address, port, txt, name: 'p1meter-AABBCC' });
const paired = (over: Partial<MeterSettings> = {}): MeterSettings => ({
  source: 'homewizard-v2', host: '192.168.1.30', deviceId: null, serial: SERIAL, token: 'A'.repeat(32), certFingerprint: Array(32).fill('AB').join(':'), ...over,
});

describe('HomeWizard API v2 discovery records', () => {
  it('reads host (port only when not 443), serial and product type', () => {
    assert.deepStrictEqual(readV2Record(rec('192.168.1.31')), { serial: SERIAL, host: '192.168.1.31', productType: 'HWE-P1', gridMeter: true });
    assert.strictEqual(readV2Record(rec('192.168.1.31', 8443))?.host, '192.168.1.31:8443');
    assert.strictEqual(readV2Record(rec('fd00::31'))?.host, '[fd00::31]');
    assert.strictEqual(readV2Record(rec('192.168.1.31', 'x'))?.host, '192.168.1.31');
    // Homey lowercases TXT values: the product type is matched case-insensitively
    assert.deepStrictEqual(readV2Record(rec('192.168.1.31', 443, { ...TXT, product_type: 'hwe-p1' }))?.productType, 'HWE-P1');
    assert.deepStrictEqual(readV2Record(rec('192.168.1.32', 443, { ...TXT, product_type: 'HWE-SKT' }))?.gridMeter, false);
  });

  it('takes serial and product type from the id when TXT has none; leaves out what it cannot use', () => {
    const { serial: _s, product_type: _t, ...idOnly } = TXT;
    assert.deepStrictEqual(readV2Record(rec('192.168.1.31', 443, idOnly)), { serial: SERIAL, host: '192.168.1.31', productType: 'p1dongle', gridMeter: false });
    assert.deepStrictEqual(readV2Record(rec('192.168.1.31', 443, { ...idOnly, product_type: 'HWE-P1' }))?.serial, SERIAL);
    assert.strictEqual(readV2Record(rec('192.168.1.31', 443, { ...TXT, serial: 5 }))?.serial, SERIAL, 'a serial that is no text: the one in the id');
    const unusable = [null, 'x', rec(undefined), rec(''), rec('bad host name'), rec('192.168.1.31', 443, {}),
      rec('192.168.1.31', 443, { ...TXT, serial: 'a b<c>' }), rec('192.168.1.31', 443, { ...TXT, product_type: 'x'.repeat(65) })];
    for (const bad of unusable) assert.strictEqual(readV2Record(bad), null, JSON.stringify(bad));
  });

  it('follows the paired meter by its serial to exactly one other address, never for another source or serial', () => {
    assert.strictEqual(followedV2Host(paired(), [rec('192.168.1.31')]), '192.168.1.31');
    assert.strictEqual(followedV2Host(paired({ serial: SERIAL.toUpperCase() }), [rec('192.168.1.31')]), '192.168.1.31');
    assert.strictEqual(followedV2Host(paired(), [rec('192.168.1.30')]), null, 'already there');
    assert.strictEqual(followedV2Host(paired(), [rec('192.168.1.31'), rec('192.168.1.32')]), null, 'seen at two addresses: ambiguous');
    assert.strictEqual(followedV2Host(paired(), [rec('192.168.1.31', 443, { ...TXT, serial: '5c2fafddeeff' })]), null);
    assert.strictEqual(followedV2Host(paired(), [rec('192.168.1.31', 443, { ...TXT, product_type: 'HWE-SKT' })]), null, 'not a grid meter');
    assert.strictEqual(followedV2Host(paired({ serial: null }), [rec('192.168.1.31')]), null);
    assert.strictEqual(followedV2Host(paired({ source: 'homewizard' }), [rec('192.168.1.31')]), null);
    assert.strictEqual(followedV2Host(paired(), []), null);
    assert.strictEqual(followedV2Host(paired({ host: '[fd00::30]' }), [rec('fd00::31')]), '[fd00::31]');
    assert.strictEqual(followedV2Host(paired({ host: '192.168.1.30:8443' }), [rec('192.168.1.31')]), '192.168.1.31');
    assert.strictEqual(followedV2Host(paired({ host: 'p1meter-aabbcc.local' }), [rec('192.168.1.31')]), null, 'a host name is kept as typed');
  });
});
