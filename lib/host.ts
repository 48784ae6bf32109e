/**
 * The one place that reads a host a person typed (or a device announced) for a local HTTP peer: the
 * HomeWizard P1 meter, a go-e charger. Accepted, after trimming:
 *   host name   p1meter-0a1b2c.local, P1-Meter, homewizard.example.com.
 *   IPv4        192.168.1.20
 *   IPv6        fd00::20 or [fd00::20] (a bare IPv6 address cannot carry a port: "::1:8080" is an address)
 *   any of these with a port, IPv6 in brackets: 192.168.1.20:8080, p1.local:8080, [::1]:8080
 * Refused, each with one line naming the field and what was expected: a scheme ("http://"), a user
 * name or password ("user:pw@"), a path, query or fragment, spaces, an IPv6 zone ("%eth0": URLs
 * cannot carry one), a bad port, an invalid IPv4/IPv6 address or host name.
 *
 * `normaliseHost` returns `host[:port]`, IPv6 always in lower case and in brackets, so that
 * "http://" + it is a valid URL; `hostBaseUrl` does exactly that. Echoed input is cut to a short
 * prefix and never shows a user name or password (`quoteInput`).
 */
import { isIPv4, isIPv6 } from 'net';
import { UserInputError, quoteInput } from './errors';

/** Where a host comes from, for the messages. */
export interface HostUse {
  /** The field the value came from: "meter.host", "host", "--meter". */
  field: string;
  /** What the address belongs to: "HomeWizard P1 meter", "go-e charger". */
  device: string;
  /** An address to show as an example (default 192.168.1.20). */
  example?: string;
}

export type HostResult = { host: string; problem: null } | { host: null; problem: string };

/** Longest host name DNS allows. */
const MAX_HOST_NAME_CHARS = 253;
const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/i;

/**
 * The normalised `host[:port]` of `input`, or the problem (one line, without the field name: for forms
 * that show it next to the field). Never throws.
 */
export function tryNormaliseHost(input: unknown, use: HostUse): HostResult {
  const problem = (text: string): HostResult => ({ host: null, problem: text });
  const eg = `e.g. ${use.example ?? '192.168.1.20'}`;
  if (typeof input !== 'string') return problem(`must be text: the host name or IP address of the ${use.device} (${eg})`);
  const raw = input.trim();
  if (raw === '') return problem(`enter the host name or IP address of the ${use.device} (${eg})`);
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(raw);
  if (scheme) return problem(`enter only the host name or IP address of the ${use.device}, without "${scheme[1].slice(0, 10)}://" (${eg})`);
  if (raw.includes('@')) {
    return problem(`a user name or password does not belong in the address of the ${use.device}: enter only its host name or IP address (${eg})`);
  }
  if (/\s/.test(raw)) return problem(`${quoteInput(raw)} contains a space: enter one host name or IP address of the ${use.device} (${eg})`);
  if (/[/?#\\]/.test(raw)) return problem(`enter only the host name or IP address of the ${use.device}, without a path such as "/api" (${eg})`);
  if (raw.length > MAX_HOST_NAME_CHARS + 8) return problem(`${quoteInput(raw)} is too long for a host name (at most ${MAX_HOST_NAME_CHARS} characters)`);

  const parts = splitHostPort(raw);
  if ('problem' in parts) return problem(parts.problem);
  const { name, port } = parts;
  let portText = '';
  if (port !== undefined) {
    const n = /^\d{1,5}$/.test(port) ? Number(port) : NaN;
    if (!(n >= 1 && n <= 65535)) return problem(`port ${quoteInput(port, 10)} must be a whole number from 1 to 65535 (e.g. ${portExample(use)})`);
    portText = `:${n}`;
  }
  if (name.includes(':')) {
    const zone = name.indexOf('%');
    if (zone >= 0) {
      return problem(`an IPv6 zone (${quoteInput(name.slice(zone), 12)}) cannot be used in an address: enter the ${use.device}'s IPv4 address or another IPv6 address`);
    }
    if (!isIPv6(name)) return problem(`${quoteInput(name)} is not a valid IPv6 address (e.g. fd00::20, or [fd00::20]:8080 with a port)`);
    return { host: `[${name.toLowerCase()}]${portText}`, problem: null };
  }
  if (isIPv4(name)) return { host: `${name}${portText}`, problem: null };
  if (/^[0-9.]+$/.test(name)) return problem(`${quoteInput(name)} is not a valid IPv4 address (four numbers 0-255, ${eg})`);
  const labels = name.replace(/\.$/, '').split('.');
  if (name.length > MAX_HOST_NAME_CHARS || !labels.every((l) => LABEL.test(l))) {
    return problem(`${quoteInput(name)} is not a valid host name (letters, digits, "-" and "." only, e.g. p1meter.local) or IP address`);
  }
  return { host: `${name}${portText}`, problem: null };
}

/** `[v6]:port`, `[v6]`, bare v6 (no port), `name:port` or `name`. */
function splitHostPort(raw: string): { name: string; port?: string } | { problem: string } {
  if (raw.startsWith('[')) {
    const m = /^\[([^\]]*)\](?::(.*))?$/.exec(raw);
    if (!m) return { problem: `${quoteInput(raw)} is not a valid bracketed IPv6 address (e.g. [fd00::20] or [fd00::20]:8080)` };
    if (!m[1].includes(':')) return { problem: `${quoteInput(raw)}: only an IPv6 address goes in brackets (e.g. [fd00::20])` };
    return m[2] === undefined ? { name: m[1] } : { name: m[1], port: m[2] };
  }
  const colons = raw.split(':').length - 1;
  if (colons >= 2) return { name: raw };
  if (colons === 1) {
    const i = raw.indexOf(':');
    return { name: raw.slice(0, i), port: raw.slice(i + 1) };
  }
  return { name: raw };
}

/** The normalised `host[:port]` of `input`; throws a UserInputError naming `use.field` when it is not one. */
export function normaliseHost(input: unknown, use: HostUse): string {
  const r = tryNormaliseHost(input, use);
  if (r.problem !== null) throw new UserInputError(use.field, r.problem);
  return r.host;
}

/**
 * The base URL of a host (anything `normaliseHost` accepts): "http://192.168.1.20", "http://[fe80::1]",
 * "http://[::1]:8080". Throws like `normaliseHost` (naming `use.field`, "host" by default).
 */
export function hostBaseUrl(host: string, scheme: 'http' | 'https' = 'http', use: HostUse = { field: 'host', device: 'device' }): string {
  return `${scheme}://${normaliseHost(host, use)}`;
}

/** An example with a port: the use's own when it has one, else its host with :8080. */
function portExample(use: HostUse): string {
  const eg = use.example ?? '192.168.1.20';
  return /:\d+$/.test(eg) ? eg : `${eg}:8080`;
}
