// The systemd unit, sysusers and tmpfiles snippets: systemd's own tools accept them, and they say what spec §10 says.
import { execFileSync, spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const dir = new URL('../../systemd/', import.meta.url).pathname;
const unitText = readFileSync(join(dir, 'maglevd.service'), 'utf8');
const scratch = mkdtempSync(join(tmpdir(), 'maglevd-units-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function tool(name: string): string | undefined {
  for (const d of ['/usr/bin', '/bin', '/usr/sbin']) if (existsSync(join(d, name))) return join(d, name);
  return undefined;
}
const analyze = tool('systemd-analyze');
const sysusers = tool('systemd-sysusers');
const tmpfiles = tool('systemd-tmpfiles');
const isRoot = process.getuid?.() === 0;

/** Directives of the [Service] section as key -> values (a key may repeat). */
function directives(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const line of text.split('\n')) {
    const m = /^([A-Za-z]+)=(.*)$/.exec(line);
    if (m?.[1] !== undefined) out.set(m[1], [...(out.get(m[1]) ?? []), m[2] ?? '']);
  }
  return out;
}

describe('systemd files', () => {
  it.skipIf(analyze === undefined)(
    `systemd-analyze verify accepts maglevd.service without a single warning${analyze === undefined ? ' (skipped: systemd-analyze is not installed; apt-get install systemd)' : ''}`,
    () => {
      // verify insists that ExecStart exists; the package's /usr/sbin/maglevd does not on a build machine, so
      // only that path points at a stub. Every other line is checked as shipped.
      const stub = join(scratch, 'maglevd');
      writeFileSync(stub, '#!/bin/sh\n');
      chmodSync(stub, 0o755);
      const unit = join(scratch, 'maglevd.service');
      writeFileSync(unit, unitText.replace(/^ExecStart=\/usr\/sbin\/maglevd/m, `ExecStart=${stub}`));
      const r = spawnSync(analyze as string, ['verify', '--man=no', '--generators=no', unit], {
        encoding: 'utf8',
      });
      expect(`${r.stdout}${r.stderr}`).toBe('');
      expect(r.status).toBe(0);
    },
  );

  it('is the unit spec §10 asks for', () => {
    const d = directives(unitText);
    expect(d.get('Type')).toEqual(['notify']);
    expect(d.get('ExecStart')).toEqual(['/usr/sbin/maglevd']);
    expect(d.get('ExecReload')).toEqual(['/bin/kill -HUP $MAINPID']);
    expect(d.get('WatchdogSec')?.[0]).toMatch(/^\d+s$/);
    expect(d.get('User')).toEqual(['maglevd']);
    expect(d.get('SupplementaryGroups')).toEqual(['vpp']);
    expect(d.get('RuntimeDirectory')).toEqual(['maglev']);
    expect(d.get('RuntimeDirectoryMode')).toEqual(['0750']);
    expect(d.get('Restart')).toEqual(['on-failure']);
    expect(d.get('After')?.[0]).toContain('vpp.service');
    expect(d.get('CapabilityBoundingSet')).toEqual(['']);
    expect(d.get('AmbientCapabilities')).toEqual(['']);
    for (const k of ['NoNewPrivileges', 'ProtectHome', 'PrivateTmp']) expect(d.get(k), k).toEqual(['yes']);
    expect(d.get('ProtectSystem')).toEqual(['strict']);
    // Not Requires=/BindsTo=: a VPP restart must not stop maglevd.
    expect(d.has('Requires') || d.has('BindsTo')).toBe(false);
    expect(unitText).toMatch(/^#NetworkNamespacePath=\/run\/netns\/\S+$/m);
  });

  it.skipIf(sysusers === undefined || tmpfiles === undefined || !isRoot)(
    `sysusers creates the maglevd user and group (not vpp), tmpfiles makes /etc/maglev root:maglevd 0750${sysusers === undefined || tmpfiles === undefined ? ' (skipped: systemd-sysusers/systemd-tmpfiles not installed)' : !isRoot ? ' (skipped: needs root to chown in a scratch root)' : ''}`,
    () => {
      const root = join(scratch, 'root');
      mkdirSync(join(root, 'etc'), { recursive: true });
      execFileSync(sysusers as string, [`--root=${root}`, join(dir, 'maglevd.sysusers.conf')], {
        stdio: 'pipe',
      });
      const passwd = readFileSync(join(root, 'etc/passwd'), 'utf8');
      const group = readFileSync(join(root, 'etc/group'), 'utf8');
      const user = /^maglevd:x:(\d+):(\d+):[^:]*:[^:]*:\/usr\/sbin\/nologin$/m.exec(passwd);
      expect(user).not.toBeNull();
      expect(Number(user?.[1])).toBeLessThan(1000);
      expect(group).toMatch(new RegExp(`^maglevd:x:${user?.[2]}:`, 'm'));
      expect(group).not.toMatch(/^vpp:/m);

      execFileSync(tmpfiles as string, [`--root=${root}`, '--create', join(dir, 'maglevd.tmpfiles.conf')], {
        stdio: 'pipe',
      });
      const st = statSync(join(root, 'etc/maglev'));
      expect(st.isDirectory()).toBe(true);
      expect(st.mode & 0o777).toBe(0o750);
      expect(st.uid).toBe(0);
      expect(st.gid).toBe(Number(user?.[2]));
    },
  );
});
