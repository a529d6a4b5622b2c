// The probe's HTTP/1.1 response reader: status, framing (length, chunked, close), garbage, and split input.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { requestHead } from '../../src/checker/probes/http.js';
import { type ReadOutcome, ResponseReader } from '../../src/checker/probes/http-response.js';

/** feed pushes `text` cut at `cuts`, then (if `eof`) ends; returns the first non-`more` outcome, or 'more'. */
function feed(text: string, cuts: number[] = [], eof = false, cap = 1 << 20): ReadOutcome['kind'] | string {
  const r = new ResponseReader(cap);
  const buf = Buffer.from(text, 'latin1');
  const points = [...new Set(cuts.map((c) => c % (buf.length + 1)))].sort((a, b) => a - b);
  let last = 0;
  let status = '';
  for (const p of [...points, buf.length]) {
    if (p <= last) continue;
    const o = r.push(buf.subarray(last, p));
    last = p;
    if (o.kind === 'status') status = `status ${o.status}`;
    else if (o.kind !== 'more') return o.kind === 'complete' ? `complete ${o.status}` : 'bad';
  }
  if (eof) {
    const o = r.end();
    return o.kind === 'complete' ? `complete ${o.status}` : o.kind;
  }
  return status || 'more';
}

const cases: [string, string, boolean, string][] = [
  ['content-length body', 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello', false, 'complete 200'],
  ['content-length short, then close', 'HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nhello', true, 'bad'],
  [
    'content-length short, no close',
    'HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nhello',
    false,
    'status 200',
  ],
  [
    'chunked',
    'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n3;x=y\r\nabc\r\n0\r\n\r\n',
    false,
    'complete 200',
  ],
  [
    'chunked, 0 inside data',
    'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n7\r\n0\r\n\r\nxx\r\n',
    false,
    'status 200',
  ],
  ['close-delimited (HTTP/1.0)', 'HTTP/1.0 200 OK\r\n\r\nbody', true, 'complete 200'],
  ['204 has no body', 'HTTP/1.1 204 No Content\r\n\r\n', false, 'complete 204'],
  [
    'interim 100 then 200',
    'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n',
    false,
    'complete 200',
  ],
  ['500 reported at the head', 'HTTP/1.1 500 Oops\r\nContent-Length: 100\r\n\r\n', false, 'status 500'],
  ['garbage', 'this is not http\r\n\r\n', false, 'bad'],
  ['bad status line', 'HTTP/1.1 2000 OK\r\n\r\n', false, 'bad'],
  ['bad header line', 'HTTP/1.1 200 OK\r\nno colon here\r\n\r\n', false, 'bad'],
  ['conflicting lengths', 'HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n', false, 'bad'],
  ['closed before any byte', '', true, 'bad'],
  ['closed mid-head', 'HTTP/1.1 200 OK\r\nContent-Le', true, 'bad'],
];

describe('ResponseReader', () => {
  it.each(cases)('%s', (_name, text, eof, want) => {
    expect(feed(text, [], eof)).toBe(want);
  });

  it('gives the same outcome however the bytes are split', () => {
    fc.assert(
      fc.property(fc.constantFrom(...cases), fc.array(fc.nat({ max: 200 }), { maxLength: 12 }), (c, cuts) => {
        const [, text, eof, want] = c;
        return feed(text, cuts, eof) === want;
      }),
      { numRuns: 400 },
    );
  });

  it('counts a body beyond the cap as complete without reading on', () => {
    expect(
      feed(`HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n${'x'.repeat(2000)}`, [], false, 1000),
    ).toBe('complete 200');
  });

  it('refuses an endless head', () => {
    expect(feed(`HTTP/1.1 200 OK\r\n${'X-A: b\r\n'.repeat(3000)}`)).toBe('bad');
  });
});

describe('requestHead', () => {
  it('sends our Host, User-Agent and Connection over configured ones, and refuses header injection', () => {
    const h = requestHead('/healthz', 'www.example.test', { 'X-Token': 'abc', host: 'evil' });
    expect(h).toMatch(/^GET \/healthz HTTP\/1\.1\r\nHost: www\.example\.test\r\nUser-Agent: maglevd\//);
    expect(h).toContain('\r\nConnection: close\r\nX-Token: abc\r\n\r\n');
    expect(h).not.toContain('evil');
    expect(requestHead('/a b', 'h', {})).toEqual({ error: expect.stringContaining('request target') });
    expect(requestHead('/', 'h', { 'X-A': 'v\r\nX-Injected: 1' })).toEqual({
      error: expect.stringContaining('X-A'),
    });
    expect(requestHead('/', 'h', { 'Bad Name': 'v' })).toEqual({ error: expect.stringContaining('token') });
  });
});
