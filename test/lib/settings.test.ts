import assert from 'assert';
import { defaultAppSettings, followedHomeWizardHost, type MeterSettings } from '../../lib/settings';

/** The meter settings after picking the P1 3c39e7aabbcc at 192.168.1.20 on the settings page. */
const picked = (over: Partial<MeterSettings> = {}): MeterSettings => ({ source: 'homewizard', host: '192.168.1.20', deviceId: null, serial: '3c39e7aabbcc', ...over });

/** A discovery result as Homey reports it (DiscoveryResultMDNSSD). */
const record = (address: string | undefined, txt: Record<string, string> = {}, port: unknown = 80): Record<string, unknown> => ({
  id: txt.serial ?? '3c39e7aabbcc',
  address,
  port,
  host: 'p1meter-aabbcc.local',
  name: 'p1meter-aabbcc',
  txt: { api_enabled: '1', path: '/api/v1', serial: '3c39e7aabbcc', product_name: 'P1 meter', product_type: 'HWE-P1', ...txt },
});

describe('lib/settings', () => {
  it('defaults to no meter serial', () => {
    assert.deepStrictEqual(defaultAppSettings().meter, { source: 'flow', deviceId: null, host: null, serial: null });
  });

  describe('followedHomeWizardHost', () => {
    it('follows the picked meter to the address discovery now reports for its serial', () => {
      assert.strictEqual(followedHomeWizardHost(picked(), [record('192.168.1.44')]), '192.168.1.44');
      // Among other HomeWizard devices, serial and product type in another case (Homey lowercases TXT values).
      const others = [record('192.168.1.31', { serial: '3c39e7000001', product_type: 'HWE-SKT' }), record('192.168.1.32', { serial: '3c39e7000002' })];
      assert.strictEqual(followedHomeWizardHost(picked(), [...others, record('192.168.1.45', { serial: '3C39E7AABBCC', product_type: 'hwe-p1' })]), '192.168.1.45');
      // A 3-phase kWh meter picked as the grid meter is followed the same way; an IPv6 address comes bracketed.
      assert.strictEqual(followedHomeWizardHost(picked(), [record('fd00::44', { product_type: 'HWE-KWH3' })]), '[fd00::44]');
    });

    it('leaves the settings alone while the meter is still at the saved host', () => {
      assert.strictEqual(followedHomeWizardHost(picked(), [record('192.168.1.20')]), null);
      assert.strictEqual(followedHomeWizardHost(picked({ host: 'P1METER-AABBCC.local' }), [record(undefined)]), null, 'host compared case-insensitively');
      assert.strictEqual(followedHomeWizardHost(picked(), []), null, 'not found (yet): keep what was saved');
    });

    it('never moves a host typed by hand, nor one for another source', () => {
      assert.strictEqual(followedHomeWizardHost(picked({ serial: null }), [record('192.168.1.44')]), null);
      assert.strictEqual(followedHomeWizardHost(picked({ source: 'flow' }), [record('192.168.1.44')]), null);
      assert.strictEqual(followedHomeWizardHost(picked({ source: 'homey-device', deviceId: 'dev-1' }), [record('192.168.1.44')]), null);
    });

    it('ignores other serials, devices that are no grid meter and records without a usable address', () => {
      assert.strictEqual(followedHomeWizardHost(picked(), [record('192.168.1.44', { serial: '3c39e7ddeeff' })]), null);
      assert.strictEqual(followedHomeWizardHost(picked(), [record('192.168.1.44', { product_type: 'HWE-SKT' })]), null);
      assert.strictEqual(followedHomeWizardHost(picked(), [{ ...record(undefined), host: 'bad host name' }, null, 'x', { txt: 'serial=3c39e7aabbcc' }]), null);
    });

    it('follows to an address with a port, which the host setting holds like any other', () => {
      assert.strictEqual(followedHomeWizardHost(picked(), [record('192.168.1.44', {}, 8080)]), '192.168.1.44:8080');
      assert.strictEqual(followedHomeWizardHost(picked(), [record('fd00::44', {}, 8080)]), '[fd00::44]:8080');
    });

    it('does not guess when the serial is announced at two addresses', () => {
      assert.strictEqual(followedHomeWizardHost(picked(), [record('192.168.1.44'), record('192.168.1.45')]), null);
      assert.strictEqual(followedHomeWizardHost(picked(), [record('192.168.1.44'), record('192.168.1.20')]), null);
      assert.strictEqual(followedHomeWizardHost(picked(), [record('192.168.1.44'), record('192.168.1.44', {}, '80')]), '192.168.1.44');
    });
  });
});
