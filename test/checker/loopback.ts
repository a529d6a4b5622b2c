// Loopback servers for probe tests: a TCP listener that never accepts, and a self-signed certificate maker.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import koffi from 'koffi';

const libc = koffi.load('libc.so.6');
const socketFn = libc.func('int socket(int, int, int)');
const bindFn = libc.func('int bind(int, void *, uint32_t)');
const listenFn = libc.func('int listen(int, int)');
const getsocknameFn = libc.func('int getsockname(int, _Out_ void *, _Inout_ uint32_t *)');
const closeFn = libc.func('int close(int)');

/** A listener on 127.0.0.1 that never accepts, with its one-slot accept queue already filled. */
export interface BlackholeListener {
  port: number;
  close(): void;
}

/**
 * blackholeListener opens a socket with listen(fd, 0) and no accept(): Linux queues one connection and then
 * drops SYNs, so the next connect neither succeeds nor is refused. It never leaves loopback.
 */
export async function blackholeListener(): Promise<BlackholeListener> {
  const fd = socketFn(2, 1, 0) as number; // AF_INET, SOCK_STREAM
  if (fd < 0) throw new Error('socket() failed');
  const sa = Buffer.alloc(16);
  sa.writeUInt16LE(2, 0); // sin_family in host order (little-endian x86/arm)
  sa.set([127, 0, 0, 1], 4);
  if ((bindFn(fd, sa, 16) as number) !== 0 || (listenFn(fd, 0) as number) !== 0) {
    closeFn(fd);
    throw new Error('bind/listen failed');
  }
  const out = Buffer.alloc(16);
  getsocknameFn(fd, out, [16]);
  const port = out.readUInt16BE(2);
  const filler: Socket = connect({ host: '127.0.0.1', port });
  filler.on('error', () => {});
  await new Promise<void>((resolve) => filler.once('connect', () => resolve()));
  return {
    port,
    close() {
      filler.destroy();
      closeFn(fd);
    },
  };
}

/** SelfSigned is a key and certificate generated for the test (openssl CLI; no network). */
export interface SelfSigned {
  key: string;
  cert: string;
}

/** selfSigned makes a P-256 certificate for `name` (DNS SAN) and 127.0.0.1 (IP SAN), valid one day. */
export function selfSigned(name: string): SelfSigned {
  const dir = mkdtempSync(join(tmpdir(), 'maglevd-cert-'));
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-days',
        '1',
        '-subj',
        `/CN=${name}`,
        '-addext',
        `subjectAltName=DNS:${name},IP:127.0.0.1`,
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
    return {
      key: readFileSync(join(dir, 'key.pem'), 'utf8'),
      cert: readFileSync(join(dir, 'cert.pem'), 'utf8'),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
