/**
 * Pure mapping from an mDNS discovery result (Homey's DiscoveryResultMDNSSD shape) to a go-e pairing
 * entry, so pairing logic is testable without Homey's discovery.
 *
 * V3/V4 chargers announce `_http._tcp` with TXT `manufacturer=go-e`, `serial`, `friendly_name`,
 * `protocol` (1 or 2 = HTTP API), `devicetype`; go-e also publishes `_go-e_go-eCharger._tcp`
 * (instance name `go-echarger_<serial>`, TXT not documented).
 */
export interface MdnsResult {
  id?: string;
  address?: string;
  port?: number;
  name?: string;
  host?: string;
  txt?: Record<string, string | undefined>;
}

export interface GoePairEntry {
  name: string;
  data: { id: string };
  store: { serial: string };
  settings: { host: string; api: 'auto' | 'v1' | 'v2' };
}

export function goeFromDiscovery(result: MdnsResult): GoePairEntry | null {
  const txt = Object.fromEntries(Object.entries(result.txt ?? {}).map(([k, v]) => [k.toLowerCase(), v ?? '']));
  if (txt.manufacturer && txt.manufacturer.toLowerCase() !== 'go-e') return null;
  const isGoe = txt.manufacturer || /go-?e/i.test(result.name ?? '') || /go-?e/i.test(result.host ?? '');
  if (!isGoe || !result.address) return null;
  const serial = [txt.serial, result.id, result.name].map((s) => /(\d{4,12})/.exec(s ?? '')?.[1]).find(Boolean);
  if (!serial) return null;
  const padded = serial.padStart(6, '0');
  const address = result.address.includes(':') ? `[${result.address}]` : result.address;
  const host = result.port && result.port !== 80 ? `${address}:${result.port}` : address;
  const api = txt.protocol === '1' ? 'v1' : txt.protocol === '2' ? 'v2' : 'auto';
  const name = txt.friendly_name || `go-eCharger ${padded}`;
  return { name, data: { id: padded }, store: { serial: padded }, settings: { host, api } };
}

/** Map many results, dropping non-go-e services and duplicates (the same charger on both services). */
export function goeDevicesFromDiscovery(results: MdnsResult[], knownIds: string[] = []): GoePairEntry[] {
  const seen = new Set(knownIds);
  const out: GoePairEntry[] = [];
  for (const r of results) {
    const entry = goeFromDiscovery(r);
    if (!entry || seen.has(entry.data.id)) continue;
    seen.add(entry.data.id);
    out.push(entry);
  }
  return out;
}
