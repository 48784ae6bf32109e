import assert from 'assert';
import fs from 'fs';
import path from 'path';
import { parseStatus, firmwareMajor, looksLikeGoe } from '../../../lib/goe/status';

/** Last value per key of an MQTT v2 capture: the same keys and JSON values as /api/status. */
function statusFromMqttLog(file: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    const m = /^\/?go-eCharger\/\d+\/(\w+) (.*)$/.exec(line.trim());
    if (m) out[m[1]] = JSON.parse(m[2]);
  }
  return out;
}

describe('lib/goe/status', () => {
  it('parses a real v2 capture (fw 053.1, idle, single-phase supply with L/N swapped)', () => {
    const raw = statusFromMqttLog(path.join(__dirname, '../../fixtures/goe/goe_v2_mqtt_capture_fw053.1_sorted.log'));
    assert.ok(looksLikeGoe(raw));
    const { status, detail } = parseStatus(raw, 'v2', 'v2');
    assert.strictEqual(status.state, 'idle');
    assert.strictEqual(status.firmware, '053.1');
    assert.strictEqual(status.currentLimitA, raw.amp);
    assert.strictEqual(detail.absoluteMaxA, raw.ama);
    assert.strictEqual(raw.adi, true);
    assert.strictEqual(detail.adapter16A, true, 'the capture has the 16 A adapter in (adi true)');
    // nrg [15,0,0,223,...] with only L1 present before the contactor: the line voltage is on N.
    const nrg = raw.nrg as number[];
    assert.strictEqual(status.phases[0].voltageV, nrg[3]);
    assert.strictEqual(detail.phases, 1);
    assert.strictEqual(status.activePhases, 0);
    assert.strictEqual(detail.cableEncodingA, null);
    assert.strictEqual(detail.phaseMode, '3');
    assert.strictEqual(detail.sessionChargeConsumptionLimitWh, null);
    assert.strictEqual(detail.stopState, false);
    assert.strictEqual(status.temperatureC, Math.max(...(raw.tma as number[])));
    assert.strictEqual(status.chargingAllowed, true);
    assert.strictEqual(status.error, null);
    assert.strictEqual(detail.pwmSignal, 'ready_no_car');
  });

  it('parses a real v1 status (fw 020-rc1; GPL data read from ../shared when present)', function () {
    const file = path.join(__dirname, '../../../../shared/realdata/goe/goe_v1_status_fw020-rc1.json');
    if (!fs.existsSync(file)) this.skip();
    const raw = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
    const { status, detail } = parseStatus(raw, 'v1', 'v1');
    assert.strictEqual(status.state, 'idle');
    assert.strictEqual(status.totalEnergyWh, Number(raw.eto) * 100); // 0.1 kWh → Wh
    assert.strictEqual(status.sessionEnergyWh, 0);
    assert.strictEqual(status.currentLimitA, Number(raw.amp));
    assert.strictEqual(status.phases[0].voltageV, (raw.nrg as number[])[3]); // pha=8 and N > L1: swapped
    assert.strictEqual(detail.phases, 1);
    assert.strictEqual(status.temperatureC, Number(raw.tmp));
    assert.strictEqual(detail.hasAmx, false);
    assert.strictEqual(detail.offeredCurrentA, Number(raw.amp));
    // adi "1" with ama "32": the 16 A adapter is what limits this charger, not ama
    assert.strictEqual(raw.adi, '1');
    assert.strictEqual(detail.adapter16A, true);
    assert.strictEqual(detail.absoluteMaxA, 32);
    assert.strictEqual(parseStatus({ ...raw, adi: '0' }, 'v1', 'v1').detail.adapter16A, false);
  });

  it('converts v1 units once: 0.1 A, 0.1 kW, 0.01 kW, deka-watt-seconds, 0.1 kWh', () => {
    const raw = {
      car: '2', alw: '1', amp: '16', amx: '13', err: '0', fwv: '042.0', sse: '000123', pha: '63', stp: '2',
      nrg: [231, 229, 230, 0, 130, 128, 131, 30, 29, 30, 0, 895, 99, 99, 99, 0],
      dws: '1296000', dwo: '105', eto: '4321', cbl: '20', tma: [15, 22.5, 18],
    };
    const { status, detail } = parseStatus(raw, 'v1', 'v1');
    assert.strictEqual(status.state, 'charging');
    assert.deepStrictEqual(status.phases.map((p) => p.currentA), [13, 12.8, 13.1]);
    assert.deepStrictEqual(status.phases.map((p) => p.powerW), [3000, 2900, 3000]);
    assert.strictEqual(status.powerW, 8950);
    assert.strictEqual(status.sessionEnergyWh, 3600); // 1,296,000 × 10 Ws
    assert.strictEqual(status.totalEnergyWh, 432100);
    assert.strictEqual(status.currentLimitA, 13); // the volatile amx wins
    assert.strictEqual(status.activePhases, 3);
    assert.strictEqual(detail.sessionChargeConsumptionLimitWh, 10500);
    assert.strictEqual(detail.stopState, true);
    assert.strictEqual(detail.cableEncodingA, 20);
    assert.strictEqual(detail.phases, 3);
    assert.strictEqual(detail.hasAmx, true);
    assert.strictEqual(status.temperatureC, 22.5);
  });

  it('keeps v2 units (A, W, Wh) and maps car, err and psm', () => {
    const raw = {
      car: 4, alw: false, amp: 10, err: 0, fwv: '055.5', sse: '000001', frc: 1, psm: 1, acu: null,
      nrg: [230, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], pha: [false, false, false, true, true, true],
      wh: 12345.6, eto: 99000, dwo: 15000,
    };
    const { status, detail } = parseStatus(raw, 'v2', 'v2');
    assert.strictEqual(status.state, 'complete');
    assert.strictEqual(status.sessionEnergyWh, 12345.6);
    assert.strictEqual(status.totalEnergyWh, 99000);
    assert.strictEqual(detail.sessionChargeConsumptionLimitWh, 15000);
    assert.strictEqual(detail.phaseMode, '1');
    assert.strictEqual(detail.forceState, 1);
    assert.strictEqual(detail.pwmSignal, 'charging_done');
    assert.strictEqual(detail.phases, 3);
  });

  it('reads the error enum per firmware: values above 10 moved in 59.x, where 11 has no name', () => {
    const base = { car: 5, amp: 16, sse: '1', nrg: [] };
    assert.match(parseStatus({ ...base, err: 13, fwv: '055.5' }, 'v2', 'v2').status.error ?? '', /Overtemperature/);
    assert.match(parseStatus({ ...base, err: 13, fwv: '60.3' }, 'v2', 'v2').status.error ?? '', /Lock stuck locked/);
    assert.match(parseStatus({ ...base, err: '8', fwv: '033' }, 'v1', 'v1').status.error ?? '', /No ground/);
    assert.strictEqual(parseStatus({ ...base, err: 13, fwv: '60.3' }, 'v2', 'v2').status.state, 'error');
    assert.strictEqual(parseStatus({ ...base, err: 11, fwv: '055.5' }, 'v2', 'v2').status.error, 'FI unknown (11)');
    assert.strictEqual(parseStatus({ ...base, err: 11, fwv: '59.4' }, 'v2', 'v2').status.error, 'Error 11', 'regression: not the old table\'s "FI unknown"');
    assert.strictEqual(parseStatus({ ...base, err: 14, fwv: '60.4' }, 'v2', 'v2').status.error, 'FI unknown (14)');
    assert.strictEqual(parseStatus({ ...base, err: 10, fwv: '60.4' }, 'v2', 'v2').status.error, 'Contactor missing (10)');
  });

  it('reads firmware majors of every format seen', () => {
    assert.deepStrictEqual(['020-rc1', '040.0', '055.5', '60.3', '35.6-1-ga0d44e5', null].map(firmwareMajor), [20, 40, 55, 60, 35, null]);
  });
});
