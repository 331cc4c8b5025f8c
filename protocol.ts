/**
 * Front door of the wire format: framing, messages, names and the sealed body's plaintext layout.
 * Pure and built on Web APIs only, so the relay, the terminal client and a browser share it.
 */
export { type ErrorCode, ProtocolError } from "./protocol/errors.ts";
export {
  type ForeignProtocol,
  foreignProtocol,
  FrameDecoder,
  LENGTH_PREFIX_BYTES,
  MAX_FRAME_BYTES,
  type OversizedFrames,
  TRUNCATED_FRAME_BYTES,
} from "./protocol/frames.ts";
export * from "./protocol/messages.ts";
export { confusableKey, skeleton } from "./protocol/confusables.ts";
export { CONFUSABLES_UNICODE_VERSION } from "./protocol/confusables_data.ts";
export {
  foldName,
  MAX_NAME_CHARS,
  type NameKind,
  nameProblem,
  normalizeName,
} from "./protocol/names.ts";
export * from "./protocol/body.ts";
export { concatBytes } from "./protocol/bytes.ts";
