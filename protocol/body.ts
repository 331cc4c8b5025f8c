/**
 * The plaintext inside a sealed message: what only members can read. Encoded compactly so that
 * a browser client can share it: kind (u8), the sender's clock in milliseconds (u64), UTF-8 text.
 */
import { ProtocolError } from "./errors.ts";
import { WireReader } from "./wire.ts";

/** Longest message text, in UTF-8 bytes. */
export const MAX_TEXT_BYTES = 16 * 1024;

/** A chat line, or an action written with /me. */
export type BodyKind = "text" | "action";

/** The decrypted content of one message. */
export interface Body {
  kind: BodyKind;
  sentAt: number;
  text: string;
}

const KIND_CODES: Record<BodyKind, number> = { text: 1, action: 2 };
const utf8 = new TextEncoder();

/** Encodes a body for sealing; text over the limit is a caller's bug. */
export function encodeBody(body: Body): Uint8Array<ArrayBuffer> {
  if (!Number.isSafeInteger(body.sentAt) || body.sentAt < 0) {
    throw new RangeError(`sentAt must be a non-negative integer, got ${body.sentAt}`);
  }
  const text = utf8.encode(body.text);
  if (text.length > MAX_TEXT_BYTES) {
    throw new RangeError(`Message text is ${text.length} bytes; the limit is ${MAX_TEXT_BYTES}`);
  }
  const bytes = new Uint8Array(9 + text.length);
  const view = new DataView(bytes.buffer);
  view.setUint8(0, KIND_CODES[body.kind]);
  view.setUint32(1, Math.floor(body.sentAt / 2 ** 32));
  view.setUint32(5, body.sentAt % 2 ** 32);
  bytes.set(text, 9);
  return bytes;
}

/** Decodes an opened body; anything malformed is the sender's fault. */
export function decodeBody(bytes: Uint8Array): Body {
  const reader = new WireReader(bytes);
  const code = reader.u8();
  const kind = code === KIND_CODES.text ? "text" : code === KIND_CODES.action ? "action" : null;
  if (kind === null) throw new ProtocolError("bad_frame", `Unknown message kind ${code}`);
  const sentAt = reader.u64();
  const textBytes = reader.rest();
  if (textBytes.length > MAX_TEXT_BYTES) {
    throw new ProtocolError("bad_frame", "Message text is over the size limit");
  }
  try {
    return { kind, sentAt, text: new TextDecoder("utf-8", { fatal: true }).decode(textBytes) };
  } catch {
    throw new ProtocolError("bad_frame", "Message text is not valid UTF-8");
  }
}

/** Bytes of UTF-8 that `text` takes, for checking input against `MAX_TEXT_BYTES`. */
export function textBytes(text: string): number {
  return utf8.encode(text).length;
}
