/**
 * Tests for the plaintext layout inside a sealed message.
 */
import assert from "node:assert/strict";
import {
  type Body,
  BODY_PUBLIC_KEY_BYTES,
  BODY_SIGNATURE_BYTES,
  decodeBody,
  encodeBody,
  MAX_TEXT_BYTES,
  ProtocolError,
  textBytes,
} from "../../protocol.ts";

const SENT_AT = Date.UTC(2025, 0, 2, 3, 4, 5, 678);
/** The signing fields every body carries; their values do not matter to the layout. */
const SIGNED = {
  publicKey: new Uint8Array(BODY_PUBLIC_KEY_BYTES).fill(0x5a),
  signature: new Uint8Array(BODY_SIGNATURE_BYTES).fill(0xa5),
};
const HEADER_BYTES = 9 + BODY_PUBLIC_KEY_BYTES + BODY_SIGNATURE_BYTES;

function isProtocolError(error: unknown): boolean {
  assert.ok(error instanceof ProtocolError, `expected ProtocolError, got ${error}`);
  assert.equal(error.code, "bad_frame");
  return true;
}

function rawBody(kind: number, text: Uint8Array): Uint8Array {
  const bytes = new Uint8Array(HEADER_BYTES + text.length);
  bytes[0] = kind;
  bytes.set(text, HEADER_BYTES);
  return bytes;
}

Deno.test("decodeBody() round-trips encodeBody() of a text body", () => {
  const body: Body = {
    ...SIGNED,
    kind: "text",
    sentAt: SENT_AT,
    text: "hello \u674e\u96f7 \u{1F44B}",
  };
  assert.deepEqual(decodeBody(encodeBody(body)), body);
});

Deno.test("decodeBody() round-trips encodeBody() of an action body", () => {
  const body: Body = { ...SIGNED, kind: "action", sentAt: SENT_AT, text: "waves" };
  assert.deepEqual(decodeBody(encodeBody(body)), body);
});

Deno.test("decodeBody() round-trips an empty text and the extreme clock values", () => {
  for (const sentAt of [0, 2 ** 32 - 1, 2 ** 32, 2 ** 53 - 1]) {
    const body: Body = { ...SIGNED, kind: "text", sentAt, text: "" };
    assert.deepEqual(decodeBody(encodeBody(body)), body, `sentAt ${sentAt}`);
  }
});

Deno.test("encodeBody() accepts text of exactly MAX_TEXT_BYTES", () => {
  const text = "a".repeat(MAX_TEXT_BYTES);
  assert.equal(decodeBody(encodeBody({ ...SIGNED, kind: "text", sentAt: 1, text })).text, text);
});

Deno.test("encodeBody() throws RangeError for text over MAX_TEXT_BYTES", () => {
  assert.throws(
    () => encodeBody({ ...SIGNED, kind: "text", sentAt: 1, text: "a".repeat(MAX_TEXT_BYTES + 1) }),
    RangeError,
  );
  // The limit is in UTF-8 bytes: fewer characters than the limit can still be over it.
  const wide = "\u674e".repeat(Math.floor(MAX_TEXT_BYTES / 3) + 1);
  assert.ok(wide.length < MAX_TEXT_BYTES);
  assert.throws(() => encodeBody({ ...SIGNED, kind: "text", sentAt: 1, text: wide }), RangeError);
});

Deno.test("decodeBody() rejects an unknown kind with ProtocolError", () => {
  for (const kind of [0, 4, 0xff]) {
    assert.throws(() => decodeBody(rawBody(kind, new Uint8Array([0x68, 0x69]))), isProtocolError);
  }
});

Deno.test("decodeBody() rejects invalid UTF-8 with ProtocolError", () => {
  for (const text of [[0xc3, 0x28], [0xed, 0xa0, 0x80], [0xff], [0x61, 0xe2, 0x82]]) {
    assert.throws(() => decodeBody(rawBody(1, new Uint8Array(text))), isProtocolError);
  }
});

Deno.test("decodeBody() rejects a body shorter than its header with ProtocolError", () => {
  for (let length = 0; length < HEADER_BYTES; length++) {
    const bytes = new Uint8Array(length);
    if (length > 0) bytes[0] = 1;
    assert.throws(() => decodeBody(bytes), isProtocolError, `${length} bytes`);
  }
});

Deno.test("decodeBody() rejects text over MAX_TEXT_BYTES with ProtocolError", () => {
  const text = new Uint8Array(MAX_TEXT_BYTES + 1).fill(0x61);
  assert.throws(() => decodeBody(rawBody(1, text)), isProtocolError);
});

Deno.test("decodeBody() rejects a clock over 2^53 - 1 with ProtocolError", () => {
  const bytes = rawBody(1, new Uint8Array(0));
  bytes.fill(0xff, 1, 9);
  assert.throws(() => decodeBody(bytes), isProtocolError);
});

Deno.test("textBytes() counts UTF-8 bytes, not characters", () => {
  assert.equal(textBytes("ana"), 3);
  assert.equal(textBytes("\u00eb"), 2);
  assert.equal(textBytes("\u674e"), 3);
  assert.equal(textBytes("\u{1F44B}"), 4);
});

Deno.test("encodeBody() carries the public key and signature through decodeBody()", () => {
  const decoded = decodeBody(encodeBody({ ...SIGNED, kind: "text", sentAt: 5, text: "hi" }));
  assert.deepEqual(decoded.publicKey, SIGNED.publicKey);
  assert.deepEqual(decoded.signature, SIGNED.signature);
});

Deno.test("encodeBody() throws RangeError for a key or signature of the wrong size", () => {
  const body = { kind: "text" as const, sentAt: 5, text: "hi" };
  assert.throws(
    () => encodeBody({ ...SIGNED, ...body, publicKey: new Uint8Array(31) }),
    RangeError,
  );
  assert.throws(
    () => encodeBody({ ...SIGNED, ...body, signature: new Uint8Array(65) }),
    RangeError,
  );
});
