// Frame decoding: any chunking of a captured VPP byte stream yields the same frames; the size cap names both numbers.
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FrameTooLargeError } from '../../src/vppapi/errors.js';
import { FRAME_HEADER_BYTES, FrameDecoder } from '../../src/vppapi/frame-decoder.js';
import { encodeFrame } from '../../src/vppapi/frame-writer.js';

interface Capture {
  raw: { vpp_to_client_hex: string; client_to_vpp_hex: string };
  messages_in_order: Array<{ dir: string; payload_hex: string }>;
}
const session = JSON.parse(
  readFileSync(new URL('../fixtures/lb_session.json', import.meta.url), 'utf8'),
) as Capture;
const fromVpp = Buffer.from(session.raw.vpp_to_client_hex, 'hex');
const toVpp = Buffer.from(session.raw.client_to_vpp_hex, 'hex');
const expectedFromVpp = session.messages_in_order
  .filter((m) => m.dir === 'vpp_to_client')
  .map((m) => m.payload_hex);
const expectedToVpp = session.messages_in_order
  .filter((m) => m.dir === 'client_to_vpp')
  .map((m) => m.payload_hex);

function decodeChunks(chunks: Uint8Array[], max?: number): string[] {
  const d = new FrameDecoder(max);
  const out: string[] = [];
  for (const c of chunks) d.push(c, (p) => out.push(Buffer.from(p).toString('hex')));
  expect(d.idle).toBe(true);
  return out;
}

function splitAt(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let prev = 0;
  for (const p of [...points, bytes.length]) {
    out.push(bytes.subarray(prev, p));
    prev = p;
  }
  return out;
}

describe('FrameDecoder', () => {
  it('decodes the captured VPP stream (non-zero q headers, a 56 KB table reply) in one read', () => {
    const frames = decodeChunks([fromVpp]);
    expect(frames).toEqual(expectedFromVpp);
    expect(frames[0]?.length).toBe(56_120 * 2);
  });

  it('decodes the capture as VPP delivered it: 4096 bytes, then the rest of the table reply', () => {
    expect(decodeChunks([fromVpp.subarray(0, 4096), fromVpp.subarray(4096)])).toEqual(expectedFromVpp);
  });

  it('decodes the stream fed one byte at a time', () => {
    const bytes: Uint8Array[] = [];
    for (let i = 0; i < fromVpp.length; i++) bytes.push(fromVpp.subarray(i, i + 1));
    expect(decodeChunks(bytes)).toEqual(expectedFromVpp);
  });

  it('yields the same frames for any chunking of a valid stream (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.nat(), { maxLength: 200 }), fc.boolean(), (cuts, useClient) => {
        const stream = useClient ? toVpp : fromVpp;
        const expected = useClient ? expectedToVpp : expectedFromVpp;
        expect(decodeChunks(splitAt(stream, cuts))).toEqual(expected);
      }),
      { numRuns: 200 },
    );
  });

  it('yields the same frames for any chunking of random frames, empty payloads included (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 20 }),
        fc.array(fc.nat(), { maxLength: 50 }),
        (payloads, cuts) => {
          const stream = Buffer.concat(payloads.map((p) => encodeFrame(p)));
          expect(decodeChunks(splitAt(stream, cuts))).toEqual(
            payloads.map((p) => Buffer.from(p).toString('hex')),
          );
        },
      ),
    );
  });

  it('turns random bytes into frames or FrameTooLargeError, never anything else (property)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 2_000 }),
        fc.array(fc.nat(), { maxLength: 20 }),
        (bytes, cuts) => {
          const d = new FrameDecoder(4_096);
          let total = 0;
          try {
            for (const c of splitAt(bytes, cuts)) d.push(c, (p) => (total += 16 + p.length));
          } catch (e) {
            expect(e).toBeInstanceOf(FrameTooLargeError);
            return;
          }
          expect(total + d.buffered + (d.idle ? 0 : 16)).toBeGreaterThanOrEqual(bytes.length);
        },
      ),
    );
  });

  it('holds a partial frame until the rest arrives', () => {
    const d = new FrameDecoder();
    const frame = encodeFrame(Uint8Array.of(0, 24, 1, 2));
    const seen: Uint8Array[] = [];
    d.push(frame.subarray(0, 10), (p) => seen.push(p));
    d.push(frame.subarray(10, 18), (p) => seen.push(p));
    expect(seen).toHaveLength(0);
    expect(d.idle).toBe(false);
    d.push(frame.subarray(18), (p) => seen.push(p));
    expect(seen.map((p) => [...p])).toEqual([[0, 24, 1, 2]]);
    expect(d.idle).toBe(true);
  });

  it('rejects a header announcing more than the cap, naming both numbers', () => {
    const d = new FrameDecoder(1000);
    const header = Buffer.alloc(FRAME_HEADER_BYTES);
    header.writeUInt32BE(1001, 8);
    let err: unknown;
    try {
      d.push(header, () => {});
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(FrameTooLargeError);
    expect(err).toMatchObject({ code: 'ERR_FRAME_TOO_LARGE', size: 1001, limit: 1000 });
    expect((err as Error).message).toContain('1001');
    expect((err as Error).message).toContain('1000');
  });

  it('accepts a frame of exactly the cap', () => {
    expect(decodeChunks([encodeFrame(new Uint8Array(1000))], 1000)).toHaveLength(1);
  });

  it('decodes a 4 MB frame split into 64 KB reads', () => {
    const payload = new Uint8Array(4 * 1024 * 1024).map((_, i) => i & 0xff);
    const stream = encodeFrame(payload);
    const chunks: Uint8Array[] = [];
    for (let i = 0; i < stream.length; i += 65_536) chunks.push(stream.subarray(i, i + 65_536));
    const d = new FrameDecoder();
    const out: Uint8Array[] = [];
    for (const c of chunks) d.push(c, (p) => out.push(p));
    expect(out).toHaveLength(1);
    expect(Buffer.compare(Buffer.from(out[0] as Uint8Array), Buffer.from(payload))).toBe(0);
  });
});
