// Test helper: reads the real-VPP capture and renders decoded values the way vpp_papi printed them there.
import { readFileSync } from 'node:fs';
import { formatAddressBytes } from '../../src/model/address.js';

/** One captured message of test/fixtures/lb_session.json. */
export interface CapturedMessage {
  msg_id: number;
  name: string;
  name_crc: string;
  payload_hex: string;
  decoded: Record<string, unknown>;
  dir: 'client_to_vpp' | 'vpp_to_client';
}

export interface Capture {
  message_table: Record<string, string>;
  messages_in_order: CapturedMessage[];
}

/** loadCapture reads a capture from test/fixtures. */
export function loadCapture(name = 'lb_session.json'): Capture {
  return JSON.parse(readFileSync(new URL(`../fixtures/${name}`, import.meta.url), 'utf8')) as Capture;
}

export function hex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}

export function unhex(s: string): Uint8Array {
  return new Uint8Array(Buffer.from(s, 'hex'));
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !(v instanceof Uint8Array) && !Array.isArray(v);
}

/**
 * toPapi renders a decoded value as vpp_papi does: addresses and prefixes as text (papi's
 * format_vl_api_address_t / prefix), ip4/ip6 byte arrays as text, everything else unchanged.
 */
export function toPapi(v: unknown): unknown {
  if (v instanceof Uint8Array) return v.length === 4 || v.length === 16 ? formatAddressBytes(v) : hex(v);
  if (Array.isArray(v)) return v.map(toPapi);
  if (!isObject(v)) return v;
  const keys = Object.keys(v);
  if (keys.length === 2 && 'af' in v && v.un instanceof Uint8Array) {
    return formatAddressBytes(v.af === 0 ? v.un.subarray(0, 4) : v.un);
  }
  if (keys.length === 2 && 'address' in v && typeof v.len === 'number') {
    return `${toPapi(v.address) as string}/${v.len}`;
  }
  return Object.fromEntries(keys.map((k) => [k, toPapi(v[k])]));
}
