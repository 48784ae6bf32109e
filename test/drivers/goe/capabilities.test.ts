import assert from 'assert';
import { capabilityValues, chargingState } from '../../../drivers/goe/capabilities';
import { parseStatus } from '../../../lib/goe/status';

const snap = (raw: Record<string, unknown>) => parseStatus({ sse: '000001', fwv: '055.5', amp: 16, nrg: [], ...raw }, 'v2', 'v2');

describe('drivers/goe/capabilities', () => {
  it('maps car state and the charging permission onto evcharger_charging_state', () => {
    const cases: [Record<string, unknown>, string | null][] = [
      [{ car: 1, alw: true, err: 0 }, 'plugged_out'],
      [{ car: 2, alw: true, err: 0 }, 'plugged_in_charging'],
      [{ car: 3, alw: true, err: 0 }, 'plugged_in'],
      [{ car: 3, alw: false, err: 0 }, 'plugged_in_paused'],
      [{ car: 4, alw: false, err: 0 }, 'plugged_in'],
      [{ car: 3, alw: false, err: 5 }, 'plugged_in'],
      [{ car: 1, alw: false, err: 5 }, 'plugged_out'],
      [{ car: null, alw: false, err: null }, null],
    ];
    for (const [raw, expected] of cases) assert.strictEqual(chargingState(snap(raw)), expected, JSON.stringify(raw));
  });

  it('converts Wh to kWh, shows no limit as 0 and an error as alarm + text', () => {
    const v = capabilityValues(snap({ car: 4, alw: false, err: 4, wh: 12345.6, eto: 1_000_500, dwo: 15000, cbl: 20 }));
    assert.strictEqual(v['meter_power.session'], 12.346);
    assert.strictEqual(v.meter_power, 1000.5);
    assert.strictEqual(v.goe_session_energy_limit, 15);
    assert.strictEqual(v.goe_stop_state, true);
    assert.strictEqual(v.alarm_generic, true);
    assert.match(String(v.charger_error), /Overvoltage \(4\)/);
    assert.strictEqual(capabilityValues(snap({ car: 1, err: 0, dwo: null })).goe_session_energy_limit, 0);
    assert.strictEqual(capabilityValues(snap({ car: 1, err: 0 })).charger_error, '');
  });
});
