// Build time of the Maglev new-flow table for typical and large VIPs (issue 5: M=65536, 1000 ASs in <= 50 ms).
import { addressFromBytes } from '../src/model/address.js';
import { buildMaglevTable, type MaglevServer } from '../src/model/maglev.js';
import { measure, printTable } from './harness.js';

function servers(n: number, family: 4 | 6): MaglevServer[] {
  const out: MaglevServer[] = [];
  for (let i = 0; i < n; i++) {
    const bytes =
      family === 4
        ? new Uint8Array([10, (i >> 16) & 0xff, (i >> 8) & 0xff, (i & 0xff) + 1])
        : new Uint8Array(16);
    if (family === 6) {
      bytes.set([0x20, 0x01, 0x0d, 0xb8], 0);
      bytes[13] = (i >> 16) & 0xff;
      bytes[14] = (i >> 8) & 0xff;
      bytes[15] = (i & 0xff) + 1;
    }
    out.push({ address: addressFromBytes(bytes), weight: 100 });
  }
  return out;
}

/** run prints build times (ms) for M=1024 with 8/64/256 ASs and M=65536 with 100/1000 ASs, weight 100. */
export async function run(): Promise<void> {
  const cases: [number, number, 4 | 6][] = [
    [1024, 8, 4],
    [1024, 64, 4],
    [1024, 256, 4],
    [65536, 100, 6],
    [65536, 1000, 6],
  ];
  const rows = [];
  for (const [m, n, family] of cases) {
    const s = servers(n, family);
    rows.push(
      await measure(`build M=${m} ASs=${n} (IPv${family}, weight 100)`, 'ms', 15, () => {
        const t0 = process.hrtime.bigint();
        buildMaglevTable(s, m);
        return Number(process.hrtime.bigint() - t0) / 1e6;
      }),
    );
  }
  printTable('maglev', rows);
}
