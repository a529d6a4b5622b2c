// Public surface of the vpp-binapi-ts runtime: the MessageDef contract, errors, and byte helpers.
export { BINAPI_RUNTIME_ABI_1 } from './abi.js';
export { ByteReader, ByteWriter, readMsgId } from './bytes.js';
export {
  copyBytes,
  getCString,
  getF64,
  getI64,
  getString,
  getU64,
  isI64,
  isU64,
  putCString,
  putF64,
  putString,
  putU64,
  utf8Length,
} from './codec.js';
export {
  asDecodeError,
  asEncodeError,
  badLength,
  badValue,
  countMismatch,
  countOverflow,
  DecodeError,
  EncodeError,
  noArm,
  notArray,
  ragged,
  short,
  tooLong,
  truncated,
} from './errors.js';
export type { MessageDef, MessageKind, ServiceDef } from './message.js';
