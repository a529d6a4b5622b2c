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
});
