/**
 * Tests for `FrameDecoder`: chunks may end anywhere, and the length prefix is checked against the
 * limit before the frame's body arrives.
 */
import assert from "node:assert/strict";
import {
  concatBytes,
  encodeMessage,
  FrameDecoder,
  LENGTH_PREFIX_BYTES,
  MAX_FRAME_BYTES,
  type Message,
  ProtocolError,
  TRUNCATED_FRAME_BYTES,
} from "../../protocol.ts";

const DELIVER: Message = {
  type: "deliver",
  room: "ops",
  seq: 7,
  ts: 1_700_000_000_000,
  from: "Zo\u00eb",
  id: new Uint8Array(16).fill(0xab),
  sealed: Uint8Array.from({ length: 61 }, (_, i) => (i * 37) & 0xff),
};

function lengthPrefix(length: number): Uint8Array {
  const prefix = new Uint8Array(LENGTH_PREFIX_BYTES);
  new DataView(prefix.buffer).setUint32(0, length);
  return prefix;
}

function assertProtocolError(code: string): (error: unknown) => boolean {
  return (error) => {
    assert.ok(error instanceof ProtocolError, `expected ProtocolError, got ${error}`);
    assert.equal(error.code, code);
    return true;
  };
}

Deno.test("FrameDecoder.push() decodes a frame split into two chunks at every offset", () => {
  const encoded = encodeMessage(DELIVER);
  const body = encoded.subarray(LENGTH_PREFIX_BYTES);
  for (let split = 0; split <= encoded.length; split++) {
    const decoder = new FrameDecoder();
    const frames = [
      ...decoder.push(encoded.subarray(0, split)),
      ...decoder.push(encoded.subarray(split)),
    ];
    assert.deepEqual(frames, [body], `split at ${split}`);
    assert.equal(decoder.bufferedBytes, 0, `split at ${split}`);
  }
});

Deno.test("FrameDecoder.push() decodes a frame fed one byte at a time", () => {
  const encoded = encodeMessage(DELIVER);
  const decoder = new FrameDecoder();
  const frames: Uint8Array[] = [];
  for (let i = 0; i < encoded.length; i++) {
    const completed = decoder.push(encoded.subarray(i, i + 1));
    assert.equal(completed.length, i === encoded.length - 1 ? 1 : 0, `byte ${i}`);
    frames.push(...completed);
  }
  assert.deepEqual(frames, [encoded.subarray(LENGTH_PREFIX_BYTES)]);
  assert.equal(decoder.bufferedBytes, 0);
});

Deno.test("FrameDecoder.push() returns every frame of a chunk holding several", () => {
  const messages: Message[] = [
    { type: "ping", token: 1 },
    DELIVER,
    { type: "bye" },
    { type: "room_query", room: "ops" },
  ];
  const encoded = messages.map(encodeMessage);
  const decoder = new FrameDecoder();
  const frames = decoder.push(concatBytes(...encoded));
  assert.deepEqual(frames, encoded.map((frame) => frame.subarray(LENGTH_PREFIX_BYTES)));
  assert.equal(decoder.bufferedBytes, 0);
});

Deno.test("FrameDecoder.push() keeps the start of the next frame for the next chunk", () => {
  const first = encodeMessage({ type: "ping", token: 1 });
  const second = encodeMessage(DELIVER);
  const decoder = new FrameDecoder();
  assert.deepEqual(decoder.push(concatBytes(first, second.subarray(0, 10))), [first.subarray(4)]);
  assert.equal(decoder.bufferedBytes, 10);
  assert.deepEqual(decoder.push(second.subarray(10)), [second.subarray(4)]);
});

Deno.test("FrameDecoder.push() returns frames that do not alias the chunk", () => {
  const encoded = encodeMessage(DELIVER).slice();
  const decoder = new FrameDecoder();
  const [frame] = decoder.push(encoded);
  assert.ok(frame);
  const before = frame.slice();
  encoded.fill(0);
  assert.deepEqual(frame, before);
});

Deno.test("FrameDecoder.push() rejects a length over MAX_FRAME_BYTES from the prefix alone", () => {
  const decoder = new FrameDecoder();
  assert.throws(
    () => decoder.push(lengthPrefix(MAX_FRAME_BYTES + 1)),
    assertProtocolError("frame_too_large"),
  );
});

Deno.test("FrameDecoder.push() rejects a prefix of 0xffffffff without allocating", () => {
  const decoder = new FrameDecoder();
  assert.throws(
    () => decoder.push(new Uint8Array([0xff, 0xff, 0xff, 0xff])),
    assertProtocolError("frame_too_large"),
  );
});

Deno.test("FrameDecoder.push() accepts a length of exactly MAX_FRAME_BYTES", () => {
  const decoder = new FrameDecoder();
  assert.deepEqual(decoder.push(lengthPrefix(MAX_FRAME_BYTES)), []);
  const body = new Uint8Array(MAX_FRAME_BYTES).fill(0x44);
  const frames = decoder.push(body);
  assert.equal(frames.length, 1);
  assert.equal(frames[0]?.length, MAX_FRAME_BYTES);
});

Deno.test("FrameDecoder.push() applies a limit given to the constructor", () => {
  const decoder = new FrameDecoder(8);
  assert.equal(decoder.push(concatBytes(lengthPrefix(8), new Uint8Array(8))).length, 1);
  assert.throws(() => decoder.push(lengthPrefix(9)), assertProtocolError("frame_too_large"));
});

Deno.test("FrameDecoder.push() rejects a zero length as bad_frame", () => {
  const decoder = new FrameDecoder();
  assert.throws(() => decoder.push(lengthPrefix(0)), assertProtocolError("bad_frame"));
});

Deno.test("FrameDecoder.bufferedBytes is non-zero after a partial frame", () => {
  const encoded = encodeMessage(DELIVER);
  for (const cut of [1, LENGTH_PREFIX_BYTES, LENGTH_PREFIX_BYTES + 1, encoded.length - 1]) {
    const decoder = new FrameDecoder();
    assert.deepEqual(decoder.push(encoded.subarray(0, cut)), []);
    assert.equal(decoder.bufferedBytes, cut, `cut at ${cut}`);
  }
});

Deno.test("FrameDecoder.bufferedBytes is zero before any input", () => {
  assert.equal(new FrameDecoder().bufferedBytes, 0);
});

Deno.test("FrameDecoder.push() returns the frames before a violation, then check() throws", () => {
  const decoder = new FrameDecoder();
  const good = encodeMessage(DELIVER);
  const frames = decoder.push(concatBytes(good, good, lengthPrefix(MAX_FRAME_BYTES + 1)));
  assert.equal(frames.length, 2);
  assert.throws(() => decoder.check(), assertProtocolError("frame_too_large"));
  assert.throws(() => decoder.push(good), assertProtocolError("frame_too_large"));
});

Deno.test("FrameDecoder.push() fills a trickled frame in place", () => {
  const decoder = new FrameDecoder();
  const frame = concatBytes(lengthPrefix(MAX_FRAME_BYTES), new Uint8Array(MAX_FRAME_BYTES).fill(7));
  let decoded: Uint8Array[] = [];
  for (let offset = 0; offset < frame.length; offset++) {
    decoded = decoder.push(frame.subarray(offset, offset + 1));
    if (offset < frame.length - 1) assert.equal(decoded.length, 0);
  }
  assert.equal(decoded.length, 1);
  assert.equal(decoded[0]!.length, MAX_FRAME_BYTES);
  assert.equal(decoder.bufferedBytes, 0);
});

Deno.test("FrameDecoder.push() allocates only for the bytes of a frame that arrived", () => {
  const decoder = new FrameDecoder();
  decoder.push(lengthPrefix(MAX_FRAME_BYTES));
  assert.equal(decoder.allocatedBytes, 0, "a length prefix alone allocates nothing");
  decoder.push(new Uint8Array(10));
  assert.ok(decoder.allocatedBytes <= 256, `allocated ${decoder.allocatedBytes} for 10 bytes`);
  decoder.push(new Uint8Array(3_000));
  assert.ok(decoder.allocatedBytes < 8_192, `allocated ${decoder.allocatedBytes} for 3,010 bytes`);
  const rest = new Uint8Array(MAX_FRAME_BYTES - 3_010).fill(7);
  const [frame] = decoder.push(rest);
  assert.equal(frame?.length, MAX_FRAME_BYTES);
  assert.equal(frame?.[MAX_FRAME_BYTES - 1], 7);
  assert.equal(decoder.allocatedBytes, 0);
});

Deno.test("FrameDecoder in truncate mode keeps the head of an oversized frame and goes on", () => {
  const decoder = new FrameDecoder(MAX_FRAME_BYTES, { oversized: "truncate" });
  const big = Uint8Array.from({ length: MAX_FRAME_BYTES + 24 }, (_, i) => i & 0xff);
  const next = encodeMessage(DELIVER);
  const stream = concatBytes(lengthPrefix(big.length), big, next);
  const frames: Uint8Array[] = [];
  for (let offset = 0; offset < stream.length; offset += 1_000) {
    frames.push(...decoder.push(stream.subarray(offset, offset + 1_000)));
    assert.ok(decoder.allocatedBytes <= TRUNCATED_FRAME_BYTES);
  }
  assert.equal(frames.length, 2);
  assert.deepEqual(frames[0], big.subarray(0, TRUNCATED_FRAME_BYTES));
  assert.deepEqual(frames[1], next.subarray(LENGTH_PREFIX_BYTES));
  assert.equal(decoder.bufferedBytes, 0);
});

Deno.test("FrameDecoder.push() names TLS and HTTP when a stream starts with them", () => {
  const cases: [string, Uint8Array, RegExp][] = [
    ["a TLS ClientHello", new Uint8Array([0x16, 0x03, 0x01, 0x02, 0x00, 0x01]), /speaks TLS/],
    ["a TLS alert", new Uint8Array([0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x46]), /speaks TLS/],
    ["an HTTP request", new TextEncoder().encode("GET / HTTP/1.1\r\n"), /speaks HTTP/],
    ["an HTTP answer", new TextEncoder().encode("HTTP/1.1 400 Bad Request\r\n"), /speaks HTTP/],
  ];
  for (const [label, bytes, words] of cases) {
    for (const oversized of ["fail", "truncate"] as const) {
      const decoder = new FrameDecoder(MAX_FRAME_BYTES, { oversized });
      assert.throws(
        () => decoder.push(bytes),
        (error) => assertProtocolError("foreign_protocol")(error) && words.test(String(error)),
        `${label}, ${oversized}`,
      );
    }
  }
  // Only the first prefix: later oversized frames are just oversized.
  const decoder = new FrameDecoder();
  decoder.push(encodeMessage(DELIVER));
  assert.throws(
    () => decoder.push(new Uint8Array([0x16, 0x03, 0x01, 0x02])),
    assertProtocolError("frame_too_large"),
  );
});
