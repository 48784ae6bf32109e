/**
 * Who changed a charger's current limit (drivers/limitChanges.ts): the bookkeeping behind the device trigger
 * "The current limit changed". The devices through the stand-in: test/drivers/limitCards.test.ts and
 * test/app.deviceCards.test.ts.
 */
import assert from 'assert';
import { LimitChanges } from '../../drivers/limitChanges';

describe('drivers/limitChanges', () => {
  let nowMs: number;
  let graceMs: number;
  let t: LimitChanges;
  /** One whole reading (started and answered before anything else happens). */
  const read = (limitA: number | null) => t.reported(limitA, t.readStarts());

  beforeEach(() => {
    nowMs = 1_000_000;
    graceMs = 0;
    t = new LimitChanges({ now: () => nowMs, graceMs: () => graceMs });
  });

  it('the first reading only sets what is known; the same limit read again never fires; a new one is the charger\'s', () => {
    assert.strictEqual(read(16), null);
    assert.strictEqual(read(16), null);
    assert.strictEqual(read(null), null, 'an offline reading says nothing');
    assert.deepStrictEqual(read(12), { limitA: 12, by: 'charger' });
    for (let i = 0; i < 5; i++) assert.strictEqual(read(12), null);
    assert.deepStrictEqual(read(12.4), null, 'whole amps');
    assert.strictEqual(t.knownA, 12);
  });

  it('a user\'s command is announced at once and not again when the charger shows it', () => {
    read(16);
    assert.deepStrictEqual(t.userSet(10), { limitA: 10, by: 'user' });
    assert.strictEqual(read(10), null);
    assert.strictEqual(t.userSet(10), null, 'the same limit again is no change');
    assert.strictEqual(read(10), null);
    assert.ok(t.isUsersLimit(10) && !t.isUsersLimit(8) && !t.isUsersLimit(undefined));
    assert.strictEqual(t.balancerApplied({ limitA: 10, paused: null }), null, 'the balancer follows the user');
    assert.ok(t.isUsersLimit(10), 'still the user\'s limit');
    assert.deepStrictEqual(read(12), { limitA: 12, by: 'charger' });
    assert.ok(!t.isUsersLimit(12));
  });

  it('the balancer: a new told limit fires; a confirmation, a pause and a resume do not; a repeat over another limit does', () => {
    read(16);
    assert.deepStrictEqual(t.balancerApplied({ limitA: 10, paused: null }), { limitA: 10, by: 'balancer' });
    assert.strictEqual(t.balancerApplied({ limitA: 10, paused: null }, false), null, 'emitted while the device told its reading');
    assert.strictEqual(read(10), null);
    assert.strictEqual(t.balancerApplied({ limitA: 10, paused: true }), null, 'a pause');
    assert.strictEqual(t.balancerApplied({ limitA: 10, paused: false }), null, 'a resume');
    assert.strictEqual(t.balancerApplied({ limitA: null, paused: false }), null, 'two writes crossed: unknown');
    assert.strictEqual(t.balancerApplied({ limitA: 10, paused: false }), null, 'written again after that: it was 10 already');
    // the charger restarted with its own limit, and the balancer writes its limit again
    assert.deepStrictEqual(read(16), { limitA: 16, by: 'charger' });
    assert.deepStrictEqual(t.balancerApplied({ limitA: 10, paused: false }), { limitA: 10, by: 'balancer' });
    assert.strictEqual(read(10), null);
    assert.strictEqual(t.balancerApplied({ limitA: 10, paused: false }), null, 'told again while it shows it: nothing changed');
  });

  it('a reading that started before a command cannot show it: the old limit there is no change by the charger', () => {
    read(16);
    const inFlight = t.readStarts();
    assert.deepStrictEqual(t.balancerApplied({ limitA: 10, paused: null }), { limitA: 10, by: 'balancer' });
    assert.strictEqual(t.reported(16, inFlight), null);
    assert.strictEqual(read(10), null);
    assert.deepStrictEqual(read(16), { limitA: 16, by: 'charger' }, 'read after the command: the charger changed it');
  });

  it('a cloud charger may show the old limit for a while after a command; later it is the charger\'s', () => {
    graceMs = 75_000;
    read(16);
    assert.deepStrictEqual(t.userSet(10), { limitA: 10, by: 'user' });
    nowMs += 20_000;
    assert.strictEqual(read(16), null, 'the cloud does not show it yet');
    nowMs += 60_000;
    assert.deepStrictEqual(read(16), { limitA: 16, by: 'charger' }, 'after the grace: the charger went back to 16');
    assert.deepStrictEqual(t.userSet(10), { limitA: 10, by: 'user' });
    assert.deepStrictEqual(read(12), { limitA: 12, by: 'charger' }, 'another limit than before is no lag');
  });

  it('a command before the first reading fires nothing (no known limit to change from) and sets what is known', () => {
    const inFlight = t.readStarts();
    assert.strictEqual(t.balancerApplied({ limitA: 6, paused: null }), null);
    assert.strictEqual(t.reported(16, inFlight), null);
    assert.strictEqual(read(6), null);
    assert.deepStrictEqual(t.userSet(8), { limitA: 8, by: 'user' });
  });
});
