// How a backend's healthcheck changed between two configs: nothing, only its timing, or what it probes.
import type { AddressFamily } from './address.js';
import { addressEquals } from './address.js';
import type { HealthcheckSpec } from './desired.js';

/**
 * `none`: nothing that matters to this backend changed. `timing`: only interval, fast-interval,
 * down-interval, timeout, rise or fall changed, so past results still say something about the check and
 * the counter is re-based (spec §4). `probe`: what is sent or what counts as a pass changed, so past
 * results say nothing about the new check; the state is kept until the new check's first result.
 */
export type HealthcheckChange = 'none' | 'timing' | 'probe';

/** HealthcheckDelta is the classification and the config keys that differ (for logs). */
export interface HealthcheckDelta {
  readonly change: HealthcheckChange;
  /** Config key names that differ, probe keys first, e.g. ["path", "interval"]. */
  readonly keys: readonly string[];
}

function rangesEqual(a: HealthcheckSpec['expectStatus'], b: HealthcheckSpec['expectStatus']): boolean {
  return a.length === b.length && a.every((r, i) => r[0] === b[i]?.[0] && r[1] === b[i]?.[1]);
}

function headersEqual(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => Object.hasOwn(b, k) && b[k] === a[k]);
}

function optAddrEqual(a: HealthcheckSpec['sourceV4'], b: HealthcheckSpec['sourceV4']): boolean {
  return a === undefined || b === undefined ? a === b : addressEquals(a, b);
}

const isHttp = (h: HealthcheckSpec): boolean => h.type === 'http' || h.type === 'https';

/**
 * healthcheckDelta compares two healthcheck definitions as seen by a backend of `family` (the address
 * family decides which probe source address applies; undefined compares both). Keys a probe of that type
 * never reads (the path of a tcp check, say) do not count: changing them does not change what is probed.
 * The checks' names do not count either: a backend moved to an identical check under another name keeps
 * its health as if nothing changed.
 */
export function healthcheckDelta(
  a: HealthcheckSpec,
  b: HealthcheckSpec,
  family?: AddressFamily,
): HealthcheckDelta {
  const probe: string[] = [];
  if (a.type !== b.type) probe.push('type');
  if (a.port !== b.port) probe.push('port');
  // Only when both are http(s) do the request keys matter on their own; a type change already counts.
  if (isHttp(a) && isHttp(b)) {
    if (a.path !== b.path) probe.push('path');
    if (a.host !== b.host) probe.push('host');
    if (!rangesEqual(a.expectStatus, b.expectStatus)) probe.push('expect-status');
    if (!headersEqual(a.headers, b.headers)) probe.push('headers');
  }
  if (a.type === 'https' && b.type === 'https' && a.insecure !== b.insecure) probe.push('insecure');
  if (family !== 6 && !optAddrEqual(a.sourceV4, b.sourceV4)) probe.push('ipv4-source-address');
  if (family !== 4 && !optAddrEqual(a.sourceV6, b.sourceV6)) probe.push('ipv6-source-address');
  const timing: string[] = [];
  if (a.intervalMs !== b.intervalMs) timing.push('interval');
  if (a.fastIntervalMs !== b.fastIntervalMs) timing.push('fast-interval');
  if (a.downIntervalMs !== b.downIntervalMs) timing.push('down-interval');
  if (a.timeoutMs !== b.timeoutMs) timing.push('timeout');
  if (a.rise !== b.rise) timing.push('rise');
  if (a.fall !== b.fall) timing.push('fall');
  const change: HealthcheckChange = probe.length > 0 ? 'probe' : timing.length > 0 ? 'timing' : 'none';
  return { change, keys: [...probe, ...timing] };
}
