// Address and prefix parsing, canonical text, ordering and the ip46 form.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  compareAddress,
  fromIp46,
  hasHostBits,
  ip46ReadsAsIpv4,
  parseAddress,
  parsePrefix,
  toIp46,
  tryParseAddress,
} from '../../src/model/address.js';

describe('address', () => {
  it('parses IPv4 and IPv6 to canonical text', () => {
    expect(parseAddress('10.0.0.1').text).toBe('10.0.0.1');
    expect(parseAddress('2001:DB8:0:0:0:0:0:1').text).toBe('2001:db8::1');
    expect(parseAddress('2001:db8:0:0:1:0:0:1').text).toBe('2001:db8::1:0:0:1');
    expect(parseAddress('::').text).toBe('::');
    expect(parseAddress('::ffff:1.2.3.4').text).toBe('::ffff:102:304');
    expect(parseAddress('1:0:1:1:1:1:1:1').text).toBe('1:0:1:1:1:1:1:1');
  });

  it('refuses malformed addresses with a reason', () => {
    for (const bad of [
      '10.0.0',
      '10.0.0.256',
      '010.0.0.1',
      '1::2::3',
      '12345::',
      'fe80::1%eth0',
      '',
      'a.b.c.d',
    ]) {
      const r = tryParseAddress(bad);
      expect('error' in r, bad).toBe(true);
    }
    expect(() => parseAddress('10.0.0.300')).toThrow(/not a valid IP address: part 300 is above 255/);
  });

  it('orders IPv4 before IPv6 and numerically', () => {
    const sorted = ['2001:db8::2', '10.0.0.10', '10.0.0.9', '::1', '9.255.255.255']
      .map(parseAddress)
      .sort(compareAddress)
      .map((a) => a.text);
    expect(sorted).toEqual(['9.255.255.255', '10.0.0.9', '10.0.0.10', '::1', '2001:db8::2']);
  });

  it('maps to and from VPP ip46', () => {
    const a = parseAddress('192.0.2.1');
    expect(Array.from(toIp46(a))).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 192, 0, 2, 1]);
    expect(fromIp46(toIp46(a)).text).toBe('192.0.2.1');
    expect(fromIp46(toIp46(parseAddress('2001:db8::5'))).text).toBe('2001:db8::5');
  });

  it('tells the IPv6 addresses VPP would read as IPv4: first 96 bits zero, IPv4-mapped excluded', () => {
    for (const t of ['::', '::1', '::10.0.0.1', '::ffff:ffff'])
      expect(ip46ReadsAsIpv4(parseAddress(t)), t).toBe(true);
    for (const t of ['::ffff:10.0.0.1', '::1:0:0:0', '2001:db8::1', '0.0.0.0', '10.0.0.1'])
      expect(ip46ReadsAsIpv4(parseAddress(t)), t).toBe(false);
    // The reason: the ip46 form of such an address reads back as IPv4.
    expect(fromIp46(toIp46(parseAddress('::10.0.0.1'))).text).toBe('10.0.0.1');
  });

  it('round-trips random addresses through text', () => {
    fc.assert(
      fc.property(fc.oneof(fc.ipV4(), fc.ipV6()), (text) => {
        const a = parseAddress(text);
        expect(parseAddress(a.text).text).toBe(a.text);
        expect(compareAddress(parseAddress(a.text), a)).toBe(0);
      }),
    );
  });

  it('parses prefixes and detects host bits', () => {
    expect(parsePrefix('198.51.100.1').text).toBe('198.51.100.1/32');
    expect(parsePrefix('198.51.100.0/24').length).toBe(24);
    expect(hasHostBits(parseAddress('198.51.100.1'), 24)).toBe(true);
    expect(hasHostBits(parseAddress('198.51.100.0'), 24)).toBe(false);
    expect(() => parsePrefix('10.0.0.0/33')).toThrow(/above 32/);
  });
});
