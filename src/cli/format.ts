// Text output of maglevctl: aligned tables, ages and durations, and small renderers shared by commands.

/**
 * table aligns rows under headers with two spaces between columns. Cells are plain text (no colour
 * codes), so widths are string lengths; the last column is not padded.
 */
export function table(headers: readonly string[], rows: readonly (readonly string[])[], indent = ''): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    indent +
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}

/** pairs aligns `key  value` lines (detail views). */
export function pairs(rows: readonly (readonly [string, string])[], indent = ''): string {
  const w = Math.max(0, ...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${indent}${k.padEnd(w)}  ${v}`.trimEnd()).join('\n');
}

/**
 * age renders a duration in ms compactly with at most two units: 850ms, 42s, 3m12s, 2h5m, 4d3h.
 * Negative values (clock skew) read as 0s.
 */
export function age(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '0s';
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return s % 60 ? `${m}m${s % 60}s` : `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 24) return m % 60 ? `${h}h${m % 60}m` : `${h}h`;
  const d = Math.floor(h / 24);
  return h % 24 ? `${d}d${h % 24}h` : `${d}d`;
}

/** duration renders a configured interval: 500ms, 2s, 1m30s. */
export function duration(ms: number): string {
  if (ms < 1000 || ms % 1000 !== 0) return `${ms}ms`;
  return age(ms);
}

/** latency renders a probe latency in ms with one decimal below 100 ms. */
export function latency(ms: number): string {
  return ms < 100 ? `${ms.toFixed(1)}ms` : `${Math.round(ms)}ms`;
}

/** dash renders null/undefined as "-" so empty cells stay visible in tables. */
export function dash(v: string | number | boolean | null | undefined): string {
  return v === null || v === undefined || v === '' ? '-' : String(v);
}
