// IPv4/IPv6 addresses and prefixes: parsing, canonical text, numeric order, and VPP's 16-byte ip46 form.
import { MaglevError } from '../util/errors.js';

export type AddressFamily = 4 | 6;

/** IpAddress is immutable: `bytes` has 4 (IPv4) or 16 (IPv6) octets in network order; `text` is canonical. */
export interface IpAddress {
  readonly family: AddressFamily;
  readonly bytes: Uint8Array;
  readonly text: string;
}

/** IpPrefix is an address plus a length; `text` is `address/length`. */
export interface IpPrefix {
  readonly address: IpAddress;
  readonly length: number;
  readonly text: string;
}

function addressError(text: string, why: string): MaglevError {
  return new MaglevError('ERR_ADDRESS', `"${text}" is not a valid IP address: ${why}`);
}

function parseIpv4(text: string): Uint8Array | string {
  const parts = text.split('.');
  if (parts.length !== 4) return 'an IPv4 address has four dotted parts';
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i] as string;
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p)) return `part "${p}" is not a decimal number without leading zeros`;
    const v = Number(p);
    if (v > 255) return `part ${p} is above 255`;
    out[i] = v;
  }
  return out;
}

function parseIpv6(text: string): Uint8Array | string {
  if (text.includes('%')) return 'zone indices are not allowed';
  const halves = text.split('::');
  if (halves.length > 2) return '"::" may appear only once';
  const parseGroups = (s: string): number[] | string => {
    if (s === '') return [];
    const groups: number[] = [];
    const items = s.split(':');
    for (let i = 0; i < items.length; i++) {
      const g = items[i] as string;
      if (i === items.length - 1 && g.includes('.')) {
        const v4 = parseIpv4(g);
        if (typeof v4 === 'string') return v4;
        groups.push(
          ((v4[0] as number) << 8) | (v4[1] as number),
          ((v4[2] as number) << 8) | (v4[3] as number),
        );
        continue;
      }
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return `group "${g}" is not 1 to 4 hex digits`;
      groups.push(Number.parseInt(g, 16));
    }
    return groups;
  };
  const head = parseGroups(halves[0] as string);
  if (typeof head === 'string') return head;
  let groups: number[];
  if (halves.length === 2) {
    const tail = parseGroups(halves[1] as string);
    if (typeof tail === 'string') return tail;
    if (head.length + tail.length > 7) return 'too many groups around "::"';
    groups = [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
  } else {
    if (head.length !== 8) return 'an IPv6 address without "::" has eight groups';
    groups = head;
  }
  const out = new Uint8Array(16);
  for (let i = 0; i < 8; i++) {
    const g = groups[i] as number;
    out[2 * i] = g >> 8;
    out[2 * i + 1] = g & 0xff;
  }
  return out;
}

/** formatAddressBytes renders 4 or 16 bytes canonically (IPv6 per RFC 5952, without mixed notation). */
export function formatAddressBytes(bytes: Uint8Array): string {
  if (bytes.length === 4) return `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}`;
  if (bytes.length !== 16)
    throw new MaglevError('ERR_ADDRESS', `an address has 4 or 16 bytes, not ${bytes.length}`);
  const groups: number[] = [];
  for (let i = 0; i < 8; i++) groups.push(((bytes[2 * i] as number) << 8) | (bytes[2 * i + 1] as number));
  // The longest run of two or more zero groups is compressed; the first wins a tie (RFC 5952 §4.2).
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (gs: number[]) => gs.map((g) => g.toString(16)).join(':');
  if (bestStart < 0) return hex(groups);
  return `${hex(groups.slice(0, bestStart))}::${hex(groups.slice(bestStart + bestLen))}`;
}

function makeAddress(bytes: Uint8Array): IpAddress {
  return Object.freeze({
    family: bytes.length === 4 ? 4 : 6,
    bytes,
    text: formatAddressBytes(bytes),
  }) as IpAddress;
}

/** tryParseAddress returns the address, or a reason why `text` is not one. */
export function tryParseAddress(text: string): IpAddress | { error: string } {
  const bytes = text.includes(':') ? parseIpv6(text) : parseIpv4(text);
  if (typeof bytes === 'string') return { error: bytes };
  return makeAddress(bytes);
}

/** parseAddress parses IPv4 dotted-quad or IPv6 text; throws ERR_ADDRESS with the reason. */
export function parseAddress(text: string): IpAddress {
  const r = tryParseAddress(text);
  if ('error' in r) throw addressError(text, r.error);
  return r;
}

/** addressFromBytes wraps 4 or 16 network-order bytes (copied). */
export function addressFromBytes(bytes: Uint8Array): IpAddress {
  if (bytes.length !== 4 && bytes.length !== 16) {
    throw new MaglevError('ERR_ADDRESS', `an address has 4 or 16 bytes, not ${bytes.length}`);
  }
  return makeAddress(Uint8Array.from(bytes));
}

/** compareAddress orders IPv4 before IPv6, then numerically. */
export function compareAddress(a: IpAddress, b: IpAddress): number {
  if (a.family !== b.family) return a.family - b.family;
  for (let i = 0; i < a.bytes.length; i++) {
    const d = (a.bytes[i] as number) - (b.bytes[i] as number);
    if (d !== 0) return d;
  }
  return 0;
}

export function addressEquals(a: IpAddress, b: IpAddress): boolean {
  return compareAddress(a, b) === 0;
}

/**
 * toIp46 gives VPP's 16-byte ip46 form: IPv4 is 12 zero bytes then a.b.c.d
 * (vpp src/vnet/ip/ip46_address.h; lb keys its tables on it).
 */
export function toIp46(a: IpAddress): Uint8Array {
  if (a.family === 6) return Uint8Array.from(a.bytes);
  const out = new Uint8Array(16);
  out.set(a.bytes, 12);
  return out;
}

/**
 * ip46ReadsAsIpv4 tells an IPv6 address that VPP's ip46 form cannot hold: VPP takes any ip46 whose first
 * 96 bits are zero for IPv4 (ip46_address_is_ip4, vpp src/vnet/ip/ip46_address.h), so `::` and
 * `::a.b.c.d` reach it as IPv4 addresses. IPv4-mapped `::ffff:a.b.c.d` is not affected.
 */
export function ip46ReadsAsIpv4(a: IpAddress): boolean {
  if (a.family === 4) return false;
  for (let i = 0; i < 12; i++) if (a.bytes[i] !== 0) return false;
  return true;
}

/**
 * notUnicast names why `a` can be no host's address: `unspecified` (0.0.0.0), `broadcast`
 * (255.255.255.255) or `multicast` (224.0.0.0/4, ff00::/8); undefined for a unicast address. (IPv6 ::
 * is caught by ip46ReadsAsIpv4 first.)
 */
export function notUnicast(a: IpAddress): 'unspecified' | 'broadcast' | 'multicast' | undefined {
  const b0 = a.bytes[0] as number;
  if (a.family === 6) return b0 === 0xff ? 'multicast' : undefined;
  if (b0 >= 224 && b0 <= 239) return 'multicast';
  if (a.bytes.every((x) => x === 0)) return 'unspecified';
  if (a.bytes.every((x) => x === 255)) return 'broadcast';
  return undefined;
}

/** fromIp46 reads an ip46 form; like VPP, first 12 bytes zero means IPv4. */
export function fromIp46(bytes: Uint8Array): IpAddress {
  if (bytes.length !== 16)
    throw new MaglevError('ERR_ADDRESS', `an ip46 address has 16 bytes, not ${bytes.length}`);
  for (let i = 0; i < 12; i++) if (bytes[i] !== 0) return makeAddress(Uint8Array.from(bytes));
  return makeAddress(bytes.slice(12, 16));
}

/** maxPrefixLength is 32 for IPv4 and 128 for IPv6. */
export function maxPrefixLength(family: AddressFamily): number {
  return family === 4 ? 32 : 128;
}

/** hasHostBits tells whether bits beyond `length` are set (VPP clears them silently; config refuses them). */
export function hasHostBits(address: IpAddress, length: number): boolean {
  const bytes = address.bytes;
  for (let bit = length; bit < bytes.length * 8; bit++) {
    if (((bytes[bit >> 3] as number) >> (7 - (bit & 7))) & 1) return true;
  }
  return false;
}

export function makePrefix(address: IpAddress, length: number): IpPrefix {
  const max = maxPrefixLength(address.family);
  if (!Number.isInteger(length) || length < 0 || length > max) {
    throw new MaglevError('ERR_ADDRESS', `prefix length ${length} is outside 0..${max} for ${address.text}`);
  }
  return Object.freeze({ address, length, text: `${address.text}/${length}` });
}

/** tryParsePrefix accepts `address` (a host prefix) or `address/length`. Host bits are allowed here. */
export function tryParsePrefix(text: string): IpPrefix | { error: string } {
  const slash = text.indexOf('/');
  const addrText = slash < 0 ? text : text.slice(0, slash);
  const a = tryParseAddress(addrText);
  if ('error' in a) return a;
  const max = maxPrefixLength(a.family);
  if (slash < 0) return makePrefix(a, max);
  const lenText = text.slice(slash + 1);
  if (!/^(0|[1-9][0-9]{0,2})$/.test(lenText)) return { error: `prefix length "${lenText}" is not a number` };
  const len = Number(lenText);
  if (len > max) return { error: `prefix length ${len} is above ${max}` };
  return makePrefix(a, len);
}

export function parsePrefix(text: string): IpPrefix {
  const r = tryParsePrefix(text);
  if ('error' in r) throw new MaglevError('ERR_ADDRESS', `"${text}" is not a valid IP prefix: ${r.error}`);
  return r;
}

/** comparePrefix orders by address (IPv4 first, numeric), then length. */
export function comparePrefix(a: IpPrefix, b: IpPrefix): number {
  return compareAddress(a.address, b.address) || a.length - b.length;
}
