import assert from 'assert';
import { READING_SLACK_MS, ReadingAge } from '../../lib/plan/readingAge';

describe('lib/plan/readingAge', () => {
  it('counts a reading for its poll period plus slack, learned from the gaps between readings', () => {
    const age = new ReadingAge();
    // a reading every 30 s (a cloud charger): the poll period is learned as 30 s
    for (let t = 0; t <= 120_000; t += 30_000) assert.strictEqual(age.freshMs(t, t + 5_000, 5_000, 'local'), 5_000);
    assert.strictEqual(age.pollMs('local'), 30_000);
    // no new reading after 120 s: it counts until 120 + 30 + 30 s, then not at all; a step across that edge in part
    assert.strictEqual(age.freshMs(120_000, 175_000, 10_000, 'local'), 10_000);
    assert.strictEqual(age.freshMs(120_000, 185_000, 10_000, 'local'), 5_000);
    assert.strictEqual(age.freshMs(120_000, 190_000, 10_000, 'local'), 0);
    // one long gap (an outage) does not stretch the period
    assert.strictEqual(age.freshMs(900_000, 900_000, 1_000, 'local'), 1_000);
    assert.strictEqual(age.pollMs('local'), 30_000);
  });

  it('counts nothing without a reading, all of an input without a time (taken now), and a default period at first', () => {
    const age = new ReadingAge();
    assert.strictEqual(age.freshMs(null, 50_000, 10_000, 'cloud'), 0);
    assert.strictEqual(age.freshMs(undefined, 50_000, 10_000, 'cloud'), 10_000);
    assert.strictEqual(age.pollMs('local'), 10_000);
    assert.strictEqual(age.pollMs('cloud'), 30_000);
    assert.strictEqual(age.freshMs(0, 30_000 + READING_SLACK_MS + 10_000, 10_000, 'cloud'), 0);
  });
});
