import assert from 'assert';
import fs from 'fs';
import http from 'http';
import type { AddressInfo } from 'net';
import path from 'path';
import { ManualClock } from '../../../lib/clock';
import type { MeterSample } from '../../../lib/balancer/types';
import type { HttpTransport } from '../../../lib/http';
import {
  HOMEWIZARD_POLL,
  HomeWizardP1Source,
  fetchHomeWizardInfo,
  homeWizardCurrents,
  homeWizardMetersFromDiscovery,
  readHomeWizardRecord,
  telegramFingerprint,
} from '../../../lib/meter/homewizard';
import { clampPollInterval } from '../../../lib/pollInterval';
import { HomeWizardEmulator, type CurrentTrace } from '../../../tools/emulators/homewizard';

const FIXTURES = path.join(__dirname, '..', '..', 'fixtures', 'meter', 'homewizard');
const fixture = (name: string): Record<string, unknown> => JSON.parse(fs.readFileSync(path.join(FIXTURES, name), 'utf8'));
/** assert.rejects/throws matcher on the message alone (the default also sees the class name). */
const msg = (re: RegExp) => (err: unknown): boolean => err instanceof Error && re.test(err.message);
const jsonTransport = (status: number, body: string): HttpTransport => async () => ({ status, headers: {}, text: body });

describe('meter/homewizard', () => {
  describe('real payloads (HomeWizard python-homewizard-energy fixtures)', () => {
    const files = fs.readdirSync(FIXTURES).filter((f) => f.endsWith('.json'));

    it('reads per-phase currents from every data/measurement fixture, null where a phase is absent', () => {
      const data = files.filter((f) => /_(data|measurement)_/.test(f));
      assert.ok(data.length >= 7, data.join());
      for (const f of data) {
        const body = fixture(f);
        const currents = homeWizardCurrents(body);
        for (let n = 1; n <= 3; n++) {
          const p = (body[`active_power_l${n}_w`] ?? body[`power_l${n}_w`]) as number | null | undefined;
          const i = (body[`active_current_l${n}_a`] ?? body[`current_l${n}_a`]) as number | null | undefined;
          const c = currents[n - 1];
          if (p == null && i == null) {
            assert.strictEqual(c, null, `${f} L${n}`);
            continue;
          }
          assert.ok(c !== null && Number.isFinite(c), `${f} L${n}`);
          if (p) assert.strictEqual(Math.sign(c), Math.sign(p), `${f} L${n} sign follows power`);
          if (i != null) assert.ok(Math.abs(c) >= Math.abs(i) - 1e-9, `${f} L${n} not below the reported current`);
        }
      }
      assert.deepStrictEqual(homeWizardCurrents(fixture('v1_api_v1_data_HWE-P1_fw2.11_3phase_full.json')).slice(0, 2), [-4, 2]);
      assert.deepStrictEqual(homeWizardCurrents(fixture('v1_api_v1_data_HWE-P1_1phase.json')).slice(1), [null, null]);
    });

    it('finds no meter values in the non-measurement fixtures', () => {
      for (const f of ['v2_api_batteries_HWE-P1_api2.3.0.json', 'v2_api_system_HWE-P1.json']) {
        assert.deepStrictEqual(homeWizardCurrents(fixture(f)), [null, null, null]);
      }
    });

    it('validates the device fixtures as P1 meters', async () => {
      for (const f of files.filter((x) => x.includes('_device_'))) {
        const text = fs.readFileSync(path.join(FIXTURES, f), 'utf8');
        const info = await fetchHomeWizardInfo('192.168.1.20', { http: jsonTransport(200, text) });
        assert.strictEqual(info.productType, 'HWE-P1');
        assert.strictEqual(info.serial, fixture(f).serial);
      }
    });

    it('ignores Wi-Fi fields when telling telegrams apart', () => {
      const a = fixture('v1_api_v1_data_HWE-P1_minimal.json');
      assert.strictEqual(telegramFingerprint(a), telegramFingerprint({ ...a, wifi_strength: 12 }));
      assert.notStrictEqual(telegramFingerprint(a), telegramFingerprint({ ...a, active_power_w: -542 }));
    });
  });

  describe('pairing helpers', () => {
    it('rejects devices that are not a HomeWizard P1 meter with one clear line', async () => {
      const cases: [HttpTransport, RegExp][] = [
        [jsonTransport(200, '<html>router login</html>'), /^10\.0\.0\.9 is not a HomeWizard P1 meter \(its \/api does not answer JSON\)$/],
        [jsonTransport(200, '{"name":"something"}'), /not a HomeWizard P1 meter \(no product_type/],
        [jsonTransport(200, '{"product_type":"HWE-SKT","product_name":"Energy Socket"}'), /^10\.0\.0\.9 is a HomeWizard Energy Socket \(HWE-SKT\), not a P1 meter$/],
        [jsonTransport(403, '{"error":{"id":202}}'), /enable "Local API"/],
        [jsonTransport(404, 'no'), /HTTP 404/],
      ];
      for (const [transport, re] of cases) await assert.rejects(fetchHomeWizardInfo('10.0.0.9', { http: transport }), msg(re));
    });

    it('takes the host the user typed through lib/host.ts, with the meter named in the message', async () => {
      const clock = new ManualClock();
      assert.strictEqual(new HomeWizardP1Source({ host: ' fd00::20 ', clock }).host, '[fd00::20]');
      assert.strictEqual(new HomeWizardP1Source({ host: '127.0.0.1:8080', clock }).host, '127.0.0.1:8080');
      assert.throws(() => new HomeWizardP1Source({ host: '', clock }), msg(/^meter\.host: enter the host name or IP address of the HomeWizard P1 meter/));
      assert.throws(() => new HomeWizardP1Source({ host: 'http://user:secret@p1.local/', clock }), (err: unknown) => {
        assert.ok(err instanceof Error && /^meter\.host: enter only the host name or IP address of the HomeWizard P1 meter, without "http:\/\/"/.test(err.message));
        assert.ok(!err.message.includes('secret') && !err.message.includes('user'), err.message);
        return true;
      });
      await assert.rejects(fetchHomeWizardInfo('my meter'), msg(/^meter\.host: "my meter" contains a space/));
    });

    it('clamps the poll interval to 500 ms and says so', () => {
      assert.deepStrictEqual(clampPollInterval(undefined, HOMEWIZARD_POLL), { intervalS: 1, warning: null });
      assert.deepStrictEqual(clampPollInterval(2, HOMEWIZARD_POLL), { intervalS: 2, warning: null });
      const c = clampPollInterval(0.1, HOMEWIZARD_POLL);
      assert.strictEqual(c.intervalS, 0.5);
      assert.match(c.warning!, /^poll interval 0.1 s is below the 0.5 s minimum for the HomeWizard P1 local API; using 0.5 s$/);
      assert.strictEqual(clampPollInterval(NaN, HOMEWIZARD_POLL).intervalS, 1, 'not a number: the default');
    });

    it('maps an mDNS _hwenergy._tcp record to a device description', () => {
      const txt = { api_enabled: '1', path: '/api/v1', serial: '3c39e7aabbcc', product_name: 'P1 meter', product_type: 'HWE-P1' };
      assert.deepStrictEqual(readHomeWizardRecord({ name: 'p1meter-aabbcc', address: '192.168.1.20', port: 80, txt }), {
        id: '3c39e7aabbcc',
        serial: '3c39e7aabbcc',
        name: 'P1 Meter (aabbcc)',
        host: '192.168.1.20',
        productType: 'HWE-P1',
        apiEnabled: true,
        isP1: true,
        gridMeter: true,
      });
      assert.strictEqual(readHomeWizardRecord({ address: '192.168.1.21', txt: { ...txt, api_enabled: '0' } })!.apiEnabled, false);
      assert.strictEqual(readHomeWizardRecord({ address: 'fe80::1', port: 8080, txt })!.host, '[fe80::1]:8080');
      assert.strictEqual(readHomeWizardRecord({ address: '192.168.1.22', txt: { ...txt, product_type: 'HWE-SKT' } })!.gridMeter, false);
      assert.strictEqual(readHomeWizardRecord({ txt }), null);
      const kwh = readHomeWizardRecord({ address: '192.168.1.23', txt: { ...txt, product_type: 'HWE-KWH3', serial: '5c2faf001122' } })!;
      assert.deepStrictEqual([kwh.isP1, kwh.gridMeter, kwh.name], [false, true, 'kWh meter (3-phase) (001122)']);
    });

    it('reads lowercased or odd TXT records and refuses unusable ones', () => {
      // Homey documents "lowercased" TXT values; keys may come in any case too.
      const lower = readHomeWizardRecord({ address: '192.168.1.20', port: '80', txt: { PRODUCT_TYPE: 'hwe-p1', Serial: '3C39E7AABBCC', API_ENABLED: 'TRUE' } })!;
      assert.deepStrictEqual([lower.productType, lower.isP1, lower.serial, lower.apiEnabled, lower.host], ['HWE-P1', true, '3C39E7AABBCC', true, '192.168.1.20']);
      const p1 = { product_type: 'HWE-P1' };
      // No serial or a garbage one: still usable through its address, named after the product alone.
      for (const serial of [undefined, '', '<script>', 42, 'x'.repeat(65)]) {
        const d = readHomeWizardRecord({ address: '10.0.0.7', txt: { ...p1, serial } })!;
        assert.deepStrictEqual([d.id, d.serial, d.name], ['10.0.0.7', null, 'P1 Meter'], String(serial));
      }
      // api_enabled missing or garbage: unknown, not "off".
      for (const api_enabled of [undefined, 'yes', '2', 1]) {
        assert.strictEqual(readHomeWizardRecord({ address: '10.0.0.7', txt: { ...p1, api_enabled } })!.apiEnabled, null, String(api_enabled));
      }
      // A bad port is ignored; without an address the host name is used.
      assert.strictEqual(readHomeWizardRecord({ address: '10.0.0.7', port: 'http', txt: p1 })!.host, '10.0.0.7');
      assert.strictEqual(readHomeWizardRecord({ address: '10.0.0.7', port: 70000, txt: p1 })!.host, '10.0.0.7');
      assert.strictEqual(readHomeWizardRecord({ host: 'p1meter-aabbcc.local', txt: p1 })!.host, 'p1meter-aabbcc.local');
      // Unusable: no product type, no usable address, not an object.
      const unusable: unknown[] = [
        { address: '10.0.0.7', txt: { serial: 'aa' } }, { address: '10.0.0.7', txt: { product_type: '' } },
        { address: '10.0.0.7', txt: { product_type: ['HWE-P1'] } }, { address: '10.0.0.7', txt: 'product_type=HWE-P1' },
        { address: 'not an address', txt: p1 }, { address: 17, txt: p1 }, { txt: p1 }, null, 'HWE-P1', [],
      ];
      for (const rec of unusable) assert.strictEqual(readHomeWizardRecord(rec), null, JSON.stringify(rec));
      // Other HomeWizard products are read (to be counted) but are no grid meter.
      const socket = readHomeWizardRecord({ address: '10.0.0.8', txt: { product_type: 'HWE-SKT', product_name: 'Energy Socket', serial: '3c39e7000001' } })!;
      assert.deepStrictEqual([socket.gridMeter, socket.isP1, socket.name], [false, false, 'Energy Socket (000001)']);
    });

    it('lists grid meters from discovery results: P1 first, one per serial, others only counted', () => {
      const rec = (address: string, product_type: string, serial: string) => ({ address, port: 80, txt: { product_type, serial, api_enabled: '1' } });
      const { meters, otherDevices } = homeWizardMetersFromDiscovery([
        rec('10.0.0.3', 'HWE-KWH3', '5c2faf000003'),
        rec('10.0.0.2', 'HWE-P1', '3c39e7000002'),
        rec('10.0.0.1', 'HWE-P1', '3c39e7000001'),
        rec('10.0.0.9', 'HWE-P1', '3c39e7000001'),
        rec('10.0.0.4', 'HWE-SKT', '3c39e7000004'),
        rec('10.0.0.5', 'HWE-WTR', '3c39e7000005'),
        rec('10.0.0.5', 'HWE-WTR', '3c39e7000005'),
        { address: '10.0.0.6', txt: {} },
      ]);
      assert.deepStrictEqual(meters.map((m) => [m.host, m.productType]), [['10.0.0.1', 'HWE-P1'], ['10.0.0.2', 'HWE-P1'], ['10.0.0.3', 'HWE-KWH3']]);
      assert.strictEqual(otherDevices, 2);
      assert.deepStrictEqual(homeWizardMetersFromDiscovery([]), { meters: [], otherDevices: 0 });
    });
  });

  describe('client against the emulator', () => {
    let emulator: HomeWizardEmulator;
    let source: HomeWizardP1Source | undefined;
    let clock: ManualClock;
    let samples: MeterSample[];

    // House load that changes every second: 10..14 A on L1, 3 A on L2, −6.5 A (export) on L3.
    const threePhase: CurrentTrace = (t) => [10 + ((t / 1000) % 5), 3, -6.5];

    async function setup(trace: CurrentTrace, opts: { telegramIntervalMs?: number; pollIntervalMs?: number; timeoutMs?: number; productType?: string; productName?: string } = {}) {
      clock = new ManualClock(Date.UTC(2025, 0, 1, 12));
      emulator = new HomeWizardEmulator({ clock, trace, ...opts });
      const host = await emulator.start();
      source = new HomeWizardP1Source({ host, clock, pollIntervalMs: opts.pollIntervalMs, timeoutMs: opts.timeoutMs });
      samples = [];
      source.onSample((s) => samples.push(s));
      return host;
    }

    /** Advance the clock and wait for the poll it triggered (real loopback I/O). */
    async function step(ms: number): Promise<void> {
      await clock.advance(ms);
      await source!.idle();
    }

    afterEach(async () => {
      await source?.stop();
      await emulator?.stop();
      source = undefined;
    });

    it('emits one sample per new telegram (1 s DSMR 5) and skips repeated payloads', async () => {
      await setup(threePhase, { pollIntervalMs: 500 });
      await source!.start();
      await source!.idle();
      for (let i = 0; i < 6; i++) await step(500);
      assert.strictEqual(emulator.requests['/api/v1/data'], 7);
      assert.deepStrictEqual(source!.counters, { polls: 7, telegrams: 4, unchanged: 3, failures: 0 });
      assert.strictEqual(samples.length, 4);
      assert.deepStrictEqual(samples.map((s) => s.seq), [1, 2, 3, 4]);
      // Whole amps from the meter, refined by P/U: the trace comes back to within rounding of the watt.
      samples.forEach((s, k) => {
        const want = threePhase(clock.nowMs() - 3000 + k * 1000);
        s.currentsA.forEach((a, p) => assert.ok(Math.abs(a! - want[p]!) < 0.01, `sample ${k} L${p + 1}: ${a} vs ${want[p]}`));
      });
      assert.strictEqual(source!.status().error, null);
      assert.deepStrictEqual(source!.status().perPhaseAgeS, [0, 0, 0]);
    });

    it('follows a DSMR 4 meter (a telegram every 10 s)', async () => {
      await setup(threePhase, { telegramIntervalMs: 10_000, pollIntervalMs: 1000 });
      await source!.start();
      await source!.idle();
      for (let i = 0; i < 25; i++) await step(1000);
      assert.strictEqual(source!.counters.polls, 26);
      assert.strictEqual(samples.length, 3, 'telegrams at 0, 10 and 20 s');
      assert.strictEqual(emulator.data().smr_version, 42);
    });

    it('never polls faster than every 500 ms, even when asked to', async () => {
      await setup(threePhase, { pollIntervalMs: 50 });
      assert.strictEqual(source!.pollIntervalMs, 500);
      assert.match(source!.status().warning!, /below the 0.5 s minimum for the HomeWizard P1 local API/);
      await source!.start();
      await source!.idle();
      await step(499);
      assert.strictEqual(emulator.requests['/api/v1/data'], 1);
      await step(1);
      assert.strictEqual(emulator.requests['/api/v1/data'], 2);
    });

    it('reads a 1-phase meter: L2 and L3 stay null', async () => {
      await setup((t) => [-(t % 7000) / 1000 - 2, null, null]);
      assert.strictEqual(await source!.pollOnce(), true);
      const payload = emulator.data();
      assert.strictEqual(payload.active_power_l2_w, null);
      assert.strictEqual(payload.active_current_l3_a, null);
      assert.deepStrictEqual(samples[0].currentsA.slice(1), [null, null]);
      assert.ok(samples[0].currentsA[0]! < -2);
    });

    it('validates the emulated device during pairing', async () => {
      const host = await setup(threePhase);
      const info = await fetchHomeWizardInfo(host);
      assert.deepStrictEqual([info.productType, info.apiVersion], ['HWE-P1', 'v1']);
      await emulator.stop();
      const socket = await setup(threePhase, { productType: 'HWE-SKT', productName: 'Energy Socket' });
      await assert.rejects(fetchHomeWizardInfo(socket), msg(/is a HomeWizard Energy Socket \(HWE-SKT\), not a P1 meter$/));
    });

    it('reports 500, garbage, a switched-off API and a timeout, and recovers', async () => {
      await setup(threePhase, { timeoutMs: 150 });
      const errors: (string | null)[] = [];
      source!.onError((e) => errors.push(e));
      const faults: [Partial<typeof emulator.faults>, RegExp][] = [
        [{ status500: true }, /HTTP 500$/],
        [{ garbage: true }, /expected JSON, got "\{"wifi_ssid"/],
        [{ apiDisabled: true }, /enable "Local API"/],
        [{ slowMs: 600 }, /no answer within 150 ms$/],
      ];
      for (const [fault, re] of faults) {
        Object.assign(emulator.faults, { slowMs: 0, status500: false, garbage: false, apiDisabled: false }, fault);
        assert.strictEqual(await source!.pollOnce(), false);
        assert.match(source!.status().error!, re);
        assert.match(source!.status().error!, /^HomeWizard P1: (GET )?http:\/\/127\.0\.0\.1:\d+\/api\/v1\/data: /);
      }
      Object.assign(emulator.faults, { slowMs: 0 });
      assert.strictEqual(await source!.pollOnce(), true);
      assert.strictEqual(source!.status().error, null);
      assert.strictEqual(errors.length, 5);
      assert.strictEqual(errors.at(-1), null);
      assert.strictEqual(samples.length, 1);
    });

    it('stops producing samples when the dongle freezes, so the data ages', async () => {
      await setup(threePhase, { pollIntervalMs: 1000 });
      await source!.start();
      await source!.idle();
      await step(1000);
      assert.strictEqual(samples.length, 2);
      emulator.faults.frozen = true;
      for (let i = 0; i < 5; i++) await step(1000);
      assert.strictEqual(samples.length, 2);
      assert.deepStrictEqual(source!.status().perPhaseAgeS, [5, 5, 5]);
      assert.strictEqual(source!.status().error, null, 'a frozen payload is not an error by itself: staleness is');
      emulator.faults.frozen = false;
      await step(1000);
      assert.strictEqual(samples.length, 3);
    });

    it('says so when the host cannot be reached, and complains about a payload without phases', async () => {
      const clock2 = new ManualClock();
      const closed = await new Promise<number>((resolve) => {
        const srv = http.createServer();
        srv.listen(0, '127.0.0.1', () => {
          const port = (srv.address() as AddressInfo).port;
          srv.close(() => resolve(port));
        });
      });
      const unreachable = new HomeWizardP1Source({ host: `127.0.0.1:${closed}`, clock: clock2 });
      await unreachable.pollOnce();
      assert.match(unreachable.status().error!, /cannot connect \(ECONNREFUSED\)/);
      const empty = new HomeWizardP1Source({ host: '10.0.0.9', clock: clock2, http: jsonTransport(200, '{"wifi_ssid":"x","active_power_w":12}') });
      await empty.pollOnce();
      assert.match(empty.status().error!, /no per-phase power or current in the answer/);
      const notObject = new HomeWizardP1Source({ host: '10.0.0.9', clock: clock2, http: jsonTransport(200, '[1,2]') });
      await notObject.pollOnce();
      assert.match(notObject.status().error!, /expected a JSON object/);
    });

    it('emulated energy registers follow the traced power', async () => {
      const trace: CurrentTrace = (t) => (t < Date.UTC(2025, 0, 1, 12, 30) ? [10, 10, 10] : [-10, -10, -10]);
      await setup(trace, { telegramIntervalMs: 1000 });
      const first = emulator.data();
      await clock.advance(30 * 60_000);
      const half = emulator.data();
      const importedKwh = Number(half.total_power_import_kwh) - Number(first.total_power_import_kwh);
      assert.ok(Math.abs(importedKwh - 3 * 2.3 * 0.5) < 0.01, `imported ${importedKwh} kWh`); // 6.9 kW for 30 min
      await clock.advance(30 * 60_000);
      const exportedKwh = Number(emulator.data().total_power_export_kwh) - Number(half.total_power_export_kwh);
      assert.ok(Math.abs(exportedKwh - 3.45) < 0.01, `exported ${exportedKwh} kWh`);
    });
  });
});
