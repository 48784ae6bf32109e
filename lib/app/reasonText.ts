/**
 * Event reasons in the user's language: lib/reasons.ts writes them in English for logs; the app says them from
 * locales/<lang>.json `reasons.<key>` (Homey falls back to English for a key a language lacks) for the live view, the
 * flow tokens and the timeline; a charging mode's cause from `modeStatus.<id>`, as the device says it.
 */
import { renderReason, type Reason } from '../reasons';

/** Languages that write a decimal with a comma (7,5 A). */
const DECIMAL_COMMA = new Set(['nl', 'de', 'sv', 'no', 'da', 'fr', 'it', 'es', 'pl', 'ru']);

/** What the app's Homey offers: `__(key)` without tags returns the template with its `__tags__`. */
export interface ReasonI18n {
  __(key: string): string;
  getLanguage(): string;
}

export function reasonSpeaker(i18n: ReasonI18n): (r: Reason) => string {
  return (r) => {
    const lookup = (path: string): string | undefined => {
      const text = i18n.__(path);
      return typeof text === 'string' && text !== '' && text !== path ? text : undefined;
    };
    return renderReason(r, lookup, DECIMAL_COMMA.has(i18n.getLanguage()));
  };
}
