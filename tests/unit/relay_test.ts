/**
 * Tests for the relay core over in-memory connections: no sockets, no sleeps. Each test peer is one
 * `memoryPair()`: the relay serves one end, the test speaks the protocol on the other. Time moves
 * only when a test moves its fake clock and calls `sweep()`.
 */
import assert from "node:assert/strict";
import { prng } from "../prng.ts";
import {
  encodeMessage,
  MAX_FRAME_BYTES,
  MIN_ITERATIONS,
  PROTOCOL_VERSION,
  SALT_BYTES,
} from "../../protocol.ts";
import { HEARTBEAT_MS, IDLE_TIMEOUT_MS } from "../../relay/relay.ts";
import { DEFAULT_LIMITS } from "../../relay/limits.ts";
import {
  exchange,
  greeted,
  join,
  KEY_CHECK,
  member,
  messageId,
  newRelay,
  OTHER_KEY_CHECK,
  PARAMS,
  Peer,
  sealedBytes,
} from "./relay_harness.ts";

// ---- handshake ----

Deno.test("Relay.accept() answers hello with welcome", async () => {
  const relay = newRelay();
  await using peer = new Peer(relay);
  peer.send({ type: "hello", minVersion: 1, maxVersion: 5, software: "test" });
  assert.deepEqual(await peer.expect("welcome"), {
    type: "welcome",
    version: PROTOCOL_VERSION,
    software: "chat",
    maxFrameBytes: MAX_FRAME_BYTES,
    heartbeatMs: HEARTBEAT_MS,
  });
});

Deno.test("Relay.accept() ends a connection whose versions exclude its own with version_mismatch", async () => {
  const relay = newRelay();
  await using peer = new Peer(relay);
  peer.send({ type: "hello", minVersion: PROTOCOL_VERSION + 1, maxVersion: 9, software: "test" });
  await peer.expectFatal("version_mismatch");
});

Deno.test("Relay.accept() ends a connection that sends a frame before hello with unexpected_frame", async () => {
  const relay = newRelay();
  await using peer = new Peer(relay);
  peer.send({ type: "room_query", room: "ops" });
  await peer.expectFatal("unexpected_frame");
});

Deno.test("Relay.accept() ends a connection that says hello twice with unexpected_frame", async () => {
  const relay = newRelay();
  await using peer = await greeted(relay);
  peer.send({
    type: "hello",
    minVersion: PROTOCOL_VERSION,
    maxVersion: PROTOCOL_VERSION,
    software: "test",
  });
  await peer.expectFatal("unexpected_frame");
});

Deno.test("Relay.accept() ends a connection that sends a server frame with unexpected_frame", async () => {
  const relay = newRelay();
  await using peer = await greeted(relay);
  assert.ok(peer.conn.send(encodeMessage({ type: "left", room: "ops" })));
  await peer.expectFatal("unexpected_frame");
});

Deno.test("Relay.accept() settles when the client closes", async () => {
  const relay = newRelay();
  const peer = await greeted(relay);
  assert.equal(relay.connectionCount, 1);
  await peer.conn.close();
  await peer.accepted;
  assert.equal(relay.connectionCount, 0);
});

// ---- rooms ----

Deno.test("Relay answers room_query for a new room with null params", async () => {
  const relay = newRelay();
  await using peer = await greeted(relay);
  peer.send({ type: "room_query", room: "ops" });
  assert.deepEqual(await peer.expect("room_info"), {
    type: "room_info",
    room: "ops",
    params: null,
  });
});

Deno.test("Relay answers room_query for an existing room with its creator's params", async () => {
  const relay = newRelay();
  await using _ana = await member(relay, "ana");
  await using bob = await greeted(relay);
  bob.send({ type: "room_query", room: "OPS" });
  assert.deepEqual(await bob.expect("room_info"), {
    type: "room_info",
    room: "ops",
    params: PARAMS,
  });
});

Deno.test("Relay answers room_query for an invalid room name with invalid_room", async () => {
  const relay = newRelay();
  await using peer = await greeted(relay);
  peer.send({ type: "room_query", room: "a room" });
  await peer.expectError("invalid_room", false);
});

Deno.test("Relay creates a room on the first join", async () => {
  const relay = newRelay();
  await using ana = await greeted(relay);
  join(ana, "ana");
  const joined = await ana.expect("joined");
  assert.equal(joined.resumeToken.length, 16);
  assert.deepEqual({ ...joined, resumeToken: null }, {
    type: "joined",
    room: "ops",
    name: "ana",
    lastSeq: 0,
    firstSeq: 1,
    resumeToken: null,
    memberCount: 1,
    members: ["ana"],
  });
});

Deno.test("Relay lets a second member with the same key check join and lists the members", async () => {
  const relay = newRelay();
  await using _ana = await member(relay, "ana");
  await using bob = await greeted(relay);
  join(bob, "bob");
  const joined = await bob.expect("joined");
  assert.equal(joined.resumeToken.length, 16);
  assert.deepEqual({ ...joined, resumeToken: null }, {
    type: "joined",
    room: "ops",
    name: "bob",
    lastSeq: 0,
    firstSeq: 1,
    resumeToken: null,
    memberCount: 2,
    members: ["ana", "bob"],
  });
});

Deno.test("Relay tells members when someone joins", async () => {
  let fakeNow = 1_000_000;
  const relay = newRelay({ now: () => fakeNow });
  await using ana = await member(relay, "ana");
  fakeNow += 5;
  await using _bob = await member(relay, "bob");
  assert.deepEqual(await ana.expect("presence"), {
    type: "presence",
    room: "ops",
    event: "join",
    name: "bob",
    ts: fakeNow,
    reason: "",
  });
});

Deno.test("Relay refuses a wrong key check with wrong_passphrase and keeps the connection", async () => {
  const relay = newRelay();
  await using _ana = await member(relay, "ana");
  await using bob = await greeted(relay);
  join(bob, "bob", { keyCheck: OTHER_KEY_CHECK });
  const error = await bob.expectError("wrong_passphrase", false);
  assert.equal(error.room, "ops");
  join(bob, "bob");
  assert.deepEqual((await bob.expect("joined")).members, ["ana", "bob"]);
});

Deno.test("Relay refuses a name that differs from a member's only in case with name_taken", async () => {
  const relay = newRelay();
  await using _ana = await member(relay, "ana");
  await using other = await greeted(relay);
  join(other, "ANA");
  await other.expectError("name_taken", false);
  join(other, "ana2");
  await other.expect("joined");
});

Deno.test("Relay refuses an invalid name with invalid_name", async () => {
  const relay = newRelay();
  await using peer = await greeted(relay);
  for (const name of ["ana bob", "\x1b[31mred", "a\u202Eb", ""]) {
    join(peer, name);
    await peer.expectError("invalid_name", false);
  }
});

Deno.test("Relay refuses an invalid room name with invalid_room", async () => {
  const relay = newRelay();
  await using peer = await greeted(relay);
  join(peer, "ana", { room: "-ops" });
  await peer.expectError("invalid_room", false);
});

Deno.test("Relay refuses room params below MIN_ITERATIONS with weak_room_params", async () => {
  const relay = newRelay();
  await using peer = await greeted(relay);
  peer.send({
    type: "join",
    room: "ops",
    name: "ana",
    params: { ...PARAMS, iterations: MIN_ITERATIONS - 1 },
    keyCheck: KEY_CHECK,
    catchup: { kind: "history", limit: 0 },
    resumeToken: new Uint8Array(0),
  });
  await peer.expectError("weak_room_params", false);
});

Deno.test("Relay refuses a join with other params than the room's with room_changed", async () => {
  const relay = newRelay();
  await using _ana = await member(relay, "ana");
  await using bob = await greeted(relay);
  bob.send({
    type: "join",
    room: "ops",
    name: "bob",
    params: { ...PARAMS, salt: new Uint8Array(SALT_BYTES) },
    keyCheck: KEY_CHECK,
    catchup: { kind: "history", limit: 0 },
    resumeToken: new Uint8Array(0),
  });
  await bob.expectError("room_changed", false);
});

Deno.test("Relay refuses a second join of the same room with already_joined", async () => {
  const relay = newRelay();
  await using ana = await member(relay, "ana");
  join(ana, "ana2");
  await ana.expectError("already_joined", false);
});

Deno.test("Relay answers who with the member list", async () => {
  const relay = newRelay();
  await using ana = await member(relay, "ana");
  await using _bob = await member(relay, "bob");
  await ana.expect("presence");
  ana.send({ type: "who", room: "ops", offset: 0 });
  assert.deepEqual(await ana.expect("members"), {
    type: "members",
    room: "ops",
    total: 2,
    offset: 0,
    members: ["ana", "bob"],
  });
});

Deno.test("Relay answers ping with a pong carrying the same token", async () => {
  const relay = newRelay();
  await using peer = await greeted(relay);
  peer.send({ type: "ping", token: 2 ** 40 + 3 });
  assert.deepEqual(await peer.expect("pong"), { type: "pong", token: 2 ** 40 + 3 });
});

// ---- messages ----

Deno.test("Relay delivers a sent message to the others and acks it to the sender", async () => {
  let fakeNow = 1_700_000_000_000;
  const relay = newRelay({ now: () => fakeNow });
  await using ana = await member(relay, "ana");
  await using bob = await member(relay, "bob");
  await ana.expect("presence");
  fakeNow += 42;
  const id = messageId(9);
  const sealed = sealedBytes(300, 9);
  ana.send({ type: "send", room: "ops", id, sealed });
  assert.deepEqual(await bob.expect("deliver"), {
    type: "deliver",
    room: "ops",
    seq: 1,
    ts: fakeNow,
    from: "ana",
    id,
    sealed,
  });
  assert.deepEqual(await ana.expect("ack"), { type: "ack", room: "ops", id, seq: 1, ts: fakeNow });
});

Deno.test("Relay numbers a room's messages 1, 2, 3 whoever sends them", async () => {
  const relay = newRelay();
  await using ana = await member(relay, "ana");
  await using bob = await member(relay, "bob");
  await ana.expect("presence");
  const seqs: number[] = [];
  for (const [from, to] of [[ana, bob], [bob, ana], [ana, bob]] as const) {
    const id = messageId(seqs.length + 1);
    from.send({ type: "send", room: "ops", id, sealed: sealedBytes(8, 1) });
    seqs.push((await to.expect("deliver")).seq);
    await from.expect("ack");
  }
  assert.deepEqual(seqs, [1, 2, 3]);
});

Deno.test("Relay acknowledges a repeated message id again without storing or delivering it twice", async () => {
  const relay = newRelay();
  await using ana = await member(relay, "ana");
  await using bob = await member(relay, "bob");
  await ana.expect("presence");
  const id = messageId(7);
  ana.send({ type: "send", room: "ops", id, sealed: sealedBytes(8, 1) });
  ana.send({ type: "send", room: "ops", id, sealed: sealedBytes(8, 1) });
  const first = await ana.expect("ack");
  const second = await ana.expect("ack");
  assert.equal(first.seq, 1);
  assert.deepEqual(second, first, "a retry within the same commit");
  ana.send({ type: "send", room: "ops", id, sealed: sealedBytes(8, 1) });
  assert.deepEqual(await ana.expect("ack"), first, "a retry after the commit");
  assert.equal((await bob.expect("deliver")).seq, 1);
  ana.send({ type: "send", room: "ops", id: messageId(8), sealed: sealedBytes(8, 2) });
  assert.equal((await bob.expect("deliver")).seq, 2, "the retries were not delivered");
});

Deno.test("Relay refuses a send to a room the sender is not in with a not_joined nack", async () => {
  const relay = newRelay();
  await using peer = await greeted(relay);
  peer.send({ type: "send", room: "ops", id: messageId(1), sealed: sealedBytes(8, 1) });
  const nack = await peer.expect("nack");
  assert.equal(nack.code, "not_joined");
  assert.deepEqual(nack.id, messageId(1));
});

Deno.test("Relay tells the others when a member leaves", async () => {
  const relay = newRelay();
  await using ana = await member(relay, "ana");
  await using bob = await member(relay, "bob");
  await ana.expect("presence");
  bob.send({ type: "leave", room: "ops" });
  assert.deepEqual(await bob.expect("left"), { type: "left", room: "ops" });
  const presence = await ana.expect("presence");
  assert.equal(presence.event, "leave");
  assert.equal(presence.name, "bob");
  assert.equal(presence.reason, "quit");
  bob.send({ type: "who", room: "ops", offset: 0 });
  await bob.expectError("not_joined", false);
});

Deno.test("Relay tells the others when a member disconnects", async () => {
  const relay = newRelay();
  await using ana = await member(relay, "ana");
  const bob = await member(relay, "bob");
  await ana.expect("presence");
  await bob[Symbol.asyncDispose]();
  const presence = await ana.expect("presence");
  assert.equal(presence.event, "leave");
  assert.equal(presence.reason, "disconnected");
});

Deno.test("Relay ends a connection that says bye and tells the others it quit", async () => {
  const relay = newRelay();
  await using ana = await member(relay, "ana");
  await using bob = await member(relay, "bob");
  await ana.expect("presence");
  bob.send({ type: "bye" });
  await bob.expectClosed();
  const presence = await ana.expect("presence");
  assert.equal(presence.name, "bob");
  assert.equal(presence.reason, "quit");
});

// ---- bad input hurts only its sender ----

/**
 * Three members of "ops"; `misbehave` breaks the third one's connection. The offender must get a
 * fatal error frame (one of `codes`) and be closed, and the other two must still talk.
 */
async function assertOnlyOffenderEnds(
  misbehave: (offender: Peer) => void,
  codes: readonly string[],
): Promise<void> {
  const relay = newRelay();
  await using ana = await member(relay, "ana");
  await using bob = await member(relay, "bob");
  await using eve = await member(relay, "eve");
  await ana.expect("presence");
  await ana.expect("presence");
  await bob.expect("presence");
  misbehave(eve);
  const error = await eve.expect("error");
  assert.ok(codes.includes(error.code), `unexpected code ${error.code}: ${error.message}`);
  assert.equal(error.fatal, true);
  await eve.expectClosed();
  for (const peer of [ana, bob]) {
    const presence = await peer.expect("presence");
    assert.deepEqual([presence.event, presence.name], ["leave", "eve"]);
  }
  await exchange(ana, bob, 1);
  await exchange(bob, ana, 2);
  assert.equal(relay.connectionCount, 2);
}

Deno.test("Relay ends only the connection that sends random bytes", async () => {
  const random = prng(0xbadbeef);
  // More than a whole frame of the largest size, so the bytes cannot end mid-frame unnoticed.
  const garbage = Uint8Array.from({ length: MAX_FRAME_BYTES + 1024 }, () => random() * 256);
  await assertOnlyOffenderEnds(
    (eve) => eve.server.receiveRaw(garbage),
    ["frame_too_large", "bad_frame", "unknown_frame", "unexpected_frame"],
  );
});

Deno.test("Relay ends only the connection that sends a well-framed body of random bytes", async () => {
  const random = prng(0xf00d);
  const frame = new Uint8Array(4 + 300);
  new DataView(frame.buffer).setUint32(0, 300);
  for (let i = 4; i < frame.length; i++) frame[i] = random() * 256;
  frame[4] = 0x03; // a join, so the random bytes reach the field decoders and name checks
  await assertOnlyOffenderEnds(
    (eve) => eve.server.receiveRaw(frame),
    ["bad_frame", "unknown_frame", "unexpected_frame"],
  );
});

Deno.test("Relay ends only the connection that sends a length prefix over the limit", async () => {
  const prefix = new Uint8Array(4);
  new DataView(prefix.buffer).setUint32(0, MAX_FRAME_BYTES + 1);
  await assertOnlyOffenderEnds((eve) => eve.server.receiveRaw(prefix), ["frame_too_large"]);
});

Deno.test("Relay ends only the connection that sends an unknown frame type", async () => {
  await assertOnlyOffenderEnds(
    (eve) => eve.server.receiveRaw(new Uint8Array([0, 0, 0, 2, 0x3f, 0])),
    ["unknown_frame"],
  );
});

Deno.test("Relay ends only the connection that sends a malformed frame", async () => {
  // A room_query whose string length runs past the end of the frame.
  await assertOnlyOffenderEnds(
    (eve) => eve.server.receiveRaw(new Uint8Array([0, 0, 0, 3, 0x02, 9, 0x61])),
    ["bad_frame"],
  );
});

// ---- deadlines, with an injected clock ----

Deno.test("Relay.sweep() ends a connection with no hello after the handshake deadline", async () => {
  let fakeNow = 50_000;
  const relay = newRelay({ now: () => fakeNow });
  await using peer = new Peer(relay);
  fakeNow += DEFAULT_LIMITS.handshakeTimeoutMs;
  relay.sweep();
  assert.equal(relay.connectionCount, 1, "ended at the deadline rather than after it");
  fakeNow += 1;
  relay.sweep();
  await peer.expectFatal("handshake_timeout");
  assert.equal(relay.connectionCount, 0);
});

Deno.test("Relay.sweep() keeps a greeted connection past the handshake deadline", async () => {
  let fakeNow = 50_000;
  const relay = newRelay({ now: () => fakeNow });
  await using peer = await greeted(relay);
  fakeNow += DEFAULT_LIMITS.handshakeTimeoutMs + 1;
  relay.sweep();
  peer.send({ type: "ping", token: 1 });
  await peer.expect("pong");
  assert.equal(relay.connectionCount, 1);
});

Deno.test("Relay.sweep() ends a member silent past the idle timeout and tells the others", async () => {
  let fakeNow = 50_000;
  const relay = newRelay({ now: () => fakeNow });
  await using ana = await member(relay, "ana");
  await using bob = await member(relay, "bob");
  await ana.expect("presence");
  fakeNow += IDLE_TIMEOUT_MS;
  // Bob pings at the last moment, so only Ana has been silent too long.
  bob.send({ type: "ping", token: 7 });
  await bob.expect("pong");
  relay.sweep();
  assert.equal(relay.connectionCount, 2, "ended at the deadline rather than after it");
  fakeNow += 1;
  relay.sweep();
  await ana.expectFatal("idle_timeout");
  const presence = await bob.expect("presence");
  assert.deepEqual([presence.event, presence.name, presence.reason], ["leave", "ana", "timed_out"]);
  assert.equal(relay.connectionCount, 1);
});

Deno.test("Relay options override the handshake and idle deadlines", async () => {
  let fakeNow = 0;
  const relay = newRelay({
    now: () => fakeNow,
    idleTimeoutMs: 100,
    limits: { handshakeTimeoutMs: 10 },
  });
  await using silent = new Peer(relay);
  await using idle = await greeted(relay);
  fakeNow = 11;
  relay.sweep();
  await silent.expectFatal("handshake_timeout");
  fakeNow = 101;
  relay.sweep();
  await idle.expectFatal("idle_timeout");
});

// ---- bounded queues ----

Deno.test("Relay disconnects a member whose queue is full as a slow consumer", async () => {
  const relay = newRelay();
  await using ana = await member(relay, "ana");
  await using bob = await member(relay, "bob");
  // Room for three deliveries of 300 sealed bytes and not a fourth.
  await using slow = await member(relay, "slow", { maxQueueBytes: 1_200 });
  await ana.expect("presence");
  await ana.expect("presence");
  await bob.expect("presence");
  for (let n = 1; n <= 3; n++) {
    ana.send({ type: "send", room: "ops", id: messageId(n), sealed: sealedBytes(300, n) });
    assert.equal((await bob.expect("deliver")).seq, n);
    await ana.expect("ack");
  }
  assert.ok(slow.conn.unreadBytes > 900, `slow has ${slow.conn.unreadBytes} bytes queued`);
  ana.send({ type: "send", room: "ops", id: messageId(4), sealed: sealedBytes(300, 4) });
  assert.equal((await bob.expect("deliver")).seq, 4);
  // The sender's ack goes out first: the lagging member is ended after the fan-out, not inside it.
  assert.equal((await ana.expect("ack")).seq, 4);
  for (const peer of [ana, bob]) {
    const presence = await peer.expect("presence");
    assert.deepEqual([presence.event, presence.name, presence.reason], [
      "leave",
      "slow",
      "too_slow",
    ]);
  }
  // The slow member finds what fitted in its queue, then the reason it was cut off.
  for (let n = 1; n <= 3; n++) assert.equal((await slow.expect("deliver")).seq, n);
  await slow.expectFatal("slow_consumer");
  await exchange(ana, bob, 5);
});

// ---- shutdown ----

Deno.test("Relay.shutdown() sends every member a fatal server_shutdown error", async () => {
  const relay = newRelay();
  await using ana = await member(relay, "ana");
  await using bob = await member(relay, "bob");
  await using lurker = await greeted(relay);
  await ana.expect("presence");
  await relay.shutdown();
  for (const peer of [ana, bob, lurker]) {
    // A member ended earlier in the shutdown may show up as leaving first.
    let message = await peer.read();
    while (message?.type === "presence") {
      assert.equal(message.event, "leave");
      assert.equal(message.reason, "server_shutdown");
      message = await peer.read();
    }
    assert.ok(message?.type === "error", `expected an error, got ${JSON.stringify(message)}`);
    assert.equal(message.code, "server_shutdown");
    assert.equal(message.fatal, true);
    await peer.expectClosed();
  }
  assert.equal(relay.connectionCount, 0);
});

Deno.test("Relay.accept() after shutdown() refuses with server_shutdown", async () => {
  const relay = newRelay();
  await relay.shutdown();
  await using peer = new Peer(relay);
  await peer.expectFatal("server_shutdown");
});

// ---- the relay cannot read what it relays ----

Deno.test("relay modules never import crypto", async () => {
  for (const file of ["relay.ts", "room.ts", "session.ts"]) {
    const source = await Deno.readTextFile(new URL(`../../relay/${file}`, import.meta.url));
    const imports = source.split("\n").filter((line) => /^\s*(import|export)\b.*from\s/.test(line));
    const specifiers = [...source.matchAll(/from\s+"([^"]+)"/g)].map((match) => match[1]);
    assert.ok(imports.length > 0 || specifiers.length > 0, `${file} has no imports?`);
    for (const specifier of specifiers) {
      assert.doesNotMatch(specifier ?? "", /crypto/, `${file} imports ${specifier}`);
    }
  }
});
