/**
 * The plaintext inside a sealed message: what only members can read. Encoded compactly so that
 * a browser client can share it:
 * kind (u8) || sent_at (u64 ms, the sender's clock) || public key (32) || signature (64) || text.
 * The signature (crypto.ts `signContent`) is the sender's Ed25519 identity key over the room,
 * sender, message id, kind, time and text; the relay never sees it.
 */
import { ProtocolError } from "./errors.ts";
import { WireReader } from "./wire.ts";

/** Longest message text, in UTF-8 bytes. */
export const MAX_TEXT_BYTES = 16 * 1024;
/** Bytes of the sender's public key inside a body. */
export const BODY_PUBLIC_KEY_BYTES = 32;
/** Bytes of the signature inside a body. */
export const BODY_SIGNATURE_BYTES = 64;
const HEADER_BYTES = 9 + BODY_PUBLIC_KEY_BYTES + BODY_SIGNATURE_BYTES;
/**
 * What sealing adds around a body: a 12-byte nonce before and a 16-byte GCM tag after
 * (crypto.ts `NONCE_BYTES` and `TAG_BYTES`; a test keeps the two in step).
 */
export const SEAL_OVERHEAD_BYTES = 12 + 16;
/**
 * The largest sealed body an honest client makes: the longest text in a body, sealed. The relay
 * refuses anything larger, so no `deliver` it builds can approach the frame limit.
 */
export const MAX_SEALED_BYTES = SEAL_OVERHEAD_BYTES + HEADER_BYTES + MAX_TEXT_BYTES;

/** A chat line, an action written with /me, or a room's topic (sent apart, with `set_topic`). */
export type BodyKind = "text" | "action" | "topic";

/** The decrypted content of one message. */
export interface Body {
  kind: BodyKind;
  sentAt: number;
  text: string;
  publicKey: Uint8Array;
  signature: Uint8Array;
}

/** The wire code of each kind, also what the signature covers. */
export const BODY_KIND_CODES: Readonly<Record<BodyKind, number>> = {
  text: 1,
  action: 2,
  topic: 3,
};
const utf8 = new TextEncoder();

/** Encodes a body for sealing; text over the limit is a caller's bug. */
export function encodeBody(body: Body): Uint8Array<ArrayBuffer> {
  if (!Number.isSafeInteger(body.sentAt) || body.sentAt < 0) {
    throw new RangeError(`sentAt must be a non-negative integer, got ${body.sentAt}`);
  }
  if (
    body.publicKey.length !== BODY_PUBLIC_KEY_BYTES ||
    body.signature.length !== BODY_SIGNATURE_BYTES
  ) {
    throw new RangeError("A body needs a 32-byte public key and a 64-byte signature");
  }
  const text = utf8.encode(body.text);
  if (text.length > MAX_TEXT_BYTES) {
    throw new RangeError(`Message text is ${text.length} bytes; the limit is ${MAX_TEXT_BYTES}`);
  }
  const bytes = new Uint8Array(HEADER_BYTES + text.length);
  const view = new DataView(bytes.buffer);
  view.setUint8(0, BODY_KIND_CODES[body.kind]);
  view.setUint32(1, Math.floor(body.sentAt / 2 ** 32));
  view.setUint32(5, body.sentAt % 2 ** 32);
  bytes.set(body.publicKey, 9);
  bytes.set(body.signature, 9 + BODY_PUBLIC_KEY_BYTES);
  bytes.set(text, HEADER_BYTES);
  return bytes;
}

/** Decodes an opened body; anything malformed is the sender's fault. */
export function decodeBody(bytes: Uint8Array): Body {
  const reader = new WireReader(bytes);
  const code = reader.u8();
  const kind = (Object.keys(BODY_KIND_CODES) as BodyKind[])
    .find((name) => BODY_KIND_CODES[name] === code) ?? null;
  if (kind === null) throw new ProtocolError("bad_frame", `Unknown message kind ${code}`);
  const sentAt = reader.u64();
  const publicKey = reader.fixed(BODY_PUBLIC_KEY_BYTES);
  const signature = reader.fixed(BODY_SIGNATURE_BYTES);
  const textBytes = reader.rest();
  if (textBytes.length > MAX_TEXT_BYTES) {
    throw new ProtocolError("bad_frame", "Message text is over the size limit");
  }
  try {
    const text = new TextDecoder("utf-8", { fatal: true }).decode(textBytes);
    return { kind, sentAt, text, publicKey, signature };
  } catch {
    throw new ProtocolError("bad_frame", "Message text is not valid UTF-8");
  }
}

/** Bytes of UTF-8 that `text` takes, for checking input against `MAX_TEXT_BYTES`. */
export function textBytes(text: string): number {
  return utf8.encode(text).length;
}
