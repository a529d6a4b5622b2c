// Which AS deletes flush: the per-transition index agrees with a recount of the whole snapshot.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseAddress } from '../../src/model/address.js';
import type { BackendHealth, BackendState, HealthSnapshot } from '../../src/model/health.js';
import { FlushOnDeleteIndex, flushesOnDelete } from '../../src/reconciler/desired-vips.js';

function backend(name: string, address: string, state: BackendState, lastKnown = state): BackendHealth {
  return {
    name,
    address: parseAddress(address),
    state,
    lastKnown: (lastKnown === 'up' || lastKnown === 'down'
      ? lastKnown
      : 'unknown') as BackendHealth['lastKnown'],
    health: 0,
    lastResult: undefined,
    history: [],
    since: 0,
  };
}

/** recount: straight from the rule, over the whole set of backends. */
function recount(list: BackendHealth[]): string[] {
  const flush = new Set(list.filter(flushesOnDelete).map((b) => b.address.text));
  for (const b of list) if (!flushesOnDelete(b)) flush.delete(b.address.text);
  return [...flush].sort();
}

function snapshot(list: BackendHealth[]): HealthSnapshot {
  return { generation: 1, backends: new Map(list.map((b) => [b.name, b])) };
}

describe('FlushOnDeleteIndex', () => {
  it('flushes down, disabled and paused-while-down backends; one up or unknown sharer keeps the flows', () => {
    const index = new FlushOnDeleteIndex();
    index.reset(
      snapshot([
        backend('down', '10.0.0.1', 'down'),
        backend('disabled', '10.0.0.2', 'disabled'),
        backend('paused-down', '10.0.0.3', 'paused', 'down'),
        backend('paused-up', '10.0.0.4', 'paused', 'up'),
        backend('unknown', '10.0.0.5', 'unknown'),
        backend('web-80', '10.0.0.6', 'down'),
        backend('web-443', '10.0.0.6', 'up'),
      ]),
    );
    expect([...index.set].sort()).toEqual(['10.0.0.1', '10.0.0.2', '10.0.0.3']);
    index.update('web-443', backend('web-443', '10.0.0.6', 'down'));
    expect(index.set.has('10.0.0.6')).toBe(true);
    index.update('web-443', undefined); // forgotten: web-80 alone decides
    expect(index.set.has('10.0.0.6')).toBe(true);
    index.update('web-80', backend('web-80', '10.0.0.6', 'up'));
    expect(index.set.has('10.0.0.6')).toBe(false);
  });

  it('after any sequence of per-backend updates equals a recount of the whole snapshot', () => {
    const states: BackendState[] = ['unknown', 'up', 'down', 'paused', 'disabled', 'removed'];
    const step = fc.record({
      backend: fc.integer({ min: 0, max: 7 }),
      address: fc.integer({ min: 1, max: 4 }),
      state: fc.constantFrom(...states),
      last: fc.constantFrom<BackendState>('up', 'down', 'unknown'),
      gone: fc.boolean(),
    });
    fc.assert(
      fc.property(fc.array(step, { maxLength: 60 }), (steps) => {
        const index = new FlushOnDeleteIndex();
        const live = new Map<string, BackendHealth>();
        index.reset(snapshot([]));
        for (const s of steps) {
          const name = `b${s.backend}`;
          if (s.gone) {
            live.delete(name);
            index.update(name, undefined);
          } else {
            const b = backend(name, `10.0.0.${s.address}`, s.state, s.last);
            live.set(name, b);
            index.update(name, b);
          }
        }
        expect([...index.set].sort()).toEqual(recount([...live.values()]));
      }),
      { numRuns: 200 },
    );
  });
});
