/**
 * Fault matrix, go-e: the real controller drives the go-e emulator over loopback HTTP on a ManualClock
 * while the charger misbehaves. For each fault: the reduction the house needs is retried with back-off
 * (no tight loop), a readable log line says what went wrong, nothing is left unhandled, and once the
 * fault clears the limit the balancer wants is applied. Protocol details of each fault (error kinds and
 * messages) are unit-tested in test/lib/goe/client.test.ts.
 */
import assert from 'assert';
import { assertReadable, goeRig, watchProcess, type GoeRig } from './rig';

/** `acted`: the charger acts on the write but the answer is lost or mangled (slow, cut, all null). */
type Fault = { name: string; on(r: GoeRig): void; off(r: GoeRig): void; log: RegExp; acted?: boolean };

const FAULTS: Fault[] = [
  { name: 'refused connection', on: (r) => (r.net.refuse = true), off: (r) => (r.net.refuse = false), log: /cannot connect \(ECONNREFUSED\)/ },
  { name: 'timeout', on: (r) => (r.emu.faults.delayMs = 400), off: (r) => (r.emu.faults.delayMs = 0), log: /no answer within 150 ms/, acted: true },
  { name: 'HTTP 500', on: (r) => (r.emu.faults.http500 = true), off: (r) => (r.emu.faults.http500 = false), log: /HTTP 500/ },
  { name: 'garbage HTML', on: (r) => (r.emu.faults.garbage = true), off: (r) => (r.emu.faults.garbage = false), log: /expected JSON, got "<html>|HTTP 200: <html>/ },
  { name: 'truncated JSON', on: (r) => (r.emu.faults.truncated = true), off: (r) => (r.emu.faults.truncated = false), log: /expected JSON|HTTP 200: \{"amp"\)/, acted: true },
  { name: 'dropped connection', on: (r) => (r.emu.faults.drop = true), off: (r) => (r.emu.faults.drop = false), log: /socket hang up|ECONNRESET/ },
  { name: 'all-null JSON', on: (r) => (r.emu.faults.nullValues = true), off: (r) => (r.emu.faults.nullValues = false), log: /not a go-e status|HTTP 200: \{"amp":null\}/, acted: true },
];

describe('faults: go-e charger (controller over the emulator)', () => {
  let rig: GoeRig;
  let watch: ReturnType<typeof watchProcess>;

  beforeEach(() => {
    watch = watchProcess();
  });

  afterEach(async () => {
    await rig?.stop();
    watch.stop();
  });

  for (const fault of FAULTS) {
    it(`${fault.name}: the reduction is retried with back-off, logged in one line, and applied once the charger answers`, async () => {
      rig = await goeRig();
      await rig.seconds(30, [3, 3, 3]);
      assert.strictEqual(rig.emu.offeredA, 16, 'restored to the maximum before the fault');

      fault.on(rig);
      const before = rig.net.sent.length;
      const faultS = 30;
      await rig.seconds(faultS, [3, 14, 3]); // L2 overloads: the balancer wants 25 - 1 - 14 = 10 A
      const requests = rig.net.sent.length - before;
      const failures = rig.logs.filter((l) => /^Garage: command failed/.test(l));
      // Polls every 5 s (6) plus write attempts at least 2.5 s apart (a read and a write each): a tight loop would send hundreds.
      assert.ok(requests <= 6 + 2 * (faultS / 2.5 + 1), `${requests} requests in ${faultS} s`);
      assert.ok(failures.length >= 2, `the reduction is retried (${failures.length} failures)`);
      assert.ok(failures.length <= faultS / 2.5 + 1, `no tight retry loop (${failures.length} failures)`);
      assert.ok(failures.every((l) => fault.log.test(l)), `log says what went wrong: ${failures[0]}`);
      assertReadable(rig.logs);
      if (!fault.acted) assert.strictEqual(rig.emu.offeredA, 16, 'the charger never heard the command');

      fault.off(rig);
      await rig.seconds(10, [3, 14, 3]);
      assert.ok(rig.emu.offeredA <= 10, `the reduction lands once the charger answers (${rig.emu.offeredA} A)`);
      assert.strictEqual(rig.controller.appliedLimit(rig.charger.id)?.limitA, rig.emu.offeredA);
      watch.check();
    });
  }

  it('all-null JSON does not count as "car unplugged": a manual maximum survives it', async () => {
    rig = await goeRig({ pollEveryS: 1 });
    await rig.seconds(30, [3, 3, 3]);
    rig.controller.manualCurrentChange(rig.charger.id, 9);
    await rig.seconds(10, [3, 3, 3]);
    assert.strictEqual(rig.emu.offeredA, 9);
    rig.emu.faults.nullValues = true;
    await rig.seconds(5, [3, 3, 3]);
    rig.emu.faults.nullValues = false;
    await rig.seconds(60, [3, 3, 3]);
    assert.strictEqual(rig.emu.offeredA, 9, 'still the user\'s maximum');
    assert.ok(!rig.logs.some((l) => /manual maximum cleared/.test(l)), rig.logs.join('\n'));
    watch.check();
  });

  it('a reboot that resets the volatile limit (v1 amx): the controller applies its limit again', async () => {
    rig = await goeRig({ profile: 'v1-042', api: 'auto' });
    await rig.seconds(30, [3, 3, 3]);
    rig.controller.manualCurrentChange(rig.charger.id, 10);
    await rig.seconds(5, [3, 3, 3]);
    assert.strictEqual(rig.emu.offeredA, 10);
    assert.strictEqual(rig.emu.ampPersisted, 16, 'v1 with amx: the limit was written to the volatile key');
    rig.emu.reboot();
    assert.strictEqual(rig.emu.offeredA, 16, 'the reboot lost the limit');
    await rig.seconds(10, [3, 3, 3]);
    assert.strictEqual(rig.emu.offeredA, 10, 're-applied after the next poll');
    assert.ok(rig.logs.some((l) => /Garage: reports 16 A instead of 10 A; applying the limit again/.test(l)), rig.logs.join('\n'));
    watch.check();
  });

  it('a reboot that resets the limit during an overload: the house is back under the fuse within 10 s', async () => {
    rig = await goeRig({ profile: 'v1-042', api: 'auto' });
    await rig.seconds(30, [3, 3, 3]);
    await rig.seconds(10, [3, 14, 3]);
    assert.strictEqual(rig.emu.offeredA, 10);
    rig.emu.reboot();
    await rig.seconds(10, [3, 14, 3]);
    assert.ok(14 + rig.carA()[1] <= 24, `L2 at ${14 + rig.carA()[1]} A`);
    watch.check();
  });

  it('a reboot that resets frc while paused (v2): the controller pauses the charger again', async () => {
    rig = await goeRig({ settings: { pauseAfterS: 20 } });
    await rig.seconds(30, [3, 3, 3]);
    await rig.seconds(40, [3, 22, 3], { report: true }); // no room for even 6 A on L2: pause
    assert.strictEqual(rig.emu.frc, 1, 'paused by the balancer');
    assert.strictEqual(rig.emu.charging, false);
    rig.emu.reboot();
    assert.strictEqual(rig.emu.frc, 0, 'the reboot forgot the pause');
    await rig.seconds(10, [3, 22, 3]);
    assert.strictEqual(rig.emu.frc, 1, 'paused again after the next poll');
    assert.ok(rig.logs.some((l) => /Garage: allows charging again although paused/.test(l)), rig.logs.join('\n'));
    assert.strictEqual(rig.emu.charging, false);
    watch.check();
  });

  it('firmware answering v1 only: detected automatically and balanced through /mqtt', async () => {
    rig = await goeRig({ profile: 'v1-020', api: 'auto' });
    await rig.seconds(30, [3, 3, 3]);
    assert.strictEqual(rig.emu.offeredA, 16);
    await rig.seconds(5, [3, 14, 3]);
    assert.strictEqual(rig.emu.offeredA, 10);
    assert.strictEqual(rig.client.api, 'v1');
    assert.ok(rig.net.count('/mqtt?payload=amp=10') >= 1, 'written through the v1 API');
    assert.ok(rig.net.count('/api/set') === 0, 'never writes to an API the firmware lacks');
    watch.check();
  });
});
