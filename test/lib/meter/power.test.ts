/**
 * The house's power for the capacity guard, from every meter source: the net power (import positive, export
 * negative), the phase voltages and the meter's own month peak, on real payloads and telegrams (bundled MIT/Apache-2.0
 * fixtures; the CC BY-NC Fluvius peak telegram only from ../shared, skipped when absent).
 */
import assert from 'assert';
import fs from 'fs';
import path from 'path';
import type { MeterSample } from '../../../lib/balancer/types';
import { ManualClock } from '../../../lib/clock';
import { UserInputError } from '../../../lib/errors';
import type { HttpTransport } from '../../../lib/http';
import { dsmrNetPowerW, parseDsmrTelegram } from '../../../lib/meter/dsmr';
import { FlowReportSource, MAX_REPORTED_POWER_W } from '../../../lib/meter/flowReport';
import { HomeWizardP1Source, homeWizardExtras } from '../../../lib/meter/homewizard';
import { HomeyDeviceSource, resolveMeterCapabilities } from '../../../lib/meter/homeyDevice';
import { P1TcpSource, type P1Connect, p1Extras } from '../../../lib/meter/p1tcp';
import { FakeHomeyApi } from './fakeHomeyApi';
import { DSMR_FIXTURES } from './p1helpers';

const T0 = Date.UTC(2025, 1, 3, 9);
const HW_FIXTURES = path.join(__dirname, '..', '..', 'fixtures', 'meter', 'homewizard');
const SHARED = path.join(__dirname, '..', '..', '..', '..', 'shared', 'realdata');
const json = (file: string): Record<string, unknown> => JSON.parse(fs.readFileSync(file, 'utf8'));
const telegram = (name: string): string => fs.readFileSync(path.join(DSMR_FIXTURES, name), 'latin1');

function needShared(ctx: Mocha.Context, file: string): void {
  if (fs.existsSync(file)) return;
  ctx.test!.title += ` — skipped: ../shared/realdata/${path.relative(SHARED, file)} is absent`;
  ctx.skip();
}

describe('meter power (capacity guard input)', () => {
  describe('HomeWizard P1, local API', () => {
    it('reads active_power_w, the phase voltages and the Belgian month peak (montly_power_peak_w, sic) from real payloads', () => {
      const full = homeWizardExtras(json(path.join(HW_FIXTURES, 'v1_api_v1_data_HWE-P1_fw2.11_3phase_full.json')));
      assert.deepStrictEqual(full, { powerW: -543, voltagesV: [null, null, null], meterPeakW: 1111 });
      const kwh = homeWizardExtras(json(path.join(HW_FIXTURES, 'v1_api_v1_data_HWE-KWH3_3phase_kwh_meter.json')));
      assert.strictEqual(kwh.powerW, 7100.278);
      assert.deepStrictEqual(kwh.voltagesV, [230.751, 228.391, 229.612]);
      assert.strictEqual(kwh.meterPeakW, null, 'a kWh meter keeps no peak');
      const v2 = homeWizardExtras(json(path.join(HW_FIXTURES, 'v2_api_measurement_HWE-P1_fw6.00_3phase.json')));
      assert.deepStrictEqual([v2.powerW, v2.meterPeakW], [-543, 1111], 'API v2 names: power_w, monthly_power_peak_w');
    });

    it('hands power and peak on in the sample of a new telegram; a payload without them leaves them out', async () => {
      const clock = new ManualClock(T0);
      let body = json(path.join(HW_FIXTURES, 'v1_api_v1_data_HWE-P1_fw2.11_3phase_full.json'));
      const http: HttpTransport = async () => ({ status: 200, headers: {}, text: JSON.stringify(body) });
      const src = new HomeWizardP1Source({ host: '192.168.1.20', clock, http });
      const samples: MeterSample[] = [];
      src.onSample((s) => samples.push(s));
      assert.strictEqual(await src.pollOnce(), true);
      assert.strictEqual(samples[0].powerW, -543);
      assert.strictEqual(samples[0].meterPeakW, 1111);
      assert.strictEqual(samples[0].voltagesV, undefined, 'no voltage reported: none in the sample');
      body = { active_current_l1_a: 3, active_power_l1_w: 700 };
      assert.strictEqual(await src.pollOnce(), true);
      assert.ok(!('powerW' in samples[1]) && !('meterPeakW' in samples[1]), JSON.stringify(samples[1]));
    });

    it('every real v1/v2 data payload in ../shared: powerW is the payload\'s own total power', function () {
      const dir = path.join(SHARED, 'homewizard');
      needShared(this, dir);
      const files = fs.readdirSync(dir).filter((f) => /_(data|measurement)_.*\.json$/.test(f));
      assert.ok(files.length >= 5, files.join());
      for (const f of files) {
        const body = json(path.join(dir, f));
        const total = (body.active_power_w ?? body.power_w ?? null) as number | null;
        assert.strictEqual(homeWizardExtras(body).powerW, total, f);
      }
    });
  });

  describe('DSMR telegrams (raw P1)', () => {
    it('1.7.0 − 2.7.0 in kW → W; the Fluvius month peak 1.6.0 (its time first, the value last)', () => {
      const fluvius = parseDsmrTelegram(telegram('ndokter_dsmr_parser_TELEGRAM_FLUVIUS_V171.telegram.txt'));
      assert.strictEqual(fluvius.problem, null);
      assert.strictEqual(fluvius.monthPeakW, 2589);
      assert.deepStrictEqual([fluvius.totalImportW, fluvius.totalExportW, dsmrNetPowerW(fluvius)], [0, 0, 0]);
      const iskra = parseDsmrTelegram(telegram('Wassasin_dsmr5_NL_Iskra_AM550E_DSMR5.telegram.txt'));
      assert.strictEqual(dsmrNetPowerW(iskra), 193);
      assert.strictEqual(iskra.monthPeakW, null, 'a Dutch meter keeps no peak');
    });

    it('without 1.7.0/2.7.0 the per-phase powers add up; a phase known only by its current gives no total', () => {
      const r = { totalImportW: null, totalExportW: null, currentA: [5, 1, null] as [number, number, null] };
      assert.strictEqual(dsmrNetPowerW({ ...r, importW: [1200, 0, null], exportW: [0, 300, null] }), 900);
      assert.strictEqual(dsmrNetPowerW({ ...r, importW: [1200, null, null], exportW: [0, null, null] }), null);
      assert.strictEqual(dsmrNetPowerW({ ...r, currentA: [null, null, null], importW: [null, null, null], exportW: [null, null, null] }), null);
    });

    it('a damaged 1.6.0 or 1.7.0 value is unreadable, not zero', () => {
      const text = 'not checked\n/ISK5\\2M550E-1011\n\n1-0:1.7.0(00.1x3*kW)\n1-0:1.6.0(200509134558S)(02.589*kWh)\n1-0:31.7.0(001*A)\n!';
      const r = parseDsmrTelegram(text);
      assert.deepStrictEqual([r.totalImportW, r.monthPeakW], [null, null]);
      assert.deepStrictEqual(r.unreadable, ['1-0:1.7.0', '1-0:1.6.0']);
    });

    it('the P1-over-TCP source sends net power, measured voltages (0 V is none) and the meter\'s peak with each telegram', async () => {
      const clock = new ManualClock(T0);
      let deliver: (t: string) => void = () => undefined;
      const connect: P1Connect = async () => ({ listen: (onData) => (deliver = onData), close: () => undefined });
      const src = new P1TcpSource({ host: '10.0.0.9:23', clock, connect, timeZone: 'Europe/Brussels' });
      const samples: MeterSample[] = [];
      src.onSample((s) => samples.push(s));
      await src.start();
      await src.idle();
      deliver(telegram('ndokter_dsmr_parser_TELEGRAM_FLUVIUS_V171.telegram.txt'));
      assert.strictEqual(samples.length, 1, String(src.status().p1.lastProblem));
      assert.deepStrictEqual([samples[0].powerW, samples[0].meterPeakW], [0, 2589]);
      assert.deepStrictEqual(samples[0].voltagesV, [234.7, 234.7, 234.7]);
      await src.stop();
    });

    it('the Fluvius telegram with peak history in ../shared: 182 W net, month peak 1566 W, L2 at 0 V counted as unknown', function () {
      const file = path.join(SHARED, 'dsmr_telegrams', 'dsmr-reader_BE_Fluvius_eMUCS_peak_data.telegram.txt');
      needShared(this, file);
      const r = parseDsmrTelegram(fs.readFileSync(file, 'latin1'));
      assert.strictEqual(r.problem, null);
      assert.deepStrictEqual(p1Extras(r), { powerW: 182, voltagesV: [227.8, null, 231.5], meterPeakW: 1566 });
    });
  });

  describe('Homey device (homey-api)', () => {
    it('only the bare measure_power is the house total; the HomeWizard app\'s month peak is found, phases are not taken for it', () => {
      const caps = resolveMeterCapabilities(['measure_power', 'measure_power.l1', 'measure_power.average_power_15m_w', 'measure_power.montly_power_peak', 'measure_current.l1']);
      assert.strictEqual(caps.totalPowerId, 'measure_power');
      assert.strictEqual(caps.peakPowerId, 'measure_power.montly_power_peak');
      assert.strictEqual(caps.phases[0].powerId, 'measure_power.l1');
      assert.strictEqual(resolveMeterCapabilities(['measure_current.L1']).peakPowerId, null);
    });

    it('each sample carries the total power, the phase voltages and the peak; a change of the peak alone is no reading', async () => {
      const clock = new ManualClock(T0);
      const api = new FakeHomeyApi(clock);
      const device = api.addMeter('homewizard', { id: 'p1', currentsA: [2, 2, 2], voltageV: 231 });
      device.capabilities.push('measure_power.montly_power_peak');
      device.capabilitiesObj['measure_power.montly_power_peak'] = { value: 3332, lastUpdated: null };
      const src = new HomeyDeviceSource({ api, deviceId: 'p1', clock, coalesceMs: 100 });
      const samples: MeterSample[] = [];
      src.onSample((s) => samples.push(s));
      await src.start();
      device.setPhaseCurrents([10, 2, -3]);
      await clock.advance(100);
      assert.strictEqual(samples.length, 1);
      assert.strictEqual(samples[0].powerW, Math.round(10 * 231) + Math.round(2 * 231) + Math.round(-3 * 231));
      assert.deepStrictEqual(samples[0].voltagesV, [231, 231, 231]);
      assert.strictEqual(samples[0].meterPeakW, 3332);
      device.setCapabilityValue('measure_power.montly_power_peak', 4100);
      await clock.advance(1000);
      assert.strictEqual(samples.length, 1, 'the peak moved, the meter did not');
      device.setPhaseCurrents([11, 2, -3]);
      await clock.advance(100);
      assert.strictEqual(samples[1].meterPeakW, 4100);
      await src.stop();
    });

    it('a meter without total power (Tibber without measure_power) sends no powerW: the guard falls back to the currents', async () => {
      const clock = new ManualClock(T0);
      const api = new FakeHomeyApi(clock);
      const device = api.addMeter('tibber', { id: 't', currentsA: [1, 1, 1], totalPower: false });
      const src = new HomeyDeviceSource({ api, deviceId: 't', clock, coalesceMs: 100 });
      const samples: MeterSample[] = [];
      src.onSample((s) => samples.push(s));
      await src.start();
      device.setPhaseCurrents([5, 1, 1]);
      await clock.advance(100);
      assert.strictEqual(samples.length, 1);
      assert.ok(!('powerW' in samples[0]) && !('voltagesV' in samples[0]) && !('meterPeakW' in samples[0]), JSON.stringify(samples[0]));
      await src.stop();
    });
  });

  describe('flow card "Report phase currents and house power"', () => {
    it('hands the power on with the currents; numeric text with a decimal comma is read', () => {
      const src = new FlowReportSource(new ManualClock(T0));
      assert.strictEqual(src.reportWithPower(10, 2, -3, 2070).powerW, 2070);
      assert.strictEqual(src.reportWithPower('1,5', null, null, '-345,5').powerW, -345.5);
      assert.ok(!('powerW' in src.report(10, 2, 3)), 'the currents-only card sends no power');
    });

    it('refuses a missing power, one out of range, and kilowatts given for watts, naming the argument', () => {
      const src = new FlowReportSource(new ManualClock(T0));
      const line = (re: RegExp) => (e: unknown) => e instanceof UserInputError && e.field === 'power' && re.test(e.message);
      assert.throws(() => src.reportWithPower(10, 2, 3, ''), line(/expected the house's power in W/));
      assert.throws(() => src.reportWithPower(10, 2, 3, MAX_REPORTED_POWER_W + 1), line(/outside/));
      assert.throws(() => src.reportWithPower(10, 2, 3, 3.45), line(/report watts, not kilowatts/));
      assert.strictEqual(src.reportWithPower(0.5, 0, 0, 40).powerW, 40, 'a small load at a small power is fine');
    });
  });
});
