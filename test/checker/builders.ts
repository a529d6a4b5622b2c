// Hand-made DesiredModel values for checker tests (the config loader is not needed to test the checker).
import type { IpAddress } from '../../src/model/address.js';
import { parseAddress } from '../../src/model/address.js';
import type { BackendSpec, DesiredModel, HealthcheckSpec } from '../../src/model/desired.js';

/** hc builds a healthcheck spec with spec §3 defaults, overridable field by field. */
export function hc(over: Partial<HealthcheckSpec> & Pick<HealthcheckSpec, 'type'>): HealthcheckSpec {
  return {
    name: 'hc',
    port: over.type === 'icmp' ? undefined : 80,
    path: '/',
    host: undefined,
    expectStatus: [[200, 399]],
    insecure: false,
    headers: {},
    sourceV4: undefined,
    sourceV6: undefined,
    intervalMs: 2000,
    fastIntervalMs: 500,
    downIntervalMs: 10_000,
    timeoutMs: 1000,
    rise: 2,
    fall: 3,
    ...over,
  };
}

/** addr parses an address literal. */
export function addr(text: string): IpAddress {
  return parseAddress(text);
}

/** BackendInput is a backend in a test model: name, address literal, healthcheck name, enabled. */
export interface BackendInput {
  name: string;
  address: string;
  healthcheck?: string;
  enabled?: boolean;
}

/** model builds a DesiredModel holding only what the checker reads: healthchecks, backends, settings. */
export function model(opts: {
  healthchecks: HealthcheckSpec[];
  backends: BackendInput[];
  transitionHistory?: number;
  maxConcurrentProbes?: number;
}): DesiredModel {
  const healthchecks = new Map(opts.healthchecks.map((h) => [h.name, h]));
  const first = opts.healthchecks[0]?.name ?? 'hc';
  const backends = new Map<string, BackendSpec>(
    opts.backends.map((b) => [
      b.name,
      {
        name: b.name,
        address: parseAddress(b.address),
        healthcheck: b.healthcheck ?? first,
        enabled: b.enabled ?? true,
      },
    ]),
  );
  return {
    healthchecker: {
      transitionHistory: opts.transitionHistory ?? 5,
      maxConcurrentProbes: opts.maxConcurrentProbes ?? 256,
      stateTtlMs: 120_000,
    },
    vpp: {
      apiTimeoutMs: 1000,
      lb: {
        ipv4SrcAddress: undefined,
        ipv6SrcAddress: undefined,
        stickyBucketsPerCore: 65536,
        flowTimeoutS: 40,
        newFlowsTableLength: 1024,
        syncIntervalMs: 30_000,
        startupMinDelayMs: 5000,
        startupMaxDelayMs: 30_000,
        removeUnknownVips: true,
      },
    },
    healthchecks,
    backends,
    frontends: new Map(),
  };
}
