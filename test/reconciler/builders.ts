// Hand-made desired models and health snapshots for reconciler tests (independent of the config loader).
import { parseAddress, parsePrefix } from '../../src/model/address.js';
import type {
  BackendSpec,
  DesiredModel,
  FrontendSpec,
  HealthcheckSpec,
  LbSettings,
} from '../../src/model/desired.js';
import type { BackendHealth, BackendState, HealthSnapshot } from '../../src/model/health.js';
import { makeVipKey, PROTO_TCP } from '../../src/model/vip-key.js';

export interface FrontendInput {
  name: string;
  vip: string;
  port?: number;
  protocol?: number;
  pools: Record<string, Record<string, number>>;
  flushOnDown?: boolean;
  srcIpSticky?: boolean;
  tableLength?: number;
}

const check: HealthcheckSpec = {
  name: 'hc',
  type: 'tcp',
  port: 80,
  path: '/',
  host: undefined,
  expectStatus: [[200, 399]],
  insecure: false,
  headers: {},
  sourceV4: undefined,
  sourceV6: undefined,
  intervalMs: 1000,
  fastIntervalMs: 500,
  downIntervalMs: 2000,
  timeoutMs: 400,
  rise: 2,
  fall: 3,
};

/** buildModel: backends name → address; frontends with pools of {backend: weight}. */
export function buildModel(
  backends: Record<string, string>,
  frontends: FrontendInput[],
  lb: Partial<LbSettings> = {},
  disabled: string[] = [],
): DesiredModel {
  const b = new Map<string, BackendSpec>();
  for (const [name, addr] of Object.entries(backends)) {
    b.set(name, { name, address: parseAddress(addr), healthcheck: 'hc', enabled: !disabled.includes(name) });
  }
  const f = new Map<string, FrontendSpec>();
  for (const fe of frontends) {
    const prefix = parsePrefix(fe.vip);
    const firstBackend = Object.keys(Object.values(fe.pools)[0] ?? {})[0];
    const family = firstBackend ? b.get(firstBackend)?.address.family : prefix.address.family;
    f.set(fe.name, {
      name: fe.name,
      vip: makeVipKey(prefix, fe.protocol ?? PROTO_TCP, fe.port ?? 80),
      encap: family === 6 ? 'gre6' : 'gre4',
      srcIpSticky: fe.srcIpSticky ?? false,
      flushOnDown: fe.flushOnDown ?? true,
      newFlowsTableLength: fe.tableLength ?? 1024,
      pools: Object.entries(fe.pools).map(([name, members]) => ({
        name,
        members: Object.entries(members).map(([backend, weight]) => ({ backend, weight })),
      })),
    });
  }
  return {
    healthchecker: { transitionHistory: 5, maxConcurrentProbes: 256, stateTtlMs: 120_000 },
    vpp: {
      apiTimeoutMs: 1000,
      lb: {
        ipv4SrcAddress: parseAddress('192.0.2.254'),
        ipv6SrcAddress: parseAddress('2001:db8::fe'),
        stickyBucketsPerCore: 65536,
        flowTimeoutS: 40,
        newFlowsTableLength: 1024,
        syncIntervalMs: 30_000,
        startupMinDelayMs: 0,
        startupMaxDelayMs: 0,
        removeUnknownVips: true,
        ...lb,
      },
    },
    healthchecks: new Map([['hc', check]]),
    backends: b,
    frontends: f,
  };
}

let generation = 0;

/** buildHealth: backend name → state (paused as `paused:up` / `paused:down`). */
export function buildHealth(model: DesiredModel, states: Record<string, string>): HealthSnapshot {
  const backends = new Map<string, BackendHealth>();
  for (const [name, spec] of model.backends) {
    const s = states[name] ?? 'unknown';
    const [state, last] = s.split(':') as [BackendState, string | undefined];
    const lastKnown = (last ??
      (state === 'up' || state === 'down' ? state : 'unknown')) as BackendHealth['lastKnown'];
    backends.set(name, {
      name,
      address: spec.address,
      state,
      lastKnown,
      health: state === 'up' ? 4 : 0,
      lastResult: undefined,
      history: [],
      since: 0,
    });
  }
  return { generation: ++generation, backends };
}
