import assert from 'assert';
import { CAPI_STATUSES, OCPP_STATUSES, connectorState, lifetimeEnergyWh, normaliseConnector } from '../../../lib/chargeamps/status';
import type { ChargePoint, ChargePointStatus, ConnectorSettings } from '../../../lib/chargeamps/types';

const halo: ChargePoint = {
  id: 'HALO1',
  name: 'HALO_1',
  type: 'HALO',
  firmwareVersion: '2.1',
  hardwareVersion: null,
  ocppVersion: '1.6',
  connectors: [
    { chargePointId: 'HALO1', connectorId: 1, type: 'Charger' },
    { chargePointId: 'HALO1', connectorId: 2, type: 'Schuko' },
  ],
};
const settings: ConnectorSettings = { chargePointId: 'HALO1', connectorId: 1, maxCurrent: 10, rfidLock: false, mode: 'On', cableLock: false, installationCurrent: 16 };

describe('lib/chargeamps/status', () => {
  it('maps every OCPP status by name (any case) and by number', () => {
    const expected = ['idle', 'connected', 'charging', 'connected', 'complete', 'complete', 'idle', 'unknown', 'error', 'unknown'];
    OCPP_STATUSES.forEach((name, i) => {
      assert.strictEqual(connectorState(name, 'ocpp').state, expected[i], name);
      assert.strictEqual(connectorState(name.toUpperCase(), 'ocpp').state, expected[i], name);
      assert.strictEqual(connectorState(String(i), 'ocpp').state, expected[i], `${name} as ${i}`);
    });
    assert.match(connectorState('Faulted', 'ocpp').error ?? '', /fault/);
    assert.strictEqual(connectorState('Preparing', 'ocpp').plugged, true);
    assert.strictEqual(connectorState('Available', 'ocpp').plugged, false);
  });

  it('maps every CAPI status by name and by its own numbering', () => {
    const expected = ['idle', 'charging', 'connected', 'error', 'unknown'];
    CAPI_STATUSES.forEach((name, i) => {
      assert.strictEqual(connectorState(name, 'capi').state, expected[i], name);
      assert.strictEqual(connectorState(String(i), 'capi').state, expected[i], `${name} as ${i}`);
    });
    // "1" means Preparing on OCPP but Charging on CAPI
    assert.notStrictEqual(connectorState('1', 'ocpp').state, connectorState('1', 'capi').state);
  });

  it('treats empty and unknown strings as unknown, naming a new one', () => {
    assert.deepStrictEqual([connectorState(null, 'ocpp').state, connectorState(null, 'ocpp').error], ['unknown', null]);
    assert.strictEqual(connectorState('Disconnected', 'capi').state, 'unknown');
    assert.match(connectorState('Disconnected', 'capi').error ?? '', /Unrecognised connector status "Disconnected"/);
  });

  it('a payload that breaks the schema (null elements, a list that is no list, a number for a text) is read as far as it goes, never a TypeError (regression)', () => {
    const odd: unknown[] = [null, 0, -1, NaN, '', 'x', true, {}, [], [null], ['a', 1], { a: 1 }];
    let n = 0;
    for (const measurements of odd)
      for (const connectorStatuses of [...odd, [{ connectorId: 1, status: 7, measurements }], [null, { connectorId: 1, status: 'Charging', measurements }]])
        for (const connectors of [null, 3, [null], [{ connectorId: 1, type: 'Type2' }]]) {
          const status = { id: 'HALO1', status: 'Online', connectorStatuses } as unknown as ChargePointStatus;
          const s = normaliseConnector({ chargePoint: { ...halo, connectors } as never, connectorId: 1, status, settings, totalEnergyWh: null });
          assert.strictEqual(s.phases.length, 3);
          n++;
        }
    assert.ok(n > 500);
    const offline = normaliseConnector({ chargePoint: halo, connectorId: 1, status: { id: 'HALO1', status: 42 } as never, settings: null, totalEnergyWh: null });
    assert.deepStrictEqual([offline.online, offline.state], [false, 'unknown']);
  });

  it('converts measurements, kW and kWh in one place', () => {
    const status: ChargePointStatus = {
      id: 'HALO1',
      status: 'Online',
      connectorStatuses: [
        {
          chargePointId: 'HALO1', connectorId: 1, totalConsumptionKwh: 0.57, chargingPowerKw: 2.6, sessionType: 'ThreePhase', status: 'Charging',
          measurements: [
            { phase: 'L1', current: 6, voltage: 230 },
            { phase: 'L2', current: 5.5, voltage: 231 },
            { phase: 'L3', current: 0, voltage: 229 },
          ],
          startTime: null, endTime: null, sessionId: 5,
        },
      ],
    };
    const s = normaliseConnector({ chargePoint: halo, connectorId: 1, status, settings, totalEnergyWh: 1234 });
    assert.strictEqual(s.id, 'HALO1:1');
    assert.strictEqual(s.connector, 1);
    assert.strictEqual(s.name, 'HALO_1 Type 2');
    assert.deepStrictEqual([s.brand, s.api, s.state, s.online, s.chargingAllowed], ['chargeamps', 'eapi', 'charging', true, true]);
    assert.deepStrictEqual(s.phases.map((p) => [p.currentA, p.voltageV, p.powerW]), [[6, 230, 1380], [5.5, 231, 1271], [0, 229, 0]]);
    assert.strictEqual(s.activePhases, 2);
    assert.strictEqual(s.powerW, 2600);
    assert.strictEqual(s.sessionEnergyWh, 570);
    assert.strictEqual(s.totalEnergyWh, 1234);
    assert.strictEqual(s.currentLimitA, 10);
  });

  it('reports an offline charge point as offline with no measurements', () => {
    const status: ChargePointStatus = { id: 'HALO1', status: 'Offline', connectorStatuses: [{ chargePointId: 'HALO1', connectorId: 2, totalConsumptionKwh: 3, sessionType: null, status: 'Charging', measurements: [{ phase: 'L1', current: 8, voltage: 230 }], startTime: null, endTime: null, sessionId: 1 }] };
    const s = normaliseConnector({ chargePoint: halo, connectorId: 2, status, settings: null, totalEnergyWh: null });
    assert.deepStrictEqual([s.online, s.state, s.powerW, s.sessionEnergyWh, s.chargingAllowed, s.name], [false, 'unknown', null, null, false, 'HALO_1 Schuko']);
    assert.ok(s.phases.every((p) => p.currentA === null));
  });

  it('mode Off or a 0 A limit means charging is not allowed', () => {
    const status: ChargePointStatus = { id: 'HALO1', status: 'online', connectorStatuses: [] };
    assert.strictEqual(normaliseConnector({ chargePoint: halo, connectorId: 1, status, settings: { ...settings, mode: 'Off' }, totalEnergyWh: null }).chargingAllowed, false);
    assert.strictEqual(normaliseConnector({ chargePoint: halo, connectorId: 1, status, settings: { ...settings, maxCurrent: 0 }, totalEnergyWh: null }).chargingAllowed, false);
    assert.strictEqual(normaliseConnector({ chargePoint: halo, connectorId: 1, status, settings: { ...settings, mode: 'Schedule' }, totalEnergyWh: null }).chargingAllowed, true);
  });

  it('lifetime energy counts each session once, the live one from the status', () => {
    const sessions = [
      { id: 1, chargePointId: 'HALO1', connectorId: 1, sessionType: null, startTime: '', endTime: 'x', totalConsumptionKwh: 10 },
      { id: 2, chargePointId: 'HALO1', connectorId: 1, sessionType: null, startTime: '', endTime: null, totalConsumptionKwh: 1 },
    ];
    const live = { chargePointId: 'HALO1', connectorId: 1, totalConsumptionKwh: 1.5, sessionType: null, status: 'Charging', measurements: null, startTime: null, endTime: null, sessionId: 2 };
    assert.strictEqual(lifetimeEnergyWh(sessions, live), 11_500);
    assert.strictEqual(lifetimeEnergyWh(sessions, { ...live, sessionId: null, totalConsumptionKwh: 0 }), 11_000);
  });
});
