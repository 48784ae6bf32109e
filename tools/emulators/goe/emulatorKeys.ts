/**
 * Which keys a real go-e of each emulated firmware answers, and the value of every key the charger and
 * car model (emulatorModel.ts) does not compute. Sources (../shared/reference/goe-api.md):
 * - v1: the keys of go-e's own v1 example, a real fw 020-rc1 `/status` (S1; reference §9); the S1 key
 *   table (fw 033 baseline, §2.4) for 040/042; the additions of fw 040.0 (`tma`, `amt`, `txi`, `tme`) and
 *   042.0 (`lod`, `lts`, `pco`, `cmf`, `ath`, `psp`, `cco`, `map`, `frm`) from §2.6; a V3's legacy v1 adds `fsp`
 *   and drops `tmp`.
 * - v2: the keys and values of the real MQTT captures — fw 053.1 (test/fixtures/goe/, Apache-2.0,
 *   syssi/homeassistant-goecharger-mqtt) and fw 055.5 (reference §9) — plus the identity keys every v2
 *   client reads over HTTP (`sse`, `fna`, `typ`; §6 v2 probe) and `oem` (§3.4). fw 051.4 lacks `psm` (in the
 *   firmware from 051.8). For 60.3 the keys of the reference's §3.4 table are added; `cbl` is absent on
 *   CORE/PRO (§3.4); `cards` is there (removed in 60.0, back in 60.3: v2#288, v2#305).
 * Values: from the captures where they were captured; the rest (marked "doc") have the documented type and
 * a plausible value — no capture shows them.
 */

/** go-e's v1 example of a real fw 020-rc1 `/status` (S1), in its order. */
const V1_020 = [
  'version', 'rbc', 'rbt', 'car', 'amp', 'err', 'ast', 'alw', 'stp', 'cbl', 'pha', 'tmp', 'dws', 'dwo', 'adi', 'uby', 'eto', 'wst',
  'nrg', 'fwv', 'sse', 'wss', 'wke', 'wen', 'tof', 'tds', 'lbr', 'aho', 'afi', 'ama', 'al1', 'al2', 'al3', 'al4', 'al5', 'cid', 'cch',
  'cfi', 'lse', 'ust', 'wak', 'r1x', 'dto', 'nmo',
  'eca', 'ecr', 'ecd', 'ec4', 'ec5', 'ec6', 'ec7', 'ec8', 'ec9', 'ec1',
  'rca', 'rcr', 'rcd', 'rc4', 'rc5', 'rc6', 'rc7', 'rc8', 'rc9', 'rc1',
  'rna', 'rnm', 'rne', 'rn4', 'rn5', 'rn6', 'rn7', 'rn8', 'rn9', 'rn1',
];
/** The rest of the S1 key table (firmware 033 baseline: MQTT from 030, load balancing, scheduler). */
const V1_033 = [...V1_020, 'azo', 'sch', 'sdp', 'upd', 'mce', 'mcs', 'mcp', 'mcu', 'mck', 'mcc', 'loe', 'lot', 'lom', 'lop', 'lof', 'loa', 'lch'];
const V1_040 = [...V1_033, 'tma', 'amt', 'txi', 'tme'];
const V1_042 = [...V1_040, 'amx', 'lod', 'lts', 'pco', 'cmf', 'ath', 'psp', 'cco', 'map', 'frm'];
const V1_V3_LEGACY = [...V1_042.filter((k) => k !== 'tmp'), 'fsp'];

/** The keys of the real fw 053.1 MQTT capture (every key is published once on connect). */
const V2_053 = [
  'acs', 'acu', 'adi', 'alw', 'ama', 'amp', 'amt', 'ara', 'ate', 'att', 'awcp', 'awp', 'bac', 'car', 'cards', 'cbl', 'cch', 'ccw',
  'cdi', 'cfi', 'cid', 'clp', 'cwc', 'deltap', 'dll', 'dns', 'dwo', 'err', 'eto', 'fhz', 'frc', 'fsp', 'fwv', 'hla', 'lbp', 'lbr',
  'lccfc', 'lccfi', 'lcctc', 'lmo', 'lmsc', 'loa', 'loc', 'lrc', 'lri', 'lrr', 'mca', 'men', 'modelStatus', 'nrg', 'ocu', 'pakku',
  'pgrid', 'pha', 'ppv', 'psm', 'rbc', 'rbt', 'rssi', 'spl3', 'tma', 'tpa', 'trx', 'ust', 'utc', 'var', 'wh',
];
/** Keys of the fw 055.5 capture (reference §9) that the 053.1 one lacks. */
const V2_055_MORE = ['csa', 'ctrls', 'cus', 'hai', 'msb', 'msp', 'msr', 'rde'];
/** Read over HTTP by every v2 client (identity), not published over MQTT. */
const V2_IDENTITY = ['sse', 'fna', 'typ', 'oem'];
/** The rest of the reference's §3.4 key table (docs and the 59.4/60.x firmware exports). */
const V2_DOC = [
  'pnp', 'pwm', 'fup', 'tcl', 'cll', 'lck', 'su', 'sua', 'sumd', 'psmd', 'mptwt', 'mpwst', 'psh', 'fst', 'pgt', 'po', 'sh', 'frm',
  'zfo', 'fzf', 'mci', 'mcpd', 'mcpea', 'fmt', 'acp', 'wst', 'host',
];

const V2_051 = [...V2_IDENTITY, ...V2_053.filter((k) => k !== 'psm')];
const V2_055 = [...V2_IDENTITY, ...V2_053, ...V2_055_MORE];
const V2_060 = [...V2_055.filter((k) => k !== 'cbl'), ...V2_DOC];

export const KEY_SETS = {
  v1: { 'v1-020': V1_020, 'v1-040': V1_040, 'v1-042': V1_042, 'v3-051': V1_V3_LEGACY },
  v2: { 'v3-051': V2_051, 'v2-055': V2_055, 'v2-060': V2_060 },
} as const;

/** The 60.0–60.2 firmware replaced `cards` by one key per field and card (v2#288). */
export const SPLIT_CARD_KEYS = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9].flatMap((i) => [`c${i}n`, `c${i}e`, `c${i}i`]);

/** v1 values the model does not compute: go-e's v1 example (S1, fw 020-rc1), the cards empty. */
export const V1_STATIC: Record<string, unknown> = {
  wss: 'goe', wen: '1', tof: '101', tds: '1', lbr: '255', aho: '2', afi: '8', al1: '11', al2: '12', al3: '15', al4: '24', al5: '31',
  cid: '255', cch: '65535', cfi: '65280', lse: '0', ust: '0', wak: '', r1x: '2', dto: '0', nmo: '0',
  ...Object.fromEntries(['eca', 'ecr', 'ecd', 'ec4', 'ec5', 'ec6', 'ec7', 'ec8', 'ec9', 'ec1'].map((k) => [k, '0'])),
  ...Object.fromEntries(['rca', 'rcr', 'rcd', 'rc4', 'rc5', 'rc6', 'rc7', 'rc8', 'rc9', 'rc1'].map((k) => [k, ''])),
  ...Object.fromEntries(['rna', 'rnm', 'rne', 'rn4', 'rn5', 'rn6', 'rn7', 'rn8', 'rn9', 'rn1'].map((k) => [k, ''])),
  // doc (S1 table): strings, as every v1 value (the V3's legacy API sends the load-balancing fields as numbers: V1_NUMBERS)
  azo: '0', sch: '0', sdp: '0', upd: '0', mce: '0', mcs: '', mcp: '1883', mcu: '', mck: '', mcc: '0',
  loe: '0', lot: '32', lom: '6', lop: '50', lof: '0', loa: '0', lch: '0', txi: '0',
  lod: '0', lts: '0', pco: '0', cmf: '0', ath: '0', psp: '0', cco: '0', map: '0', frm: '1',
};

/** Bare numbers in a V3's legacy v1 status (S1 DE V3 example, evcc#1609 on fw 051.4; reference §2.3). */
export const V1_NUMBERS = ['loe', 'lot', 'lom', 'lop', 'lof', 'loa', 'lch'];

/** v2 values the model does not compute: the fw 053.1 / 055.5 captures, then doc values. */
export const V2_STATIC: Record<string, unknown> = {
  // fw 053.1 capture (test/fixtures/goe/goe_v2_mqtt_capture_fw053.1_sorted.log)
  ara: true, ate: 18000, att: 21600, awcp: { start: 1645038000, end: 1645041600, marketprice: 19.395 }, awp: 3, bac: true,
  cch: '#00FFFF', ccw: { ssid: 'redacted' }, cdi: { type: 1, value: 0 }, cfi: '#00FF00', cid: '#0000FF', clp: [6, 10, 12, 14, 16],
  cwc: '#FFFF00', deltap: 0, dll: 'https://data.v3.go-e.io/export?e=redacted', dns: { dns: '0.0.0.0' }, fhz: 49.93, lbp: null,
  lbr: 255, lccfc: null, lccfi: null, lcctc: null, lmsc: 1608, loa: null, lrc: null, lri: null, lrr: null, men: false,
  ocu: ['052.2', 'V 051.9 OUTDATED', 'V 052.0 OUTDATED', 'V 052.1 OUTDATED', 'V 053.0 BETA', 'V 053.1 BETA'], rssi: -44, spl3: 4200,
  ust: 0,
  // fw 055.5 capture (reference §9)
  csa: false, ctrls: null, cus: 1, msb: false, msp: 502, msr: true, rde: false,
  // doc (§3.4): the documented type, a plausible value
  oem: 'go-e', pwm: 0, fup: false, tcl: null, lck: 0, su: false, sua: false, sumd: 5000, psmd: 90_000, mptwt: 600_000,
  mpwst: 120_000, psh: 500, fst: 1400, pgt: 0, po: 0, sh: 100, frm: 1, zfo: 0, fzf: false, mci: 0, mcpd: 0, mcpea: null, fmt: 0,
  acp: true, wst: 3,
};

/** The `cards` array of the 053.1 capture: card 1 is registered. */
export function cardList(energyWh: number[]): { name: string; energy: number; cardId: boolean }[] {
  return energyWh.map((energy, i) => ({ name: `User ${i + 1}`, energy, cardId: i === 0 }));
}
