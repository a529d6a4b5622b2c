// The control socket's file: directory creation, stale-socket removal after a crash, refusal when a daemon answers.
import { chmod, lstat, mkdir, unlink } from 'node:fs/promises';
import { connect } from 'node:net';
import { dirname } from 'node:path';
import { MaglevError } from '../util/errors.js';

/** How long the liveness probe of an existing socket waits for a connection. */
export const SOCKET_PROBE_TIMEOUT_MS = 1000;

/** Mode of a directory this module creates for the socket (spec §8). */
export const SOCKET_DIR_MODE = 0o750;

/** Mode of the socket file itself: the daemon's user and group may connect (spec §8). */
export const SOCKET_FILE_MODE = 0o660;

/** answers: something accepted; refused: a socket file nobody listens on; error: anything else (EACCES...). */
export type SocketProbe = 'answers' | 'refused' | 'absent' | 'timeout' | 'error';

/** probeSocket tries to connect to a unix socket path and reports what happened, never throwing. */
export function probeSocket(path: string, timeoutMs = SOCKET_PROBE_TIMEOUT_MS): Promise<SocketProbe> {
  return new Promise((resolve) => {
    const sock = connect({ path });
    const done = (r: SocketProbe) => {
      clearTimeout(timer);
      sock.destroy();
      resolve(r);
    };
    const timer = setTimeout(() => done('timeout'), timeoutMs);
    sock.once('connect', () => done('answers'));
    sock.once('error', (e: NodeJS.ErrnoException) =>
      done(e.code === 'ENOENT' ? 'absent' : e.code === 'ECONNREFUSED' ? 'refused' : 'error'),
    );
  });
}

/**
 * prepareSocketPath makes `path` ready for listen: creates its directory (mode 0750) if missing, and
 * removes a socket file left by a crashed daemon. It refuses (ERR_SOCKET_IN_USE) when something answers
 * on the socket or does not answer in time (a wedged daemon's socket is not ours to delete), and
 * (ERR_STATE) when the path is not a socket: a file an operator put there is never deleted.
 * Returns what it found.
 */
export async function prepareSocketPath(
  path: string,
  timeoutMs = SOCKET_PROBE_TIMEOUT_MS,
): Promise<'fresh' | 'stale-removed'> {
  const dir = dirname(path);
  const created = await mkdir(dir, { recursive: true, mode: SOCKET_DIR_MODE });
  // mkdir's mode is filtered by the umask; the spec's mode is set explicitly on what was created here.
  if (created !== undefined) await chmod(dir, SOCKET_DIR_MODE);
  let st: Awaited<ReturnType<typeof lstat>>;
  try {
    st = await lstat(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 'fresh';
    throw new MaglevError('ERR_STATE', `control socket ${path}: ${(e as Error).message}`, { cause: e });
  }
  if (!st.isSocket()) {
    throw new MaglevError(
      'ERR_STATE',
      `control socket ${path} exists and is not a socket: refusing to replace it`,
    );
  }
  const probe = await probeSocket(path, timeoutMs);
  if (probe === 'answers') {
    throw new MaglevError('ERR_SOCKET_IN_USE', `another maglevd answers on the control socket ${path}`);
  }
  if (probe === 'timeout') {
    throw new MaglevError(
      'ERR_SOCKET_IN_USE',
      `the control socket ${path} did not answer within ${timeoutMs} ms: another daemon may own it`,
    );
  }
  if (probe === 'error') {
    throw new MaglevError('ERR_STATE', `control socket ${path} exists but cannot be probed (permissions?)`);
  }
  if (probe === 'refused') {
    try {
      await unlink(path);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') {
        throw new MaglevError(
          'ERR_STATE',
          `cannot remove the stale control socket ${path}: ${(e as Error).message}`,
          {
            cause: e,
          },
        );
      }
    }
  }
  return 'stale-removed';
}
