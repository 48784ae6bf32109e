import assert from 'assert';
import { goeDevicesFromDiscovery, goeFromDiscovery } from '../../../lib/goe/discovery';

describe('lib/goe/discovery', () => {
  it('maps an _http._tcp announcement with go-e TXT records', () => {
    const entry = goeFromDiscovery({
      id: '012345', address: '192.168.1.40', port: 80, name: 'go-echarger_012345',
      txt: { manufacturer: 'go-e', serial: '012345', friendly_name: 'Garage', protocol: '2', devicetype: 'go-eCharger_V4' },
    });
    assert.deepStrictEqual(entry, {
      name: 'Garage', data: { id: '012345' }, store: { serial: '012345' }, settings: { host: '192.168.1.40', api: 'v2' },
    });
  });

  it('maps the legacy _go-e_go-eCharger._tcp service by its instance name, keeps odd ports and v1', () => {
    const entry = goeFromDiscovery({ id: 'go-echarger_4711', address: '10.0.0.9', port: 8080, name: 'go-echarger_4711', txt: { protocol: '1' } });
    assert.strictEqual(entry?.data.id, '004711');
    assert.strictEqual(entry?.settings.host, '10.0.0.9:8080');
    assert.strictEqual(entry?.settings.api, 'v1');
    assert.strictEqual(entry?.name, 'go-eCharger 004711');
  });

  it('drops other _http._tcp services, results without a serial or address, duplicates and known chargers', () => {
    const list = goeDevicesFromDiscovery(
      [
        { id: 'printer', address: '192.168.1.5', name: 'Office printer', txt: { manufacturer: 'HP' } },
        { id: 'x', address: '192.168.1.6', name: 'go-echarger', txt: { manufacturer: 'go-e' } },
        { id: '000001', name: 'go-echarger_000001', txt: { manufacturer: 'go-e', serial: '000001' } },
        { id: '000002', address: '192.168.1.7', txt: { manufacturer: 'go-e', serial: '000002' } },
        { id: 'go-echarger_000002', address: '192.168.1.7', name: 'go-echarger_000002' },
        { id: '000003', address: '192.168.1.8', txt: { Manufacturer: 'go-e', Serial: '000003' } },
      ],
      ['000003'],
    );
    assert.deepStrictEqual(list.map((e) => e.data.id), ['000002']);
  });
});
