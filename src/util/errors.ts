// The base error of maglevd: every error the daemon raises on purpose carries a stable `code`.

/** Stable error codes; documented in docs/errors.md. Operators and scripts match on these, not on messages. */
export type ErrorCode =
  | 'ERR_CONFIG'
  | 'ERR_DECODE'
  | 'ERR_ENCODE'
  | 'ERR_FRAME_TOO_LARGE'
  | 'ERR_VPP_RETVAL'
  | 'ERR_VPP_TIMEOUT'
  | 'ERR_VPP_DISCONNECTED'
  | 'ERR_VPP_INCOMPATIBLE'
  | 'ERR_VPP_HANDSHAKE'
  | 'ERR_SIM'
  | 'ERR_ADDRESS'
  | 'ERR_STATE'
  | 'ERR_NOT_FOUND'
  | 'ERR_BAD_REQUEST'
  | 'ERR_UNAVAILABLE'
  | 'ERR_SOCKET_IN_USE'
  | 'ERR_INTERNAL';

/** MaglevError is the one base class: `code` is stable, `message` is for people, `cause` chains (ES2022). */
export class MaglevError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }

  /** The JSON form used by the control API and logs. */
  toJSON(): { code: ErrorCode; message: string } {
    return { code: this.code, message: this.message };
  }
}

/** isMaglevError narrows an unknown thrown value. */
export function isMaglevError(e: unknown): e is MaglevError {
  return e instanceof MaglevError;
}
