import assert from 'assert';
import { readMeterHost, readP1TcpHost, SETTINGS_LIMITS, validateAppSettings } from '../../lib/settingsValidation';
import { parseP1TcpAddress } from '../../lib/meter/p1tcp';
import { DEFAULT_QUICK_STRESS_BUDGET, FUSE_LIMITS_A } from '../../lib/balancer/types';
import { validateBalancerConfig } from '../../lib/balancer/balancer';
import { balancerConfigFrom, defaultAppSettings, type AppSettings } from '../../lib/settings';

const IDS = ['goe-1', 'ca-7'];

function good(): AppSettings {
  return {
    ...defaultAppSettings(),
    meter: { source: 'homewizard', host: '192.168.1.20', deviceId: null, serial: null },
    chargers: {
      'goe-1': { enabled: true, priority: 5, phaseMap: ['L1', 'L2', 'L3'], maxCurrentA: 16 },
      'ca-7': { enabled: false, priority: 0, phaseMap: ['L3', null, null], maxCurrentA: 32 },
    },
  };
}

/** The errors for `good()` with `patch` applied (deep-merged one level for meter). */
function errorsFor(patch: Record<string, unknown>): Record<string, string> {
  const r = validateAppSettings({ ...good(), ...patch }, IDS);
  assert.strictEqual(r.ok, false, `expected a rejection for ${JSON.stringify(patch)}`);
  return (r as { errors: Record<string, string> }).errors;
}

function chargerErrors(id: string, patch: Record<string, unknown>): Record<string, string> {
  const s = good();
  return errorsFor({ chargers: { ...s.chargers, [id]: { ...s.chargers[id], ...patch } } });
}

describe('lib/settingsValidation', () => {
  it('accepts a complete valid object and returns it unchanged', () => {
    const r = validateAppSettings(good(), IDS);
    assert.deepStrictEqual(r, { ok: true, value: good() });
  });

  it('accepts the defaults (flow meter, no chargers configured)', () => {
    assert.deepStrictEqual(validateAppSettings(defaultAppSettings(), []), { ok: true, value: defaultAppSettings() });
  });

  it('quick raising while the fuse is cool: on when absent (settings saved before 0.4.2), a boolean otherwise, one line', () => {
    const { quickRestore: _dropped, ...old } = good();
    const r = validateAppSettings(old, IDS);
    assert.ok(r.ok);
    assert.strictEqual(r.value.quickRestore, true);
    const off = validateAppSettings({ ...good(), quickRestore: false }, IDS);
    assert.ok(off.ok && off.value.quickRestore === false);
    assert.match(errorsFor({ quickRestore: 'yes' }).quickRestore, /must be on or off \(true or false\)/);
    assert.strictEqual(balancerConfigFrom({ ...good(), quickRestore: false }).quickStressBudget, 0);
    assert.strictEqual(balancerConfigFrom(good()).quickStressBudget, DEFAULT_QUICK_STRESS_BUDGET);
    assert.strictEqual(validateBalancerConfig(balancerConfigFrom(old as AppSettings)).quickStressBudget, DEFAULT_QUICK_STRESS_BUDGET);
  });

  it('accepts numbers given as numeric strings from form inputs and converts them', () => {
    const r = validateAppSettings({ ...good(), fuseA: '35', marginA: ' 2 ', restoreHoldS: '60' }, IDS);
    assert.ok(r.ok);
    assert.strictEqual(r.value.fuseA, 35);
    assert.strictEqual(r.value.marginA, 2);
    assert.strictEqual(r.value.restoreHoldS, 60);
  });

  it('rejects a non-object as a whole', () => {
    for (const bad of [null, 'x', 42, [good()]]) {
      assert.deepStrictEqual(validateAppSettings(bad, IDS), { ok: false, errors: { settings: 'Settings must be a JSON object' } });
    }
  });

  it('rejects a fuse outside 6..100 A or not a number, naming the range', () => {
    for (const fuseA of [5, 101, 'abc', '', null, undefined, Number.NaN, Infinity, true, '25A', '1e2']) {
      assert.strictEqual(errorsFor({ fuseA }).fuseA, 'Main fuse must be a number from 6 to 100 A', `fuseA=${String(fuseA)}`);
    }
    assert.ok(validateAppSettings({ ...good(), fuseA: 6, marginA: 0 }, IDS).ok === false, '6 A fuse leaves no room for a car');
    assert.ok(validateAppSettings({ ...good(), fuseA: 100 }, IDS).ok);
  });

  it('requires the margin to leave at least 6 A below the fuse', () => {
    assert.strictEqual(errorsFor({ fuseA: 16, marginA: 10 }).marginA, 'Margin must be less than 10 A (fuse 16 A minus the 6 A a car needs)');
    assert.ok(validateAppSettings({ ...good(), fuseA: 16, marginA: 9 }, IDS).ok);
    assert.strictEqual(errorsFor({ marginA: 1.5 }).marginA, 'Margin must be whole amps: the meter and the chargers work in whole amps, so 0.5 A would act as 1 A');
    assert.strictEqual(errorsFor({ marginA: -1 }).marginA, 'Margin must be a whole number of at least 0 A');
    // A bad fuse is reported once, on the fuse, not again on the margin.
    assert.deepStrictEqual(Object.keys(errorsFor({ fuseA: 'x' })), ['fuseA']);
  });

  it('checks restore step, hold, stale, pause and resume ranges', () => {
    assert.strictEqual(errorsFor({ restoreStepA: 0 }).restoreStepA, 'Restore step must be a number from 1 to 16 A');
    assert.strictEqual(errorsFor({ restoreStepA: 17 }).restoreStepA, 'Restore step must be a number from 1 to 16 A');
    assert.strictEqual(errorsFor({ restoreHoldS: 4 }).restoreHoldS, 'Hold time must be a whole number from 5 to 3600 s');
    assert.strictEqual(errorsFor({ restoreHoldS: 30.5 }).restoreHoldS, 'Hold time must be a whole number from 5 to 3600 s');
    assert.strictEqual(errorsFor({ staleAfterS: 601 }).staleAfterS, '"Drop to 6 A after" must be a whole number from 5 to 600 s');
    assert.strictEqual(errorsFor({ resumeWindowS: 9 }).resumeWindowS, 'Resume window must be a whole number from 10 to 3600 s');
    assert.strictEqual(errorsFor({ resumeWindowS: 3601 }).resumeWindowS, 'Resume window must be a whole number from 10 to 3600 s');
  });

  it('requires "pause after" to be longer than "drop to 6 A after" and at most an hour', () => {
    assert.strictEqual(errorsFor({ staleAfterS: 60, pauseAfterS: 60 }).pauseAfterS, '"Pause after" must be longer than "drop to 6 A after" (60 s)');
    assert.strictEqual(errorsFor({ pauseAfterS: 3601 }).pauseAfterS, '"Pause after" must be a whole number from 6 to 3600 s');
    assert.ok(validateAppSettings({ ...good(), staleAfterS: 60, pauseAfterS: 61 }, IDS).ok);
  });

  it('checks balancing and the manual override mode', () => {
    assert.strictEqual(errorsFor({ balancing: 'true' }).balancing, 'Balancing must be on or off (true or false)');
    assert.strictEqual(errorsFor({ manualOverride: 'sometimes' }).manualOverride, 'Manual override must be one of: until-unplug, ignore');
    assert.ok(validateAppSettings({ ...good(), manualOverride: 'ignore', balancing: false }, IDS).ok);
  });

  it('reports every bad field at once, one line each', () => {
    const errors = errorsFor({ fuseA: 0, restoreStepA: 99, meter: { source: 'homewizard', host: '', deviceId: null } });
    assert.deepStrictEqual(Object.keys(errors).sort(), ['fuseA', 'meter.host', 'restoreStepA']);
    for (const m of Object.values(errors)) assert.ok(!m.includes('\n'));
  });

  describe('meter', () => {
    it('requires a known source', () => {
      assert.strictEqual(errorsFor({ meter: { source: 'p1', host: null, deviceId: null } })['meter.source'], 'Meter source must be one of: homewizard, homewizard-v2, homey-device, flow, p1tcp');
      assert.strictEqual(errorsFor({ meter: null }).meter, 'Choose where the meter readings come from');
    });

    it('requires a plausible host for HomeWizard, without scheme or path', () => {
      const hostError = (host: unknown) => errorsFor({ meter: { source: 'homewizard', host, deviceId: null } })['meter.host'];
      assert.strictEqual(hostError(null), 'Enter the host name or IP address of the HomeWizard P1 meter (e.g. 192.168.1.20)');
      assert.strictEqual(hostError('  '), 'Enter the host name or IP address of the HomeWizard P1 meter (e.g. 192.168.1.20)');
      assert.match(hostError('http://192.168.1.20'), /^Enter only the host name or IP address of the HomeWizard P1 meter, without "http:\/\/"/);
      assert.match(hostError('192.168.1.20/api'), /without a path/);
      assert.match(hostError('192.168.1.300'), /not a valid IPv4 address/);
      assert.match(hostError('192.168.1'), /not a valid IPv4 address/);
      assert.match(hostError('p1meter.local:0'), /^Port "0" must be a whole number from 1 to 65535/);
      assert.match(hostError('p1 meter'), /contains a space/);
      assert.match(hostError('-bad-.local'), /not a valid host name/);
      assert.match(hostError('fe80::1%eth0'), /IPv6 zone/);
      assert.strictEqual(hostError(42), 'Must be text: the host name or IP address of the HomeWizard P1 meter (e.g. 192.168.1.20)');
    });

    it('accepts host names, IPv4 and IPv6 (with or without brackets) and an optional port, and stores them normalised', () => {
      const stored: [string, string][] = [
        ['p1meter.local', 'p1meter.local'], ['P1-Meter', 'P1-Meter'], [' 10.0.0.5 ', '10.0.0.5'], ['fe80::1', '[fe80::1]'],
        ['[fd00::20]', '[fd00::20]'], ['homewizard.example.com.', 'homewizard.example.com.'], ['10.0.0.5:8080', '10.0.0.5:8080'],
      ];
      for (const [host, want] of stored) {
        assert.strictEqual(readMeterHost(host).host, want, host);
        const r = validateAppSettings({ ...good(), meter: { source: 'homewizard', host, deviceId: null } }, IDS);
        assert.ok(r.ok, host);
        assert.strictEqual(r.value.meter.host, want);
      }
    });

    it('never echoes a user name or password, and cuts echoed input to a short prefix', () => {
      const hostError = (host: unknown) => errorsFor({ meter: { source: 'homewizard', host, deviceId: null } })['meter.host'];
      for (const host of ['user:secret@p1.local', 'http://user:secret@p1.local', 'user:secret@p1 local']) {
        const e = hostError(host);
        assert.ok(e && !e.includes('secret') && !e.includes('user:'), e);
      }
      assert.match(hostError('user:secret@p1.local'), /^A user name or password does not belong in the address of the HomeWizard P1 meter/);
      const huge = hostError(`p1 ${'x'.repeat(1_000_000)}`);
      assert.ok(huge.length < 200, `${huge.length} characters`);
      const errors = errorsFor({ chargers: { ['g'.repeat(1_000_000)]: good().chargers['goe-1'] } });
      const [key, message] = Object.entries(errors).find(([k]) => k.startsWith('chargers'))!;
      assert.strictEqual(key, 'chargers', 'a huge id is not echoed back as a key either');
      assert.strictEqual(message, `Unknown charger "${'g'.repeat(40)}…": it is not paired with this app (reload the page)`);
      assert.ok(JSON.stringify(errors).length < 1000);
    });

    it('requires a device for the Homey device source', () => {
      assert.strictEqual(errorsFor({ meter: { source: 'homey-device', host: null, deviceId: '' } })['meter.deviceId'], 'Choose the Homey meter device to read');
      assert.strictEqual(errorsFor({ meter: { source: 'homey-device', host: null, deviceId: 7 } })['meter.deviceId'], 'Meter device must be a device id (text)');
      const r = validateAppSettings({ ...good(), meter: { source: 'homey-device', host: null, deviceId: 'dev-1' } }, IDS);
      assert.ok(r.ok);
      assert.deepStrictEqual(r.value.meter, { source: 'homey-device', host: null, deviceId: 'dev-1', serial: null });
    });

    it('keeps the other source\'s field only when valid, and never blocks on it', () => {
      const keep = validateAppSettings({ ...good(), meter: { source: 'flow', host: 'p1.local', deviceId: 'dev-1' } }, IDS);
      assert.ok(keep.ok);
      assert.deepStrictEqual(keep.value.meter, { source: 'flow', host: 'p1.local', deviceId: 'dev-1', serial: null });
      const drop = validateAppSettings({ ...good(), meter: { source: 'flow', host: 'http://x/y', deviceId: null } }, IDS);
      assert.ok(drop.ok);
      assert.strictEqual(drop.value.meter.host, null);
    });

    it('keeps the HomeWizard serial of a picked meter (trimmed), also while another source is chosen', () => {
      const r = validateAppSettings({ ...good(), meter: { ...good().meter, serial: ' 3c39e7aabbcc ' } }, IDS);
      assert.ok(r.ok);
      assert.strictEqual(r.value.meter.serial, '3c39e7aabbcc');
      const flow = validateAppSettings({ ...good(), meter: { source: 'flow', host: '192.168.1.20', deviceId: null, serial: '3C39E7AABBCC' } }, IDS);
      assert.ok(flow.ok);
      assert.strictEqual(flow.value.meter.serial, '3C39E7AABBCC');
    });

    it('reads a missing or empty serial (settings saved by older versions, a host typed by hand) as null', () => {
      for (const serial of [undefined, null, '', '  ']) {
        const { serial: _drop, ...meter } = good().meter;
        const r = validateAppSettings({ ...good(), meter: serial === undefined ? meter : { ...meter, serial } }, IDS);
        assert.ok(r.ok, String(serial));
        assert.deepStrictEqual(r.value.meter, { source: 'homewizard', host: '192.168.1.20', deviceId: null, serial: null });
      }
    });

    describe('P1 dongle / serial-to-TCP bridge (p1tcp)', () => {
      const p1 = (host: unknown, over: Record<string, unknown> = {}) => ({ ...good(), meter: { source: 'p1tcp', host, deviceId: null, serial: null, ...over } });
      const hostError = (host: unknown) => errorsFor(p1(host))['meter.host'];

      it('stores host:port normalised (IPv6 in brackets, lower case; "p1tcp://" dropped), as the source reads it', () => {
        const stored: [string, string][] = [
          ['192.168.1.40:8088', '192.168.1.40:8088'], [' p1tcp://192.168.1.40:23 ', '192.168.1.40:23'], ['P1TCP://dongle.local:8088', 'dongle.local:8088'],
          ['[FD00::40]:23', '[fd00::40]:23'], ['p1-dongle:2000', 'p1-dongle:2000'],
        ];
        for (const [host, want] of stored) {
          const r = validateAppSettings(p1(host), IDS);
          assert.ok(r.ok, host);
          assert.deepStrictEqual(r.value.meter, { source: 'p1tcp', host: want, deviceId: null, serial: null });
          assert.strictEqual(parseP1TcpAddress(want).hostPort, want, 'the P1 source takes the stored address as it is');
        }
      });

      it('refuses a missing, portless or malformed address with one line on meter.host, with an example', () => {
        const example = /\(e\.g\. 192\.168\.1\.40:8088\)$/;
        for (const host of [null, undefined, '', '  ', 'p1tcp://']) {
          assert.strictEqual(hostError(host), 'Enter the address of the P1 dongle: its host name or IP address and TCP port (e.g. 192.168.1.40:8088)', String(host));
        }
        for (const host of ['192.168.1.40', 'dongle.local', 'fd00::40', '[fd00::40]']) {
          assert.strictEqual(hostError(host), 'Add the TCP port the P1 dongle streams on (e.g. 192.168.1.40:8088)', host);
        }
        assert.match(hostError('192.168.1.40:0'), /^Port "0" must be a whole number from 1 to 65535 \(e\.g\. 192\.168\.1\.40:8088\)$/);
        assert.match(hostError('192.168.1.40:99999'), example);
        assert.match(hostError('http://192.168.1.40:8088'), /^Enter only the host name or IP address of the P1 dongle, without "http:\/\/"/);
        assert.match(hostError('192.168.1.300:23'), /"192\.168\.1\.300" is not a valid IPv4 address/);
        assert.match(hostError('192.168.1.40:23/raw'), /without a path/);
        assert.match(hostError('fe80::1%eth0'), /IPv6 zone/);
        assert.match(hostError(42), /^Must be text/);
        const secret = hostError('user:secret@192.168.1.40:23');
        assert.ok(!secret.includes('secret'), secret);
        for (const host of [null, '192.168.1.40', '192.168.1.40:0', 'http://x:1', 'user:secret@h:1', 42]) {
          const e = hostError(host);
          assert.ok(!e.includes('\n') && /^[A-Z"]/.test(e), e);
          assert.deepStrictEqual(Object.keys(errorsFor(p1(host))), ['meter.host'], 'nothing else is blamed');
        }
        assert.deepStrictEqual(readP1TcpHost('192.168.1.40'), { host: null, problem: 'Add the TCP port the P1 dongle streams on (e.g. 192.168.1.40:8088)' });
      });

      it('keeps the HomeWizard serial and a valid address when the source changes, and old settings load unchanged', () => {
        const r = validateAppSettings(p1('192.168.1.40:8088', { serial: '3c39e7aabbcc', deviceId: 'dev-1' }), IDS);
        assert.ok(r.ok);
        assert.deepStrictEqual(r.value.meter, { source: 'p1tcp', host: '192.168.1.40:8088', deviceId: 'dev-1', serial: '3c39e7aabbcc' });
        // back to the flow card: the dongle's address stays (it is a valid host:port)
        const flow = validateAppSettings({ ...good(), meter: { ...r.value.meter, source: 'flow' } }, IDS);
        assert.ok(flow.ok);
        assert.strictEqual(flow.value.meter.host, '192.168.1.40:8088');
        // settings saved before this source existed
        for (const meter of [good().meter, { source: 'flow', host: null, deviceId: null }, { source: 'homey-device', host: 'p1.local', deviceId: 'x' }]) {
          const old = validateAppSettings({ ...good(), meter }, IDS);
          assert.ok(old.ok, JSON.stringify(meter));
          assert.deepStrictEqual(old.value.meter, { serial: null, ...meter });
        }
      });
    });

    it('rejects a serial that is no HomeWizard serial, with one line on meter.serial', () => {
      const message = 'HomeWizard serial must be 1 to 64 letters, digits, "-" or "_" (e.g. 3c39e7aabbcc): pick the meter again from the list';
      for (const serial of ['3c39e7 aabbcc', 'a<b>', 'x'.repeat(65), 42, { id: 'x' }]) {
        assert.deepStrictEqual(errorsFor({ meter: { ...good().meter, serial } }), { 'meter.serial': message }, JSON.stringify(serial));
      }
      assert.strictEqual(errorsFor({ meter: { source: 'flow', host: null, deviceId: null, serial: 'a/b' } })['meter.serial'], message);
    });
  });

  describe('chargers', () => {
    it('rejects unknown charger ids', () => {
      const errors = errorsFor({ chargers: { ...good().chargers, ghost: good().chargers['goe-1'] } });
      assert.deepStrictEqual(errors, { 'chargers.ghost': 'Unknown charger "ghost": it is not paired with this app (reload the page)' });
    });

    it('accepts a subset of the known chargers', () => {
      const r = validateAppSettings({ ...good(), chargers: { 'ca-7': good().chargers['ca-7'] } }, IDS);
      assert.ok(r.ok);
      assert.deepStrictEqual(Object.keys(r.value.chargers), ['ca-7']);
    });

    it('checks enabled, priority and maximum current', () => {
      assert.strictEqual(chargerErrors('goe-1', { enabled: 1 })['chargers.goe-1.enabled'], '"Take part in balancing" must be true or false');
      assert.strictEqual(chargerErrors('goe-1', { priority: 11 })['chargers.goe-1.priority'], 'Priority must be a whole number from 0 to 10');
      assert.strictEqual(chargerErrors('goe-1', { priority: 2.5 })['chargers.goe-1.priority'], 'Priority must be a whole number from 0 to 10');
      assert.strictEqual(chargerErrors('goe-1', { maxCurrentA: 5 })['chargers.goe-1.maxCurrentA'], 'Maximum current must be a whole number from 6 to 32 A');
      assert.strictEqual(chargerErrors('ca-7', { maxCurrentA: '33' })['chargers.ca-7.maxCurrentA'], 'Maximum current must be a whole number from 6 to 32 A');
      const r = validateAppSettings({ ...good(), chargers: { 'goe-1': { ...good().chargers['goe-1'], priority: '10', maxCurrentA: '6' } } }, IDS);
      assert.ok(r.ok);
      assert.deepStrictEqual(r.value.chargers['goe-1'], { enabled: true, priority: 10, phaseMap: ['L1', 'L2', 'L3'], maxCurrentA: 6 });
    });

    it('checks the phase mapping: three entries, valid phases, none twice, at least one', () => {
      const pm = (phaseMap: unknown) => chargerErrors('goe-1', { phaseMap })['chargers.goe-1.phaseMap'];
      assert.match(pm(['L1', 'L2']), /needs three entries/);
      assert.match(pm('L1,L2,L3'), /needs three entries/);
      assert.match(pm(['L1', 'L4', null]), /must map to grid phase L1, L2, L3/);
      assert.match(pm(['L1', '', null]), /must map to grid phase L1, L2, L3/);
      assert.strictEqual(pm(['L2', 'L2', null]), 'Grid phase L2 is used twice: each grid phase can feed only one charger phase');
      assert.strictEqual(pm([null, null, null]), 'Connect at least one charger phase to a grid phase');
      const rotated = validateAppSettings({ ...good(), chargers: { 'goe-1': { ...good().chargers['goe-1'], phaseMap: ['L2', 'L3', 'L1'] } } }, IDS);
      assert.ok(rotated.ok);
      assert.deepStrictEqual(rotated.value.chargers['goe-1'].phaseMap, ['L2', 'L3', 'L1']);
    });

    it('rejects a non-object charger entry or charger map', () => {
      assert.strictEqual(errorsFor({ chargers: { 'goe-1': 'on' } })['chargers.goe-1'], 'Charger settings must be an object');
      assert.strictEqual(errorsFor({ chargers: [] }).chargers, 'Chargers must be an object keyed by charger id');
    });
  });
});

describe('one fuse range', () => {
  it('the settings page, the flow card and the balancer take the same fuse range', () => {
    const card = require('../../.homeycompose/flow/actions/balancer_set_fuse.json') as { args: { name: string; min?: number; max?: number }[] };
    const arg = card.args.find((a) => a.name === 'fuse');
    assert.deepStrictEqual({ min: arg?.min, max: arg?.max }, { ...FUSE_LIMITS_A });
    assert.deepStrictEqual(SETTINGS_LIMITS.fuseA, FUSE_LIMITS_A);
    assert.throws(() => validateBalancerConfig({ fuseA: FUSE_LIMITS_A.max + 1 }), /fuseA: must be at least 6 A and at most 100 A/);
    assert.throws(() => validateBalancerConfig({ fuseA: FUSE_LIMITS_A.min - 1 }), /fuseA/);
  });
});
