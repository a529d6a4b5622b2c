// The scheduler's one-shot cancellation: listeners run once, in order, and never after removal.
import { describe, expect, it } from 'vitest';
import { ProbeCancel } from '../../src/checker/cancel.js';

describe('ProbeCancel', () => {
  it('runs each listener once, in order, and reports aborted from then on', () => {
    const c = new ProbeCancel();
    const calls: string[] = [];
    c.addEventListener('abort', () => calls.push('a'));
    c.addEventListener('abort', () => calls.push('b'));
    expect(c.aborted).toBe(false);
    c.cancel();
    c.cancel();
    expect(c.aborted).toBe(true);
    expect(calls).toEqual(['a', 'b']);
  });

  it('does not call a removed listener, nor one added after the cancel', () => {
    const c = new ProbeCancel();
    const calls: string[] = [];
    const a = (): void => {
      calls.push('a');
    };
    c.addEventListener('abort', a);
    c.removeEventListener('abort', a);
    c.removeEventListener('abort', a);
    c.cancel();
    c.addEventListener('abort', () => calls.push('late'));
    expect(calls).toEqual([]);
  });

  it('runs every listener even if one throws, then rethrows the first error', () => {
    const c = new ProbeCancel();
    const calls: string[] = [];
    c.addEventListener('abort', () => {
      throw new Error('first');
    });
    c.addEventListener('abort', () => calls.push('second ran'));
    expect(() => c.cancel()).toThrow('first');
    expect(calls).toEqual(['second ran']);
  });
});
