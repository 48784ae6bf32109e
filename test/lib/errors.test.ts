import assert from 'assert';
import { PeerError, UserInputError, describeError, redact, registerSecret } from '../../lib/errors';

describe('lib/errors', () => {
  it('names the field in a user input error, on one line', () => {
    const e = new UserInputError('fuseA', 'expected a number from 6 to 100,\n got "abc"');
    assert.strictEqual(e.message, 'fuseA: expected a number from 6 to 100, got "abc"');
    assert.strictEqual(e.field, 'fuseA');
  });

  it('removes registered secrets and token-looking strings from any message', () => {
    registerSecret('hunter2-secret');
    const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.abcdefg';
    const out = redact(`login hunter2-secret failed; token ${jwt}; Authorization: Bearer abc.def`);
    assert.ok(!out.includes('hunter2-secret'));
    assert.ok(!out.includes(jwt));
    assert.ok(!out.includes('abc.def'));
  });

  it('redacts key=value secrets in query-like text', () => {
    assert.strictEqual(redact('GET /x?token=abcd1234&x=1'), 'GET /x?token=***&x=1');
    assert.strictEqual(redact('{"password":"p4ssw0rd!"}'), '{"password":"***"}');
  });

  it('describes any thrown value as one redacted line', () => {
    assert.strictEqual(describeError(new PeerError('timeout', 'GET http://x/api: no answer\nwithin 5000 ms')), 'GET http://x/api: no answer within 5000 ms');
    assert.strictEqual(describeError('plain'), 'plain');
  });
});
