// The shape every generated message takes: what a client needs to look a message up, encode and decode it.

/** How a message's header is laid out, classified by its leading fields (as GoVPP does). */
export type MessageKind =
  /** `_vl_msg_id, client_index, context, …`: a request from a client. */
  | 'request'
  /** `_vl_msg_id, context, …`: a reply or details, matched by context. */
  | 'reply'
  /** `_vl_msg_id, client_index, …` without context: an event. */
  | 'event'
  /** Anything else. */
  | 'other';

/**
 * MessageDef describes one message of one module. `TIn` is the encode input (fields with a `.api.json`
 * default, and `client_index`/`context`, may be omitted); `TOut` is what decode returns (every field);
 * `TReply` is the type of `reply`, so a client can type what a request resolves with; `TDetails`, that of
 * `details` for a "get" stream, so a client can type what the stream collects.
 */
export interface MessageDef<
  TIn = unknown,
  TOut = unknown,
  // biome-ignore lint/suspicious/noExplicitAny: the default must accept any reply chain; `unknown` would reject every specific one
  TReply extends MessageDef<unknown, unknown, any> = MessageDef<unknown, unknown, any>,
  // biome-ignore lint/suspicious/noExplicitAny: as for TReply
  TDetails extends MessageDef<unknown, unknown, any, any> = MessageDef<unknown, unknown, any, any>,
> {
  /** VPP's message name, e.g. `lb_add_del_as_v2`. */
  readonly name: string;
  /** The CRC from the .api.json, e.g. `0x2f1d3b0e`. */
  readonly crc: string;
  /** The runtime message-table key: `name_crc8hex`, e.g. `lb_add_del_as_v2_2f1d3b0e`. */
  readonly nameCrc: string;
  /** The module (API file) that defines it, e.g. `lb`. */
  readonly module: string;
  readonly kind: MessageKind;
  /** Size in bytes with every variable-length part empty (including the 2-byte message id). */
  readonly minSize: number;
  /** True when the size does not depend on the value. */
  readonly fixedSize: boolean;
  /** For a request of a service: its reply (or, for a dump, its details). */
  readonly reply?: TReply;
  /** For a dump of an old-style stream service: true (terminate with control_ping). */
  readonly stream?: boolean;
  /**
   * For a "get" stream service (`stream_msg` in the .api.json): the details message streamed before `reply`,
   * which ends the stream (no control_ping). Absent otherwise.
   */
  readonly details?: TDetails;
  /** For a `want_*` service: the event messages it enables. */
  readonly events?: readonly MessageDef[];
  /** Encodes `value` as a complete payload whose first two bytes are `msgId`. */
  encode(msgId: number, value: TIn): Uint8Array;
  /** Decodes a complete payload (starting at the message id); throws DecodeError on bad bytes. */
  decode(payload: Uint8Array): TOut;
}

/** One `services` entry of an .api.json, by message name (`reply` is absent for `"null"`). */
export interface ServiceDef {
  readonly request: string;
  readonly reply?: string;
  /** Old-style dump: `reply` names the details; terminate with control_ping. */
  readonly stream?: boolean;
  /** "get" stream: details message name; `reply` ends the stream. */
  readonly streamMsg?: string;
  readonly events?: readonly string[];
}
