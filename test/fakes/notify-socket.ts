// A stand-in for systemd's notify socket: a real AF_UNIX datagram socket (path or abstract) read through koffi.
import { randomBytes } from 'node:crypto';
import { unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import koffi from 'koffi';

// Built here independently of src/daemon/systemd-notify.ts, so a wrong address there cannot be hidden by the
// same mistake on the receiving side: this side binds with the full sizeof(struct sockaddr_un) for paths.
const lib = koffi.load('libc.so.6');
const socket = lib.func('int socket(int, int, int)');
const bind = lib.func('int bind(int, const void *, uint32_t)');
const recv = lib.func('intptr_t recv(int, void *, size_t, int)');
const close = lib.func('int close(int)');

const AF_UNIX = 1;
const SOCK_DGRAM_NONBLOCK_CLOEXEC = 2 | 0o4000 | 0o2000000;
const EAGAIN = 11;

export interface FakeNotifySocket {
  /** The NOTIFY_SOCKET value to give the notifier: a path, or `@name`. */
  readonly notifySocket: string;
  /** Every datagram received so far (non-blocking drain), each as its text. */
  drain(): string[];
  close(): void;
}

/** bindFakeNotifySocket binds a datagram socket at a fresh temp path, or a fresh abstract name. */
export function bindFakeNotifySocket(kind: 'path' | 'abstract'): FakeNotifySocket {
  const id = `maglevd-test-${process.pid}-${randomBytes(4).toString('hex')}`;
  const fd = socket(AF_UNIX, SOCK_DGRAM_NONBLOCK_CLOEXEC, 0) as number;
  if (fd < 0) throw new Error(`socket: errno ${koffi.errno()}`);
  let addr: Buffer;
  let addrLen: number;
  let path: string | undefined;
  if (kind === 'path') {
    path = join(tmpdir(), `${id}.sock`);
    addr = Buffer.alloc(110);
    addr.writeUInt16LE(AF_UNIX, 0);
    addr.write(path, 2, 'utf8');
    addrLen = addr.length;
  } else {
    const name = Buffer.from(id, 'utf8');
    addr = Buffer.concat([Buffer.from([AF_UNIX, 0, 0]), name]);
    addrLen = addr.length;
  }
  if ((bind(fd, addr, addrLen) as number) !== 0) {
    close(fd);
    throw new Error(`bind ${kind}: errno ${koffi.errno()}`);
  }
  const buf = Buffer.alloc(65536);
  return {
    notifySocket: path ?? `@${id}`,
    drain() {
      const out: string[] = [];
      for (;;) {
        const n = Number(recv(fd, buf, buf.length, 0));
        if (n < 0) {
          const errno = koffi.errno();
          if (errno === EAGAIN) return out;
          throw new Error(`recv: errno ${errno}`);
        }
        out.push(buf.subarray(0, n).toString('utf8'));
      }
    },
    close() {
      close(fd);
      if (path !== undefined) unlinkSync(path);
    },
  };
}
