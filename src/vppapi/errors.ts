// The errors the VPP API client raises: retvals, timeouts, disconnects, incompatibility, oversized frames.
import { MaglevError } from '../util/errors.js';
import { retvalInfo, retvalName } from './retval-names.js';

/** A holder for the stack of the code that made a request, captured when the request was made. */
export interface CallerStack {
  stack?: string;
}

/**
 * captureCallerStack records where a request was made. Replies arrive from socket events whose stack says
 * nothing about the caller, so errors append this one (as grpc-js does with "for call at").
 */
export function captureCallerStack(skip?: (...args: never[]) => unknown): CallerStack {
  const holder: CallerStack = {};
  // A short trace is enough to find the caller and keeps the capture cheap on the request path.
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = CALLER_FRAMES;
  Error.captureStackTrace(holder, skip ?? captureCallerStack);
  Error.stackTraceLimit = limit;
  return holder;
}

/** Frames kept of a caller's stack. */
const CALLER_FRAMES = 8;

/** attachCallerStack appends the caller's frames to `err.stack` and returns `err`. */
export function attachCallerStack<E extends Error>(err: E, caller: CallerStack | undefined): E {
  const frames = caller?.stack?.split('\n').slice(1).join('\n');
  if (frames) err.stack = `${err.stack ?? `${err.name}: ${err.message}`}\n    for call at\n${frames}`;
  return err;
}

/** VppApiError is a reply with a negative retval: VPP refused the request. */
export class VppApiError extends MaglevError {
  /** The retval as VPP sent it, e.g. -81. */
  readonly retval: number;
  /** `VNET_API_ERROR_<NAME>` (from VPP's src/vnet/error.h), or `UNKNOWN_RETVAL_<n>`. */
  readonly retvalName: string;
  /** The request's message name, e.g. `lb_add_del_as_v2`. */
  readonly messageName: string;
  /** The context the request and its reply carried. */
  readonly context: number;

  constructor(messageName: string, retval: number, context: number) {
    const info = retvalInfo(retval);
    super(
      'ERR_VPP_RETVAL',
      `${messageName} failed: retval ${retval} ${retvalName(retval)}${info ? ` (${info.description})` : ''}`,
    );
    this.retval = retval;
    this.retvalName = retvalName(retval);
    this.messageName = messageName;
    this.context = context;
  }

  override toJSON(): { code: 'ERR_VPP_RETVAL'; message: string; retval: number; retvalName: string } {
    return {
      code: 'ERR_VPP_RETVAL',
      message: this.message,
      retval: this.retval,
      retvalName: this.retvalName,
    };
  }
}

/** VppTimeoutError: no reply within the request's timeout. VPP drops bad requests silently, so this is how they show. */
export class VppTimeoutError extends MaglevError {
  readonly messageName: string;
  readonly context: number;
  readonly timeoutMs: number;

  constructor(messageName: string, context: number, timeoutMs: number) {
    super('ERR_VPP_TIMEOUT', `${messageName} (context ${context}): no reply from VPP within ${timeoutMs} ms`);
    this.messageName = messageName;
    this.context = context;
    this.timeoutMs = timeoutMs;
  }
}

/** VppDisconnectedError: the request could not be sent or its connection went away before the reply. */
export class VppDisconnectedError extends MaglevError {
  /** Why the connection is gone, e.g. `eof`, `liveness: 3 pings unanswered`. */
  readonly reason: string;

  constructor(what: string, reason: string, options?: { cause?: unknown }) {
    super('ERR_VPP_DISCONNECTED', `${what}: not connected to VPP (${reason})`, options);
    this.reason = reason;
  }
}

/** One message the caller needs that VPP does not offer as expected. */
export interface IncompatibleMessage {
  readonly name: string;
  readonly expectedCrc: string;
  /** The CRC VPP has for this name, or undefined when VPP has no message of that name at all. */
  readonly foundCrc: string | undefined;
}

/** VppIncompatibleError lists every needed message that is missing or has another CRC in VPP's table. */
export class VppIncompatibleError extends MaglevError {
  readonly messages: readonly IncompatibleMessage[];

  constructor(messages: readonly IncompatibleMessage[]) {
    const list = messages
      .map(
        (m) => `${m.name} (expected crc ${m.expectedCrc}, ${m.foundCrc ? `found ${m.foundCrc}` : 'missing'})`,
      )
      .join(', ');
    super('ERR_VPP_INCOMPATIBLE', `VPP's binary API lacks ${messages.length} needed message(s): ${list}`);
    this.messages = messages;
  }
}

/** FrameTooLargeError: a frame header announced more bytes than the client accepts. */
export class FrameTooLargeError extends MaglevError {
  readonly size: number;
  readonly limit: number;

  constructor(size: number, limit: number) {
    super('ERR_FRAME_TOO_LARGE', `frame payload of ${size} bytes exceeds the limit of ${limit} bytes`);
    this.size = size;
    this.limit = limit;
  }
}

/**
 * VppDecodeError: VPP sent bytes for a call that its definition cannot decode (truncated, or a count that
 * runs past the end). The binding's DecodeError, which names message, field, offset and sizes, is the cause;
 * only that call fails.
 */
export class VppDecodeError extends MaglevError {
  readonly messageName: string;
  constructor(messageName: string, cause: unknown) {
    super(
      'ERR_DECODE',
      `${messageName}: VPP's reply could not be decoded: ${cause instanceof Error ? cause.message : String(cause)}`,
      {
        cause,
      },
    );
    this.messageName = messageName;
  }
}

/** VppHandshakeError: sockclnt_create failed or its reply made no sense. */
export class VppHandshakeError extends MaglevError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_VPP_HANDSHAKE', message, options);
  }
}
