/** The one check that a parsed or persisted value is a plain JSON object (not null, not a list): its fields can be read. */
export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
