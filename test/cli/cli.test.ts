// maglevctl in-process against the real control server and a fake daemon: tables, --json, exit codes 0/1/2.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from '../control/harness.js';
import { cli } from './run.js';

let h: Harness;
let s: string[];
beforeEach(async () => {
  h = await startHarness();
  s = ['--socket', h.socketPath];
});
afterEach(async () => {
  await h.close();
});

/** api fetches the same view maglevctl --json prints, straight from the server. */
async function api(path: string): Promise<unknown> {
  const { ControlClient } = await import('../../src/control/client.js');
  return new ControlClient({ socketPath: h.socketPath }).get(path);
}

describe('show', () => {
  it('show frontends: per pool backend state, configured and effective weight, VPP buckets, age', async () => {
    const r = await cli([...s, 'show', 'frontends']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe('web-v4  198.51.100.1/32 tcp:80  up  active pool primary  (gre4, flush-on-down)');
    expect(lines[1]).toMatch(/^ {2}POOL +BACKEND +ADDRESS +STATE +WEIGHT +EFFECTIVE +VPP +BUCKETS +SINCE$/);
    expect(lines[3]?.split(/ +/)).toEqual([
      '',
      'primary*',
      'web2',
      '192.0.2.12',
      'down',
      '50',
      '0',
      '50',
      '341',
      '1m35s',
    ]);
    // Columns line up: every row of a table starts its third column at the same offset.
    const at = (l: string) => (l.indexOf('192.0.2.') >= 0 ? l.indexOf('192.0.2.') : l.indexOf('ADDRESS'));
    expect(new Set(lines.slice(1, 5).map(at)).size).toBe(1);
  });

  it('show frontends <name> and --json before or after the command print the API view', async () => {
    const one = await cli([...s, 'show', 'frontends', 'web-v6']);
    expect(one.stdout).toContain('main*  web6a    2001:db8:1::a  paused');
    const after = await cli(['show', 'frontends', '--json', ...s]);
    const before = await cli(['--json', ...s, 'show', 'frontends']);
    expect(after.stdout).toBe(before.stdout);
    expect(JSON.parse(after.stdout)).toEqual(await api('/frontends'));
    expect(JSON.parse((await cli([...s, 'show', 'frontends', 'web-v6', '--json'])).stdout)).toEqual(
      await api('/frontends/web-v6'),
    );
  });

  it('show backends [name]: counter, last probe with latency, history', async () => {
    const all = await cli([...s, 'show', 'backends']);
    expect(all.stdout).toContain(
      'web2   192.0.2.12     down         0/4     L4CON connection refused (2s ago)  0.4ms',
    );
    const one = await cli([...s, 'show', 'backends', 'web2']);
    expect(one.stdout).toContain('last probe   fail L4CON connection refused, 0.4ms, 2s ago');
    expect(one.stdout).toContain('1m35s  up       down  L4CON  connection refused');
    expect(JSON.parse((await cli([...s, '--json', 'show', 'backends'])).stdout)).toEqual(
      await api('/backends'),
    );
  });

  it('show healthchecks, show vpp, show vpp lb, show plan', async () => {
    expect((await cli([...s, 'show', 'healthchecks'])).stdout).toMatch(/^NAME +TYPE +PORT/);
    const vpp = await cli([...s, 'show', 'vpp']);
    expect(vpp.stdout).toContain('messages    compatible (14 messages checked)');
    const lb = await cli([...s, 'show', 'vpp', 'lb']);
    expect(lb.stdout).toContain('  192.0.2.12  50      341      used   web2');
    const plan = await cli([...s, 'show', 'plan']);
    expect(plan.stdout).toContain(
      '  lb_as_set_weight 198.51.100.1/32 tcp:80 as 192.0.2.12 weight 50 → 0 flush',
    );
    expect(plan.stdout).toContain('198.51.100.1/32 tcp:80  web-v4    1      341/1024');
    for (const [argv, path] of [
      [['show', 'healthchecks'], '/healthchecks'],
      [['show', 'vpp'], '/vpp'],
      [['show', 'vpp', 'lb'], '/vpp/lb'],
      [['show', 'plan'], '/plan'],
    ] as const) {
      const r = await cli([...s, ...argv, '--json']);
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout)).toEqual(await api(path));
    }
  });

  it('show plan says so when in sync', async () => {
    h.target.live.get('198.51.100.1/32 tcp:80')!.set('192.0.2.12', { weight: 0, buckets: 0 });
    expect((await cli([...s, 'show', 'plan'])).stdout).toBe('in sync: a full sync now would make no calls\n');
  });
});

describe('explain', () => {
  it('prints state, counter, pool, admin state, warmup and the reason', async () => {
    const r = await cli([...s, 'explain', 'web-v6', 'web6a']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('  state      paused (weighted as up), health 4/4 (rise 2, fall 3)');
    expect(r.stdout).toContain('  admin      paused');
    expect(r.stdout).toContain('  warmup     done, released');
    expect(r.stdout).toContain(
      '    because  paused (last known up), up in the active pool main; configured weight 100',
    );
    expect(JSON.parse((await cli([...s, 'explain', 'web-v6', 'web6a', '--json'])).stdout)).toEqual(
      await api('/explain/web-v6/web6a'),
    );
  });

  it('an unknown name is a daemon error: exit 1 with its message', async () => {
    const r = await cli([...s, 'explain', 'web-v4', 'web6a']);
    expect(r).toEqual({
      code: 1,
      stdout: '',
      stderr: 'maglevctl: frontend "web-v4" has no backend "web6a" in its pools\n',
    });
  });
});

describe('set, sync, config', () => {
  it('set backend <name> pause|resume|enable|disable', async () => {
    expect((await cli([...s, 'set', 'backend', 'web1', 'disable'])).stdout).toBe(
      'backend web1: up → disabled; 1 VIP(s) to sync\n',
    );
    expect((await cli([...s, 'set', 'backend', 'web1', 'enable'])).stdout).toBe(
      'backend web1: disabled → unknown; 1 VIP(s) to sync\n',
    );
    expect((await cli([...s, 'set', 'backend', 'web1', 'pause'])).code).toBe(0);
    const resume = await cli([...s, 'set', 'backend', 'web1', 'resume', '--json']);
    expect(JSON.parse(resume.stdout)).toMatchObject({ changed: true, vips: ['198.51.100.1/32 tcp:80'] });
    expect(h.target.calls).toEqual(['disable web1', 'enable web1', 'pause web1', 'resume web1']);
    const refused = await cli([...s, 'set', 'backend', 'web6b', 'pause']);
    expect(refused).toMatchObject({
      code: 1,
      stderr: 'maglevctl: backend "web6b" is disabled: enable it first\n',
    });
  });

  it('set weight with --flush and default', async () => {
    const r = await cli([...s, 'set', 'weight', 'web-v4', 'primary', 'web1', '0', '--flush']);
    expect(r.stdout).toBe('web-v4/primary/web1: weight 0 with flush; 198.51.100.1/32 tcp:80 to sync\n');
    expect(h.target.overrides.get('web-v4/primary/web1')).toEqual({ weight: 0, flush: true });
    const show = await cli([...s, 'show', 'frontends', 'web-v4']);
    expect(show.stdout).toContain('web1     192.0.2.11  up     100 (set 0 flush)  0');
    await cli([...s, 'set', 'weight', 'web-v4', 'primary', 'web1', 'default']);
    expect(h.target.overrides.size).toBe(0);
  });

  it('sync [frontend]', async () => {
    expect((await cli([...s, 'sync'])).stdout).toBe('full sync planned\n');
    expect((await cli([...s, 'sync', 'web-v4'])).stdout).toBe('sync of web-v4 planned\n');
    expect((await cli([...s, 'sync', 'nope'])).code).toBe(1);
  });

  it('every action fails fast with exit 1 when VPP is unreachable', async () => {
    h.target.vppConnected = false;
    const r = await cli([...s, 'sync']);
    expect(r).toEqual({
      code: 1,
      stdout: '',
      stderr: 'maglevctl: VPP is not connected (/run/vpp/api.sock): cannot sync\n',
    });
  });

  it('config check [file]: valid → 0, errors as file:line:col → 1; unreadable file → 1', async () => {
    expect(await cli([...s, 'config', 'check'])).toEqual({
      code: 0,
      stdout: '/etc/maglev/maglev.yaml: valid\n',
      stderr: '',
    });
    const bad = await cli([...s, 'config', 'check', 'new.yaml'], {
      files: { 'new.yaml': 'maglev:\n  frontends:\n    bogus: 1\n' },
    });
    expect(bad).toEqual({
      code: 1,
      stdout: 'new.yaml:3:5: unknown key "bogus" (maglev.frontends.web.bogus)\n',
      stderr: '',
    });
    const missing = await cli([...s, 'config', 'check', 'gone.yaml']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('cannot read gone.yaml');
  });

  it('config reload: ok → 0; refused → 1 with line:col errors', async () => {
    expect((await cli([...s, 'config', 'reload'])).stdout).toBe(
      '/etc/maglev/maglev.yaml: reloaded (generation 2)\n',
    );
    h.target.nextReload = {
      ok: false,
      file: '/etc/maglev/maglev.yaml',
      generation: 1,
      changed: false,
      errors: [{ line: 12, col: 7, path: 'maglev.backends.web1.address', message: 'not an IP address' }],
    };
    const r = await cli([...s, 'config', 'reload']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      'maglevctl: config reload refused, the running config stays:\n  /etc/maglev/maglev.yaml:12:7: not an IP address (maglev.backends.web1.address)\n',
    );
    const j = await cli([...s, 'config', 'reload', '--json']);
    expect(j.code).toBe(1);
    expect(JSON.parse(j.stdout)).toMatchObject({ ok: false, errors: [{ line: 12, col: 7 }] });
  });

  it('--json on every action prints the API answer', async () => {
    const cases: [string[], unknown][] = [
      [
        ['set', 'weight', 'web-v4', 'fallback', 'web3', '50'],
        { changed: true, vips: ['198.51.100.1/32 tcp:80'] },
      ],
      [['sync', 'web-v6'], { changed: true, vips: ['2001:db8::1/128 tcp:443'] }],
      [['config', 'check'], { ok: true, file: '/etc/maglev/maglev.yaml', errors: [] }],
      [['config', 'reload'], { ok: true, generation: 2 }],
      [['set', 'log-level', 'warn'], { level: 'warn' }],
    ];
    for (const [argv, expected] of cases) {
      const r = await cli([...s, ...argv, '--json']);
      expect(r.code, argv.join(' ')).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject(expected as object);
    }
  });

  it('set log-level', async () => {
    expect((await cli([...s, 'set', 'log-level', 'debug'])).stdout).toBe('log level debug\n');
    expect(h.target.logLevel).toBe('debug');
  });
});

describe('usage errors exit 2 without contacting the daemon', () => {
  it.each([
    [[]],
    [['nope']],
    [['show']],
    [['show', 'nope']],
    [['explain', 'web-v4']],
    [['set', 'backend', 'web1', 'reboot']],
    [['set', 'weight', 'web-v4', 'primary', 'web1', '101']],
    [['set', 'weight', 'web-v4', 'primary', 'web1', '-1']],
    [['set', 'weight', 'web-v4', 'primary', 'web1', 'abc']],
    [['set', 'weight', 'web-v4', 'primary', 'web1', '5', '--flush']],
    [['set', 'log-level', 'loud']],
    [['watch', '--log-level', 'loud']],
    [['show', 'frontends', '--bogus']],
    [['sync', 'a', 'b']],
  ])('maglevctl %j', async (argv) => {
    const r = await cli([...s, ...argv]);
    expect(r.code).toBe(2);
    expect(r.stderr.length).toBeGreaterThan(0);
    expect(h.target.calls).toEqual([]);
  });

  it('--help exits 0', async () => {
    const r = await cli(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Usage: maglevctl');
  });
});

describe('an unreachable daemon', () => {
  it('is one line naming the socket, exit 1 (flag, env and default)', async () => {
    const path = `${h.dir}/absent.sock`;
    const byFlag = await cli(['--socket', path, 'show', 'vpp']);
    expect(byFlag).toEqual({
      code: 1,
      stdout: '',
      stderr: `maglevctl: cannot reach maglevd: control socket ${path} does not exist (is maglevd running? use --socket or MAGLEV_CONTROL_SOCKET)\n`,
    });
    const byEnv = await cli(['show', 'vpp'], { env: { MAGLEV_CONTROL_SOCKET: path } });
    expect(byEnv.stderr).toContain(path);
    // The flag beats the variable.
    const both = await cli(['show', 'vpp', '--socket', h.socketPath], {
      env: { MAGLEV_CONTROL_SOCKET: path },
    });
    expect(both.code).toBe(0);
  });
});

describe('watch', () => {
  it('streams readable lines until Ctrl-C, then exits 0', async () => {
    const ac = new AbortController();
    let out = '';
    const run = cli([...s, 'watch'], {
      signal: ac.signal,
      onStdout: (t) => {
        out += t;
      },
    });
    for (let i = 0; i < 400 && (out.split('\n').length < 8 || h.target.subscriberCount === 0); i++) {
      await new Promise((r) => setTimeout(r, 5));
    }
    h.target.emit({
      type: 'backend',
      time: '2026-11-23T01:00:05.000Z',
      backend: 'web3',
      address: '192.0.2.13',
      from: 'up',
      to: 'down',
      code: 'L7STS',
      reason: 'HTTP 503',
      health: 0,
      synthetic: false,
    });
    for (let i = 0; i < 400 && !out.includes('web3 (192.0.2.13) up → down'); i++) {
      await new Promise((r) => setTimeout(r, 5));
    }
    ac.abort();
    const r = await run;
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('2026-11-23T01:00:00.000Z backend web1 (192.0.2.11) is up L7OK health 4');
    expect(lines[7]).toBe(
      '2026-11-23T01:00:05.000Z backend web3 (192.0.2.13) up → down L7STS: HTTP 503 health 0',
    );
  });

  it('--json prints one object per line; filters reach the server', async () => {
    const ac = new AbortController();
    let out = '';
    const run = cli([...s, 'watch', '--json', '--backend', 'web2', '--frontend', 'web-v4'], {
      signal: ac.signal,
      onStdout: (t) => {
        out += t;
        if (out.split('\n').length > 2) ac.abort();
      },
    });
    const r = await run;
    expect(r.code).toBe(0);
    const objs = r.stdout
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(objs.map((o) => o.backend ?? o.frontend)).toEqual(['web2', 'web-v4']);
  });

  it('exits 1 when the daemon closes the stream', async () => {
    const run = cli([...s, 'watch']);
    for (let i = 0; i < 400 && h.target.subscriberCount === 0; i++)
      await new Promise((r) => setTimeout(r, 5));
    await h.server.close();
    const r = await run;
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`maglevctl: maglevd closed the event stream on ${h.socketPath}\n`);
  });
});
