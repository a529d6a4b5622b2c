// The rise/fall counter and the state machine as tables of (state, counter, input) -> next.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  appendHistory,
  awaitFirstResult,
  type CounterParams,
  type HealthState,
  intervalKind,
  nextCounter,
  type OperatorAction,
  rebase,
  step,
  unknownState,
} from '../../src/checker/state.js';
import type { ProbeResult, Transition } from '../../src/model/health.js';

const P: CounterParams = { rise: 2, fall: 3 }; // max = 4
const pass: ProbeResult = { ok: true, code: 'L7OK', latencyMs: 1, detail: 'HTTP 200', at: 0 };
const fail: ProbeResult = { ok: false, code: 'L7STS', latencyMs: 1, detail: 'HTTP 500', at: 0 };

function st(state: HealthState['state'], health: number, lastKnown?: HealthState['lastKnown']): HealthState {
  const lk = lastKnown ?? (state === 'up' || state === 'down' ? state : 'unknown');
  return { state, health, lastKnown: lk };
}

describe('probe results (rise 2, fall 3, max 4)', () => {
  // [state, health, pass?, next state, next health, transition?]
  const table: [HealthState['state'], number, boolean, HealthState['state'], number, boolean][] = [
    ['unknown', 1, true, 'up', 4, true], // expedited: one pass from unknown is up
    ['unknown', 1, false, 'down', 0, true], // expedited: one fail from unknown is down
    ['up', 4, true, 'up', 4, false],
    ['up', 4, false, 'up', 3, false], // degraded
    ['up', 3, false, 'up', 2, false], // above rise: one step down, still up
    ['up', 2, false, 'down', 0, true], // at rise: straight to 0
    ['up', 3, true, 'up', 4, false],
    ['down', 0, false, 'down', 0, false],
    ['down', 0, true, 'down', 1, false], // rising
    ['down', 1, true, 'up', 4, true], // reaches rise: snap to max
    ['down', 1, false, 'down', 0, false],
    ['paused', 4, false, 'paused', 4, false], // late result while paused changes nothing
    ['disabled', 1, true, 'disabled', 1, false],
    ['removed', 4, false, 'removed', 4, false],
  ];

  it.each(table)('%s at %i, pass=%s -> %s at %i (transition %s)', (state, health, isPass, to, h, tr) => {
    const r = step(st(state, health), { kind: 'result', result: isPass ? pass : fail }, P, 1000);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.next.state).toBe(to);
    expect(r.next.health).toBe(h);
    expect(r.transition !== undefined).toBe(tr);
    if (r.transition) {
      expect(r.transition).toMatchObject({ from: state, to, code: isPass ? 'L7OK' : 'L7STS', at: 1000 });
      expect(r.transition.reason).toContain(isPass ? 'HTTP 200' : 'HTTP 500');
    }
  });

  it('from fully up, exactly `fall` consecutive failures take it down; then `rise` passes bring it up', () => {
    let s = st('up', 4);
    const states: string[] = [];
    for (let i = 0; i < 3; i++) {
      const r = step(s, { kind: 'result', result: fail }, P, 0);
      if (!r.ok) throw r.error;
      s = r.next;
      states.push(s.state);
    }
    expect(states).toEqual(['up', 'up', 'down']);
    for (let i = 0; i < 2; i++) {
      const r = step(s, { kind: 'result', result: pass }, P, 0);
      if (!r.ok) throw r.error;
      s = r.next;
      states.push(s.state);
    }
    expect(states).toEqual(['up', 'up', 'down', 'down', 'up']);
    expect(s.health).toBe(4);
  });

  it('counter invariants hold for any rise/fall and any sequence of outcomes', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10 }),
        fc.integer({ min: 1, max: 10 }),
        fc.array(fc.boolean(), { maxLength: 60 }),
        (rise, fall, outcomes) => {
          const p = { rise, fall };
          let s = unknownState(p);
          let fails = 0;
          let passes = 0;
          for (const o of outcomes) {
            const wasUp = s.state === 'up';
            const r = step(s, { kind: 'result', result: o ? pass : fail }, p, 0);
            if (!r.ok) return false;
            s = r.next;
            if (s.health < 0 || s.health > rise + fall - 1) return false;
            if ((s.state === 'up') !== s.health >= rise) return false;
            fails = o ? 0 : fails + 1;
            passes = o ? passes + 1 : 0;
            // A backend that was fully up never goes down before `fall` consecutive failures.
            if (wasUp && s.state === 'down' && fails === 0) return false;
            if (s.state === 'up' && s.health !== rise + fall - 1 && passes > 0) return false;
          }
          return true;
        },
      ),
    );
  });

  it('nextCounter with rise 1 fall 1 flips on every result', () => {
    const p = { rise: 1, fall: 1 };
    expect(unknownState(p).health).toBe(0);
    expect(nextCounter(0, true, p)).toBe(1);
    expect(nextCounter(1, false, p)).toBe(0);
  });
});

describe('interval kind by counter position', () => {
  it.each([
    [0, 'down'],
    [1, 'fast'],
    [2, 'fast'],
    [3, 'fast'],
    [4, 'interval'],
  ] as const)('health %i -> %s', (h, kind) => {
    expect(intervalKind(h, P)).toBe(kind);
  });
});

describe('operator actions', () => {
  // [state, action, next state | 'error']
  const table: [HealthState['state'], OperatorAction, HealthState['state'] | 'error'][] = [
    ['up', 'pause', 'paused'],
    ['down', 'pause', 'paused'],
    ['unknown', 'pause', 'paused'],
    ['paused', 'pause', 'paused'],
    ['disabled', 'pause', 'error'],
    ['removed', 'pause', 'error'],
    ['paused', 'resume', 'unknown'],
    ['up', 'resume', 'up'],
    ['down', 'resume', 'down'],
    ['unknown', 'resume', 'unknown'],
    ['disabled', 'resume', 'error'],
    ['up', 'disable', 'disabled'],
    ['paused', 'disable', 'disabled'],
    ['disabled', 'disable', 'disabled'],
    ['disabled', 'enable', 'unknown'],
    ['up', 'enable', 'up'],
    ['paused', 'enable', 'paused'],
    ['removed', 'enable', 'error'],
  ];

  it.each(table)('%s + %s -> %s', (state, action, to) => {
    const from = st(state, state === 'down' ? 0 : 4);
    const r = step(from, { kind: 'operator', action }, P, 5);
    if (to === 'error') {
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error.code).toBe('ERR_STATE');
      return;
    }
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.next.state).toBe(to);
    if (to === state) {
      expect(r.changed).toBe(false);
      expect(r.next).toBe(from); // idempotent: the very same value
      expect(r.transition).toBeUndefined();
    } else {
      expect(r.transition).toEqual({ from: state, to, code: undefined, reason: `operator ${action}`, at: 5 });
    }
    if (to === 'unknown' && state !== 'unknown') expect(r.next.health).toBe(P.rise - 1);
  });

  it('pause keeps the last known verdict for weighting', () => {
    const r = step(st('up', 4), { kind: 'operator', action: 'pause' }, P, 0);
    expect(r.ok && r.next).toEqual({ state: 'paused', health: 4, lastKnown: 'up' });
    const d = step(st('down', 0), { kind: 'operator', action: 'pause' }, P, 0);
    expect(d.ok && d.next.lastKnown).toBe('down');
  });

  it('resume keeps the last known up/down and the counter the pause froze (no pass through unknown)', () => {
    const up = step(st('paused', 3, 'up'), { kind: 'operator', action: 'resume' }, P, 7);
    expect(up.ok && up.next).toEqual({ state: 'up', health: 3, lastKnown: 'up' });
    expect(up.ok && up.transition).toEqual({
      from: 'paused',
      to: 'up',
      code: undefined,
      reason: 'operator resume',
      at: 7,
    });
    const down = step(st('paused', 0, 'down'), { kind: 'operator', action: 'resume' }, P, 7);
    expect(down.ok && down.next).toEqual({ state: 'down', health: 0, lastKnown: 'down' });
    const never = step(st('paused', 1, 'unknown'), { kind: 'operator', action: 'resume' }, P, 7);
    expect(never.ok && never.next).toEqual({ state: 'unknown', health: 1, lastKnown: 'unknown' });
  });

  it('restart re-enters unknown but keeps operator states, forgetting their verdict', () => {
    const up = step(st('up', 4), { kind: 'restart', reason: 'address changed' }, P, 0);
    expect(up.ok && up.next).toEqual({ state: 'unknown', health: 1, lastKnown: 'unknown' });
    expect(up.ok && up.transition?.reason).toBe('address changed');
    const paused = step(st('paused', 4, 'up'), { kind: 'restart', reason: 'x' }, P, 0);
    expect(paused.ok && paused.next).toEqual({ state: 'paused', health: 1, lastKnown: 'unknown' });
    const disabled = step(st('disabled', 1), { kind: 'restart', reason: 'x' }, P, 0);
    expect(disabled.ok && disabled.next.state).toBe('disabled');
  });

  it('remove is terminal', () => {
    const r = step(st('up', 4), { kind: 'remove' }, P, 9);
    expect(r.ok && r.next.state).toBe('removed');
    expect(r.ok && r.transition?.to).toBe('removed');
  });
});

describe('history', () => {
  it('keeps the last N transitions, oldest first, without mutating the old array', () => {
    const t = (at: number): Transition => ({ from: 'up', to: 'down', code: 'L4CON', reason: '', at });
    let h: readonly Transition[] = [];
    const seen: (readonly Transition[])[] = [];
    for (let i = 0; i < 7; i++) {
      h = appendHistory(h, t(i), 5);
      seen.push(h);
    }
    expect(h.map((x) => x.at)).toEqual([2, 3, 4, 5, 6]);
    expect(seen[1]?.map((x) => x.at)).toEqual([0, 1]);
    expect(appendHistory(h, t(9), 0)).toEqual([]);
  });
});

describe('rebase (timing-only healthcheck change)', () => {
  const to = (rise: number, fall: number): CounterParams => ({ rise, fall });
  // [state, lastKnown, health, from, to, next health]
  const table: [
    HealthState['state'],
    HealthState['lastKnown'],
    number,
    CounterParams,
    CounterParams,
    number,
  ][] = [
    ['up', 'up', 4, P, to(3, 5), 7], // fully up stays fully up
    ['up', 'up', 3, P, to(3, 5), 6], // one failure seen stays one failure seen
    ['up', 'up', 2, P, to(5, 1), 5], // two failures seen, new fall 1: clamped to rise, still up
    ['up', 'up', 4, P, to(1, 1), 1],
    ['down', 'down', 0, P, to(3, 5), 0], // fully down stays fully down
    ['down', 'down', 1, P, to(5, 2), 1], // one pass seen stays one pass seen
    ['down', 'down', 2, to(3, 3), to(2, 3), 1], // two passes, new rise 2: one short of up, still down
    ['unknown', 'unknown', 1, P, to(4, 2), 3], // unknown: one pass decides, whatever rise is
    ['paused', 'up', 4, P, to(3, 3), 5], // paused: by its last known side
    ['paused', 'down', 0, P, to(3, 3), 0],
    ['paused', 'unknown', 1, P, to(3, 3), 2],
    ['disabled', 'unknown', 1, P, to(3, 3), 2],
  ];
  it.each(table)('%s (%s) at %i: %o -> %o gives %i', (state, lastKnown, health, from, next, want) => {
    const r = rebase({ state, lastKnown, health }, from, next, false);
    expect(r).toEqual({ state, lastKnown, health: want });
  });

  it('keeps every backend on its side and in range, and is the identity for the same range', () => {
    const params = fc.record({
      rise: fc.integer({ min: 1, max: 10 }),
      fall: fc.integer({ min: 1, max: 10 }),
    });
    fc.assert(
      fc.property(
        params,
        params,
        fc.nat(),
        fc.constantFrom('up', 'down', 'unknown', 'paused'),
        (a, b, n, kind) => {
          const max = a.rise + a.fall - 1;
          const state = kind as HealthState['state'];
          const up = state === 'up' || (state === 'paused' && n % 2 === 0);
          const health =
            state === 'unknown' ? a.rise - 1 : up ? a.rise + (n % (max - a.rise + 1)) : n % a.rise;
          const lastKnown = state === 'unknown' ? 'unknown' : up ? 'up' : 'down';
          const s: HealthState = { state, lastKnown, health };
          const r = rebase(s, a, b, false);
          expect(r.state).toBe(s.state);
          expect(r.lastKnown).toBe(s.lastKnown);
          expect(r.health).toBeGreaterThanOrEqual(0);
          expect(r.health).toBeLessThanOrEqual(b.rise + b.fall - 1);
          if (state === 'unknown') expect(r.health).toBe(b.rise - 1);
          else expect(r.health >= b.rise).toBe(up);
          expect(rebase(s, a, a, false)).toBe(s);
        },
      ),
    );
  });

  it('a backend awaiting its first result keeps awaiting it in the new range', () => {
    const waiting = awaitFirstResult(st('up', 4), P);
    expect(waiting).toEqual({ state: 'up', lastKnown: 'up', health: 1 });
    expect(rebase(waiting, P, to(4, 2), true)).toEqual({ state: 'up', lastKnown: 'up', health: 3 });
    const downWaiting = awaitFirstResult(st('down', 0), P);
    expect(rebase(downWaiting, P, to(4, 2), true).health).toBe(3);
  });
});

describe('awaitFirstResult (probe change at the same address)', () => {
  it.each([
    ['up', 4, true, 'up', 4, false],
    ['up', 4, false, 'down', 0, true], // one failure of the new check decides
    ['down', 0, true, 'up', 4, true], // one pass of the new check decides
    ['down', 0, false, 'down', 0, false],
  ] as const)('%s at %i, then pass=%s -> %s at %i (transition %s)', (state, health, isPass, want, h, tr) => {
    const waiting = awaitFirstResult(st(state, health), P);
    expect(waiting.state).toBe(state); // the weight stays until the result
    const r = step(waiting, { kind: 'result', result: isPass ? pass : fail }, P, 1);
    expect(r.ok && r.next.state).toBe(want);
    expect(r.ok && r.next.health).toBe(h);
    expect(r.ok && r.transition !== undefined).toBe(tr);
  });
});
