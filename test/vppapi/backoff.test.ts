// Reconnect backoff: 100 ms growing ×1.6 to a 5 s ceiling, jittered by at most ±20 %.
import { describe, expect, it } from 'vitest';
import { Backoff } from '../../src/vppapi/backoff.js';

describe('Backoff', () => {
  it('grows from 100 ms by ×1.6 and stops at 5 s without jitter', () => {
    const b = new Backoff({ random: () => 0.5 });
    const delays = Array.from({ length: 12 }, () => b.next());
    expect(delays.slice(0, 4)).toEqual([100, 160, 256, 410]);
    expect(delays.at(-1)).toBe(5000);
    expect(Math.max(...delays)).toBe(5000);
  });

  it('keeps every delay within ±20 % of its base', () => {
    const low = new Backoff({ random: () => 0 });
    const high = new Backoff({ random: () => 0.999999 });
    expect(low.next()).toBe(80);
    expect(high.next()).toBe(120);
    for (let i = 0; i < 20; i++) low.next();
    expect(low.next()).toBe(4000);
  });

  it('starts over after reset', () => {
    const b = new Backoff({ random: () => 0.5 });
    b.next();
    b.next();
    b.reset();
    expect(b.next()).toBe(100);
  });
});
