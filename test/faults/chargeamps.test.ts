/**
 * Fault matrix, Charge Amps: the real controller drives a Charge Amps connector over the cloud
 * emulator (loopback HTTP, ManualClock) while the cloud misbehaves. The client-level behaviour of each
 * fault is unit-tested in test/lib/chargeamps/client.test.ts (401 → refresh → retry once, refresh
 * rejected → login, login refused once, 429/5xx back-off of reads with jitter, writes tried once and
 * never held back, Retry-After, maintenance pages, decreases first, eviction) and
 * the device's "unavailable" + repair hint in test/drivers/chargeamps/driver.test.ts; here we check the
 * controller keeps the house safe and recovers while that happens, without a request storm.
 */
import assert from 'assert';
import type { Triple } from '../../lib/balancer/types';
import { ChargeAmpsConnectorCharger } from '../../lib/chargeamps/charger';
import { ChargeAmpsClient } from '../../lib/chargeamps/client';
import { ChargeAmpsEmulator, EMULATOR_API_KEY, EMULATOR_EMAIL, EMULATOR_PASSWORD } from '../../tools/emulators/chargeamps/emulator';
import { ManualClock } from '../../lib/clock';
import { Controller } from '../../lib/controller';
import { describeError } from '../../lib/errors';
import { nodeFetchTransport } from '../../lib/http';
import { defaultAppSettings } from '../../lib/settings';
import { assertReadable, watchProcess } from './rig';

const CP = 'HALO-3001';

describe('faults: Charge Amps cloud (controller over the emulator)', () => {
  let clock: ManualClock;
  let emu: ChargeAmpsEmulator;
  let client: ChargeAmpsClient;
  let charger: ChargeAmpsConnectorCharger;
  let controller: Controller;
  let logs: string[];
  let pollErrors: string[];
  let watch: ReturnType<typeof watchProcess>;

  const carA = (): Triple<number> => [emu.snapshot(CP, 1).drawA, emu.snapshot(CP, 1).drawA, emu.snapshot(CP, 1).drawA];
  const limit = (): number => emu.snapshot(CP, 1).maxCurrent as number;

  /** Let real HTTP answer without blocking on a write that sleeps out a back-off on the manual clock. */
  async function settle(): Promise<void> {
    const realMs = client.backoffRemainingMs() > 0 ? 5 : 250;
    await Promise.race([controller.idle(), new Promise((r) => setTimeout(r, realMs))]);
  }

  /** The reduction reached the charger: L2 (14 A of house load plus the car) is under fuse − margin. */
  function assertReduced(): void {
    assert.ok(limit() < 16 && 14 + carA()[1] <= 24, `limit ${limit()} A, L2 at ${14 + carA()[1]} A`);
  }

  async function seconds(n: number, houseA: Triple<number>, pollEveryS = 15): Promise<void> {
    for (let i = 0; i < n; i++) {
      await clock.advance(1000);
      if (Math.round(clock.nowMs() / 1000) % pollEveryS === 0) {
        try {
          controller.reportStatus(charger.id, await charger.getStatus());
        } catch (err) {
          pollErrors.push(describeError(err));
        }
      }
      const car = carA();
      controller.onSample({ timeMs: clock.nowMs(), currentsA: [houseA[0] + car[0], houseA[1] + car[1], houseA[2] + car[2]] });
      await settle();
    }
  }

  beforeEach(async () => {
    watch = watchProcess();
    clock = new ManualClock(Date.UTC(2026, 0, 1, 12));
    emu = new ChargeAmpsEmulator({ clock, chargePoints: [{ id: CP, name: 'Carport', model: 'HALO', protocol: 'capi', installationCurrentA: 16 }] });
    await emu.start();
    emu.plugIn(CP, 1, { phases: 3, maxCurrentA: 16 });
    client = new ChargeAmpsClient({
      baseUrl: emu.baseUrl,
      credentials: { email: EMULATOR_EMAIL, password: EMULATOR_PASSWORD, apiKey: EMULATOR_API_KEY },
      clock,
      transport: nodeFetchTransport,
      timeoutMs: 150,
      random: () => 0.5,
    });
    charger = new ChargeAmpsConnectorCharger({ client, chargePointId: CP, connectorId: 1 });
    logs = [];
    pollErrors = [];
    const settings = { ...defaultAppSettings(), fuseA: 25, marginA: 1, restoreHoldS: 5, restoreStepA: 4 };
    controller = new Controller({ clock, settings, log: (l) => logs.push(l), random: () => 0.5 });
    controller.addCharger(charger, 'Carport');
    controller.reportStatus(charger.id, await charger.getStatus());
    await seconds(240, [3, 3, 3]);
    assert.strictEqual(limit(), 16, `restored before the fault: ${logs.join('; ')}`);
  });

  afterEach(async () => {
    emu.slowMs = 0;
    await clock.advance(10 * 60_000); // let a write sleeping out a back-off finish
    await settle();
    await emu.stop();
    watch.stop();
  });

  it('401 mid-session (access token revoked): refreshed once, the reduction lands, no extra login', async () => {
    const logins = emu.counters.logins;
    emu.revokeTokens();
    await seconds(30, [3, 14, 3]);
    assertReduced();
    assert.strictEqual(emu.counters.logins, logins, 'the refresh token was enough');
    assert.ok(emu.counters.refreshes >= 1 && emu.counters.refreshes <= 2, `${emu.counters.refreshes} refreshes`);
    watch.check();
  });

  it('refresh rejected (every token revoked): logs in again once, the reduction lands', async () => {
    const logins = emu.counters.logins;
    emu.revokeTokens(EMULATOR_EMAIL, true);
    await seconds(30, [3, 14, 3]);
    assertReduced();
    assert.strictEqual(emu.counters.logins, logins + 1);
    assert.strictEqual(emu.counters.failedRefreshes, 1);
    watch.check();
  });

  it('token evicted by logins elsewhere (more than 10 sessions): recovers with one login', async () => {
    const logins = emu.counters.logins;
    for (let i = 0; i < 10; i++) {
      const other = new ChargeAmpsClient({ baseUrl: emu.baseUrl, credentials: { email: EMULATOR_EMAIL, password: EMULATOR_PASSWORD, apiKey: EMULATOR_API_KEY }, clock, transport: nodeFetchTransport });
      await other.auth.verify();
    }
    assert.ok(emu.counters.evictions >= 1);
    await seconds(30, [3, 14, 3]);
    assertReduced();
    assert.strictEqual(emu.counters.logins, logins + 10 + 1);
    watch.check();
  });

  it('login rejected (password changed elsewhere): one failed login, no retry storm, one readable line per attempt', async () => {
    emu.setPassword(EMULATOR_EMAIL, 'changed-elsewhere-123');
    emu.revokeTokens(EMULATOR_EMAIL, true);
    const before = emu.counters.requests;
    await seconds(300, [3, 14, 3]);
    assert.strictEqual(emu.counters.failedLogins, 1, 'refused credentials are not tried again until they change');
    assert.ok(emu.counters.requests - before <= 5, `${emu.counters.requests - before} requests in 5 min`);
    const failures = logs.filter((l) => /^Carport: command failed/.test(l));
    assert.ok(failures.length >= 1 && failures.length <= 300 / 2.5, `${failures.length} command failures in 5 min`);
    assert.match(failures[0], /authentication failed: Charge Amps refused the email, password or API key/);
    assertReadable([...logs, ...pollErrors]);
    assert.strictEqual(limit(), 16, 'nothing reached the charger');
    watch.check();
  });

  for (const kind of ['429', '500'] as const) {
    it(`${kind} answers: back-off instead of a storm, the reduction lands once the cloud answers`, async () => {
      emu.failNext(kind, 4);
      const before = emu.counters.requests;
      await seconds(120, [3, 14, 3]);
      assertReduced();
      // 8 polls (3 requests each) and a handful of writes: a storm would be hundreds.
      assert.ok(emu.counters.requests - before <= 40, `${emu.counters.requests - before} requests in 2 min`);
      assert.ok(logs.some((l) => /^Carport: command failed .*(429|500|backing off)/.test(l)) || pollErrors.some((l) => /429|500|backing off/.test(l)));
      assertReadable([...logs, ...pollErrors]);
      watch.check();
    });
  }

  /** Seconds of house load until the reduction reached the charger (at most maxS). */
  async function secondsUntilReduced(houseA: Triple<number>, maxS: number): Promise<number> {
    for (let s = 1; s <= maxS; s++) {
      await seconds(1, houseA);
      if (limit() < 16 && houseA[1] + carA()[1] <= 24) return s;
    }
    return Infinity;
  }

  it('one 429 with Retry-After 120 s on the cut: the cut is not held back by the client (lands within 15 s)', async () => {
    const puts = emu.counters.puts;
    emu.failNext('429', 1, { retryAfterS: 120 });
    const tookS = await secondsUntilReduced([3, 14, 3], 60);
    assert.ok(tookS <= 15, `the reduction took ${tookS} s: ${logs.join('; ')}`);
    assert.ok(emu.counters.puts - puts <= 3, `${emu.counters.puts - puts} PUTs`);
    assertReadable([...logs, ...pollErrors]);
    watch.check();
  });

  it('an HTML maintenance page (HTTP 200) answering the cut is a failure, not a landed cut; it lands once the page is gone', async () => {
    emu.failNext('html200', 3);
    const tookS = await secondsUntilReduced([3, 14, 3], 60);
    assert.ok(tookS <= 20, `the reduction took ${tookS} s: ${logs.join('; ')}`);
    assert.ok([...logs, ...pollErrors].some((l) => /expected JSON or an empty answer, got text\/html/.test(l)), [...logs, ...pollErrors].join('\n'));
    assertReadable([...logs, ...pollErrors]);
    watch.check();
  });

  it('garbage from the cloud gateway: readable line, recovered', async () => {
    emu.failNext('garbage', 2);
    await seconds(30, [3, 14, 3]);
    assertReduced();
    assertReadable([...logs, ...pollErrors]);
    watch.check();
  });

  it('charge point offline: the manual maximum survives, and the limit lands once it is back', async () => {
    controller.manualCurrentChange(charger.id, 12);
    await seconds(30, [3, 3, 3]);
    assert.strictEqual(limit(), 12);
    emu.setOnline(CP, false);
    await seconds(60, [3, 3, 3]);
    emu.setOnline(CP, true);
    await seconds(60, [3, 14, 3]);
    assertReduced();
    // a cloud charger is raised only once the peak is cloudRaiseWindowS (60 s) behind
    await seconds(120, [3, 3, 3]);
    assert.strictEqual(limit(), 12, 'still capped by the user\'s maximum after the offline spell');
    watch.check();
  });

  it('slow answers beyond the timeout: readable timeouts, no pile-up, recovered when the cloud is fast again', async () => {
    emu.slowMs = 200;
    const before = emu.counters.requests;
    await seconds(20, [3, 14, 3]);
    assert.ok(emu.counters.requests - before <= 20, `${emu.counters.requests - before} requests in 20 s`);
    assert.ok([...logs, ...pollErrors].some((l) => /no answer within 150 ms/.test(l)), [...logs, ...pollErrors].join('\n'));
    emu.slowMs = 0;
    await seconds(60, [3, 14, 3]);
    assertReduced();
    watch.check();
  });
});
