// The Debian package: control fields, maintainer scripts, and (once the daemon is built) an unpacked tree that runs.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import {
  buildDeb,
  CLI_ENTRY,
  controlFile,
  DAEMON_ENTRY,
  DOCS,
  debVersion,
  gzipManPage,
  MAN_PAGES,
  POSTINST,
  POSTRM,
  PRERM,
  productionPackages,
  runtimeFile,
} from '../../scripts/package-deb.js';

const root = new URL('../../', import.meta.url).pathname;
const version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
const hasDpkg = spawnSync('dpkg-deb', ['--version']).status === 0;
const missing = [DAEMON_ENTRY, CLI_ENTRY, 'binapi/dist/index.js'].filter((f) => !existsSync(join(root, f)));
const skipReason = !hasDpkg
  ? ' (skipped: dpkg-deb is not installed)'
  : missing.length > 0
    ? ` (skipped: ${missing.join(', ')} not built yet; run npm run build once the daemon and CLI exist)`
    : '';
const scratch = mkdtempSync(join(tmpdir(), 'maglevd-pkg-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('package-deb', () => {
  it('writes a control file dpkg accepts, depending on nodejs >= 20', () => {
    const control = controlFile({ version: debVersion('1.2.0-rc.1'), arch: 'arm64', installedSizeKiB: 12 });
    expect(control).toContain('Version: 1.2.0~rc.1-1\n');
    expect(control).toContain('Depends: nodejs (>= 20), systemd\n');
    expect(control).toMatch(/^Package: maglevd$/m);
    expect(control.endsWith('\n')).toBe(true);
    for (const line of control.split('\n').slice(0, -1)) expect(line).toMatch(/^([A-Z][A-Za-z-]+: \S| \S)/);
  });

  it('has maintainer scripts that are valid sh and never enable the service on a fresh install', () => {
    for (const script of [POSTINST, PRERM, POSTRM]) {
      expect(spawnSync('sh', ['-n'], { input: script }).status).toBe(0);
      expect(script.startsWith('#!/bin/sh\nset -e\n')).toBe(true);
    }
    expect(POSTINST).toContain('systemd-sysusers maglevd.conf');
    expect(POSTINST).toContain('systemctl daemon-reload');
    expect(POSTINST).not.toMatch(/systemctl (enable|start)/);
    expect(POSTRM).toContain('systemctl daemon-reload');
  });

  it('takes production packages from the lock: no dev ones, nested ones with their parent, absent optionals skipped', () => {
    const lock = JSON.stringify({
      packages: {
        '': { name: 'maglevd' },
        binapi: {},
        'node_modules/pino': {},
        'node_modules/pino/node_modules/sonic-boom': {},
        'node_modules/vpp-binapi-ts': { link: true },
        'node_modules/vitest': { dev: true },
        'node_modules/@biomejs/cli-darwin-x64': { dev: true, optional: true },
        'node_modules/fsevents': { optional: true },
        'node_modules/koffi': {},
      },
    });
    expect(productionPackages(lock, () => false)).toEqual([
      'node_modules/koffi',
      'node_modules/pino',
      'node_modules/vpp-binapi-ts',
    ]);
    expect(productionPackages(lock, (rel) => rel === 'node_modules/fsevents')).toContain(
      'node_modules/fsevents',
    );
    // This repository's own lock: the runtime dependencies are there, the tooling is not.
    const ours = productionPackages(readFileSync(join(root, 'package-lock.json'), 'utf8'), (r) =>
      existsSync(join(root, r)),
    );
    for (const dep of ['koffi', 'pino', 'prom-client', 'yaml', 'zod', 'commander', 'vpp-binapi-ts']) {
      expect(ours).toContain(`node_modules/${dep}`);
    }
    for (const dev of ['vitest', 'typescript', '@biomejs/biome', 'tsx'])
      expect(ours).not.toContain(`node_modules/${dev}`);
  });

  it('copies runtime files of a dependency only', () => {
    const pkg = '/x/node_modules/zod';
    for (const keep of [
      'index.js',
      'v4/core/api.cjs',
      'package.json',
      'LICENSE',
      'lib/docs.js',
      'src/testing.js',
    ]) {
      expect(runtimeFile(pkg, `${pkg}/${keep}`), keep).toBe(true);
    }
    for (const drop of [
      'index.d.ts',
      'v4/core/api.d.cts',
      'src/index.ts',
      'index.js.map',
      'README.md',
      'test/a.js',
      'docs',
      'benchmarks/b.js',
    ]) {
      expect(runtimeFile(pkg, `${pkg}/${drop}`), drop).toBe(false);
    }
  });

  it('gzips man pages reproducibly, as gzip -9n does: no name, no time in the header', () => {
    const page = Buffer.from('.TH X 8\n.SH NAME\nx \\- y\n');
    const a = gzipManPage(page);
    expect(a.equals(gzipManPage(page))).toBe(true);
    expect(a.readUInt32LE(4)).toBe(0); // MTIME
    expect(a[3]).toBe(0); // FLG: no FNAME, no comment
    expect(gunzipSync(a).equals(page)).toBe(true);
  });

  it('ships the man pages and operator docs that exist in the repository', () => {
    for (const f of [...MAN_PAGES, ...DOCS]) expect(existsSync(join(root, f)), f).toBe(true);
  });

  it.skipIf(skipReason !== '')(
    `builds a .deb whose unpacked tree runs maglevd --version and --check${skipReason}`,
    () => {
      const deb = buildDeb({ outDir: scratch, arch: process.arch, compression: 'none', build: false });
      const fields = execFileSync('dpkg-deb', ['-f', deb, 'Package', 'Depends', 'Version'], {
        encoding: 'utf8',
      });
      expect(fields).toContain('Depends: nodejs (>= 20)');
      expect(execFileSync('dpkg-deb', ['--ctrl-tarfile', deb]).length).toBeGreaterThan(0);
      const files = execFileSync('dpkg-deb', ['-c', deb], { encoding: 'utf8' });
      for (const f of [
        './usr/sbin/maglevd',
        './usr/bin/maglevctl',
        './usr/lib/systemd/system/maglevd.service',
        './usr/lib/sysusers.d/maglevd.conf',
        './usr/lib/tmpfiles.d/maglevd.conf',
        './etc/maglev/maglev.yaml',
        './usr/share/man/man8/maglevd.8.gz',
        './usr/share/man/man8/maglevctl.8.gz',
        './usr/share/doc/maglevd/operations.md',
        './usr/share/doc/maglevd/errors.md',
        './usr/lib/maglevd/node_modules/koffi/',
        './usr/lib/maglevd/node_modules/vpp-binapi-ts/dist/',
      ]) {
        expect(files, f).toContain(f);
      }
      expect(files).toMatch(/^-rwxr-xr-x root\/root .* \.\/usr\/sbin\/maglevd$/m);
      expect(execFileSync('dpkg-deb', ['-I', deb, 'conffiles'], { encoding: 'utf8' })).toBe(
        '/etc/default/maglevd\n/etc/maglev/maglev.yaml\n',
      );
      expect(files).toContain('./etc/default/maglevd');
      expect(files).toMatch(/^-rw-r--r-- root\/root .* \.\/usr\/share\/man\/man8\/maglevd\.8\.gz$/m);

      // Unpacked outside the repository, so nothing resolves from the repository's node_modules.
      const tree = join(scratch, 'root');
      execFileSync('dpkg-deb', ['-x', deb, tree]);
      const v = spawnSync(join(tree, 'usr/sbin/maglevd'), ['--version'], { encoding: 'utf8' });
      expect(v.stderr).toBe('');
      expect(v.status).toBe(0);
      expect(v.stdout).toContain(version);
      // The conffile is the commented example, and the daemon accepts it.
      expect(readFileSync(join(tree, 'etc/maglev/maglev.yaml'), 'utf8')).toBe(
        readFileSync(join(root, 'examples/maglev.yaml'), 'utf8'),
      );
      const check = spawnSync(
        join(tree, 'usr/sbin/maglevd'),
        ['--check', '--config', join(tree, 'etc/maglev/maglev.yaml')],
        { encoding: 'utf8' },
      );
      expect(check.status, check.stderr).toBe(0);
      // man finds the pages it installs: the committed roff, gzipped.
      for (const page of MAN_PAGES) {
        const name = page.slice(page.indexOf('/') + 1);
        const gz = readFileSync(join(tree, 'usr/share/man/man8', `${name}.gz`));
        expect(gunzipSync(gz).toString('utf8')).toBe(readFileSync(join(root, page), 'utf8'));
      }
    },
    // Copies ~2000 files and runs dpkg-deb: seconds on a quiet machine, more on a shared one.
    120_000,
  );
});
