/**
 * The sentences the balancer and the actuators tell the user (event reasons: the live view, flow tokens, the
 * timeline), as a key and its values: `english()` writes them for logs and commands, the app in the user's language
 * from locales/<lang>.json `reasons.<key>` (lib/app/reasonText.ts). A value is a number (A, s: whole or one decimal),
 * a name, another reason (a cause) or a list of reasons; `text` carries a sentence from elsewhere as it is, and
 * `mode_status` a charging mode's (said from `modeStatus.<id>`, the device's own status text; English: its `text`).
 */

/** English templates; `__name__` is a value. locales/en.json `reasons` holds the same (test/reasons.test.ts). */
export const REASONS_EN = {
  text: '__text__',
  mode_status: '__text__',
  and_pinned: '__cause__, and __pinned__',
  pinned: '__name__ may still draw __a__ A until it confirms its cut',
  max_is: 'Maximum of __name__ is __a__ A',
  max_below_min: 'Maximum of __name__ (__max__ A) is below its minimum (__min__ A)',
  car_connected: 'Car connected to __name__: starting at __a__ A',
  car_connected_free: 'Car connected to __name__: starting at __a__ A (__free__ A free on __phase__)',
  paused: '__cause__: paused __name__ (needs __min__ A)',
  lowered: '__cause__: lowered __name__ from __from__ A to __to__ A',
  resumed: '__cause__: resumed __name__ at __a__ A',
  raised: '__cause__: raised __name__ from __from__ A to __to__ A',
  room_on: '__phase__ has __a__ A free for the chargers',
  room_again: 'There is room again',
  held_room: '__phase__ had __a__ A or more free for the chargers for __s__ s',
  export_cloud: 'Export on __phase__ can vanish with a cloud (__keep__ of __a__ A free counted for __name__)',
  overload: '__phase__ at __v__ A of __fuse__ A fuse (__parts__)',
  house_part: 'house __a__ A',
  charger_part: '__name__ __a__ A',
  meter_missing: 'Meter data missing',
  no_meter_phase: 'No meter data for __phase__',
  stale_phase: 'No fresh meter data for __phase__ for __s__ s',
  meter_stale: 'No fresh meter data for __phases__ for __s__ s: chargers held at minimum, paused after __pauseS__ s',
  unresolved: '__phase__ at __v__ A of __fuse__ A fuse although every balanced charger on __phase__ is paused or at minimum: switch off other loads',
  unresolved_stuck_pause:
    '__phase__ at __v__ A of __fuse__ A fuse: __name__ has not confirmed its cut to pause and may still draw __a__ A; nothing else on __phase__ can be cut',
  unresolved_stuck:
    '__phase__ at __v__ A of __fuse__ A fuse: __name__ has not confirmed its cut to __to__ A and may still draw __a__ A; nothing else on __phase__ can be cut',
  external_pause: '__name__ was paused outside the app; it stays paused until it is resumed',
  ignored_limit: '__name__ draws __a__ A although limited to __limit__ A for __s__ s: paused until the car is unplugged',
  ignored_pause: '__name__ keeps drawing __a__ A although paused: switch it off at the charger or unplug the car',
  cap_base_over: "Capacity cap __cap__ kW is below the house's own load: chargers held at their minimum",
  cap_pause_quarter: "Capacity cap __cap__ kW: this quarter-hour's budget is spent, paused until __until__",
  cap_pause_hour: "Capacity cap __cap__ kW: this hour's budget is spent, paused until __until__",
  cap_hold: 'Capacity cap __cap__ kW: chargers held at their minimum until __until__',
  cap_budget_quarter: 'Capacity cap __cap__ kW: __kw__ kW for the chargers until __until__ keeps this quarter-hour under it',
  cap_budget_hour: 'Capacity cap __cap__ kW: __kw__ kW for the chargers until __until__ keeps this hour under it',
} as const;

export type ReasonKey = keyof typeof REASONS_EN;

/** A list of reasons, joined by `sep` (", " or "; "). */
export interface ReasonList {
  items: readonly Reason[];
  sep: ', ' | '; ';
}

export type ReasonValue = string | number | Reason | ReasonList;

export interface Reason {
  key: ReasonKey;
  values: Record<string, ReasonValue>;
}

export function reason(key: ReasonKey, values: Record<string, ReasonValue> = {}): Reason {
  return { key, values };
}

/** A sentence from elsewhere, kept as it is. */
export function textReason(text: string): Reason {
  return { key: 'text', values: { text } };
}

function isReason(v: ReasonValue): v is Reason {
  return typeof v === 'object' && 'key' in v;
}

/** Amps and seconds as the balancer shows them: whole, or one decimal (kW of a cap: two); `comma` for 7,5. */
function num(v: number, comma: boolean, digits = 1): string {
  const s = String(Math.round(v * 10 ** digits) / 10 ** digits);
  return comma ? s.replace('.', ',') : s;
}

/** Where a reason's template is: `reasons.<key>` in locales/<lang>.json; a mode's status `modeStatus.<id>`. */
function templateOf(r: Reason, lookup: (path: string) => string | undefined): string {
  if (r.key === 'mode_status') return lookup(`modeStatus.${String(r.values.id)}`) ?? String(r.values.text ?? '');
  return lookup(`reasons.${r.key}`) ?? REASONS_EN[r.key];
}

/**
 * Write `r` with the templates `lookup` gives by locale path ("reasons.lowered"; one it lacks: English); `comma`:
 * decimals with a comma. A sentence from elsewhere (`text`) is never a template: its underscores stay.
 */
export function renderReason(r: Reason, lookup: (path: string) => string | undefined = () => undefined, comma = false): string {
  if (r.key === 'text') return String(r.values.text ?? '');
  return templateOf(r, lookup).replace(/__(\w+)__/g, (whole, name: string) => {
    const v = r.values[name];
    if (v === undefined) return whole;
    if (typeof v === 'number') return num(v, comma, name === 'cap' ? 2 : 1);
    if (typeof v === 'string') return v;
    if (isReason(v)) return renderReason(v, lookup, comma);
    return v.items.map((item) => renderReason(item, lookup, comma)).join(v.sep);
  });
}

/** The English sentence (logs, commands, the event's `reason`). */
export function english(r: Reason): string {
  return renderReason(r);
}

/** An event's reason: the English sentence and the reason it was written from (`text`, for the user's language). */
export function said(r: Reason): { reason: string; text: Reason } {
  return { reason: english(r), text: r };
}
