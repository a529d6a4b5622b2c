// libc through koffi, loaded once and only on first use: the one way to the syscalls Node lacks.
import { createRequire } from 'node:module';
import type Koffi from 'koffi';

/** The loaded FFI: koffi itself (for errno) and the C library handle to declare functions on. */
export interface LibcHandle {
  readonly koffi: typeof Koffi;
  readonly lib: Koffi.IKoffiLib;
}

let cache: LibcHandle | Error | undefined;

/**
 * loadLibc loads koffi and libc the first time it is called, so a daemon that never needs a datagram socket
 * never touches native code; a platform koffi cannot serve gets an Error value, never a throw.
 */
export function loadLibc(): LibcHandle | Error {
  if (cache !== undefined) return cache;
  try {
    const koffi = createRequire(import.meta.url)('koffi') as typeof Koffi;
    let lib: Koffi.IKoffiLib;
    try {
      lib = koffi.load('libc.so.6');
    } catch {
      // The running node binary links a libc; its symbols are visible through the main program.
      lib = koffi.load(null);
    }
    cache = { koffi, lib };
  } catch (e) {
    cache = new Error(`cannot load libc through koffi: ${e instanceof Error ? e.message : String(e)}`);
  }
  return cache;
}
