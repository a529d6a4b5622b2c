// Loading: the shipped examples, file-level refusals (size, encoding, kind), the model's defaults and immutability.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { LineCounter } from 'yaml';
import { ConfigError, formatIssue } from '../../src/config/issues.js';
import {
  loadConfigFile,
  MAX_CONFIG_BYTES,
  parseConfigText,
  parseYamlDocument,
} from '../../src/config/load.js';
import { PROTO_ANY, PROTO_TCP, vipKeyString } from '../../src/model/vip-key.js';

const examples = fileURLToPath(new URL('../../examples/', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'maglev-config-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error('no error');
}

async function loadError(path: string): Promise<ConfigError> {
  try {
    await loadConfigFile(path);
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error('no error');
}

const MINIMAL = `maglev:
  vpp: { lb: { ipv4-src-address: 192.0.2.254 } }
  healthchecks:
    tcp80: { type: tcp, port: 80 }
  backends:
    b1: { address: 10.0.0.1, healthcheck: tcp80 }
  frontends:
    f1:
      address: 198.51.100.1
      port: 80
      pools:
        - name: p
          backends: { b1: }
`;

describe('examples', () => {
  it('loads the production example with its VIPs, encaps and overrides', async () => {
    const m = await loadConfigFile(`${examples}maglev.yaml`);
    expect([...m.frontends.keys()]).toEqual(['web-v4-https', 'web-v4-http', 'web-v6-https', 'dns']);
    const v6 = m.frontends.get('web-v6-https');
    expect(v6?.encap).toBe('gre6');
    expect(v6 && vipKeyString(v6.vip)).toBe('2001:db8:100::1/128 tcp:443');
    const dns = m.frontends.get('dns');
    expect(dns?.vip.protocol).toBe(PROTO_ANY);
    expect(dns?.vip.port).toBe(0);
    expect(dns?.newFlowsTableLength).toBe(256);
    expect(m.frontends.get('web-v4-http')?.newFlowsTableLength).toBe(1024);
    expect(m.frontends.get('web-v4-http')?.pools[1]?.members).toEqual([
      { backend: 'nginx0-fra', weight: 100 },
    ]);
    expect(m.backends.get('nginx2-ams')?.enabled).toBe(false);
    const hc = m.healthchecks.get('https-healthz');
    expect(hc?.headers).toEqual({ 'User-Agent': 'maglevd-probe' });
    expect(hc?.sourceV6?.text).toBe('2001:db8:0:ffff::fe');
    expect(m.healthchecks.get('http-healthz')?.expectStatus).toEqual([
      [200, 299],
      [301, 301],
    ]);
  });

  it('loads the quick-start demo: loopback backends, one check each, documentation VIPs', async () => {
    const m = await loadConfigFile(`${examples}demo.yaml`);
    expect(m.vpp.lb.ipv4SrcAddress?.text).toBe('192.0.2.254');
    for (const b of m.backends.values()) {
      expect(b.address.text).toMatch(/^127\.0\.0\.\d$/);
      const hc = m.healthchecks.get(b.healthcheck);
      expect(hc?.type).toBe('http');
      expect(hc?.port).toBeGreaterThanOrEqual(18000);
      expect(hc?.port).toBeLessThan(19000);
    }
    expect([...m.frontends.values()].map((f) => f.vip.prefix.text)).toEqual([
      '198.51.100.10/32',
      '203.0.113.10/32',
    ]);
  });
});

describe('defaults', () => {
  it('fills every default of spec §3 into the model', () => {
    const m = parseConfigText(MINIMAL, 'minimal.yaml');
    expect(m.healthchecker).toEqual({ transitionHistory: 5, maxConcurrentProbes: 256, stateTtlMs: 120_000 });
    expect(m.vpp.apiTimeoutMs).toBe(1000);
    expect(m.vpp.lb).toMatchObject({
      ipv6SrcAddress: undefined,
      stickyBucketsPerCore: 65536,
      flowTimeoutS: 40,
      newFlowsTableLength: 1024,
      syncIntervalMs: 30_000,
      startupMinDelayMs: 5000,
      startupMaxDelayMs: 30_000,
      removeUnknownVips: true,
    });
    expect(m.healthchecks.get('tcp80')).toEqual({
      name: 'tcp80',
      type: 'tcp',
      port: 80,
      path: '/',
      host: undefined,
      expectStatus: [[200, 399]],
      insecure: false,
      headers: {},
      sourceV4: undefined,
      sourceV6: undefined,
      intervalMs: 2000,
      fastIntervalMs: 2000,
      downIntervalMs: 2000,
      timeoutMs: 1000,
      rise: 2,
      fall: 3,
    });
    expect(m.backends.get('b1')?.enabled).toBe(true);
    const f = m.frontends.get('f1');
    expect(f).toMatchObject({
      encap: 'gre4',
      srcIpSticky: false,
      flushOnDown: true,
      newFlowsTableLength: 1024,
    });
    expect(f?.vip.protocol).toBe(PROTO_TCP);
    expect(f?.pools).toEqual([{ name: 'p', members: [{ backend: 'b1', weight: 100 }] }]);
  });

  it('builds an immutable model: objects frozen, maps refuse changes', () => {
    const m = parseConfigText(MINIMAL, 'minimal.yaml');
    expect(Object.isFrozen(m)).toBe(true);
    expect(Object.isFrozen(m.vpp.lb)).toBe(true);
    expect(Object.isFrozen(m.frontends.get('f1')?.pools[0]?.members)).toBe(true);
    expect(() => (m.backends as Map<string, unknown>).set('x', {})).toThrow(TypeError);
    expect(() => (m.backends as Map<string, unknown>).delete('b1')).toThrow(TypeError);
    expect(() => (m.frontends as Map<string, unknown>).clear()).toThrow(TypeError);
    expect(m.backends.size).toBe(1);
  });

  it('keeps document order, even for names that look like numbers', () => {
    const text = MINIMAL.replace(
      '    b1: { address: 10.0.0.1, healthcheck: tcp80 }\n',
      '    b1: { address: 10.0.0.1, healthcheck: tcp80 }\n    "20": { address: 10.0.0.20, healthcheck: tcp80 }\n    "3": { address: 10.0.0.3, healthcheck: tcp80 }\n',
    ).replace('backends: { b1: }', 'backends: { "3": {}, b1: {}, "20": {} }');
    const m = parseConfigText(text, 'order.yaml');
    expect([...m.backends.keys()]).toEqual(['b1', '20', '3']);
    expect(m.frontends.get('f1')?.pools[0]?.members.map((x) => x.backend)).toEqual(['3', 'b1', '20']);
  });

  it('accepts IPv4-mapped IPv6 backends and VIPs: VPP tells them from IPv4 (only all-zero first 96 bits are refused)', () => {
    const text = MINIMAL.replace('192.0.2.254 }', '192.0.2.254, ipv6-src-address: "2001:db8::fe" }')
      .replace('address: 10.0.0.1,', 'address: "::ffff:10.0.0.1",')
      .replace('address: 198.51.100.1', 'address: "::ffff:198.51.100.1"');
    const m = parseConfigText(text, 'mapped.yaml');
    expect(m.backends.get('b1')?.address.text).toBe('::ffff:a00:1');
    expect(m.frontends.get('f1')?.vip.prefix.text).toBe('::ffff:c633:6401/128');
  });

  it('takes a bare 0 as a duration: both startup delays 0 disable warmup', () => {
    const text = MINIMAL.replace(
      'ipv4-src-address: 192.0.2.254 }',
      'ipv4-src-address: 192.0.2.254, startup-min-delay: 0, startup-max-delay: 0 }',
    );
    const m = parseConfigText(text, 'warmup.yaml');
    expect(m.vpp.lb).toMatchObject({ startupMinDelayMs: 0, startupMaxDelayMs: 0 });
  });

  it('still refuses other bare numbers as durations, 0 where the range excludes it', () => {
    const text = MINIMAL.replace(
      'ipv4-src-address: 192.0.2.254 }',
      'ipv4-src-address: 192.0.2.254, startup-min-delay: 5, flow-timeout: 0 }',
    );
    const err = configError(() => parseConfigText(text, 'bare.yaml'));
    expect(err.issues.map((i) => `${i.path}: ${i.message}`)).toEqual([
      'vpp.lb.startup-min-delay: 5 has no unit: write e.g. 5s or 5ms',
      'vpp.lb.flow-timeout: 0 is outside the allowed range 1s..2m',
    ]);
  });

  it('accepts YAML merge keys, so checks can share settings', () => {
    const text = MINIMAL.replace(
      '    tcp80: { type: tcp, port: 80 }\n',
      '    base: &base { type: tcp, port: 80, interval: 5s, rise: 4 }\n    tcp80: { <<: *base, port: 8080 }\n',
    );
    const hc = parseConfigText(text, 'merge.yaml').healthchecks.get('tcp80');
    expect(hc).toMatchObject({ port: 8080, intervalMs: 5000, rise: 4 });
  });
});

describe('YAML aliases', () => {
  it('accepts 10 000 uses of a map anchor (merged) and of a scalar anchor', () => {
    const backends = Array.from(
      { length: 10_000 },
      (_, i) =>
        `    b${i + 1}: { <<: *base, address: 10.0.${(i + 1) >> 8}.${(i + 1) & 255}, healthcheck: *hc }\n`,
    ).join('');
    const text = MINIMAL.replace('    tcp80: {', '    &hc tcp80: {').replace(
      '    b1: { address: 10.0.0.1, healthcheck: tcp80 }\n',
      `    b0: &base { address: 10.0.0.0, healthcheck: *hc, enabled: false }\n${backends}`,
    );
    const m = parseConfigText(text, 'aliases.yaml');
    expect(m.backends.size).toBe(10_001);
    expect(m.backends.get('b10000')).toMatchObject({ enabled: false, healthcheck: 'tcp80' });
    expect(m.backends.get('b10000')?.address.text).toBe('10.0.39.16');
  });

  it('refuses a billion-laughs document at the alias that makes it too big, before building it', () => {
    const levels = ['  l0: &l0 [x, x, x, x, x, x, x, x, x, x]'];
    for (let k = 1; k < 10; k++)
      levels.push(`  l${k}: &l${k} [${Array.from({ length: 10 }, () => `*l${k - 1}`).join(', ')}]`);
    const err = configError(() => parseConfigText(`maglev:\n${levels.join('\n')}\n`, 'lol.yaml'));
    expect(err.exitCode).toBe(1);
    expect(err.issues).toHaveLength(1);
    expect(formatIssue(err.issues[0] as never)).toMatch(
      /^lol\.yaml:7:\d+: \(yaml\): not valid YAML for maglevd: its aliases expand to more than 250000 values/,
    );
  });

  it('refuses a merge of something other than a map, at its key', () => {
    for (const text of ['maglev:\n  vpp: { <<: 5 }\n', 'a: &a 5\nmaglev:\n  vpp: { <<: *a }\n']) {
      const err = configError(() => parseConfigText(text, 'merge.yaml'));
      expect(err.exitCode).toBe(1);
      expect(err.issues.map((i) => `${i.col} ${i.message}`)).toEqual([
        '10 not valid YAML: Merge sources must be maps or map aliases',
      ]);
    }
  });

  it('refuses an alias inside the value it stands for', () => {
    const err = configError(() => parseConfigText('maglev: &m { vpp: *m }\n', 'cycle.yaml'));
    expect(err.exitCode).toBe(1);
    expect(err.issues.map(formatIssue)).toEqual([
      'cycle.yaml:1:19: (yaml): not valid YAML for maglevd: the alias *m is inside the value it stands for (a cycle)',
    ]);
  });
});

describe('file-level refusals (exit 1)', () => {
  it('refuses a 10 MB file without parsing it', async () => {
    const big = join(tmp, 'big.yaml');
    writeFileSync(
      big,
      `maglev:\n${'  # padding padding padding padding padding padding padding padding\n'.repeat(160_000)}`,
    );
    const err = await loadError(big);
    expect(err.exitCode).toBe(1);
    expect(err.issues).toHaveLength(1);
    expect(err.issues[0]?.message).toContain(`at most ${MAX_CONFIG_BYTES} bytes`);
    expect(formatIssue(err.issues[0] as never)).toMatch(/big\.yaml:1:1: \(file\): the file is \d+ bytes/);
  });

  it('refuses a FIFO at once instead of waiting for a writer', async () => {
    const fifo = join(tmp, 'fifo.yaml');
    execFileSync('mkfifo', [fifo]);
    const err = await loadError(fifo);
    expect(err.exitCode).toBe(1);
    expect(err.issues[0]?.message).toContain('not a regular file');
  });

  it('refuses a missing file, a directory and bytes that are not UTF-8', async () => {
    expect((await loadError(join(tmp, 'absent.yaml'))).issues[0]?.message).toContain('does not exist');
    const d = await loadError(tmp);
    expect(d.exitCode).toBe(1);
    expect(d.issues[0]?.message).toMatch(/directory|not a regular file/);
    const bin = join(tmp, 'latin1.yaml');
    writeFileSync(bin, Buffer.from([0x6d, 0x3a, 0x20, 0xe9, 0x0a]));
    const b = await loadError(bin);
    expect(b.exitCode).toBe(1);
    expect(b.issues[0]?.message).toContain('not UTF-8');
  });

  it('holds text given directly (the control API) to the same 2 MiB cap', () => {
    const text = `${MINIMAL}${'#'.repeat(MAX_CONFIG_BYTES - Buffer.byteLength(MINIMAL))}\n`;
    const err = configError(() => parseConfigText(text, 'api.yaml'));
    expect(err.exitCode).toBe(1);
    expect(err.issues.map(formatIssue)).toEqual([
      `api.yaml:1:1: (file): the file is ${MAX_CONFIG_BYTES + 1} bytes; a config may have at most 2097152 bytes (2 MiB)`,
    ]);
  });

  it('accepts a file of exactly the size limit', async () => {
    const f = join(tmp, 'edge.yaml');
    writeFileSync(f, `${MINIMAL}${'#'.repeat(MAX_CONFIG_BYTES - Buffer.byteLength(MINIMAL) - 1)}\n`);
    const m = await loadConfigFile(f);
    expect(m.frontends.size).toBe(1);
  });
});

describe('error reports', () => {
  it('sorts every error by position and formats file:line:col: path: message', () => {
    const text = MINIMAL.replace('port: 80\n      pools', 'port: 0\n      pools').replace(
      '{ type: tcp, port: 80 }',
      '{ type: tcp, port: 80, rise: 0 }',
    );
    const err = configError(() => parseConfigText(text, 'x.yaml'));
    expect(err.exitCode).toBe(2);
    expect(err.issues.map(formatIssue)).toEqual([
      'x.yaml:4:41: healthchecks.tcp80.rise: 0 is below the minimum 1',
      'x.yaml:10:13: frontends.f1.port: 0 is below the minimum 1',
    ]);
    expect(err.message).toBe('x.yaml:4:41: healthchecks.tcp80.rise: 0 is below the minimum 1 (and 1 more)');
    expect(err.code).toBe('ERR_CONFIG');
  });

  it('refuses YAML nested beyond what the parser can take, with a message saying so', () => {
    const err = configError(() =>
      parseConfigText(`maglev: ${'['.repeat(100_000)}${']'.repeat(100_000)}\n`, 'deep.yaml'),
    );
    expect(err.exitCode).toBe(1);
    expect(err.issues[0]?.message).toContain('nested too deeply');
  });

  it('stops at the first syntax error: a stray } in a 1 MiB file gives one error, not one per later token', () => {
    const backends = Array.from(
      { length: 20_000 },
      (_, i) => `    be${i}: { address: 10.0.${i >> 8}.${i & 255}, healthcheck: tcp80 }\n`,
    ).join('');
    const text = `maglev:\n  healthchecks:\n    tcp80: { type: tcp, port: 80 }\n}\n  backends:\n${backends}`;
    expect(text.length).toBeGreaterThan(1024 * 1024);
    // Before, the document carried an error object for each of the ~200 000 tokens after the brace.
    expect(parseYamlDocument(text, new LineCounter()).errors).toHaveLength(1);
    const err = configError(() => parseConfigText(text, 'stray.yaml'));
    expect(err.exitCode).toBe(1);
    expect(err.issues.map(formatIssue)).toEqual([
      'stray.yaml:4:1: (yaml): not valid YAML: Unexpected flow-map-end token in YAML stream: "}"',
    ]);
  });

  it('still reports every tab used as indentation after an earlier syntax error', () => {
    const err = configError(() => parseConfigText(']\nmaglev:\n\tvpp: {}\n\tbackends: {}\n', 't.yaml'));
    expect(err.issues.map((i) => `${i.line}:${i.col} ${i.message}`)).toEqual([
      '3:1 a tab is used for indentation: YAML indents with spaces only',
      '4:1 a tab is used for indentation: YAML indents with spaces only',
    ]);
  });

  it('serialises with every issue, for the control API', () => {
    const err = configError(() => parseConfigText('maglev: []\n', 'x.yaml'));
    expect(JSON.parse(JSON.stringify(err))).toEqual({
      code: 'ERR_CONFIG',
      message: err.message,
      exitCode: 2,
      issues: [
        { file: 'x.yaml', line: 1, col: 9, path: 'maglev', message: expect.stringContaining('got a list') },
      ],
    });
  });

  it('quotes names with dots in paths', () => {
    const text = MINIMAL.replaceAll('b1', 'web.1').replace(
      'backends: { web.1: }',
      'backends: { web.1: { weight: 300 } }',
    );
    const err = configError(() => parseConfigText(text, 'x.yaml'));
    expect(err.issues[0]?.path).toBe('frontends.f1.pools[0].backends["web.1"].weight');
  });
});
