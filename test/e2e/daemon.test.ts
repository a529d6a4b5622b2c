// End to end: the built maglevd against a fake VPP (SimLb behind it) and loopback backends, driven by maglevctl.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Backend,
  CHECK,
  type ConfigSpec,
  configYaml,
  ctlBin,
  ctlJson,
  DaemonProcess,
  type LbWeights,
  startBackends,
  VppFixture,
  waitFor,
  Workdir,
} from './harness.js';

const ADDR = { a: '127.0.0.21', b: '127.0.0.22', c: '127.0.0.23', d: '127.0.0.24' } as const;
const WEB = '198.51.100.10/32 tcp:80';
const API = '203.0.113.10/32 tcp:8080';

function spec(port: number): ConfigSpec {
  return {
    port,
    backends: { a: ADDR.a, b: ADDR.b, c: ADDR.c },
    frontends: {
      web: {
        address: '198.51.100.10',
        port: 80,
        pools: [
          { name: 'primary', backends: { a: 100, b: 50 } },
          { name: 'fallback', backends: { c: 100 } },
        ],
      },
      api: {
        address: '203.0.113.10',
        port: 8080,
        pools: [
          { name: 'primary', backends: { c: 100 } },
          { name: 'fallback', backends: { a: 100 } },
        ],
      },
    },
  };
}

/** Every backend up: the active pools at their configured weights, the others at 0. */
const CONVERGED: LbWeights = {
  [WEB]: { [ADDR.a]: 100, [ADDR.b]: 50, [ADDR.c]: 0 },
  [API]: { [ADDR.c]: 100, [ADDR.a]: 0 },
};

/** fall × interval + 1 s: how long a dead backend may keep its weight (issue 9). */
const DOWN_WITHIN_MS = CHECK.fall * CHECK.intervalMs + 1000;
/** Generous bound for things that involve process start or reconnect backoff on a loaded machine. */
const SLOW_MS = 10_000;

let vpp: VppFixture;
let backends: Record<keyof typeof ADDR, Backend>;
let work: Workdir;
let daemon: DaemonProcess;
let port: number;

async function converged(expected: LbWeights = CONVERGED, timeoutMs = SLOW_MS): Promise<void> {
  await waitFor(
    () => JSON.stringify(sorted(vpp.weights())) === JSON.stringify(sorted(expected)),
    timeoutMs,
    () => `the simulator to hold ${JSON.stringify(expected)}; it holds ${JSON.stringify(vpp.weights())}\n${daemon.tail()}`,
  );
}

function sorted(w: LbWeights): LbWeights {
  return Object.fromEntries(
    Object.entries(w)
      .sort(([x], [y]) => x.localeCompare(y))
      .map(([k, v]) => [k, Object.fromEntries(Object.entries(v).sort(([x], [y]) => x.localeCompare(y)))]),
  );
}

function weightOf(vip: string, address: string): number | undefined {
  return vpp.weights()[vip]?.[address];
}

beforeAll(async () => {
  vpp = await VppFixture.start();
  const list = await startBackends([ADDR.a, ADDR.b, ADDR.c, ADDR.d]);
  backends = { a: list[0], b: list[1], c: list[2], d: list[3] } as Record<keyof typeof ADDR, Backend>;
  port = list[0]?.port as number;
  work = await Workdir.make();
  await work.writeConfig(configYaml(spec(port)));
  daemon = DaemonProcess.spawn(['--config', work.config, '--vpp-api', vpp.path, '--control-socket', work.socket]);
});

afterAll(async () => {
  await daemon?.kill();
  await Promise.all(Object.values(backends ?? {}).map((b) => b.stop()));
  await vpp?.stop();
  await work?.remove();
});

describe('maglevd end to end', () => {
  it('converges: every VIP and AS in VPP with the weights the config and health give', async () => {
    await converged();
    const lb = await ctlBin(work.socket, ['--json', 'show', 'vpp', 'lb']);
    expect(lb.code, lb.stderr).toBe(0);
    const view = JSON.parse(lb.stdout) as { vips: { vip: string; ases: { address: string; weight: number }[] }[] };
    expect(view.vips.map((v) => v.vip).sort()).toEqual([WEB, API].sort());
    const plan = await ctlJson<{ inSync: boolean }>(work.socket, ['show', 'plan']);
    expect(plan.inSync).toBe(true);
  });

  it('a killed backend goes to weight 0 with flush within fall × interval + 1 s; restarted, it comes back', async () => {
    const mark = vpp.calls.length;
    await backends.b.stop();
    await waitFor(() => weightOf(WEB, ADDR.b) === 0, DOWN_WITHIN_MS, () => `b at 0: ${daemon.tail()}`);
    const writes = vpp.writes(mark);
    expect(writes).toEqual([
      {
        name: 'lb_as_set_weight',
        value: expect.objectContaining({ weight: 0, is_flush: true }),
      },
    ]);
    await backends.b.start();
    await converged();
  });

  describe('operator actions change VPP as spec §5 says', () => {
    /** weightWrites: the lb_as_set_weight calls since `mark`, as `address weight flush` lines. */
    const weightWrites = (mark: number) =>
      vpp.writes(mark).map((c) => {
        const v = c.value as { as_address?: { un: Uint8Array }; weight?: number; is_flush?: boolean };
        const a = v.as_address ? [...v.as_address.un.subarray(0, 4)].join('.') : '?';
        return `${c.name} ${a} ${v.weight}${v.is_flush ? ' flush' : ''}`;
      });
    /** settled: the daemon's own dry run finds nothing to do and VPP holds `expected`. */
    const settled = async (expected: LbWeights) => {
      await converged(expected);
      await waitFor(
        async () => (await ctlJson<{ inSync: boolean }>(work.socket, ['show', 'plan'])).inSync,
        SLOW_MS,
        'show plan to be in sync',
      );
    };
    const state = async (b: string) =>
      (await ctlJson<{ state: string }>(work.socket, ['show', 'backends', b])).state;
    const with_ = (vip: string, address: string, w: number): LbWeights => ({
      ...CONVERGED,
      [vip]: { ...CONVERGED[vip], [address]: w },
    });

    it('pause keeps the weight (even when the backend dies meanwhile); resume probes again', async () => {
      let mark = vpp.calls.length;
      const r = await ctlJson<{ changed: boolean }>(work.socket, ['set', 'backend', 'b', 'pause']);
      expect(r.changed).toBe(true);
      expect(await state('b')).toBe('paused');
      await backends.b.stop();
      // A visible change on the same VIP is the barrier: any write the pause caused would come first.
      await ctlJson(work.socket, ['set', 'weight', 'web', 'primary', 'a', '30']);
      await settled(with_(WEB, ADDR.a, 30));
      expect(weightWrites(mark)).toEqual([`lb_as_set_weight ${ADDR.a} 30`]);
      mark = vpp.calls.length;
      await ctlJson(work.socket, ['set', 'weight', 'web', 'primary', 'a', 'default']);
      await settled(with_(WEB, ADDR.a, 100));
      expect(weightWrites(mark)).toEqual([`lb_as_set_weight ${ADDR.a} 100`]);
      // Resumed while dead: probes find it down, its weight goes to 0.
      await ctlJson(work.socket, ['set', 'backend', 'b', 'resume']);
      await waitFor(async () => (await state('b')) === 'down', SLOW_MS, 'b down after resume');
      await settled(with_(WEB, ADDR.b, 0));
      await backends.b.start();
      await waitFor(async () => (await state('b')) === 'up', SLOW_MS, 'b up again');
      await settled(CONVERGED);
    });

    it('disable sets 0 with flush; enable brings the configured weight back', async () => {
      const mark = vpp.calls.length;
      await ctlJson(work.socket, ['set', 'backend', 'a', 'disable']);
      await settled(with_(WEB, ADDR.a, 0));
      expect(await state('a')).toBe('disabled');
      // On api, a is in the inactive fallback pool: already 0, nothing to write.
      expect(weightWrites(mark)).toEqual([`lb_as_set_weight ${ADDR.a} 0 flush`]);
      const again = await ctlJson<{ changed: boolean }>(work.socket, ['set', 'backend', 'a', 'disable']);
      expect(again.changed).toBe(false);
      const mark2 = vpp.calls.length;
      await ctlJson(work.socket, ['set', 'backend', 'a', 'enable']);
      await waitFor(async () => (await state('a')) === 'up', SLOW_MS, 'a up after enable');
      await settled(CONVERGED);
      expect(weightWrites(mark2)).toEqual([`lb_as_set_weight ${ADDR.a} 100`]);
    });

    it('set weight: 0 without flush, 0 with --flush, a value, and default', async () => {
      const cases: [string[], number, string][] = [
        [['0'], 0, `lb_as_set_weight ${ADDR.b} 0`],
        [['default'], 50, `lb_as_set_weight ${ADDR.b} 50`],
        [['0', '--flush'], 0, `lb_as_set_weight ${ADDR.b} 0 flush`],
        [['default'], 50, `lb_as_set_weight ${ADDR.b} 50`],
        [['77'], 77, `lb_as_set_weight ${ADDR.b} 77`],
        [['default'], 50, `lb_as_set_weight ${ADDR.b} 50`],
      ];
      for (const [args, weight, write] of cases) {
        const mark = vpp.calls.length;
        await ctlJson(work.socket, ['set', 'weight', 'web', 'primary', 'b', ...args]);
        await settled(with_(WEB, ADDR.b, weight));
        expect(weightWrites(mark), args.join(' ')).toEqual([write]);
      }
      const fe = await ctlJson<{ pools: { backends: { backend: string; override: unknown }[] }[] }>(
        work.socket,
        ['show', 'frontends', 'web'],
      );
      expect(fe.pools[0]?.backends.find((b) => b.backend === 'b')?.override).toBeNull();
    });

    it('a dead primary fails over to the fallback pool, which drains gracefully when it recovers', async () => {
      let mark = vpp.calls.length;
      await backends.c.stop();
      await settled({ ...CONVERGED, [API]: { [ADDR.c]: 0, [ADDR.a]: 100 } });
      // Raise before lower (make before break); the dead one is flushed.
      expect(weightWrites(mark)).toEqual([`lb_as_set_weight ${ADDR.a} 100`, `lb_as_set_weight ${ADDR.c} 0 flush`]);
      mark = vpp.calls.length;
      await backends.c.start();
      await settled(CONVERGED);
      // The fallback leaves without a flush: its flows finish.
      expect(weightWrites(mark)).toEqual([`lb_as_set_weight ${ADDR.c} 100`, `lb_as_set_weight ${ADDR.a} 0`]);
    });
  });

  describe('VPP restarts', () => {
    it('a VPP that comes back empty is reprogrammed at once', async () => {
      await vpp.restartEmpty();
      await converged();
      const names = new Set(vpp.writes().map((c) => c.name));
      expect(names).toEqual(new Set(['lb_conf', 'lb_add_del_vip_v2', 'lb_add_del_as_v2']));
      expect(vpp.sim.confGet().ip4Src.text).toBe('192.0.2.254');
    });

    it('so is one that comes back after a while with other message IDs', async () => {
      await vpp.restartEmpty({ renumberOffset: 7, downMs: 500 });
      await converged();
      const view = await ctlJson<{ state: string; compatibility: { compatible: boolean } }>(work.socket, [
        'show',
        'vpp',
      ]);
      expect(view.state).toBe('connected');
      expect(view.compatibility.compatible).toBe(true);
    });
  });

  describe('reload', () => {
    const reloads = () => daemon.logs().filter((l) => l.event === 'config-reload' || l.event === 'config-reload-failed');
    /** sighup sends SIGHUP and waits for the daemon to log the outcome of that reload. */
    const sighup = async () => {
      const before = reloads().length;
      daemon.signal('SIGHUP');
      await waitFor(() => reloads().length > before, SLOW_MS, 'the reload to be logged');
      return reloads().at(-1) as Record<string, unknown>;
    };

    it('an invalid config is refused: the old one stays, and config reload names line:col', async () => {
      const good = configYaml(spec(port));
      const bad = good.replace('b: { weight: 50 }', 'b: { weight: 500 }');
      const badLine = bad.split('\n').findIndex((l) => l.includes('weight: 500')) + 1;
      await work.writeConfig(bad);
      const before = vpp.dumpText();
      const mark = vpp.calls.length;
      const logged = await sighup();
      expect(logged.event).toBe('config-reload-failed');
      const r = await ctlBin(work.socket, ['config', 'reload']);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(new RegExp(`maglev\\.yaml:${badLine}:\\d+: `));
      expect(vpp.calls.slice(mark)).toEqual([]);
      expect(vpp.dumpText()).toBe(before);
      const fe = await ctlJson<{ pools: { backends: { backend: string; configuredWeight: number }[] }[] }>(
        work.socket,
        ['show', 'frontends', 'web'],
      );
      expect(fe.pools[0]?.backends.find((b) => b.backend === 'b')?.configuredWeight).toBe(50);
      await work.writeConfig(good);
    });

    it('a changed config applies only the difference', async () => {
      const changed: ConfigSpec = {
        ...spec(port),
        backends: { ...spec(port).backends, d: ADDR.d },
        frontends: {
          ...spec(port).frontends,
          web: {
            address: '198.51.100.10',
            port: 80,
            pools: [
              { name: 'primary', backends: { a: 100, b: 60, d: 20 } },
              { name: 'fallback', backends: { c: 100 } },
            ],
          },
        },
      };
      await work.writeConfig(configYaml(changed));
      const mark = vpp.calls.length;
      const logged = await sighup();
      expect(logged).toMatchObject({ event: 'config-reload', changed: true });
      const target = { ...CONVERGED, [WEB]: { ...CONVERGED[WEB], [ADDR.b]: 60, [ADDR.d]: 20 } };
      await converged(target);
      const touched = vpp.writes(mark).map((c) => {
        const v = c.value as { as_address?: { un: Uint8Array }; port?: number };
        return `${c.name} ${v.port} ${v.as_address ? [...v.as_address.un.subarray(0, 4)].join('.') : ''}`;
      });
      // d is added (at 0 until its first probe passes, then raised), b changes weight; nothing else is written.
      expect(new Set(touched)).toEqual(
        new Set([
          `lb_add_del_as_v2 80 ${ADDR.d}`,
          `lb_as_set_weight 80 ${ADDR.b}`,
          ...(touched.includes(`lb_as_set_weight 80 ${ADDR.d}`) ? [`lb_as_set_weight 80 ${ADDR.d}`] : []),
        ]),
      );
      // Back to the original: d leaves (deleted), b returns to 50.
      const mark2 = vpp.calls.length;
      await work.writeConfig(configYaml(spec(port)));
      expect(await sighup()).toMatchObject({ event: 'config-reload', changed: true });
      await converged();
      const names = vpp.writes(mark2).map((c) => c.name).sort();
      expect(names).toEqual(['lb_add_del_as_v2', 'lb_as_set_weight']);
    });

    it('an identical config makes no VPP call at all', async () => {
      await work.writeConfig(configYaml(spec(port)));
      const mark = vpp.calls.length;
      const logged = await sighup();
      expect(logged).toMatchObject({ event: 'config-reload', changed: false });
      const r = await ctlJson<{ ok: boolean; changed: boolean }>(work.socket, ['config', 'reload']);
      expect(r).toMatchObject({ ok: true, changed: false });
      // Let probes run a round: a sync the reload had set off would have shown by then.
      const probed = Date.now();
      await waitFor(
        async () => {
          const b = await ctlJson<{ lastProbe: { at: { at: string } } | null }>(work.socket, ['show', 'backends', 'a']);
          return b.lastProbe !== null && Date.parse(b.lastProbe.at.at) > probed;
        },
        SLOW_MS,
        'a probe after the reload',
      );
      expect(vpp.calls.slice(mark)).toEqual([]);
    });
  });
});
