// Frame encoding and write coalescing: headers as VPP expects them, one sink call per turn.
import { describe, expect, it } from 'vitest';
import { encodeFrame, FrameWriter } from '../../src/vppapi/frame-writer.js';

describe('encodeFrame', () => {
  it('writes a zero header with the big-endian payload length at offset 8', () => {
    const f = encodeFrame(Uint8Array.of(0, 23, 0x80, 0, 0, 1, 0, 0, 0, 1));
    expect(f.subarray(0, 16).toString('hex')).toBe('00000000000000000000000a00000000');
    expect(f.subarray(16).toString('hex')).toBe('00178000000100000001');
  });
});

describe('FrameWriter', () => {
  it('coalesces the frames queued in one turn into a single write, in order', async () => {
    const writes: Buffer[] = [];
    const w = new FrameWriter((b) => writes.push(b));
    for (let i = 0; i < 100; i++) w.write(Uint8Array.of(0, i));
    expect(writes).toHaveLength(0);
    expect(w.pendingBytes).toBe(100 * 18);
    await new Promise((r) => setImmediate(r));
    expect(writes).toHaveLength(1);
    expect(writes[0]).toEqual(
      Buffer.concat(Array.from({ length: 100 }, (_, i) => encodeFrame(Uint8Array.of(0, i)))),
    );
    expect(w.pendingBytes).toBe(0);
  });

  it('writes again in a later turn and drops what was discarded', async () => {
    const writes: Buffer[] = [];
    const w = new FrameWriter((b) => writes.push(b));
    w.write(Uint8Array.of(1));
    await new Promise((r) => setImmediate(r));
    w.write(Uint8Array.of(2));
    w.discard();
    await new Promise((r) => setImmediate(r));
    w.write(Uint8Array.of(3));
    await new Promise((r) => setImmediate(r));
    expect(writes.map((b) => b.subarray(16).toString('hex'))).toEqual(['01', '03']);
  });
});
