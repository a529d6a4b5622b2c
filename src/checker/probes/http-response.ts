// A minimal HTTP/1.1 response reader for probes: status line, the framing headers, and when the response ends.

/** HEADER_LIMIT_BYTES bounds the status line plus headers; a larger head is not a health check answer. */
export const HEADER_LIMIT_BYTES = 16 * 1024;

/** ReadOutcome: keep reading, a head that is not HTTP, a failing/accepted status, or a complete response. */
export type ReadOutcome =
  | { readonly kind: 'more' }
  | { readonly kind: 'bad'; readonly detail: string }
  | { readonly kind: 'status'; readonly status: number }
  | { readonly kind: 'complete'; readonly status: number };

type Framing = { kind: 'length'; left: number } | { kind: 'chunked' } | { kind: 'close' } | { kind: 'none' };

const STATUS_LINE = /^HTTP\/1\.[01] ([1-9]\d\d)(?: |\r?$)/;
const CRLFCRLF = Buffer.from('\r\n\r\n');

function printable(b: Buffer): string {
  return b.toString('latin1', 0, Math.min(b.length, 40)).replace(/[^\x20-\x7e]/g, '.');
}

/**
 * ResponseReader is fed the bytes of one response as they arrive. It reports the status as soon as the
 * head is parsed (so a rejected status ends the probe at once), then whether the body is complete: by
 * Content-Length, by the terminal chunk of a chunked body, or at end of stream (we always send
 * `Connection: close`). Body bytes are counted, never kept; after `bodyCap` bytes the response counts as
 * complete. Interim 1xx responses are skipped.
 */
export class ResponseReader {
  private head: Buffer[] = [];
  private headBytes = 0;
  private status = 0;
  private framing: Framing | undefined;
  private body = 0;
  // Chunked decoding state: the size line being read, or data bytes (plus CRLF) left in the chunk.
  private chunkLine = '';
  private chunkLeft = 0;

  constructor(private readonly bodyCap: number) {}

  /** statusCode is the final status once the head is parsed (0 before). */
  get statusCode(): number {
    return this.framing ? this.status : 0;
  }

  /** push feeds a chunk; returns what is known after it. `status` is returned once, when the head completes. */
  push(chunk: Buffer): ReadOutcome {
    if (this.framing) return this.bodyBytes(chunk);
    this.head.push(chunk);
    this.headBytes += chunk.length;
    const buf = this.head.length === 1 ? chunk : Buffer.concat(this.head, this.headBytes);
    this.head = [buf];
    // Reject early: a reply that does not start like HTTP is garbage however long we wait.
    if (buf.length >= 5 && buf.toString('latin1', 0, 5) !== 'HTTP/') {
      return { kind: 'bad', detail: `not an HTTP response: "${printable(buf)}"` };
    }
    const end = buf.indexOf(CRLFCRLF);
    if (end < 0) {
      if (buf.length > HEADER_LIMIT_BYTES)
        return { kind: 'bad', detail: `response head over ${HEADER_LIMIT_BYTES} bytes` };
      return { kind: 'more' };
    }
    const parsed = this.parseHead(buf.toString('latin1', 0, end));
    if (parsed) return parsed;
    const rest = buf.subarray(end + 4);
    this.head = [];
    this.headBytes = 0;
    if (this.status < 200) {
      // 1xx interim response: the real one follows.
      this.framing = undefined;
      return rest.length > 0 ? this.push(rest) : { kind: 'more' };
    }
    const s: ReadOutcome = { kind: 'status', status: this.status };
    if ((this.framing as Framing | undefined)?.kind === 'none')
      return { kind: 'complete', status: this.status };
    if (rest.length > 0) {
      const r = this.bodyBytes(rest);
      if (r.kind !== 'more') return r;
    }
    return s;
  }

  /** end is the peer closing the stream: complete if the framing allows it, else a truncated response. */
  end(): ReadOutcome {
    if (!this.framing) {
      return {
        kind: 'bad',
        detail: this.headBytes === 0 ? 'connection closed without a response' : 'connection closed mid-head',
      };
    }
    if (this.framing.kind === 'close') return { kind: 'complete', status: this.status };
    return { kind: 'bad', detail: `connection closed mid-body after ${this.body} bytes` };
  }

  private parseHead(text: string): ReadOutcome | undefined {
    const lines = text.split('\r\n');
    const m = STATUS_LINE.exec(lines[0] ?? '');
    if (!m) return { kind: 'bad', detail: `bad status line: "${(lines[0] ?? '').slice(0, 40)}"` };
    this.status = Number(m[1]);
    let length: number | undefined;
    let chunked = false;
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i] as string;
      const colon = line.indexOf(':');
      if (colon <= 0) return { kind: 'bad', detail: `bad header line: "${line.slice(0, 40)}"` };
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      if (name === 'content-length') {
        if (!/^\d{1,15}$/.test(value))
          return { kind: 'bad', detail: `bad Content-Length "${value.slice(0, 20)}"` };
        const n = Number(value);
        if (length !== undefined && length !== n)
          return { kind: 'bad', detail: 'conflicting Content-Length' };
        length = n;
      } else if (name === 'transfer-encoding') {
        chunked = value.toLowerCase().split(',').at(-1)?.trim() === 'chunked';
      }
    }
    // RFC 9112 §6.3: no body for 1xx/204/304; Transfer-Encoding overrides Content-Length.
    if (this.status < 200 || this.status === 204 || this.status === 304) this.framing = { kind: 'none' };
    else if (chunked) this.framing = { kind: 'chunked' };
    else if (length !== undefined)
      this.framing = length === 0 ? { kind: 'none' } : { kind: 'length', left: length };
    else this.framing = { kind: 'close' };
    return undefined;
  }

  private bodyBytes(chunk: Buffer): ReadOutcome {
    const f = this.framing as Framing;
    this.body += chunk.length;
    if (f.kind === 'length') {
      f.left -= chunk.length;
      if (f.left <= 0) return { kind: 'complete', status: this.status };
    } else if (f.kind === 'chunked') {
      const r = this.chunkedBytes(chunk);
      if (r) return r;
    }
    if (this.body >= this.bodyCap) return { kind: 'complete', status: this.status };
    return { kind: 'more' };
  }

  // Walks chunk framing (RFC 9112 §7.1) without keeping data: size line, data, CRLF, ..., the 0 chunk.
  private chunkedBytes(chunk: Buffer): ReadOutcome | undefined {
    let i = 0;
    while (i < chunk.length) {
      if (this.chunkLeft > 0) {
        const n = Math.min(this.chunkLeft, chunk.length - i);
        this.chunkLeft -= n;
        i += n;
        continue;
      }
      const nl = chunk.indexOf(10, i);
      const piece = chunk.toString('latin1', i, nl < 0 ? chunk.length : nl);
      this.chunkLine += piece;
      if (this.chunkLine.length > 1024) return { kind: 'bad', detail: 'chunk size line too long' };
      if (nl < 0) return undefined;
      i = nl + 1;
      const line = this.chunkLine.replace(/\r$/, '');
      this.chunkLine = '';
      if (line === '') continue; // the CRLF after a chunk's data
      const size = Number.parseInt(line.split(';')[0]?.trim() ?? '', 16);
      if (!/^[0-9a-fA-F]+/.test(line) || !Number.isFinite(size)) {
        return { kind: 'bad', detail: `bad chunk size "${line.slice(0, 20)}"` };
      }
      if (size === 0) return { kind: 'complete', status: this.status }; // trailers are not waited for
      this.chunkLeft = size;
    }
    return undefined;
  }
}
