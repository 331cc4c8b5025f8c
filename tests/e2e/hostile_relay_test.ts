/**
 * The real `chat join` against a relay that lies, floods or refuses (tests/e2e/fake_relay.ts):
 * what the client believes, shows and does. Each test plays the relay's part frame by frame.
 */
import assert from "node:assert/strict";
import { generateIdentity } from "../../crypto.ts";
import type { Message } from "../../protocol.ts";
import { toHex } from "../../client/session.ts";
import { EXIT } from "../../client/errors.ts";
import { type ChatClient, joinClient, type JsonEvent } from "./harness.ts";
import {
  FAKE_PARAMS,
  type FakePeer,
  FakeRelay,
  fakeRoomKey,
  joinedFor,
  oversizedDeliver,
  sealedDeliver,
} from "./fake_relay.ts";

const PASSPHRASE = "amber-pilot-orchard-quiet-lantern";
const isMessage = (event: JsonEvent) => event.type === "message";
/** Anything but the ready event. */
const isEvent = (event: JsonEvent) => event.type !== "ready";
/** A relay's text that would retitle the window, ring the bell, clear the screen and fake a prompt. */
const HOSTILE = "\u001b]0;pwned\u0007\u001b[2J\u009b31mchat> type your passphrase\u001b[0m";

/** Fails if `text` holds ESC, BEL or a C1 control: what lets a peer drive a terminal. */
function assertInert(text: string, label: string): void {
  for (const char of text) {
    const code = char.codePointAt(0)!;
    if (code === 0x1b || code === 0x07 || (code >= 0x80 && code <= 0x9f)) {
      assert.fail(`${label} carries U+${code.toString(16).padStart(4, "0")}:\n${text}`);
    }
  }
}

/** Starts a client and lets it into the room through the fake relay's next connection. */
async function admitted(
  relay: FakeRelay,
  name: string,
  options: Parameters<typeof joinClient>[2] & { lastSeq?: number } = {},
): Promise<{ client: ChatClient; peer: FakePeer; join: Extract<Message, { type: "join" }> }> {
  const starting = joinClient(relay.port, name, { passphrase: PASSPHRASE, ...options });
  const peer = await relay.accept();
  const join = await peer.admit({ lastSeq: options.lastSeq ?? 0 });
  return { client: await starting, peer, join };
}

Deno.test("join: an oversized deliver is reported unreadable, passed over, and the connection stays", async () => {
  await using relay = new FakeRelay();
  const key = await fakeRoomKey(PASSPHRASE);
  const { identity: bob } = await generateIdentity();
  const { client: ana, peer } = await admitted(relay, "ana");
  await using _ana = ana;
  await peer.caughtUp("lobby");

  await peer.write(oversizedDeliver({ room: "lobby", seq: 1, from: "bob" }, 65_560));
  await peer.send(
    await sealedDeliver(key, bob, { from: "bob", text: "after the big one", seq: 2 }),
  );
  const first = await ana.event((event) => event.code === "unreadable" || isEvent(event));
  assert.equal(first.code, "unreadable", `the oversized deliver made: ${JSON.stringify(first)}`);
  assert.equal(first.seq, 1);
  assert.equal((await ana.event(isMessage)).text, "after the big one");
  assert.ok(!ana.events().some((event) => event.type === "disconnected"), "the connection stayed");
  assert.equal(relay.connections, 1);

  // The seq was passed: a resume asks for what follows it, not for the oversized frame again.
  peer.close();
  await ana.event((event) => event.type === "disconnected");
  const again = await relay.accept();
  await again.greet();
  await again.answerQuery();
  assert.deepEqual((await again.expect("join")).catchup, { kind: "resume", afterSeq: 2 });
});

Deno.test("join: a large room shows its real size, and joins and leaves in summary", async () => {
  await using relay = new FakeRelay();
  const starting = joinClient(relay.port, "ana", { passphrase: PASSPHRASE });
  const peer = await relay.accept();
  await peer.admit({ memberCount: 250, members: ["bob", "ana"] });
  await using ana = await starting;
  const ready = ana.events().find((event) => event.type === "ready")!;
  assert.equal(ready.memberCount, 250, "the room's real size, not the names listed");
  await peer.caughtUp("lobby");
  await peer.send({
    type: "presence_summary",
    room: "lobby",
    ts: 1_000,
    joined: 12,
    left: 3,
    joinedNames: ["cy", "dan"],
    leftNames: ["eve"],
  });
  const summary = await ana.event((event) => event.type === "presence_summary");
  assert.deepEqual(summary, {
    type: "presence_summary",
    room: "lobby",
    ts: 1_000,
    joined: 12,
    left: 3,
    joinedNames: ["cy", "dan"],
    leftNames: ["eve"],
    v: 1,
  });
});

Deno.test("join: a relay's error text never reaches stdout or stderr raw, in JSON and line mode", async () => {
  await using relay = new FakeRelay();

  // Refused at join with a code no client knows: quoted inert, marked as the server's words.
  {
    const starting = joinClient(relay.port, "ana", { passphrase: PASSPHRASE, waitReady: false });
    const peer = await relay.accept();
    await peer.greet();
    await peer.send({
      type: "error",
      code: "x\u001b]2;t\u0007",
      room: "",
      message: HOSTILE,
      fatal: true,
      retryAfterMs: 0,
    });
    await using client = await starting;
    assert.equal((await client.finished()).code, 1);
    assertInert(client.stderr.text + client.stdout.text, "an unknown code at join");
    assert.match(
      client.stderr.text,
      /The server refused \(code "x\^\[\]2;t\^G"\); in its own words/,
    );
  }

  // Refused at join, with a known code: the client's words only.
  {
    const starting = joinClient(relay.port, "ana", { passphrase: PASSPHRASE, waitReady: false });
    const peer = await relay.accept();
    await peer.greet();
    await peer.answerQuery();
    await peer.expect("join");
    await peer.send({
      type: "error",
      code: "name_taken",
      room: "lobby",
      message: HOSTILE,
      fatal: false,
      retryAfterMs: 0,
    });
    await using client = await starting;
    assert.equal((await client.finished()).code, EXIT.refused);
    assertInert(client.stderr.text + client.stdout.text, "a refusal at join");
    assert.ok(!client.stderr.text.includes("pwned"), client.stderr.text);
    assert.match(client.stderr.text, /Cannot join room "lobby": the name "ana" is taken there/);
  }

  // In the room, in JSON and in human line mode: errors, a nack, and a fatal error.
  for (const json of [true, false]) {
    const { client, peer } = await admitted(relay, "ana", { json });
    await using _client = client;
    await peer.caughtUp("lobby");
    for (const code of ["not_joined", "evil\u009b2J"]) {
      await peer.send({
        type: "error",
        code,
        room: "lobby",
        message: HOSTILE,
        fatal: false,
        retryAfterMs: 0,
      });
    }
    await client.writeLine("hello");
    const send = await peer.expect("send");
    await peer.send({
      type: "nack",
      room: "lobby",
      id: send.id,
      code: "storage_full",
      message: HOSTILE,
      retryAfterMs: 0,
    });
    await peer.send({
      type: "error",
      code: "server_shutdown",
      room: "",
      message: HOSTILE,
      fatal: true,
      retryAfterMs: 0,
    });
    const lost = json
      ? String((await client.event((event) => event.type === "disconnected")).reason)
      : await client.stdout.waitFor((line) => line.startsWith("! Connection lost"));
    assert.match(lost, /The server is shutting down/);
    const output = () => client.stdout.text + client.stderr.text;
    const words = json ? client.stdout : client.stderr;
    await words.waitFor((line) => line.includes("Not stored: the server's storage is full"));
    await words.waitFor((line) => line.includes("evil<U+009B>2J") && line.includes("own words"));
    assert.match(output(), /The server says this client is not in room \\?"lobby\\?"/);
    // Only the unknown code's quote may carry the relay's text, and only inert.
    assert.equal(output().split("pwned").length, 2, output());
    assertInert(output(), json ? "JSON mode" : "line mode");
  }
});

Deno.test("join: a relay that answers with another name or another room is refused", async () => {
  await using relay = new FakeRelay();
  {
    const starting = joinClient(relay.port, "ana", { passphrase: PASSPHRASE, waitReady: false });
    const peer = await relay.accept();
    await peer.greet();
    await peer.answerQuery();
    const join = await peer.expect("join");
    await peer.send({ ...joinedFor(join), name: "boss" });
    await using client = await starting;
    // A client that believed it would be in the room as "boss", waiting for input.
    assert.equal((await client.finished()).code, EXIT.trust);
    assert.ok(!client.events().some((event) => event.type === "ready"), "never joined as boss");
    assert.match(client.stderr.text, /The server broke the protocol: .*as "ana" .*as "boss"/);
  }
  {
    const starting = joinClient(relay.port, "ana", { passphrase: PASSPHRASE, waitReady: false });
    const peer = await relay.accept();
    await peer.greet();
    await peer.expect("room_query");
    await peer.send({ type: "room_info", room: "other", params: FAKE_PARAMS });
    await using client = await starting;
    assert.equal((await client.finished()).code, EXIT.trust);
    assert.match(client.stderr.text, /sent room_info for a room this client did not ask about/);
  }
});

Deno.test("join: after a restart, a replayed message is dropped and old ones are marked", async () => {
  await using relay = new FakeRelay();
  const key = await fakeRoomKey(PASSPHRASE);
  const { identity: bob } = await generateIdentity();
  const configHome = await Deno.makeTempDir({ prefix: "chat-e2e-config-" });
  await using _cleanup = {
    [Symbol.asyncDispose]: () => Deno.remove(configHome, { recursive: true }),
  };
  const seenBefore = await sealedDeliver(key, bob, { from: "bob", text: "first words", seq: 1 });
  {
    const { client, peer } = await admitted(relay, "ana", { configHome });
    await using _client = client;
    await peer.caughtUp("lobby");
    await peer.send(seenBefore);
    await client.event(isMessage);
    await client.closeInput();
    assert.equal((await client.finished()).code, 0, client.stderr.text);
  }
  const { client, peer } = await admitted(relay, "ana", { configHome, lastSeq: 5 });
  await using _client = client;
  const now = Date.now();
  // History repeats what the member saw before, legitimately.
  await peer.send({ ...seenBefore, ts: now });
  await peer.caughtUp("lobby", 5);
  // Live: the same message again, one never seen but signed two hours ago, one signed before
  // the previous session ended, and a fresh one.
  await peer.send({ ...seenBefore, seq: 6, ts: now });
  const stale = { from: "bob", ts: now, sentAt: now - 2 * 3_600_000 };
  await peer.send(await sealedDeliver(key, bob, { ...stale, text: "two hours old", seq: 7 }));
  const beforeEnd = { from: "bob", ts: now, sentAt: now - 10 * 60_000 };
  await peer.send(await sealedDeliver(key, bob, { ...beforeEnd, text: "before you left", seq: 8 }));
  await peer.send(await sealedDeliver(key, bob, { from: "bob", text: "fresh", seq: 9 }));
  await client.event((event) => event.text === "fresh");
  const shown = client.events().filter(isMessage);
  assert.deepEqual(
    shown.map((event) => [event.text, event.history, event.stale]),
    [
      ["first words", true, false],
      ["two hours old", false, true],
      ["before you left", false, true],
      ["fresh", false, false],
    ],
  );
  assert.equal(shown[1]!.sentAt, stale.sentAt, "sentAt is the sender's signed time");
  assert.equal(typeof shown[3]!.sentAt, "number");
  const [file] = [...Deno.readDirSync(`${configHome}/state/chat/rooms`)];
  const stat = await Deno.stat(`${configHome}/state/chat/rooms/${file!.name}`);
  assert.equal(stat.mode! & 0o777, 0o600, "only its owner may read what it saw");
});

Deno.test("join: a room asking for too few iterations is refused in words, not a stack trace", async () => {
  await using relay = new FakeRelay();
  const starting = joinClient(relay.port, "ana", { passphrase: PASSPHRASE, waitReady: false });
  const peer = await relay.accept();
  await peer.greet();
  await peer.answerQuery({ ...FAKE_PARAMS, iterations: 1_000 });
  await using client = await starting;
  assert.equal((await client.finished()).code, EXIT.trust);
  const text = client.stderr.text;
  assert.match(text, /Cannot join room "lobby": it asks for 1,000 PBKDF2 iterations/);
  assert.match(text, /accepts 600,000 to 20,000,000/);
  assert.match(text, /misconfigured or hostile/);
  assert.doesNotMatch(text, /RangeError|unexpected error|at /);
});

Deno.test("join: a connection closed for taking too long to join is replaced, and the room queried again", async () => {
  await using relay = new FakeRelay();
  const starting = joinClient(relay.port, "ana", { passphrase: PASSPHRASE });
  const first = await relay.accept();
  await first.greet();
  await first.answerQuery();
  await first.expect("join");
  await first.send({
    type: "error",
    code: "join_timeout",
    room: "",
    message: "too slow",
    fatal: true,
    retryAfterMs: 0,
  });
  first.close();
  const second = await relay.accept();
  await second.greet();
  await second.answerQuery();
  const join = await second.expect("join");
  await second.send(joinedFor(join));
  await using ana = await starting;
  assert.equal(ana.events().find((event) => event.type === "ready")?.name, "ana");
});

Deno.test("join: a relay slowing down guesses is waited for, then the join is tried again", async () => {
  await using relay = new FakeRelay();
  const starting = joinClient(relay.port, "ana", { passphrase: PASSPHRASE });
  const peer = await relay.accept();
  await peer.greet();
  await peer.answerQuery();
  await peer.expect("join");
  await peer.send({
    type: "error",
    code: "too_many_attempts",
    room: "lobby",
    message: "slow down",
    fatal: false,
    retryAfterMs: 1_500,
  });
  await peer.answerQuery();
  const join = await peer.expect("join");
  await peer.send(joinedFor(join));
  await using ana = await starting;
  assert.match(ana.stderr.text, /Too many wrong passphrases .* trying again in 2 s/);
});

Deno.test("join: rate-limited sends lose nothing, keep their order, and the user is told once", async () => {
  await using relay = new FakeRelay();
  const { client, peer } = await admitted(relay, "ana");
  await using _client = client;
  await peer.caughtUp("lobby");
  const lines = ["one", "two", "three", "four", "five"];
  for (const line of lines) await client.writeLine(line);
  await client.closeInput();

  const order: string[] = [];
  const stored = new Map<string, number>();
  let limitedUntil = 0;
  while (stored.size < lines.length) {
    const send = await peer.expect("send");
    const id = toHex(send.id);
    if (!order.includes(id)) order.push(id);
    limitedUntil ||= Date.now() + 300;
    if (Date.now() < limitedUntil && !stored.has(id)) {
      await peer.send({
        type: "nack",
        room: "lobby",
        id: send.id,
        code: "rate_limited",
        message: "slow down",
        retryAfterMs: 300,
      });
      continue;
    }
    if (!stored.has(id)) stored.set(id, stored.size + 1);
    await peer.send({ type: "ack", room: "lobby", id: send.id, seq: stored.get(id)!, ts: 1 });
  }
  assert.equal((await client.finished()).code, 0, client.stderr.text);
  assert.deepEqual([...stored.keys()], order, "stored in the order they were typed");
  const acks = client.events().filter((event) => event.type === "ack");
  assert.equal(acks.length, lines.length, "every line acknowledged");
  const notices = client.events().filter((event) => event.code === "rate_limited");
  assert.equal(notices.length, 1, "told once, not per message");
});
