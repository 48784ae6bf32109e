import assert from 'assert';
import { Actuator, type ActuatorNotice, CONFIRM_MS, DECREASE_RETRY_AFTER_CAP_MS, LOCAL_GRACE_MS } from '../../lib/actuator';
import type { Charger, ChargerStatus, LatencyClass } from '../../lib/charger';
import { ManualClock } from '../../lib/clock';
import { PeerError } from '../../lib/errors';
import { FakeCharger } from './fakeCharger';

/** The actuator tests' charger: draws 16 A unless told less. */
class ScriptedCharger extends FakeCharger {
  constructor(latencyClass: LatencyClass = 'local') {
    super('c1', latencyClass);
    this.drawA = 16;
    this.fail = false;
  }
}

async function flush(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}

describe('lib/actuator', () => {
  let clock: ManualClock;
  let logs: string[];
  let notices: ActuatorNotice[];
  const make = (c: Charger): Actuator =>
    new Actuator({ charger: c, name: () => 'Garage', clock, log: (l) => logs.push(l), random: () => 0.5, onNotice: (n) => notices.push(n) });

  beforeEach(() => {
    clock = new ManualClock(Date.UTC(2026, 0, 1));
    logs = [];
    notices = [];
  });

  /** A charger told 10 A, then a raise to `raiseA` that hangs (its write held). */
  async function raiseInFlight(latency: LatencyClass, raiseA: number): Promise<{ c: ScriptedCharger; a: Actuator }> {
    const c = new ScriptedCharger(latency);
    c.limitA = 10;
    const a = make(c);
    a.reportStatus(c.status());
    a.setTarget({ limitA: 10, paused: false });
    await flush();
    c.calls = [];
    c.hold = true;
    a.setTarget({ limitA: raiseA, paused: false });
    await flush();
    return { c, a };
  }

  it('a decrease goes out while a raise is still in flight; a raise answering late leaves the limit unknown, so the target is written again', async () => {
    const { c, a } = await raiseInFlight('local', 14);
    a.setTarget({ limitA: 8, paused: false }); // the decrease does not wait for it
    await flush();
    assert.deepStrictEqual(c.calls, ['set 14', 'set 8']);
    c.hold = false;
    c.release(); // both answer: 14 then 8 — or the other way round at a real charger
    await flush();
    await a.idle();
    assert.deepStrictEqual(c.calls, ['set 14', 'set 8', 'set 8'], 'the crossed writes are settled by writing the target once more');
    assert.strictEqual(c.limitA, 8);
  });

  it('a cut back to the limit last told, while a raise is still in flight, goes out at once (regression: nothing was written)', async () => {
    const { c, a } = await raiseInFlight('cloud', 16);
    await clock.advance(2000);
    a.setTarget({ limitA: 10, paused: false }); // a kettle: back to what the charger was told before
    await flush();
    assert.deepStrictEqual(c.calls, ['set 16', 'set 10'], 'the cut does not wait for the raise to answer');
    assert.strictEqual(a.committedA(), 16, 'the raise may have landed: counted at worst case meanwhile');
    c.hold = false;
    c.release();
    await flush();
    await a.idle();
    assert.strictEqual(c.limitA, 10);
  });

  it('a raise that lands but answers with a timeout: a cut to the limit last told is written (regression: the charger ran on at the raise)', async () => {
    /** Applies 12 A, then the answer times out. */
    class LandsThenTimesOut extends ScriptedCharger {
      override setCurrentLimit(currentA: number): Promise<void> {
        if (currentA !== 12) return super.setCurrentLimit(currentA);
        this.calls.push('set 12');
        this.limitA = 12;
        return Promise.reject(new PeerError('timeout', 'PUT settings: no answer in 5 s'));
      }
    }
    const c = new LandsThenTimesOut('cloud');
    c.limitA = 10;
    const a = make(c);
    a.reportStatus(c.status());
    a.setTarget({ limitA: 10, paused: false });
    await flush();
    a.setTarget({ limitA: 12, paused: false });
    await flush();
    assert.strictEqual(c.limitA, 12);
    a.setTarget({ limitA: 10, paused: false }); // the kettle, after the raise failed
    await flush();
    assert.deepStrictEqual(c.calls.slice(-2), ['set 12', 'set 10'], 'written although the last accepted limit was 10 A');
    assert.strictEqual(c.limitA, 10);
  });

  it('a refused raise never holds back a later cut; a refused cut is retried within 30 s (regression: 3.5 min)', async () => {
    const c = new ScriptedCharger('cloud');
    const a = make(c);
    a.reportStatus(c.status());
    a.setTarget({ limitA: 16, paused: false });
    await flush();
    c.fail = new PeerError('http', 'go-e refused amp=20: out of range', 200);
    a.setTarget({ limitA: 20, paused: false }); // refused again and again: the raise backs off towards 5 min
    for (let s = 0; s < 600; s++) {
      await clock.advance(1000);
      a.tick();
      await flush();
    }
    c.calls = [];
    c.fail = false;
    a.setTarget({ limitA: 6, paused: false });
    await flush();
    assert.deepStrictEqual(c.calls, ['set 6'], 'the cut goes out at once');
    // a cut refused the way that does not pass by itself (go-e cloud: charger offline, HTTP 403) while it lasts
    a.setTarget({ limitA: 16, paused: false });
    await flush();
    c.fail = new PeerError('http', 'go-e cloud: charger offline or cloud API not enabled (HTTP 403)', 403);
    a.setTarget({ limitA: 8, paused: false });
    for (let s = 0; s < 300; s++) {
      await clock.advance(1000);
      a.tick();
      await flush();
    }
    c.calls = [];
    c.fail = false; // back online
    let afterS = 0;
    while (!c.calls.includes('set 8') && afterS < 60) {
      await clock.advance(1000);
      a.tick();
      await flush();
      afterS++;
    }
    assert.ok(afterS <= 30, `the cut went out ${afterS} s after the charger was back`);
  });

  it('a failed decrease is retried after 2 s, then 4 s, at most every 5 s; a Retry-After holds it back at most 10 s, a raise the whole of it', async () => {
    const c = new ScriptedCharger('cloud');
    const a = make(c);
    a.reportStatus(c.status());
    c.fail = new PeerError('unreachable', 'cannot connect (ECONNREFUSED)');
    a.setTarget({ limitA: 10, paused: false });
    await flush();
    assert.strictEqual(c.calls.length, 1, 'the first try at once');
    const at: number[] = [];
    for (let s = 0; s <= 20; s++) {
      const n = c.calls.length;
      a.tick();
      await flush();
      if (c.calls.length > n) at.push(s);
      await clock.advance(1000);
    }
    assert.deepStrictEqual(at, [2, 6, 11, 16]);

    c.calls = [];
    c.fail = new PeerError('rate-limit', 'slow down (HTTP 429)', 429, { retryAfterMs: 120_000 });
    a.setTarget({ limitA: 8, paused: false });
    await flush();
    c.fail = false;
    for (let s = 0; s < DECREASE_RETRY_AFTER_CAP_MS / 1000; s++) {
      await clock.advance(1000);
      a.tick();
      await flush();
    }
    assert.deepStrictEqual(c.calls, ['set 8', 'set 8'], 'retried after 10 s, not 120 s');
    a.reportStatus(c.status());

    c.calls = [];
    c.fail = new PeerError('rate-limit', 'slow down (HTTP 429)', 429, { retryAfterMs: 120_000 });
    a.setTarget({ limitA: 12, paused: false });
    await flush();
    c.fail = false;
    for (let s = 0; s < 119; s++) {
      await clock.advance(1000);
      a.tick();
      await flush();
    }
    assert.deepStrictEqual(c.calls, ['set 12'], 'a raise waits out the Retry-After');
    await clock.advance(1000);
    a.tick();
    await flush();
    assert.deepStrictEqual(c.calls, ['set 12', 'set 12']);
  });

  it('a decrease the charger refuses (auth, 4xx) is not retried every few seconds but backed off like a raise', async () => {
    const c = new ScriptedCharger();
    const a = make(c);
    a.reportStatus(c.status());
    c.fail = new PeerError('auth', 'login refused (HTTP 401)', 401);
    a.setTarget({ limitA: 10, paused: false });
    for (let s = 0; s < 60; s++) {
      await clock.advance(1000);
      a.tick();
      await flush();
    }
    assert.ok(c.calls.length <= 6, `${c.calls.length} attempts in 60 s`);
  });

  it('repairs drift (a reboot lost the limit) at once, then at most once per confirm period', async () => {
    const c = new ScriptedCharger();
    c.drawA = 8; // the car takes less than either limit: this is about the limit, not the draw
    const a = make(c);
    a.setTarget({ limitA: 10, paused: false });
    await flush();
    c.calls = [];
    c.limitA = 16; // lost again and again
    for (let s = 0; s < CONFIRM_MS.local / 1000 + 1; s++) {
      c.limitA = 16;
      a.reportStatus(c.status());
      await flush();
      await clock.advance(1000);
    }
    assert.deepStrictEqual(c.calls, ['set 10', 'set 10']);
    assert.ok(logs.some((l) => l === 'Garage: reports 16 A instead of 10 A; applying the limit again'), logs.join('\n'));
  });

  it('committedA: an unconfirmed cut counts at the old level — a cloud charger at once, a local one after its grace — until a reading confirms it', async () => {
    for (const latency of ['cloud', 'local'] as const) {
      const c = new ScriptedCharger(latency);
      const a = make(c);
      a.setTarget({ limitA: 16, paused: false });
      await flush();
      a.reportStatus(c.status());
      assert.strictEqual(a.committedA(), null);
      c.hold = true; // the cut is sent but does not land yet
      a.setTarget({ limitA: 8, paused: false });
      await flush();
      assert.strictEqual(a.committedA(), latency === 'cloud' ? 16 : null);
      await clock.advance(LOCAL_GRACE_MS);
      assert.strictEqual(a.committedA(), 16, `${latency}: counted at 16 A until confirmed`);
      c.release();
      await flush();
      a.reportStatus(c.status({ phases: c.status().phases.map((p) => ({ ...p, currentA: 16 })) as ChargerStatus['phases'] }));
      assert.strictEqual(a.committedA(), 16, 'the limit is reported, but the car still draws 16 A');
      a.reportStatus(c.status());
      assert.strictEqual(a.committedA(), null, 'confirmed by the reading');
    }
  });

  it('committedA: a local charger\'s grace runs from the first cut not yet confirmed; cuts less than the grace apart do not restart it (regression)', async () => {
    const c = new ScriptedCharger('local');
    const a = make(c);
    a.setTarget({ limitA: 16, paused: false });
    await flush();
    a.reportStatus(c.status());
    c.hold = true; // no cut lands or shows
    for (const limitA of [12, 10, 8]) {
      a.setTarget({ limitA, paused: false });
      await flush();
      await clock.advance(LOCAL_GRACE_MS / 2);
    }
    assert.strictEqual(a.committedA(), 16, `counted at 16 A ${(3 * LOCAL_GRACE_MS) / 2000} s after the first cut, though the last came ${LOCAL_GRACE_MS / 2000} s ago`);
    c.hold = false;
    c.release();
    await flush();
    await a.idle();
    assert.strictEqual(c.limitA, 8);
    a.reportStatus(c.status());
    assert.strictEqual(a.committedA(), null, 'confirmed');
    c.hold = true;
    a.setTarget({ limitA: 6, paused: false });
    await flush();
    assert.strictEqual(a.committedA(), null, 'a new cut gets its own grace');
  });

  it('a charger paused by someone else is left alone; our own resume that has not shown yet (or not landed) is not such a pause', async () => {
    const c = new ScriptedCharger();
    const a = make(c);
    a.setTarget({ limitA: 16, paused: false });
    await flush();
    a.reportStatus(c.status());
    c.paused = true; // the go-e app paused it
    a.reportStatus(c.status());
    assert.strictEqual(a.notOurs, true);
    assert.ok(logs.some((l) => /was paused outside the app/.test(l)));
    c.calls = [];
    a.tick();
    await flush();
    assert.deepStrictEqual(c.calls, [], 'no resume');
    c.paused = false; // resumed at the charger: balanced again
    a.reportStatus(c.status());
    assert.strictEqual(a.notOurs, false);

    // the app paused it; the resume fails; after a restart the paused reading is still ours
    const b = make(c);
    b.setTarget({ limitA: 6, paused: true });
    await flush();
    b.reportStatus(c.status());
    c.fail = new PeerError('unreachable', 'cannot connect');
    b.setTarget({ limitA: 6, paused: false });
    await flush();
    const restarted = make(c);
    restarted.restore(JSON.parse(JSON.stringify(b.snapshot())));
    c.fail = false;
    c.calls = [];
    restarted.reportStatus(c.status());
    restarted.setTarget({ limitA: 6, paused: false });
    await flush();
    assert.strictEqual(restarted.notOurs, false, 'never taken for a user pause');
    assert.deepStrictEqual(c.calls, ['set 6', 'resume']);
  });

  it('draws above its limit for a confirm period: held paused (ignoredLimit); still drawing a confirm period after that: ignoredPause', async () => {
    const c = new ScriptedCharger();
    c.drawA = 16;
    const a = make(c);
    a.setTarget({ limitA: 16, paused: false });
    await flush();
    a.setTarget({ limitA: 8, paused: false });
    await flush();
    const ignoring = (): ChargerStatus => c.status({ chargingAllowed: !c.paused, phases: c.status().phases.map((p) => ({ ...p, currentA: 16 })) as ChargerStatus['phases'] });
    for (let s = 0; s <= CONFIRM_MS.local / 1000 + 1; s++) {
      a.reportStatus(ignoring());
      await flush();
      await clock.advance(1000);
    }
    assert.deepStrictEqual(notices.map((n) => n.type), ['ignoredLimit']);
    assert.strictEqual(c.paused, true, 'paused');
    assert.strictEqual(a.isHeld, true);
    for (let s = 0; s <= CONFIRM_MS.local / 1000 + 1; s++) {
      a.reportStatus(ignoring());
      await flush();
      await clock.advance(1000);
    }
    assert.deepStrictEqual(notices.map((n) => n.type), ['ignoredLimit', 'ignoredPause']);
    a.reportStatus(c.status({ state: 'idle' })); // unplugged: no longer held
    assert.strictEqual(a.isHeld, false);
  });
});
