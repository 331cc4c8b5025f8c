/**
 * Tests for the message codec: every message type round-trips, and any malformed frame from a
 * peer is a `ProtocolError`, never another exception.
 */
import assert from "node:assert/strict";
import { prng } from "../prng.ts";
import {
  decodeMessage,
  encodeDeliver,
  encodeMessage,
  encodeSend,
  FrameDecoder,
  FrameType,
  KEY_CHECK_BYTES,
  LENGTH_PREFIX_BYTES,
  type Message,
  MESSAGE_ID_BYTES,
  ProtocolError,
  SALT_BYTES,
} from "../../protocol.ts";

type Samples = { [Type in Message["type"]]: Extract<Message, { type: Type }>[] };

const ID = Uint8Array.from({ length: MESSAGE_ID_BYTES }, (_, i) => i + 1);
const SALT = Uint8Array.from({ length: SALT_BYTES }, (_, i) => 0xf0 - i);
const KEY_CHECK = Uint8Array.from({ length: KEY_CHECK_BYTES }, (_, i) => i * 7);
const SEALED = Uint8Array.from({ length: 45 }, (_, i) => (i * 131) & 0xff);
const BIG_TS = 2 ** 53 - 1;

/** At least one sample of every message type; the mapped type makes a missing type an error. */
const SAMPLES: Samples = {
  hello: [{ type: "hello", minVersion: 1, maxVersion: 3, software: "chat 0.1 \u{1f4ac}" }],
  room_query: [{ type: "room_query", room: "\u674e\u96f7" }],
  join: [
    {
      type: "join",
      room: "ops",
      name: "Zo\u00eb",
      params: { salt: SALT, iterations: 600_000, kdf: 2 },
      keyCheck: KEY_CHECK,
      catchup: { kind: "history", limit: 50 },
      resumeToken: new Uint8Array(0),
    },
    {
      type: "join",
      room: "ops",
      name: "ana",
      params: { salt: SALT, iterations: 600_000, kdf: 2 },
      keyCheck: KEY_CHECK,
      catchup: { kind: "resume", afterSeq: 2 ** 40 },
      resumeToken: new Uint8Array(16).fill(9),
    },
  ],
  send: [
    { type: "send", room: "ops", id: ID, sealed: SEALED },
    { type: "send", room: "ops", id: ID, sealed: new Uint8Array(0) },
  ],
  leave: [{ type: "leave", room: "ops" }],
  who: [{ type: "who", room: "ops", offset: 0 }, { type: "who", room: "ops", offset: 400 }],
  ping: [{ type: "ping", token: 0 }, { type: "ping", token: BIG_TS }],
  pong: [{ type: "pong", token: 2 ** 32 + 5 }],
  bye: [{ type: "bye" }],
  rename: [{ type: "rename", room: "ops", name: "Zo\u00eb" }],
  set_topic: [
    { type: "set_topic", room: "ops", id: ID, sealed: SEALED },
    { type: "set_topic", room: "ops", id: ID, sealed: new Uint8Array(0) },
  ],
  renamed: [{ type: "renamed", room: "ops", from: "ana", to: "anna", ts: BIG_TS }],
  topic: [{ type: "topic", room: "ops", ts: 5, from: "ana", id: ID, sealed: SEALED }],
  welcome: [{
    type: "welcome",
    version: 2,
    software: "chat",
    maxFrameBytes: 65_536,
    heartbeatMs: 15_000,
  }],
  room_info: [
    { type: "room_info", room: "ops", params: null },
    { type: "room_info", room: "ops", params: { salt: SALT, iterations: 20_000_000, kdf: 1 } },
  ],
  joined: [
    {
      type: "joined",
      room: "ops",
      name: "ana",
      lastSeq: 0,
      firstSeq: 1,
      resumeToken: new Uint8Array(16).fill(1),
      memberCount: 1,
      members: ["ana"],
    },
    {
      type: "joined",
      room: "ops",
      name: "bob",
      lastSeq: 99,
      firstSeq: 40,
      resumeToken: new Uint8Array(16).fill(2),
      memberCount: 9_999,
      members: ["ana", "bob", "Zo\u00eb"],
    },
  ],
  nack: [
    {
      type: "nack",
      room: "ops",
      id: ID,
      code: "storage_full",
      message: "Not stored",
      retryAfterMs: 0,
    },
    {
      type: "nack",
      room: "ops",
      id: ID,
      code: "rate_limited",
      message: "Slow",
      retryAfterMs: 1_500,
    },
  ],
  caught_up: [{ type: "caught_up", room: "ops", lastSeq: 12 }],
  deliver: [{
    type: "deliver",
    room: "ops",
    seq: 1,
    ts: 1_700_000_000_123,
    from: "ana",
    id: ID,
    sealed: SEALED,
  }],
  ack: [{ type: "ack", room: "ops", id: ID, seq: 42, ts: BIG_TS }],
  presence: [
    { type: "presence", room: "ops", event: "join", name: "bob", ts: 5, reason: "" },
    { type: "presence", room: "ops", event: "leave", name: "bob", ts: 6, reason: "too_slow" },
  ],
  presence_summary: [
    {
      type: "presence_summary",
      room: "ops",
      ts: 7,
      joined: 12,
      left: 0,
      joinedNames: ["ana", "bob"],
      leftNames: [],
    },
    {
      type: "presence_summary",
      room: "ops",
      ts: BIG_TS,
      joined: 0,
      left: 3,
      joinedNames: [],
      leftNames: ["cy", "di", "ed"],
    },
  ],
  members: [
    { type: "members", room: "ops", total: 0, offset: 0, members: [] },
    { type: "members", room: "ops", total: 5_000, offset: 400, members: ["ana", "bob"] },
  ],
  error: [
    {
      type: "error",
      code: "wrong_passphrase",
      room: "ops",
      message: "Wrong",
      fatal: false,
      retryAfterMs: 0,
    },
    {
      type: "error",
      code: "server_shutdown",
      room: "",
      message: "Bye \u2014 now",
      fatal: true,
      retryAfterMs: 0,
    },
    {
      type: "error",
      code: "too_many_attempts",
      room: "ops",
      message: "Slow down",
      fatal: false,
      retryAfterMs: 2 ** 32 - 1,
    },
  ],
  left: [{ type: "left", room: "ops" }],
};

const ALL: Message[] = Object.values(SAMPLES).flat();
/** Types whose last field is the rest of the frame, so extra or missing bytes still decode. */
const OPEN_ENDED = new Set<Message["type"]>(["send", "deliver", "set_topic", "topic"]);

function body(message: Message): Uint8Array {
  return encodeMessage(message).subarray(LENGTH_PREFIX_BYTES);
}

function isProtocolError(code: string): (error: unknown) => boolean {
  return (error) => {
    assert.ok(error instanceof ProtocolError, `expected ProtocolError, got ${error}`);
    assert.equal(error.code, code);
    return true;
  };
}

for (const [type, samples] of Object.entries(SAMPLES)) {
  Deno.test(`decodeMessage() round-trips encodeMessage() of ${type}`, () => {
    for (const message of samples) {
      assert.deepEqual(decodeMessage(body(message)), message);
    }
  });
}

Deno.test("encodeMessage() writes a length prefix equal to the body's length", () => {
  for (const message of ALL) {
    const frame = encodeMessage(message);
    const length = new DataView(frame.buffer, frame.byteOffset, 4).getUint32(0);
    assert.equal(length, frame.length - LENGTH_PREFIX_BYTES, message.type);
    assert.equal(frame[LENGTH_PREFIX_BYTES], FrameType[message.type], message.type);
  }
});

Deno.test("decodeMessage() decodes every message after FrameDecoder splits the stream", () => {
  const stream = new Uint8Array(ALL.reduce((sum, m) => sum + encodeMessage(m).length, 0));
  let offset = 0;
  for (const message of ALL) {
    const frame = encodeMessage(message);
    stream.set(frame, offset);
    offset += frame.length;
  }
  const decoder = new FrameDecoder();
  const decoded: Message[] = [];
  for (let i = 0; i < stream.length; i += 7) {
    decoded.push(...decoder.push(stream.subarray(i, i + 7)).map(decodeMessage));
  }
  assert.deepEqual(decoded, ALL);
});

Deno.test("encodeDeliver() produces the same bytes as encodeMessage() of a deliver", () => {
  for (const message of SAMPLES.deliver) {
    const { type: _type, sealed, ...header } = message;
    assert.deepEqual(encodeDeliver(header, sealed), encodeMessage(message));
  }
});

Deno.test("encodeSend() produces the same bytes as encodeMessage() of a send", () => {
  for (const message of SAMPLES.send) {
    assert.deepEqual(encodeSend(message.room, message.id, message.sealed), encodeMessage(message));
  }
});

Deno.test("decodeMessage() rejects an unknown frame type as unknown_frame", () => {
  for (const type of [0x00, 0x0c, 0x3f, 0x40, 0x4f, 0x7f, 0x80, 0xff]) {
    assert.throws(
      () => decodeMessage(new Uint8Array([type, 0, 0])),
      isProtocolError("unknown_frame"),
    );
  }
});

Deno.test("decodeMessage() rejects an empty frame as bad_frame", () => {
  assert.throws(() => decodeMessage(new Uint8Array(0)), isProtocolError("bad_frame"));
});

Deno.test("decodeMessage() rejects a truncated frame as bad_frame", () => {
  for (const message of ALL.filter((m) => !OPEN_ENDED.has(m.type))) {
    const full = body(message);
    for (let length = 1; length < full.length; length++) {
      assert.throws(
        () => decodeMessage(full.subarray(0, length)),
        isProtocolError("bad_frame"),
        `${message.type} cut to ${length} bytes`,
      );
    }
  }
});

Deno.test("decodeMessage() rejects a send or deliver cut before its sealed body", () => {
  for (const message of [...SAMPLES.send, ...SAMPLES.deliver]) {
    const full = body(message);
    const header = full.length - message.sealed.length;
    for (let length = 1; length < header; length++) {
      assert.throws(
        () => decodeMessage(full.subarray(0, length)),
        isProtocolError("bad_frame"),
        `${message.type} cut to ${length} bytes`,
      );
    }
  }
});

Deno.test("decodeMessage() rejects trailing bytes as bad_frame", () => {
  for (const message of ALL.filter((m) => !OPEN_ENDED.has(m.type))) {
    const full = body(message);
    const longer = new Uint8Array(full.length + 1);
    longer.set(full);
    assert.throws(() => decodeMessage(longer), isProtocolError("bad_frame"), message.type);
  }
});

Deno.test("decodeMessage() rejects invalid UTF-8 in a string as bad_frame", () => {
  const invalid = [
    [0xc3, 0x28], // a lead byte followed by ASCII
    [0xed, 0xa0, 0x80], // an encoded surrogate
    [0xc0, 0xaf], // an overlong "/"
    [0xff],
  ];
  for (const bytes of invalid) {
    const frame = new Uint8Array([FrameType.room_query, bytes.length, ...bytes]);
    assert.throws(() => decodeMessage(frame), isProtocolError("bad_frame"), `${bytes}`);
  }
});

Deno.test("decodeMessage() rejects a u64 field over 2^53 - 1 as bad_frame", () => {
  for (const high of [0x0020_0000, 0xffff_ffff]) {
    const frame = new Uint8Array(9);
    const view = new DataView(frame.buffer);
    frame[0] = FrameType.ping;
    view.setUint32(1, high);
    view.setUint32(5, 0);
    assert.throws(() => decodeMessage(frame), isProtocolError("bad_frame"), `high ${high}`);
  }
});

Deno.test("decodeMessage() accepts a u64 field of exactly 2^53 - 1", () => {
  const frame = new Uint8Array([FrameType.ping, 0x00, 0x1f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
  assert.deepEqual(decodeMessage(frame), { type: "ping", token: 2 ** 53 - 1 });
});

Deno.test("decodeMessage() rejects out-of-range flags and enums as bad_frame", () => {
  const patch = (message: Message, fromEnd: number, value: number) => {
    const frame = body(message).slice();
    frame[frame.length - fromEnd] = value;
    return frame;
  };
  const roomInfo = SAMPLES.room_info[0]!;
  const error = SAMPLES.error[0]!;
  const presence = SAMPLES.presence[0]!;
  const cases: [string, Uint8Array][] = [
    ["room_info exists flag 2", patch(roomInfo, 1, 2)],
    // error ends with u8 fatal, u32 retry_after_ms.
    ["error fatal flag 2", patch(error, 1 + 4, 2)],
    // presence ends with u8 event, str8 name "bob", u64 ts, str8 reason "".
    ["presence event 3", patch(presence, 1 + 8 + 4 + 1, 3)],
  ];
  for (const [label, frame] of cases) {
    assert.throws(() => decodeMessage(frame), isProtocolError("bad_frame"), label);
  }
});

Deno.test("decodeMessage() rejects a presence with an unknown reason as bad_frame", () => {
  const frame = body({
    type: "presence",
    room: "ops",
    event: "leave",
    name: "bob",
    ts: 1,
    reason: "quit",
  }).slice();
  frame[frame.length - 1] = "x".charCodeAt(0); // "quix"
  assert.throws(() => decodeMessage(frame), isProtocolError("bad_frame"));
});

Deno.test("encodeMessage() throws RangeError for a field the caller made too long", () => {
  assert.throws(() => encodeMessage({ type: "leave", room: "x".repeat(256) }), RangeError);
  assert.throws(
    () => encodeMessage({ type: "send", room: "ops", id: new Uint8Array(15), sealed: SEALED }),
    RangeError,
  );
  assert.throws(() => encodeMessage({ type: "ping", token: -1 }), RangeError);
  assert.throws(() => encodeMessage({ type: "ping", token: 2 ** 53 }), RangeError);
});

Deno.test("decodeMessage() throws only ProtocolError for random frames", () => {
  const random = prng(0x5eed);
  const types = Object.values(FrameType);
  for (let i = 0; i < 2000; i++) {
    const frame = new Uint8Array(Math.floor(random() * 80));
    for (let j = 0; j < frame.length; j++) frame[j] = Math.floor(random() * 256);
    // Most frames start with a known type so that the fuzz reaches the field decoders.
    if (frame.length > 0 && random() < 0.8) {
      frame[0] = types[Math.floor(random() * types.length)]!;
    }
    try {
      decodeMessage(frame);
    } catch (error) {
      assert.ok(error instanceof ProtocolError, `frame ${i} threw ${error}`);
    }
  }
});

Deno.test("decodeMessage() throws only ProtocolError for mutated valid frames", () => {
  const random = prng(0xc0ffee);
  for (let i = 0; i < 2000; i++) {
    const frame = body(ALL[Math.floor(random() * ALL.length)]!).slice();
    const flips = 1 + Math.floor(random() * 3);
    for (let k = 0; k < flips && frame.length > 1; k++) {
      frame[1 + Math.floor(random() * (frame.length - 1))] = Math.floor(random() * 256);
    }
    try {
      decodeMessage(frame);
    } catch (error) {
      assert.ok(error instanceof ProtocolError, `frame ${i} threw ${error}`);
    }
  }
});
