// The one-line STATUS= text systemd shows in `systemctl status maglevd`, built from the daemon's state.
import type { FrontendState, WarmupPhase } from './metrics.js';

export interface StatusFacts {
  readonly frontends: Iterable<FrontendState>;
  readonly vppConnected: boolean;
  readonly warmupPhase: WarmupPhase;
  /** Set while the running config differs from a refused newer file (the reload error, shortened). */
  readonly reloadError?: string | undefined;
}

const MAX_STATUS_CHARS = 200;

/**
 * statusLine summarises what an operator checks first, most urgent last so it is not cut off:
 * "12 frontends up, 1 down; VPP connected" / "...; VPP disconnected; warmup: holding".
 */
export function statusLine(f: StatusFacts): string {
  const counts: Record<FrontendState, number> = { up: 0, down: 0, unknown: 0 };
  for (const s of f.frontends) counts[s]++;
  const parts: string[] = [];
  let front = `${counts.up} frontend${counts.up === 1 ? '' : 's'} up, ${counts.down} down`;
  if (counts.unknown > 0) front += `, ${counts.unknown} unknown`;
  parts.push(front);
  parts.push(f.vppConnected ? 'VPP connected' : 'VPP disconnected');
  if (f.warmupPhase !== 'done') parts.push(`warmup: ${f.warmupPhase}`);
  if (f.reloadError !== undefined) parts.push(`last reload refused: ${f.reloadError}`);
  const line = parts.join('; ').replace(/[\r\n]+/g, ' ');
  return line.length <= MAX_STATUS_CHARS ? line : `${line.slice(0, MAX_STATUS_CHARS - 1)}…`;
}
