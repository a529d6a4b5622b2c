// Duration strings of the config (`500ms`, `2s`, `1m30s`): parsing to milliseconds and canonical text.

/** The units a duration may use, in milliseconds. */
const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * The text form accepted for durations: one or more `<number><unit>` parts (largest unit first is not
 * enforced, Go's time.ParseDuration does not either), or a bare `0`. Also the JSON-schema pattern.
 */
export const DURATION_PATTERN = '^(0|([0-9]+(\\.[0-9]+)?(ms|s|m|h))+)$';
const DURATION_RE = new RegExp(DURATION_PATTERN);
const PART_RE = /([0-9]+(?:\.[0-9]+)?)(ms|s|m|h)/g;

/** parseDuration returns whole milliseconds, or a reason the text is not a duration. */
export function parseDuration(text: string): number | { error: string } {
  if (!DURATION_RE.test(text)) {
    if (/^[0-9]+(\.[0-9]+)?$/.test(text))
      return { error: `"${text}" has no unit: write e.g. ${text}s or ${text}ms` };
    return {
      error: `"${text}" is not a duration: use a number with a unit ms, s, m or h, e.g. 500ms, 2s, 1m`,
    };
  }
  if (text === '0') return 0;
  let ms = 0;
  for (const m of text.matchAll(PART_RE)) ms += Number(m[1]) * (UNIT_MS[m[2] as string] as number);
  // 1.0005s is not a whole number of milliseconds: refuse rather than round, so what runs is what was written.
  if (!Number.isInteger(Math.round(ms * 1e6) / 1e6))
    return { error: `"${text}" is not a whole number of milliseconds` };
  return Math.round(ms);
}

/** formatDuration renders milliseconds in the largest unit that divides them exactly (`1500ms`, `2s`, `1m`). */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}
