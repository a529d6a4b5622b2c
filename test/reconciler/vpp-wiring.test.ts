// followVppState: which client states make the reconciler program VPP.
import { describe, expect, it } from 'vitest';
import { followVppState } from '../../src/reconciler/vpp-wiring.js';

class Source {
  state = 'idle';
  readonly listeners = new Set<(e: { state: string; previous: string }) => void>();
  onState(l: (e: { state: string; previous: string }) => void): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }
  go(state: string): void {
    const previous = this.state;
    this.state = state;
    for (const l of this.listeners) l({ state, previous });
  }
}

function sink(log: string[]) {
  return { vppConnected: () => log.push('up'), vppDisconnected: () => log.push('down') };
}

describe('followVppState', () => {
  it('reports each connect, and a loss only after a connect; incompatible counts as not connected', () => {
    const s = new Source();
    const log: string[] = [];
    const off = followVppState(s, sink(log));
    for (const st of ['connecting', 'disconnected', 'connecting', 'connected', 'disconnected', 'connecting'])
      s.go(st);
    for (const st of ['incompatible', 'disconnected', 'connecting', 'connected', 'connected', 'closed'])
      s.go(st);
    expect(log).toEqual(['up', 'down', 'up', 'up', 'down']);
    off();
    s.go('connected');
    expect(log).toHaveLength(5);
  });

  it('a client already connected when wired is reported at once', () => {
    const s = new Source();
    s.state = 'connected';
    const log: string[] = [];
    followVppState(s, sink(log));
    expect(log).toEqual(['up']);
  });
});
