import assert from 'assert';
import { UserInputError } from '../../lib/errors';
import { type HostUse, hostBaseUrl, normaliseHost, tryNormaliseHost } from '../../lib/host';

const METER: HostUse = { field: 'meter.host', device: 'HomeWizard P1 meter' };
const GOE: HostUse = { field: 'host', device: 'go-e charger', example: '192.168.1.30' };

/** The problem for `input`, or null when it is accepted. */
const problem = (input: unknown, use = METER): string | null => tryNormaliseHost(input, use).problem;

describe('lib/host', () => {
  it('accepts host names, IPv4 and IPv6 (bare or in brackets), with an optional port, and normalises them', () => {
    const cases: [string, string][] = [
      ['192.168.1.20', '192.168.1.20'],
      ['  p1meter-0a1b2c.local ', 'p1meter-0a1b2c.local'],
      ['P1-Meter', 'P1-Meter'],
      ['homewizard.example.com.', 'homewizard.example.com.'],
      ['10.0.0.5:8080', '10.0.0.5:8080'],
      ['p1.local:080', 'p1.local:80'],
      ['fe80::1', '[fe80::1]'],
      ['FD00::20', '[fd00::20]'],
      ['[fd00::20]', '[fd00::20]'],
      ['[::1]:8080', '[::1]:8080'],
      ['::ffff:192.168.1.20', '[::ffff:192.168.1.20]'],
      // A bare IPv6 address cannot carry a port: this is the address ::1:8080 (documented).
      ['::1:8080', '[::1:8080]'],
    ];
    for (const [input, want] of cases) assert.strictEqual(normaliseHost(input, METER), want, input);
  });

  it('builds base URLs, IPv6 in brackets', () => {
    assert.strictEqual(hostBaseUrl('fe80::1'), 'http://[fe80::1]');
    assert.strictEqual(hostBaseUrl('[::1]:8080'), 'http://[::1]:8080');
    assert.strictEqual(hostBaseUrl('192.168.1.20', 'https'), 'https://192.168.1.20');
    assert.strictEqual(hostBaseUrl('p1.local:8080'), 'http://p1.local:8080');
    assert.strictEqual(new URL(`${hostBaseUrl('fd00::20')}/api`).hostname, '[fd00::20]');
    assert.throws(() => hostBaseUrl('http://x', 'http', GOE), /^UserInputError: host: /);
  });

  it('refuses every other shape with one line naming the field and what was expected', () => {
    const cases: [unknown, RegExp][] = [
      ['', /^enter the host name or IP address of the HomeWizard P1 meter \(e\.g\. 192\.168\.1\.20\)$/],
      ['   ', /^enter the host name or IP address/],
      [42, /^must be text: the host name or IP address of the HomeWizard P1 meter/],
      [null, /^must be text/],
      ['http://192.168.1.20', /^enter only the host name or IP address of the HomeWizard P1 meter, without "http:\/\/"/],
      ['https://p1.local/api', /without "https:\/\/"/],
      ['192.168.1.20/api/v1/data', /without a path such as "\/api"/],
      ['p1.local?x=1', /without a path/],
      ['p1 meter', /^"p1 meter" contains a space: enter one host name or IP address/],
      ['192.168.1.300', /^"192\.168\.1\.300" is not a valid IPv4 address \(four numbers 0-255/],
      ['192.168.1', /is not a valid IPv4 address/],
      ['-bad-.local', /^"-bad-\.local" is not a valid host name \(letters, digits, "-" and "\." only/],
      ['p1_meter.local', /is not a valid host name/],
      ['p1.local:0', /^port "0" must be a whole number from 1 to 65535/],
      ['p1.local:99999', /^port "99999" must be/],
      ['p1.local:http', /^port "http" must be/],
      ['p1.local:', /^port "" must be/],
      ['fe80::1%eth0', /^an IPv6 zone \("%eth0"\) cannot be used in an address: enter the HomeWizard P1 meter's IPv4 address/],
      ['[fe80::1%25eth0]:80', /^an IPv6 zone/],
      ['fe80:::1', /^"fe80:::1" is not a valid IPv6 address \(e\.g\. fd00::20, or \[fd00::20\]:8080 with a port\)$/],
      ['[p1.local]', /only an IPv6 address goes in brackets/],
      ['[::1', /is not a valid bracketed IPv6 address/],
      ['[::1]x', /is not a valid bracketed IPv6 address/],
      ['a'.repeat(254), /is not a valid host name/],
    ];
    for (const [input, re] of cases) {
      const p = problem(input);
      assert.ok(p !== null, `accepted ${String(input)}`);
      assert.match(p, re, String(input));
      assert.ok(!p.includes('\n') && p.length < 200, p);
    }
    // Per use: the device and its example.
    assert.strictEqual(problem('', GOE), 'enter the host name or IP address of the go-e charger (e.g. 192.168.1.30)');
  });

  it('an example that has a port is not given a second one in the port message', () => {
    const use: HostUse = { field: 'meter.host', device: 'P1 dongle', example: '192.168.1.30:23' };
    assert.strictEqual(tryNormaliseHost('p1.local:0', use).problem, 'port "0" must be a whole number from 1 to 65535 (e.g. 192.168.1.30:23)');
  });

  it('throws a UserInputError naming the field', () => {
    assert.throws(() => normaliseHost('http://p1.local', METER), (err: unknown) => {
      assert.ok(err instanceof UserInputError);
      assert.strictEqual(err.field, 'meter.host');
      assert.match(err.message, /^meter\.host: enter only the host name or IP address of the HomeWizard P1 meter, without "http:\/\/"/);
      return true;
    });
    assert.throws(() => normaliseHost('', GOE), /^UserInputError: host: enter the host name or IP address of the go-e charger/);
  });

  it('never echoes a user name or password, and cuts echoed input short', () => {
    for (const input of ['user:secret@p1.local', 'http://user:secret@p1.local/', 'admin@192.168.1.20:8080', ' user:secret@[::1] ']) {
      const p = problem(input)!;
      assert.ok(!/secret|user:|admin/.test(p), p);
      assert.match(p, /a user name or password does not belong in the address of the HomeWizard P1 meter|without "http:\/\/"/);
    }
    const huge = `${'x'.repeat(1_000_000)}.local`;
    const p = problem(huge)!;
    assert.ok(p.length < 150, `${p.length} characters`);
    assert.match(p, /^"x{40}…" is too long for a host name \(at most 253 characters\)$/);
    const spaced = problem(`p1 ${'y'.repeat(5000)}`)!;
    assert.match(spaced, /^"p1 y{37}…" contains a space/);
  });
});
