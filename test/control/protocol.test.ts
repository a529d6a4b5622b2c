// Request body schemas of the control API: the messages a client sees for a wrong body.
import { describe, expect, it } from 'vitest';
import { SetWeightBodySchema } from '../../src/control/protocol.js';

function weightMessages(weight: unknown): string[] {
  const body = { frontend: 'f', pool: 'p', backend: 'b', ...(weight === undefined ? {} : { weight }) };
  const r = SetWeightBodySchema.safeParse(body);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
}

describe('SetWeightBodySchema', () => {
  it.each([
    ['100', 'got "100"'],
    [null, 'got null'],
    [50.5, 'got 50.5'],
    [101, 'got 101'],
    [-1, 'got -1'],
    [true, 'got true'],
  ])('says what a weight must be when given %j', (weight, got) => {
    expect(weightMessages(weight)).toEqual([
      `weight: expected an integer 0..100, or "default" to clear the override, ${got}`,
    ]);
  });

  it('says a missing weight is missing, and takes 0, 100 and "default"', () => {
    expect(weightMessages(undefined)).toEqual([
      'weight: missing: an integer 0..100, or "default" to clear the override',
    ]);
    for (const w of [0, 100, 'default']) expect(weightMessages(w)).toEqual([]);
  });
});
