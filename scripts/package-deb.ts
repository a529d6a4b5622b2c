// `npm run package:deb`: the Debian package of maglevd, built with dpkg-deb alone from dist/ and the installed production dependencies.
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const LIB_DIR = 'usr/lib/maglevd';
/** Entry points inside dist/ (tsc output of src/). */
export const DAEMON_ENTRY = 'dist/daemon/main.js';
export const CLI_ENTRY = 'dist/cli/main.js';

/** Debian architecture name and koffi's prebuilt directory for each Node `process.arch` on Linux. */
export const ARCHES: Readonly<Record<string, { deb: string; koffi: string }>> = {
  x64: { deb: 'amd64', koffi: 'linux_x64' },
  arm64: { deb: 'arm64', koffi: 'linux_arm64' },
  arm: { deb: 'armhf', koffi: 'linux_armhf' },
  ia32: { deb: 'i386', koffi: 'linux_ia32' },
  riscv64: { deb: 'riscv64', koffi: 'linux_riscv64d' },
  loong64: { deb: 'loong64', koffi: 'linux_loong64' },
};

export interface ControlFields {
  version: string;
  arch: string;
  installedSizeKiB: number;
}

/** debVersion maps an npm version to a Debian one: `1.2.0-rc.1` sorts before `1.2.0` only as `1.2.0~rc.1`. */
export function debVersion(npmVersion: string): string {
  return `${npmVersion.replace('-', '~')}-1`;
}

/** controlFile is DEBIAN/control. Depends names only what the package runs on: node, and systemd's tools. */
export function controlFile(f: ControlFields): string {
  return `${[
    'Package: maglevd',
    `Version: ${f.version}`,
    `Architecture: ${f.arch}`,
    'Section: net',
    'Priority: optional',
    'Maintainer: maglevd maintainers <maglevd@localhost>',
    `Installed-Size: ${f.installedSizeKiB}`,
    'Depends: nodejs (>= 20), systemd',
    'Recommends: vpp',
    'Description: control plane for the fd.io VPP lb (Maglev) plugin',
    ' maglevd health-checks backends (ICMP, TCP, HTTP, HTTPS) and keeps the VIPs,',
    " application servers and weights of VPP's lb plugin where health and",
    ' configuration say, over the VPP binary API socket. maglevctl is its CLI.',
    ' Logs are JSON lines for journald; metrics are Prometheus text on loopback.',
  ].join('\n')}\n`;
}

// Maintainer scripts: plain POSIX sh, no debhelper. The service is not enabled on a fresh install: with the
// example config it would program example VIPs into VPP. An upgrade restarts it only if it was running; a
// restart does not disturb traffic (warmup writes nothing to VPP until health is known again).
export const POSTINST = `#!/bin/sh
set -e
if [ "$1" = configure ]; then
  if command -v systemd-sysusers >/dev/null 2>&1; then
    systemd-sysusers maglevd.conf
  elif ! getent passwd maglevd >/dev/null; then
    adduser --system --group --no-create-home --home / --shell /usr/sbin/nologin maglevd
  fi
  if command -v systemd-tmpfiles >/dev/null 2>&1; then
    systemd-tmpfiles --create maglevd.conf || true
  fi
  # ICMP probes use unprivileged ICMP sockets; Debian's default ping_group_range allows no group.
  if command -v systemd-sysctl >/dev/null 2>&1; then
    systemd-sysctl 60-maglevd.conf || true
  fi
  if [ -d /run/systemd/system ]; then
    systemctl daemon-reload || true
    if [ -n "$2" ]; then
      systemctl try-restart maglevd.service || true
    fi
  fi
fi
exit 0
`;

export const PRERM = `#!/bin/sh
set -e
# Stopping maglevd leaves VPP's VIPs and ASs as they are: traffic keeps flowing without the daemon.
if [ "$1" = remove ] && [ -d /run/systemd/system ]; then
  systemctl stop maglevd.service || true
fi
exit 0
`;

export const POSTRM = `#!/bin/sh
set -e
if [ -d /run/systemd/system ]; then
  systemctl daemon-reload || true
fi
# The maglevd user stays after a purge (Debian practice: files it owned may remain). The state directory
# (operator state and recent health, see StateDirectory= in the unit) is data of this package: it goes.
if [ "$1" = purge ]; then
  rmdir /etc/maglev 2>/dev/null || true
  rm -rf /var/lib/maglevd
fi
exit 0
`;

/** Host-wide, as systemd upstream sets it (50-default.conf), which Debian does not ship. */
export const SYSCTL = `# maglevd: ICMP health checks use unprivileged ICMP datagram sockets (no CAP_NET_RAW).
# This range is per network namespace; see docs/operations.md for probing from a dataplane namespace.
net.ipv4.ping_group_range = 0 2147483647
`;

/** /etc/default/maglevd, read by the unit's EnvironmentFile=; every flag has a MAGLEV_* twin (spec §2). */
export const DEFAULTS_FILE = `# Environment for maglevd.service; a flag on the command line would win, but the unit passes none.
# Changes take effect on restart (systemctl restart maglevd), which does not disturb traffic.
#MAGLEV_CONFIG=/etc/maglev/maglev.yaml
#MAGLEV_VPP_API=/run/vpp/api.sock
#MAGLEV_CONTROL_SOCKET=/run/maglev/maglevd.sock
# Prometheus endpoint; empty disables it.
#MAGLEV_METRICS=127.0.0.1:9091
# trace, debug, info, warn, error; maglevctl can change it while running.
#MAGLEV_LOG_LEVEL=info
`;

/** The conffile /etc/maglev/maglev.yaml: the commented example, which `maglevd --check` accepts. */
export const EXAMPLE_CONFIG = 'examples/maglev.yaml';

/** Man pages, generated by `npm run man` from the CLI definitions and committed (a test keeps them current). */
export const MAN_PAGES = ['man/maglevd.8', 'man/maglevctl.8'] as const;

/** Operator documentation shipped in /usr/share/doc/maglevd (the man pages point there). */
export const DOCS = [
  'README.md',
  'docs/operations.md',
  'docs/config.md',
  'docs/cli.md',
  'docs/health.md',
  'docs/logging.md',
  'docs/metrics.md',
  'docs/errors.md',
  'docs/api.md',
  'docs/grafana-dashboard.json',
] as const;

/**
 * gzipManPage compresses as Debian policy asks (gzip -9n): best compression, and no name or time in the
 * header (Node writes neither), so the same page always gives the same bytes.
 */
export function gzipManPage(text: Buffer): Buffer {
  return gzipSync(text, { level: 9 });
}

function wrapper(entry: string): string {
  // Resolved from the script's own location, so an unpacked tree (tests, dpkg --root) runs its own copy.
  return `#!/bin/sh
here=$(dirname "$(readlink -f "$0")")
exec node "$here/../lib/maglevd/${entry}" "$@"
`;
}

function write(path: string, text: string | Uint8Array, mode = 0o644): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
  chmodSync(path, mode);
}

function copy(from: string, to: string, filter?: (src: string) => boolean): void {
  mkdirSync(dirname(to), { recursive: true });
  cpSync(from, to, { recursive: true, dereference: true, ...(filter === undefined ? {} : { filter }) });
}

function sizeKiB(dir: string): number {
  let bytes = 0;
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else bytes += statSync(p).size;
    }
  };
  walk(dir);
  return Math.ceil(bytes / 1024);
}

interface LockEntry {
  dev?: boolean;
  devOptional?: boolean;
  optional?: boolean;
  link?: boolean;
}

/**
 * The production dependency tree, read from package-lock.json (what `npm ci` installed), so the package holds
 * exactly the locked versions with no second resolve and no network. Optional packages for other platforms
 * are in the lock but not on disk: those are skipped.
 */
export function productionPackages(lockText: string, installed: (rel: string) => boolean): string[] {
  const lock = JSON.parse(lockText) as { packages?: Record<string, LockEntry> };
  const dirs = Object.entries(lock.packages ?? {})
    .filter(([rel, e]) => rel.startsWith('node_modules/') && e.dev !== true)
    .filter(([rel, e]) => (e.optional !== true && e.devOptional !== true) || installed(rel))
    .map(([rel]) => rel)
    .sort();
  // A nested node_modules is copied with its parent package.
  return dirs.filter((d, i) => !dirs.slice(0, i).some((p) => d.startsWith(`${p}/`)));
}

/**
 * runtimeFile keeps what node runs: TypeScript sources and declarations, source maps, markdown, and a
 * package's own tests, docs and benchmarks stay out (two thirds of the files, none loaded at run time).
 */
export function runtimeFile(pkgRoot: string, src: string): boolean {
  if (/\.(d\.[cm]?ts|[cm]?ts|map|md|markdown)$/i.test(src)) return false;
  const rel = src.slice(pkgRoot.length + 1);
  return !/^(test|tests|__tests__|benchmarks?|docs?|examples?)(\/|$)/.test(rel);
}

function stageDependencies(libDir: string, koffiDir: string): void {
  const lockText = readFileSync(join(ROOT, 'package-lock.json'), 'utf8');
  for (const rel of productionPackages(lockText, (r) => existsSync(join(ROOT, r)))) {
    const to = join(libDir, rel);
    if (rel === 'node_modules/vpp-binapi-ts') {
      // The workspace package: only what it publishes (its package.json "files").
      const src = join(ROOT, 'binapi');
      if (!existsSync(join(src, 'dist', 'index.js')))
        throw new Error('binapi/dist is missing: run npm run build');
      copy(join(src, 'package.json'), join(to, 'package.json'));
      copy(join(src, 'dist'), join(to, 'dist'));
      continue;
    }
    const pkgRoot = join(ROOT, rel);
    copy(pkgRoot, to, (src) => runtimeFile(pkgRoot, src));
  }
  // koffi ships prebuilt libraries for 18 platforms and its C sources: keep the one this package is for.
  const koffi = join(libDir, 'node_modules', 'koffi');
  if (existsSync(koffi)) {
    for (const d of ['src', 'vendor', 'doc']) rmSync(join(koffi, d), { recursive: true, force: true });
    const builds = join(koffi, 'build', 'koffi');
    if (!existsSync(join(builds, koffiDir))) throw new Error(`koffi has no prebuilt library ${koffiDir}`);
    for (const d of readdirSync(builds)) if (d !== koffiDir) rmSync(join(builds, d), { recursive: true });
  }
}

export interface PackageOptions {
  /** Where the .deb goes. */
  outDir: string;
  /** Node arch name (x64, arm64, ...); the package is pure JavaScript apart from koffi's prebuilt library. */
  arch: string;
  /** dpkg-deb -Z: xz for releases, none for fast tests. */
  compression: 'xz' | 'gzip' | 'none';
  /** Run `npm run build` first. */
  build: boolean;
}

/** buildDeb stages the file tree and runs dpkg-deb; returns the .deb path. */
export function buildDeb(opts: PackageOptions): string {
  const arch = ARCHES[opts.arch];
  if (arch === undefined)
    throw new Error(`unsupported arch ${opts.arch}; one of ${Object.keys(ARCHES).join(', ')}`);
  if (opts.build) execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });
  for (const entry of [DAEMON_ENTRY, CLI_ENTRY]) {
    if (!existsSync(join(ROOT, entry))) throw new Error(`${entry} is missing: run npm run build`);
  }
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
  const stage = mkdtempSync(join(tmpdir(), 'maglevd-deb-'));
  try {
    const lib = join(stage, LIB_DIR);
    // mkdtemp makes 0700; the package's root directory must read as 0755.
    chmodSync(stage, 0o755);
    // Declarations are for library users; the source maps stay for readable stack traces.
    copy(join(ROOT, 'dist'), join(lib, 'dist'), (src) => !src.endsWith('.d.ts'));
    // The compiled files are ESM: the nearest package.json must say so.
    write(
      join(lib, 'package.json'),
      `${JSON.stringify({ name: 'maglevd', version: pkg.version, type: 'module', private: true }, null, 2)}\n`,
    );
    stageDependencies(lib, arch.koffi);

    write(join(stage, 'usr/sbin/maglevd'), wrapper(DAEMON_ENTRY), 0o755);
    write(join(stage, 'usr/bin/maglevctl'), wrapper(CLI_ENTRY), 0o755);
    copy(join(ROOT, 'systemd/maglevd.service'), join(stage, 'usr/lib/systemd/system/maglevd.service'));
    copy(join(ROOT, 'systemd/maglevd.sysusers.conf'), join(stage, 'usr/lib/sysusers.d/maglevd.conf'));
    copy(join(ROOT, 'systemd/maglevd.tmpfiles.conf'), join(stage, 'usr/lib/tmpfiles.d/maglevd.conf'));
    write(join(stage, 'usr/lib/sysctl.d/60-maglevd.conf'), SYSCTL);

    write(join(stage, 'etc/default/maglevd'), DEFAULTS_FILE);
    const example = join(ROOT, EXAMPLE_CONFIG);
    if (!existsSync(example)) throw new Error(`${EXAMPLE_CONFIG} is missing: it is the package's conffile`);
    copy(example, join(stage, 'etc/maglev/maglev.yaml'));

    for (const page of MAN_PAGES) {
      const src = join(ROOT, page);
      if (!existsSync(src)) throw new Error(`${page} is missing: run npm run man`);
      const base = page.slice(page.lastIndexOf('/') + 1);
      write(join(stage, 'usr/share/man/man8', `${base}.gz`), gzipManPage(readFileSync(src)));
    }

    const doc = join(stage, 'usr/share/doc/maglevd');
    for (const f of DOCS) {
      if (!existsSync(join(ROOT, f))) throw new Error(`${f} is missing: the package documents from it`);
      copy(join(ROOT, f), join(doc, f.replace(/^docs\//, '')));
    }
    write(
      join(doc, 'copyright'),
      'Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\nUpstream-Name: maglevd\n\nFiles: *\nLicense: Apache-2.0\n On Debian systems the full text is in /usr/share/common-licenses/Apache-2.0.\n',
    );

    const installedSizeKiB = sizeKiB(stage);
    const debian = join(stage, 'DEBIAN');
    write(
      join(debian, 'control'),
      controlFile({ version: debVersion(pkg.version), arch: arch.deb, installedSizeKiB }),
    );
    write(join(debian, 'conffiles'), '/etc/default/maglevd\n/etc/maglev/maglev.yaml\n');
    write(join(debian, 'postinst'), POSTINST, 0o755);
    write(join(debian, 'prerm'), PRERM, 0o755);
    write(join(debian, 'postrm'), POSTRM, 0o755);

    mkdirSync(opts.outDir, { recursive: true });
    const deb = join(resolve(opts.outDir), `maglevd_${debVersion(pkg.version)}_${arch.deb}.deb`);
    execFileSync('dpkg-deb', ['--root-owner-group', `-Z${opts.compression}`, '--build', stage, deb], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    return deb;
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}

function main(): void {
  const { values } = parseArgs({
    options: {
      out: { type: 'string', default: join(ROOT, 'dist-deb') },
      arch: { type: 'string', default: process.arch },
      compression: { type: 'string', default: 'xz' },
      'no-build': { type: 'boolean', default: false },
    },
  });
  const compression = values.compression;
  if (compression !== 'xz' && compression !== 'gzip' && compression !== 'none') {
    throw new Error(`--compression ${compression}: one of xz, gzip, none`);
  }
  const deb = buildDeb({ outDir: values.out, arch: values.arch, compression, build: !values['no-build'] });
  process.stdout.write(`${deb}\n`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  try {
    main();
  } catch (e) {
    process.stderr.write(`package-deb: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  }
}
