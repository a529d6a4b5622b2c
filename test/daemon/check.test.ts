// `maglevd --check` and `--version`: the real exit codes through a child process, the output via runCheck.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { runCheck } from '../../src/daemon/check.js';
import { VPP_API_VERSION } from '../../src/util/version.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'maglev-check-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI from source, as `npx tsx --conditions=source src/daemon/main.ts` would. */
function cli(args: string[], env: Record<string, string> = {}): Promise<Run> {
  const tsx = join(root, 'node_modules', '.bin', 'tsx');
  return new Promise((resolve) => {
    execFile(
      tsx,
      ['--conditions=source', join(root, 'src/daemon/main.ts'), ...args],
      { cwd: root, env: { ...process.env, ...env }, timeout: 30_000 },
      (err, stdout, stderr) => {
        const code = err === null ? 0 : typeof err.code === 'number' ? err.code : -1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

async function check(file: string): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCheck(file, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out, err };
}

describe('maglevd --check (child process)', () => {
  it('exits 0, 2 and 1 for a valid, an invalid and an unreadable config', async () => {
    const bad = join(tmp, 'bad.yaml');
    writeFileSync(
      bad,
      'maglev:\n  vpp: {}\n  healthchecks: {}\n  backends: {}\n  frontends: {}\n  bogus: 1\n',
    );
    const [ok, invalid, missing] = await Promise.all([
      cli(['--check', '--config', join(root, 'examples/demo.yaml')]),
      cli(['--check', '--config', bad]),
      cli(['--check'], { MAGLEV_CONFIG: join(tmp, 'absent.yaml') }),
    ]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/demo\.yaml: OK: 2 frontends, 4 backends, 4 healthchecks\n$/);
    expect(invalid.code).toBe(2);
    expect(invalid.stderr).toBe(
      `${bad}:6:3: bogus: unknown key "bogus" (allowed here: healthchecker, vpp, healthchecks, backends, frontends)\n`,
    );
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('absent.yaml:1:1: (file): cannot read the file: it does not exist');
  });

  it('prints the version and the VPP API version', async () => {
    const r = await cli(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`maglevd 0.1.0 (VPP API ${VPP_API_VERSION})\n`);
  });

  it('lets --config win over MAGLEV_CONFIG', async () => {
    const r = await cli(['--check', '--config', join(root, 'examples/maglev.yaml')], {
      MAGLEV_CONFIG: join(tmp, 'absent.yaml'),
    });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('OK: 4 frontends, 10 backends, 4 healthchecks');
  });
});

describe('runCheck', () => {
  it('writes one line per error and nothing on stdout for an invalid file', async () => {
    const f = join(tmp, 'two.yaml');
    writeFileSync(
      f,
      'maglev:\n  healthchecks: {}\n  backends: { b: { address: 10.0.0.1, healthcheck: x } }\n  frontends: []\n',
    );
    const r = await check(f);
    expect(r.code).toBe(2);
    expect(r.out).toEqual([]);
    expect(r.err).toEqual([
      `${f}:3:52: backends.b.healthcheck: no healthcheck named "x" (no healthchecks are defined)`,
      `${f}:4:14: frontends: expected a map of frontends by name, got a list (write {} for none)`,
    ]);
  });

  it('exits 1 for text that is not YAML', async () => {
    const f = join(tmp, 'broken.yaml');
    writeFileSync(f, 'maglev:\n  frontends: [\n');
    const r = await check(f);
    expect(r.code).toBe(1);
    expect(r.err).toHaveLength(1);
    expect(r.err[0]).toMatch(/broken\.yaml:\d+:\d+: \(yaml\): not valid YAML: /);
  });
});
