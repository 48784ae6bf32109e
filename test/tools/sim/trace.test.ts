import assert from 'assert';
import path from 'path';
import { loadTrace, loopTrace, parseTraceCsv, TraceCursor, traceToCsv } from '../../../tools/sim/trace';
import { UserInputError } from '../../../lib/errors';

const FIXTURES = path.join(__dirname, '..', '..', 'fixtures', 'traces');

function parseError(text: string): string {
  try {
    parseTraceCsv(text, 'f.csv');
  } catch (err) {
    assert.ok(err instanceof UserInputError, `expected UserInputError, got ${String(err)}`);
    return err.message;
  }
  throw new Error('expected a parse error');
}

describe('tools/sim/trace', () => {
  it('parses seconds, ISO times, comments and signed currents; shifts time to start at 0', () => {
    const t = parseTraceCsv('# note\ntime,l1,l2,l3\n100,1,-2.5,3\n\n110,4,5,6\n', 'a.csv');
    assert.deepStrictEqual(t.points, [
      { timeS: 0, currentsA: [1, -2.5, 3] },
      { timeS: 10, currentsA: [4, 5, 6] },
    ]);
    assert.strictEqual(t.durationS, 20);
    const iso = parseTraceCsv('l3,l2,l1,time\n1,2,3,2025-01-01T00:00:00Z\n1,2,3,2025-01-01T00:00:02.5Z\n', 'b.csv');
    assert.deepStrictEqual(iso.points.map((p) => p.timeS), [0, 2.5]);
    assert.deepStrictEqual(iso.points[0].currentsA, [3, 2, 1], 'columns are found by name');
  });

  it('names file, line and field for every bad input', () => {
    assert.strictEqual(parseError(''), 'f.csv: empty file; expected a header time,l1,l2,l3 and rows');
    assert.strictEqual(parseError('time,l1,l2,l3\n'), 'f.csv: no data rows after the header');
    assert.match(parseError('time,l1,l3\n0,1,2\n'), /^f\.csv:1: missing column "l2"/);
    assert.match(parseError('time,l1,l2,l3\n0,1,2,3\n1,1,abc,3\n'), /^f\.csv:3 l2: "abc" is not a number/);
    assert.match(parseError('time,l1,l2,l3\n0,1,2\n'), /^f\.csv:2 l3: empty cell/);
    assert.match(parseError('time,l1,l2,l3\nyesterday,1,2,3\n'), /^f\.csv:2 time: "yesterday" is not a number of seconds or an ISO-8601 time/);
    assert.match(parseError('time,l1,l2,l3\n5,1,2,3\n4,1,2,3\n'), /^f\.csv:3 time: time goes backwards/);
  });

  it('reports a missing file as a user error', () => {
    assert.throws(() => loadTrace('/nonexistent/x.csv'), /x\.csv: file not found/);
  });

  it('cursor holds each row until the next one', () => {
    const t = parseTraceCsv('time,l1,l2,l3\n0,1,0,0\n10,2,0,0\n', 'c.csv');
    const c = new TraceCursor(t);
    assert.deepStrictEqual([0, 9.9, 10, 15].map((s) => c.at(s)[0]), [1, 1, 2, 2]);
    assert.strictEqual(c.at(3)[0], 1, 'going back restarts the walk');
  });

  it('loops a trace to a given length and round-trips through CSV', () => {
    const t = parseTraceCsv('time,l1,l2,l3\n0,1,0,0\n10,2,0,0\n', 'c.csv');
    const long = loopTrace(t, 50);
    assert.deepStrictEqual(long.points.map((p) => p.timeS), [0, 10, 20, 30, 40]);
    assert.strictEqual(long.durationS, 50);
    assert.deepStrictEqual(parseTraceCsv(traceToCsv(long), 'd.csv').points, long.points);
  });

  it('loads every bundled fixture (< 1 MB in total)', () => {
    const fs = require('fs') as typeof import('fs');
    const files = fs.readdirSync(FIXTURES).filter((f) => f.endsWith('.csv'));
    assert.ok(files.length >= 3);
    let bytes = 0;
    for (const f of files) {
      bytes += fs.statSync(path.join(FIXTURES, f)).size;
      assert.ok(loadTrace(path.join(FIXTURES, f)).points.length > 10, f);
    }
    assert.ok(bytes < 1_000_000, `${bytes} bytes`);
  });
});
