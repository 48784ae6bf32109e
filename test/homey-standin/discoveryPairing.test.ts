import assert from 'assert';
import Homey from 'homey';
import type { MdnsAnnouncement } from './discovery';
import { addDevice, createHomey, startDriver, startPairSession, startRepairSession, teardown } from './harness';
import type { StandinHomey } from './homey';
import { useStandinApp, XDevice, XDriver } from './standinApp';

describe('homey stand-in', () => {
  let root: string;
  let homey: StandinHomey;
  const setup = useStandinApp((ctx) => ({ root, homey } = ctx));

  describe('discovery', () => {
    const lamp = (over: Partial<MdnsAnnouncement> = {}): MdnsAnnouncement => ({
      service: '_lamp._tcp', name: 'lamp-1', address: '192.168.1.30', port: 80, txt: { ID: 'L1', Vendor: 'acme' }, ...over,
    });

    it('gives the declared strategies, the driver its own, and throws for an undeclared id', async () => {
      const strategy = homey.discovery.getStrategy('lamp');
      assert.strictEqual(strategy.type, 'mdns-sd');
      assert.strictEqual(homey.discovery.getStrategy('lamp'), strategy, 'the same object every time');
      assert.deepStrictEqual(strategy.getDiscoveryResults(), {});
      assert.throws(() => homey.discovery.getStrategy('hwenergy'), /no discovery strategy "hwenergy"/);
      const { driver } = await setup();
      assert.strictEqual(driver.getDiscoveryStrategy(), strategy);
      class Plain extends Homey.Driver {}
      const plain = await startDriver(Plain, XDevice, { homey, id: 'plain' });
      assert.throws(() => plain.getDiscoveryStrategy(), /declares no "discovery"/);
    });

    it('records announcements of its service that pass the conditions, with lowercased TXT keys and the id template', () => {
      const strategy = homey.discovery.getStrategy('lamp');
      const seen: string[] = [];
      strategy.on('result', (r: { id: string }) => seen.push(r.id));
      assert.deepStrictEqual(homey.discovery.announceMdns(lamp()), ['any_lamp', 'lamp']);
      const r = strategy.getDiscoveryResult('L1');
      assert.deepStrictEqual({ ...r.txt }, { id: 'L1', vendor: 'acme' });
      assert.deepStrictEqual([r.address, r.port, r.name, r.host, r.fullname], ['192.168.1.30', 80, 'lamp-1', 'lamp-1.local', 'lamp-1._lamp._tcp.local']);
      assert.ok(r.lastSeen instanceof Date);
      // Without an id template the instance name is the id.
      assert.deepStrictEqual(Object.keys(homey.discovery.getStrategy('any_lamp').getDiscoveryResults()), ['lamp-1']);
      // Second condition list (regex on the name) instead of the vendor.
      homey.discovery.announceMdns(lamp({ name: 'acme-2', txt: { id: 'L2', vendor: 'other' } }));
      // Neither condition list, another service, no id: not recorded here.
      assert.deepStrictEqual(homey.discovery.announceMdns(lamp({ name: 'x-3', txt: { id: 'L3', vendor: 'other' } })), ['any_lamp']);
      assert.deepStrictEqual(homey.discovery.announceMdns(lamp({ service: '_http._tcp', txt: { id: 'L4', vendor: 'acme' } })), []);
      assert.deepStrictEqual(homey.discovery.announceMdns(lamp({ txt: { vendor: 'acme' } })), ['any_lamp']);
      assert.deepStrictEqual(Object.keys(strategy.getDiscoveryResults()), ['L1', 'L2']);
      assert.deepStrictEqual(seen, ['L1', 'L2']);
      assert.throws(() => strategy.getDiscoveryResult('L3'), /no result "L3"/);
    });

    it('updates a result seen again (addressChanged, lastSeenChanged, no new result event) and removes it', () => {
      const strategy = homey.discovery.getStrategy('lamp');
      homey.discovery.announceMdns(lamp());
      const r = strategy.getDiscoveryResult('L1');
      const events: string[] = [];
      strategy.on('result', () => events.push('result'));
      r.on('addressChanged', (x: { address: string }) => events.push(`address ${x.address}`));
      r.on('lastSeenChanged', () => events.push('lastSeen'));
      homey.discovery.announceMdns(lamp());
      homey.discovery.announceMdns(lamp({ address: '192.168.1.31' }));
      assert.deepStrictEqual(events, ['lastSeen', 'address 192.168.1.31', 'lastSeen']);
      assert.strictEqual(strategy.getDiscoveryResult('L1'), r);
      assert.strictEqual(r.address, '192.168.1.31');
      homey.discovery.removeResult('lamp', 'L1');
      assert.deepStrictEqual(strategy.getDiscoveryResults(), {});
      assert.throws(() => homey.discovery.removeResult('lamp', 'L1'), /no result "L1"/);
    });

    it('reads the real app\'s strategies', () => {
      const real = createHomey();
      try {
        assert.deepStrictEqual(Object.keys(real.appManifest.discovery()).sort(), ['goe_http', 'goe_legacy', 'homewizard_energy', 'homewizard_v2']);
        const ids = real.discovery.announceMdns({ service: '_hwenergy._tcp', name: 'p1meter-aabbcc', address: '192.168.1.20', port: 80, txt: { serial: '3c39e7aabbcc', product_type: 'HWE-P1' } });
        assert.deepStrictEqual(ids, ['homewizard_energy']);
        assert.deepStrictEqual(Object.keys(real.discovery.getStrategy('homewizard_energy').getDiscoveryResults()), ['3c39e7aabbcc']);
      } finally {
        real.clearAllTimers();
      }
    });
  });

  describe('pairing', () => {
    it('calls pair handlers, lists devices and adds one', async () => {
      const driver = await startDriver(XDriver, XDevice, { homey, id: 'x' });
      const session = startPairSession(driver);
      await assert.rejects(session.call('login', { username: 'me', password: 'wrong' }), /Wrong password/);
      assert.strictEqual(await session.call('login', { username: 'me', password: 'right' }), true);
      const list = await session.call('list_devices');
      const device = await session.addDevice<XDevice>(list[0]);
      assert.strictEqual(device.getStoreValue('token'), 't');
      assert.strictEqual(driver.getDevice({ id: 'g1' }) as unknown, device);
      await assert.rejects(session.addDevice(list[0]), /already exists/);
      await assert.rejects(session.call('nope'), /no handler for "nope"/);
      session.respondTo('ask', (data) => `answer to ${data}`);
      assert.strictEqual(await session.emit('ask', 'q'), 'answer to q');
      assert.deepStrictEqual(session.emitted, [{ event: 'ask', data: 'q' }]);
      let disconnected = false;
      session.setHandler('disconnect', async () => { disconnected = true; });
      await session.close();
      assert.ok(disconnected);
      await assert.rejects(session.call('list_devices'), /after the session was closed/);
    });

    it('refuses a session whose custom view has no file (the repair view here; homey app validate misses those)', async () => {
      const driver = await startDriver(Homey.Driver, Homey.Device, { homey, id: 'y' });
      assert.ok(startPairSession(driver));
      const device = await addDevice(driver, { name: 'Y', data: { id: 'y1' } });
      assert.throws(() => startRepairSession(driver, device), /the repair view drivers\/y\/repair\/key\.html is missing/);
    });

    it('falls back to onPairListDevices and runs repair sessions against the device', async () => {
      class ListDriver extends Homey.Driver {
        async onPairListDevices(): Promise<any[]> {
          return [{ name: 'A', data: { id: 'a' } }];
        }
      }
      const driver = await startDriver(ListDriver, XDevice, { homey, id: 'x' });
      assert.deepStrictEqual(await startPairSession(driver).call('list_devices'), [{ name: 'A', data: { id: 'a' } }]);
      const { driver: xd, device } = await (async () => {
        const h2 = createHomey({ appRoot: root });
        const d = await startDriver(XDriver, XDevice, { homey: h2, id: 'x' });
        const dev = await addDevice(d, { name: 'G', data: { id: 'g' } });
        return { driver: d, device: dev, h2 };
      })();
      const repair = startRepairSession(xd, device);
      assert.strictEqual(await repair.call('login', { password: 'new' }), true);
      assert.strictEqual(device.getStoreValue('password'), 'new');
      await teardown(xd.homey as any);
    });
  });
});
