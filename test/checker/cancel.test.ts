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

  it('keeps going when a listener throws, and reports the error as uncaught, not to the canceller', async () => {
    const c = new ProbeCancel();
    const calls: string[] = [];
    c.addEventListener('abort', () => {
      throw new Error('listener bug');
    });
    c.addEventListener('abort', () => calls.push('second ran'));
    const uncaught: unknown[] = [];
    const vitestHandlers = process.listeners('uncaughtException');
    process.removeAllListeners('uncaughtException');
    process.on('uncaughtException', (e) => uncaught.push(e));
    try {
      expect(() => c.cancel()).not.toThrow();
      expect(calls).toEqual(['second ran']);
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.removeAllListeners('uncaughtException');
      for (const h of vitestHandlers) process.on('uncaughtException', h);
    }
    expect(uncaught).toEqual([expect.objectContaining({ message: 'listener bug' })]);
  });

  it('calls a listener added twice once, and skips one removed by an earlier listener', () => {
    const c = new ProbeCancel();
    const calls: string[] = [];
    const b = (): void => {
      calls.push('b');
    };
    const a = (): void => {
      calls.push('a');
      c.removeEventListener('abort', b);
    };
    c.addEventListener('abort', a);
    c.addEventListener('abort', a);
    c.addEventListener('abort', b);
    c.cancel();
    expect(calls).toEqual(['a']);
  });
});
