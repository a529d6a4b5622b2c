// Splits a byte stream from VPP's API socket into frame payloads, whatever the read boundaries.
import { FrameTooLargeError } from './errors.js';

/**
 * Each message on the socket is a 16-byte `msgbuf_t` header and a payload (VPP src/vlibapi/api_common.h):
 * u64 q (server-internal, garbage on receive), u32 big-endian payload length, u32 gc_mark_timestamp.
 */
export const FRAME_HEADER_BYTES = 16;
/** Offset of the big-endian payload length in the header. */
export const FRAME_LENGTH_OFFSET = 8;
/**
 * The default cap on one payload. VPP has no maximum (src/vlibmemory/socket_api.c); the largest replies a
 * control plane sees are sockclnt_create_reply (66 B per message: tens of KB) and get_api_json_reply (a
 * few MB), so 64 MiB only stops a corrupt length from allocating without bound.
 */
export const DEFAULT_MAX_FRAME_BYTES = 64 * 1024 * 1024;

const EMPTY = new Uint8Array(0);

/**
 * FrameDecoder reassembles frames from chunks of any size. Chunks are queued, not concatenated, and each
 * payload byte is copied at most once (never when a payload lies inside one chunk), so a large frame
 * arriving in many reads costs linear time. After a FrameTooLargeError the stream cannot be resynchronised:
 * the caller must drop the connection.
 */
export class FrameDecoder {
  private readonly maxPayloadBytes: number;
  /** Queued chunks from `head` on; consumed ones are dropped in batches (Array#shift would be quadratic). */
  private chunks: Uint8Array[] = [];
  private head = 0;
  /** Bytes of chunks[head] already consumed. */
  private headOffset = 0;
  private bufferedBytes = 0;
  /** The payload length of the frame whose header has been consumed, or -1 while awaiting a header. */
  private payloadLength = -1;

  constructor(maxPayloadBytes: number = DEFAULT_MAX_FRAME_BYTES) {
    this.maxPayloadBytes = maxPayloadBytes;
  }

  /** Bytes received but not yet returned as part of a frame (including a consumed header's frame). */
  get buffered(): number {
    return this.bufferedBytes;
  }

  /** True when no partial frame is held: the stream ended on a frame boundary. */
  get idle(): boolean {
    return this.bufferedBytes === 0 && this.payloadLength === -1;
  }

  /**
   * push adds one chunk and calls `onFrame` with each complete payload, in order. A payload handed out may
   * share memory with the chunk: read it, do not keep it. Throws FrameTooLargeError on an oversized header.
   */
  push(chunk: Uint8Array, onFrame: (payload: Uint8Array) => void): void {
    if (chunk.length > 0) {
      this.chunks.push(chunk);
      this.bufferedBytes += chunk.length;
    }
    for (;;) {
      if (this.payloadLength < 0) {
        if (this.bufferedBytes < FRAME_HEADER_BYTES) return;
        const header = this.take(FRAME_HEADER_BYTES);
        const len =
          (header[FRAME_LENGTH_OFFSET] as number) * 0x1000000 +
          (header[FRAME_LENGTH_OFFSET + 1] as number) * 0x10000 +
          (header[FRAME_LENGTH_OFFSET + 2] as number) * 0x100 +
          (header[FRAME_LENGTH_OFFSET + 3] as number);
        if (len > this.maxPayloadBytes) throw new FrameTooLargeError(len, this.maxPayloadBytes);
        this.payloadLength = len;
      }
      if (this.bufferedBytes < this.payloadLength) return;
      const payload = this.take(this.payloadLength);
      this.payloadLength = -1;
      onFrame(payload);
    }
  }

  /** reset forgets everything buffered (a new connection starts a new stream). */
  reset(): void {
    this.chunks = [];
    this.head = 0;
    this.headOffset = 0;
    this.bufferedBytes = 0;
    this.payloadLength = -1;
  }

  /** take removes the next `n` bytes (n <= bufferedBytes): a view when they lie in one chunk, else one copy. */
  private take(n: number): Uint8Array {
    this.bufferedBytes -= n;
    const first = this.chunks[this.head];
    if (first === undefined) return new Uint8Array(0);
    const avail = first.length - this.headOffset;
    if (avail >= n) {
      const view = first.subarray(this.headOffset, this.headOffset + n);
      this.headOffset += n;
      if (this.headOffset === first.length) this.shift();
      return view;
    }
    const out = new Uint8Array(n);
    let filled = 0;
    while (filled < n) {
      const c = this.chunks[this.head] as Uint8Array;
      const want = Math.min(n - filled, c.length - this.headOffset);
      out.set(c.subarray(this.headOffset, this.headOffset + want), filled);
      filled += want;
      this.headOffset += want;
      if (this.headOffset === c.length) this.shift();
    }
    return out;
  }

  private shift(): void {
    this.chunks[this.head] = EMPTY;
    this.head++;
    this.headOffset = 0;
    if (this.head === this.chunks.length) {
      this.chunks = [];
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.chunks.length) {
      this.chunks = this.chunks.slice(this.head);
      this.head = 0;
    }
  }
}
