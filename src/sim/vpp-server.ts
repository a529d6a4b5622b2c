// A VPP binary-API unix-socket server speaking the real framing and memclnt protocol; other messages go to a handler.
import type { MessageDef } from 'vpp-binapi-ts/runtime/message';

/** One decoded request as the server hands it to a {@link VppMessageHandler}. */
export interface VppHandlerRequest {
  /** The definition the request's message ID resolved to in the server's current table. */
  readonly def: MessageDef;
  /** `def.decode(payload)`: the complete decoded request. */
  readonly value: unknown;
  /** The request's context; the server copies it into every reply, so handlers need not. */
  readonly context: number;
  /**
   * The client_index the request carried. Like VPP, the server runs the handler even when it is not the
   * sender's registration (the action happens), then drops the replies.
   */
  readonly clientIndex: number;
}

/** One message a handler wants sent back; the server fills `context` and encodes it with its current IDs. */
export interface VppHandlerReply {
  readonly def: MessageDef;
  readonly value: object;
}

/**
 * VppMessageHandler answers every message the server does not handle itself (memclnt handshake,
 * control_ping, sockclnt_delete and memclnt_keepalive are built in). It returns the replies in order
 * (for a dump: the details; the server answers the following control_ping itself), an empty array for
 * no reply, or `undefined` to treat the message as unknown (VPP drops it silently). It runs
 * synchronously, so replies leave in request order, as they do from VPP's single API thread.
 */
export type VppMessageHandler = (req: VppHandlerRequest) => VppHandlerReply[] | undefined;
