// The STATUS= line: counts of frontend states, VPP connection, warmup, a refused reload; one bounded line.
import { describe, expect, it } from 'vitest';
import { statusLine } from '../../src/daemon/status-line.js';

describe('statusLine', () => {
  it('counts frontends and names the VPP connection', () => {
    const states = [...Array(12).fill('up'), 'down'] as const;
    expect(statusLine({ frontends: states, vppConnected: true, warmupPhase: 'done' })).toBe(
      '12 frontends up, 1 down; VPP connected',
    );
  });

  it('says when VPP is away, warmup is on, and some frontends are unknown', () => {
    expect(statusLine({ frontends: ['unknown', 'up'], vppConnected: false, warmupPhase: 'holding' })).toBe(
      '1 frontend up, 0 down, 1 unknown; VPP disconnected; warmup: holding',
    );
    expect(statusLine({ frontends: ['up'], vppConnected: true, warmupPhase: 'done' })).toBe(
      '1 frontend up, 0 down; VPP connected',
    );
  });

  it('keeps a refused reload on one bounded line', () => {
    const line = statusLine({
      frontends: [],
      vppConnected: true,
      warmupPhase: 'done',
      reloadError: `maglev.yaml:3:1: bad\n${'x'.repeat(500)}`,
    });
    expect(line).not.toContain('\n');
    expect(line.length).toBeLessThanOrEqual(200);
    expect(
      line.startsWith('0 frontends up, 0 down; VPP connected; last reload refused: maglev.yaml:3:1: bad x'),
    ).toBe(true);
  });
});
