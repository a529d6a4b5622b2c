// A tiny benchmark harness: repeated runs of a measurement, summarised as min/median/max, printed as a table.

export interface BenchRow {
  name: string;
  unit: string;
  runs: number[];
}

/** measure runs `fn` `runs` times (after one warm-up run) and records what it returns. */
export async function measure(
  name: string,
  unit: string,
  runs: number,
  fn: () => number | Promise<number>,
): Promise<BenchRow> {
  await fn();
  const values: number[] = [];
  for (let i = 0; i < runs; i++) values.push(await fn());
  return { name, unit, runs: values };
}

/** opsPerSecond runs `op` `n` times and returns operations per second. */
export function opsPerSecond(n: number, op: (i: number) => void): number {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) op(i);
  const ns = Number(process.hrtime.bigint() - t0);
  return (n * 1e9) / ns;
}

function fmt(v: number): string {
  if (v >= 1000) return Math.round(v).toLocaleString('en-US');
  if (v >= 10) return v.toFixed(1);
  return v.toFixed(3);
}

/** printTable prints one line per row: name, unit, min, median, max, runs. */
export function printTable(title: string, rows: BenchRow[]): void {
  const lines = rows.map((r) => {
    const s = [...r.runs].sort((a, b) => a - b);
    const median =
      s.length % 2
        ? (s[(s.length - 1) / 2] as number)
        : ((s[s.length / 2 - 1] as number) + (s[s.length / 2] as number)) / 2;
    return [
      r.name,
      r.unit,
      fmt(s[0] as number),
      fmt(median),
      fmt(s[s.length - 1] as number),
      String(s.length),
    ];
  });
  const header = ['benchmark', 'unit', 'min', 'median', 'max', 'runs'];
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] as string).length)));
  const row = (cells: string[]) =>
    cells.map((c, i) => (i < 2 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number))).join('  ');
  console.log(`\n## ${title}\n`);
  console.log(row(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const l of lines) console.log(row(l));
}
