// Config loading at router scale: 1000 frontends and 5000 backends, parsed, validated and built (target < 1 s).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../src/config/issues.js';
import { loadConfigFile, parseConfigText } from '../src/config/load.js';
import { measure, printTable } from './harness.js';

/** A config shaped like a large real one: per frontend two pools drawing on a shared set of backends. */
export function generateConfig(frontends: number, backends: number): string {
  const lines: string[] = [
    'maglev:',
    '  vpp:',
    '    lb: { ipv4-src-address: 192.0.2.254, ipv6-src-address: "2001:db8::fe" }',
    '  healthchecks:',
    '    http: { type: http, port: 80, path: /healthz, interval: 2s, fast-interval: 500ms, down-interval: 10s, timeout: 400ms }',
    '    https: { type: https, port: 443, host: www.example.com, expect-status: [200] }',
    '    tcp: { type: tcp, port: 22 }',
    '  backends:',
  ];
  const checks = ['http', 'https', 'tcp'];
  for (let i = 0; i < backends; i++) {
    const v6 = i % 2 === 1;
    const addr = v6
      ? `"2001:db8:1::${(i + 1).toString(16)}"`
      : `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
    lines.push(`    be${i}: { address: ${addr}, healthcheck: ${checks[i % 3]} }`);
  }
  lines.push('  frontends:');
  for (let f = 0; f < frontends; f++) {
    const v6 = f % 2 === 1;
    const vip = v6
      ? `"2001:db8:100::${(f + 1).toString(16)}"`
      : `198.${51 + (f >> 16)}.${(f >> 8) & 255}.${f & 255}`;
    lines.push(
      `    fe${f}:`,
      `      address: ${vip}`,
      '      protocol: tcp',
      `      port: ${80 + (f % 3)}`,
      '      pools:',
    );
    // Backends of the frontend's family: even indices are IPv4, odd ones IPv6.
    const pick = (k: number) => ((f * 7 + k * 2) % backends) - ((f * 7 + k * 2) % 2) + (v6 ? 1 : 0);
    lines.push('        - name: primary', '          backends:');
    for (let k = 0; k < 4; k++)
      lines.push(`            be${pick(k) % backends}: { weight: ${100 - k * 10} }`);
    lines.push('        - name: fallback', '          backends:');
    for (let k = 4; k < 6; k++) lines.push(`            be${pick(k) % backends}: {}`);
  }
  return `${lines.join('\n')}\n`;
}

export async function run(): Promise<void> {
  const text = generateConfig(1000, 5000);
  const dir = mkdtempSync(join(tmpdir(), 'maglev-bench-'));
  const file = join(dir, 'maglev.yaml');
  writeFileSync(file, text);
  try {
    // Make sure the generated config is valid: a benchmark of the error path would measure something else.
    try {
      parseConfigText(text, file);
    } catch (e) {
      if (e instanceof ConfigError)
        throw new Error(`generated config is invalid: ${e.issues.slice(0, 3).map((i) => i.message)}`);
      throw e;
    }
    const rows = [
      await measure('load 1000 frontends / 5000 backends', 'ms', 7, async () => {
        const t0 = process.hrtime.bigint();
        await loadConfigFile(file);
        return Number(process.hrtime.bigint() - t0) / 1e6;
      }),
      // CPU time of the same load: on a shared, loaded machine wall time mostly measures the neighbours.
      await measure('load 1000 frontends / 5000 backends, CPU time', 'ms', 7, async () => {
        const c0 = process.cpuUsage();
        await loadConfigFile(file);
        const c = process.cpuUsage(c0);
        return (c.user + c.system) / 1000;
      }),
      await measure('the same with one error per backend (report)', 'ms', 5, () => {
        const bad = text.replaceAll('healthcheck: tcp }', 'healthcheck: tcpp }');
        const t0 = process.hrtime.bigint();
        try {
          parseConfigText(bad, file);
        } catch (e) {
          if (!(e instanceof ConfigError)) throw e;
        }
        return Number(process.hrtime.bigint() - t0) / 1e6;
      }),
    ];
    printTable(`config (${(Buffer.byteLength(text) / 1024).toFixed(0)} KiB file)`, rows);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
