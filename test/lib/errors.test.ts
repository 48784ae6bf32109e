import assert from 'assert';
import { PeerError, SecretSlot, UserInputError, describeError, quoteInput, redact, registerSecret, registeredSecretCount } from '../../lib/errors';

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

  it('a secret slot holds one value: a new one replaces it, a value held elsewhere stays until its last holder lets go', () => {
    const before = registeredSecretCount();
    const slot = new SecretSlot();
    const other = new SecretSlot();
    for (let i = 0; i < 1000; i++) slot.set(`rotating-secret-${i}`);
    assert.strictEqual(registeredSecretCount(), before + 1);
    assert.strictEqual(redact('x rotating-secret-999 y'), 'x *** y', 'the current value');
    assert.strictEqual(redact('x rotating-secret-998 y'), 'x rotating-secret-998 y', 'a replaced value is no longer held');
    other.set('rotating-secret-999');
    slot.set('rotating-secret-1000');
    assert.strictEqual(redact('rotating-secret-999'), '***', 'still held by the other slot');
    registerSecret('rotating-secret-1000');
    slot.clear();
    other.clear();
    assert.strictEqual(redact('rotating-secret-999 rotating-secret-1000'), 'rotating-secret-999 ***', 'registered for good wins');
    assert.strictEqual(registeredSecretCount(), before + 1);
  });

  it('redacts key=value secrets in query-like text', () => {
    assert.strictEqual(redact('GET /x?token=abcd1234&x=1'), 'GET /x?token=***&x=1');
    assert.strictEqual(redact('{"password":"p4ssw0rd!"}'), '{"password":"***"}');
    assert.strictEqual(redact("{'token': 'abc'}"), "{'token': '***'}");
    assert.strictEqual(redact('apiKey: 9f8e7d6c5b'), 'apiKey: ***');
  });

  it('leaves prose after such a word alone (regression: "token: *** it again")', () => {
    const line = 'HomeWizard 192.168.1.30: the meter refused the token: pair it again on the settings page';
    assert.strictEqual(redact(line), line);
    assert.strictEqual(redact('Charge Amps: password: must not be empty'), 'Charge Amps: password: must not be empty');
  });

  it('describes any thrown value as one redacted line', () => {
    assert.strictEqual(describeError(new PeerError('timeout', 'GET http://x/api: no answer\nwithin 5000 ms')), 'GET http://x/api: no answer within 5000 ms');
    assert.strictEqual(describeError('plain'), 'plain');
  });

  describe('quoteInput', () => {
    it('quotes short input as it is', () => {
      assert.strictEqual(quoteInput('p1.local'), '"p1.local"');
      assert.strictEqual(quoteInput(''), '""');
    });

    it('drops a user name and password in front of "@", with or without a scheme', () => {
      assert.strictEqual(quoteInput('user:secret@p1.local'), '"p1.local"');
      assert.strictEqual(quoteInput('http://user:secret@p1.local/api'), '"http://p1.local/api"');
      assert.strictEqual(quoteInput('http://user:p@ss@p1.local/a@b'), '"http://p1.local/a@b"', 'up to the last "@" before the path');
      assert.strictEqual(quoteInput(`user:${'s'.repeat(1_000_000)}@p1.local`), '"p1.local"', 'however long the userinfo');
    });

    it('cuts to a prefix with "…", one line, secrets redacted', () => {
      assert.strictEqual(quoteInput('x'.repeat(1_000_000)), `"${'x'.repeat(40)}…"`);
      assert.strictEqual(quoteInput('abcdef', 3), '"abc…"');
      assert.strictEqual(quoteInput('a\nb\u0000c'), '"a b c"');
      registerSecret('quote-secret-1');
      assert.strictEqual(quoteInput('key quote-secret-1'), '"key ***"');
    });

    it('names what is not a string', () => {
      assert.deepStrictEqual([quoteInput(42), quoteInput(true), quoteInput(null), quoteInput([1]), quoteInput({ a: 1 }), quoteInput(undefined)], [
        '42', 'true', 'null', 'a list', 'a value of type object', 'a value of type undefined',
      ]);
    });
  });
});
