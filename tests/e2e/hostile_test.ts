/**
 * Raw sockets against the real relay with its default limits: what an attacker who can connect,
 * or a member who misbehaves, tried in issue 8, and what happens now. Loopback only; every loop
 * is bounded.
 */
import assert from "node:assert/strict";
import {
  CURRENT_KDF,
  KEY_CHECK_BYTES,
  type Message,
  MESSAGE_ID_BYTES,
  MIN_ITERATIONS,
  PROTOCOL_VERSION,
  type RoomParams,
  SALT_BYTES,
} from "../../protocol.ts";
import { joinClient, RawPeer, spawnChat, startServer } from "./harness.ts";

const PARAMS: RoomParams = {
  salt: new Uint8Array(SALT_BYTES).fill(5),
  iterations: MIN_ITERATIONS,
  kdf: CURRENT_KDF,
};

async function greet(port: number): Promise<RawPeer> {
  const peer = await RawPeer.connect(port);
  await peer.send({
    type: "hello",
    minVersion: PROTOCOL_VERSION,
    maxVersion: PROTOCOL_VERSION,
    software: "attacker",
  });
  assert.equal((await peer.next())?.type, "welcome");
  return peer;
}

/** The next message that is not presence, or null at the end. */
async function nextReply(peer: RawPeer): Promise<Message | null> {
  for (;;) {
    const message = await peer.next();
    if (message?.type !== "presence" && message?.type !== "presence_summary") return message;
  }
}

async function joinRaw(
  peer: RawPeer,
  room: string,
  name: string,
  keyCheck = new Uint8Array(KEY_CHECK_BYTES).fill(1),
  params = PARAMS,
): Promise<Message | null> {
  await peer.send({
    type: "join",
    room,
    name,
    params,
    keyCheck,
    catchup: { kind: "history", limit: 0 },
    resumeToken: new Uint8Array(0),
  });
  const reply = await nextReply(peer);
  if (reply?.type === "joined") assert.equal((await nextReply(peer))?.type, "caught_up");
  return reply;
}

function id(n: number): Uint8Array {
  return new Uint8Array(MESSAGE_ID_BYTES).fill(n);
}

Deno.test("serve: one oversized message is refused; the room keeps working for its members", async () => {
  await using server = await startServer();
  await using reader = await joinClient(server.port, "reader", { args: ["--no-history"] });
  const info = await (async () => {
    using probe = await greet(server.port);
    await probe.send({ type: "room_query", room: "lobby" });
    return await probe.next();
  })();
  assert.ok(info?.type === "room_info" && info.params);
  // A member who knows the passphrase would send a valid key check; the relay cannot tell, so a
  // member of a room of its own shows the same: the largest frame a client may send.
  using member = await greet(server.port);
  assert.equal((await joinRaw(member, "junk", "mallory"))?.type, "joined");
  await member.send({ type: "send", room: "junk", id: id(1), sealed: new Uint8Array(65_514) });
  const reply = await nextReply(member);
  assert.ok(reply?.type === "nack" && reply.code === "message_too_large", JSON.stringify(reply));
  await member.send({ type: "send", room: "junk", id: id(2), sealed: new Uint8Array(100) });
  assert.equal((await nextReply(member))?.type, "ack", "the connection stays usable");
  await using writer = await joinClient(server.port, "writer", { args: ["--no-history"] });
  await writer.writeLine("after the junk");
  assert.equal((await reader.event((event) => event.type === "message")).text, "after the junk");
  assert.ok(!reader.events().some((event) => event.type === "disconnected"));
});

Deno.test("serve: wrong passphrases close the connection after 3 and slow the address after 5", async () => {
  await using server = await startServer();
  await using _owner = await joinClient(server.port, "owner");
  let answered = 0;
  {
    using guesser = await greet(server.port);
    await guesser.send({ type: "room_query", room: "lobby" });
    const info = await guesser.next();
    assert.ok(info?.type === "room_info" && info.params);
    for (let i = 0; i < 2; i++) {
      const reply = await joinRaw(guesser, "lobby", "mallory", undefined, info.params);
      assert.ok(reply?.type === "error" && reply.code === "wrong_passphrase" && !reply.fatal);
      answered++;
    }
    const last = await joinRaw(guesser, "lobby", "mallory", undefined, info.params);
    assert.ok(last?.type === "error" && last.code === "too_many_attempts" && last.fatal);
    answered++;
    assert.equal(await guesser.next(), null, "closed");
  }
  {
    using again = await greet(server.port);
    await again.send({ type: "room_query", room: "lobby" });
    const info = await again.next();
    assert.ok(info?.type === "room_info" && info.params);
    for (; answered < 5; answered++) {
      const reply = await joinRaw(again, "lobby", "mallory", undefined, info.params);
      assert.ok(reply?.type === "error" && reply.code === "wrong_passphrase");
    }
    // The sixth is still judged (and is this connection's third, so it is closed).
    const sixth = await joinRaw(again, "lobby", "mallory", undefined, info.params);
    assert.ok(sixth?.type === "error" && sixth.code === "too_many_attempts" && sixth.fatal);
  }
  using third = await greet(server.port);
  await third.send({ type: "room_query", room: "lobby" });
  const info = await third.next();
  assert.ok(info?.type === "room_info" && info.params);
  // Now the address waits, whatever it sends: no verdict, so no information.
  const refused = await joinRaw(third, "lobby", "mallory", undefined, info.params);
  assert.ok(
    refused?.type === "error" && refused.code === "too_many_attempts" && !refused.fatal &&
      refused.retryAfterMs > 0,
    JSON.stringify(refused),
  );
  const log = server.stdout.text;
  assert.equal(
    log.match(/wrong passphrase for "lobby"/g)?.length,
    1,
    "one log line, then summaries",
  );
});

Deno.test("serve: a connection that never joins is closed at the join deadline", async () => {
  await using server = await startServer({ args: ["--join-timeout", "1"] });
  using idle = await greet(server.port);
  const started = Date.now();
  let reply: Message | null;
  for (let ping = 1;; ping++) {
    await idle.send({ type: "ping", token: ping });
    reply = await idle.next(4_000);
    if (reply?.type !== "pong") break;
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.ok(Date.now() - started < 4_000, "still open after 4 s");
  }
  assert.ok(reply?.type === "error" && reply.code === "join_timeout" && reply.fatal);
});

Deno.test("serve: a member sending flat out is told to wait once past its burst", async () => {
  await using server = await startServer();
  using member = await greet(server.port);
  assert.equal((await joinRaw(member, "flood", "mallory"))?.type, "joined");
  const total = 200;
  for (let n = 1; n <= total; n++) {
    await member.send({ type: "send", room: "flood", id: id(n), sealed: new Uint8Array(200) });
  }
  const codes = new Map<string, number>();
  for (let n = 0; n < total; n++) {
    const reply = await nextReply(member);
    const key = reply?.type === "nack" ? `nack ${reply.code}` : String(reply?.type);
    codes.set(key, (codes.get(key) ?? 0) + 1);
  }
  assert.equal(codes.get("ack"), 50, "the burst: 5 seconds' worth at 10 a second");
  assert.equal(codes.get("nack rate_limited"), total - 50);
});

Deno.test("serve: one address creates only so many rooms; an allowlist stops the rest", async () => {
  {
    await using server = await startServer();
    using squatter = await greet(server.port);
    for (let i = 0; i < 10; i++) {
      assert.equal((await joinRaw(squatter, `room${i}`, "mallory"))?.type, "joined");
    }
    const refused = await joinRaw(squatter, "room10", "mallory");
    assert.ok(refused?.type === "error" && refused.code === "too_many_rooms");
    assert.ok(refused.retryAfterMs > 60_000);
  }
  await using server = await startServer({ args: ["--rooms", "lobby,ops"] });
  using peer = await greet(server.port);
  const refused = await joinRaw(peer, "elsewhere", "ana");
  assert.ok(refused?.type === "error" && refused.code === "room_not_allowed");
  assert.equal((await joinRaw(peer, "ops", "ana"))?.type, "joined");
});

Deno.test("chat rooms: list and drop a squatted room while the relay runs", async () => {
  await using server = await startServer();
  const dataDir = server.ownDataDir!;
  using squatter = await greet(server.port);
  assert.equal((await joinRaw(squatter, "lobby", "mallory"))?.type, "joined");
  await using list = await spawnChat(["rooms", "list", "--data", dataDir], { input: false });
  assert.equal((await list.finished()).code, 0);
  assert.match(list.stdout.text, /^ROOM\s+MESSAGES\s+STORED/m);
  assert.match(list.stdout.text, /^lobby\s+0\s+0 B/m);
  await using drop = await spawnChat(["rooms", "drop", "Lobby", "--data", dataDir], {
    input: false,
  });
  assert.equal((await drop.finished()).code, 0, drop.stderr.text);
  assert.match(drop.stdout.text, /dropped room "lobby"/);
  const told = await nextReply(squatter);
  assert.ok(told?.type === "error" && told.code === "room_dropped");
  await using ana = await joinClient(server.port, "ana", { passphrase: "the real one, at last" });
  assert.equal((await ana.event((event) => event.type === "ready")).created, true);
  await using missing = await spawnChat(["rooms", "drop", "nowhere", "--data", dataDir], {
    input: false,
  });
  assert.equal((await missing.finished()).code, 1);
  assert.match(missing.stderr.text, /There is no room "nowhere"/);
});

Deno.test("serve: the database is owner-only, and a readable data directory is reported", async () => {
  if (Deno.build.os === "windows") return;
  const dataDir = await Deno.makeTempDir({ prefix: "chat-e2e-" });
  try {
    Deno.chmodSync(dataDir, 0o755);
    await using server = await startServer({ dataDir });
    await server.stdout.waitFor((line) => line.startsWith("messages stored in"));
    await server.stdout.waitFor((line) => /can be read by other users \(mode 755\)/.test(line));
    using peer = await greet(server.port);
    assert.equal((await joinRaw(peer, "ops", "ana"))?.type, "joined");
    await peer.send({ type: "send", room: "ops", id: id(1), sealed: new Uint8Array(10) });
    assert.equal((await nextReply(peer))?.type, "ack");
    for (const name of ["chat.db", "chat.db-wal", "chat.db-shm"]) {
      assert.equal(Deno.statSync(`${dataDir}/${name}`).mode! & 0o777, 0o600, name);
    }
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("join: a bot piping lines faster than the send rate loses nothing and keeps order", async () => {
  await using server = await startServer();
  await using reader = await joinClient(server.port, "reader", { args: ["--no-history"] });
  await using bot = await joinClient(server.port, "bot", { args: ["--no-history"] });
  const lines = 80;
  for (let n = 1; n <= lines; n++) await bot.writeLine(`line ${n}`);
  await bot.closeInput();
  assert.equal((await bot.finished(30_000)).code, 0, bot.stderr.text);
  await reader.count((event) => event.type === "message", lines, 30_000);
  const texts = reader.events().filter((event) => event.type === "message").map((e) => e.text);
  assert.deepEqual(texts, Array.from({ length: lines }, (_, i) => `line ${i + 1}`));
  const told = bot.events().filter((event) => event.code === "rate_limited");
  assert.equal(told.length, 1, "the bot is told once that it is being slowed down");
});
