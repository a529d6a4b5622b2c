// State values for the state-file tests.
import { parseAddress } from '../../src/model/address.js';
import type { BackendRecord, OverrideRecord, PersistedState } from '../../src/state/state-file.js';

export const T0 = Date.parse('2026-12-06T06:00:00.000Z');

export function backend(
  name: string,
  address: string,
  over: Partial<Omit<BackendRecord, 'name' | 'address'>> = {},
): BackendRecord {
  return { name, address: parseAddress(address), admin: undefined, health: undefined, ...over };
}

export function override(
  frontend: string,
  pool: string,
  backendName: string,
  address: string,
  weight: number,
  flush = false,
): OverrideRecord {
  return { frontend, pool, backend: backendName, address: parseAddress(address), weight, flush };
}

export function state(
  backends: BackendRecord[],
  overrides: OverrideRecord[] = [],
  savedAt = T0,
): PersistedState {
  return { savedAt, backends: new Map(backends.map((b) => [b.name, b])), overrides };
}

/** A state with one of everything: a paused up backend, a disabled one, fresh health, an override. */
export function sample(): PersistedState {
  return state(
    [
      backend('web1', '10.0.0.1', { admin: 'paused', health: { state: 'up', counter: 4, at: T0 - 5000 } }),
      backend('web2', '10.0.0.2', { admin: 'disabled' }),
      backend('web3', '2001:db8::3', { health: { state: 'down', counter: 0, at: T0 - 1000 } }),
    ],
    [override('web-v4', 'primary', 'web1', '10.0.0.1', 0, true)],
  );
}
