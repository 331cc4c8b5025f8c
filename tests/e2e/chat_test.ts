/**
 * End-to-end: a real server process and real client processes on loopback, asserting on what a
 * user (or a script reading --json) sees.
 */
import assert from "node:assert/strict";
import { PROTOCOL_VERSION } from "../../protocol.ts";
import { EXIT } from "../../client/errors.ts";
import { joinClient, RawPeer, spawnChat, startServer } from "./harness.ts";
import { TestProxy } from "./proxy.ts";

Deno.test("join: three members exchange messages and see joins and leaves", async () => {
  await using server = await startServer();
  await using ana = await joinClient(server.port, "ana");
  await using bob = await joinClient(server.port, "bob");
  await using cy = await joinClient(server.port, "cy");
  const ready = cy.events().find((event) => event.type === "ready")!;
  assert.deepEqual(ready.members, ["ana", "bob", "cy"]);
  assert.equal(ready.room, "lobby");
  await ana.event((event) => event.type === "join" && event.from === "cy");

  await ana.writeLine("hello from ana");
  for (const receiver of [bob, cy]) {
    const message = await receiver.event((event) => event.type === "message");
    assert.equal(message.from, "ana");
    assert.equal(message.text, "hello from ana");
    assert.equal(message.seq, 1);
    assert.equal(typeof message.ts, "number");
    assert.match(String(message.id), /^[0-9a-f]{32}$/);
  }
  const ack = await ana.event((event) => event.type === "ack");
  assert.equal(ack.seq, 1);

  await bob.writeLine("and bob");
  const fromBob = await cy.event((event) => event.type === "message" && event.from === "bob");
  assert.equal(fromBob.seq, 2);
  assert.equal(
    (await ana.event((event) => event.type === "message")).text,
    "and bob",
  );

  await cy.closeInput();
  assert.equal((await cy.finished()).code, 0);
  const leave = await ana.event((event) => event.type === "leave" && event.from === "cy");
  assert.equal(leave.reason, "quit");
  await bob.event((event) => event.type === "leave" && event.from === "cy");
  assert.ok(!ana.events().some((event) => event.type === "message" && event.from === "ana"));
});

Deno.test("join: a wrong passphrase is refused with a clear message", async () => {
  await using server = await startServer();
  await using owner = await joinClient(server.port, "owner", { room: "r1", passphrase: "right" });
  await using intruder = await joinClient(server.port, "eve", {
    room: "r1",
    passphrase: "wrong",
    waitReady: false,
  });
  const status = await intruder.finished();
  assert.equal(status.code, EXIT.passphrase);
  assert.match(intruder.stderr.text, /Cannot join room "r1": wrong passphrase/);
  assert.match(intruder.stderr.text, /someone else may have created it first/);
  assert.ok(!owner.events().some((event) => event.type === "join"));
});

Deno.test("join: a taken name is refused, whatever its case", async () => {
  await using server = await startServer();
  await using first = await joinClient(server.port, "ana");
  await using second = await joinClient(server.port, "ANA", { waitReady: false });
  assert.equal((await second.finished()).code, EXIT.refused);
  assert.match(second.stderr.text, /Cannot join room "lobby": the name "ANA" is taken there/);
  await first.writeLine("still here");
  await first.event((event) => event.type === "ack");
});

Deno.test("join: an invalid name is a usage error", async () => {
  await using client = await spawnChat(["join", "127.0.0.1:1", "--name", "bad\u001b[31mname"], {
    env: { CHAT_PASSPHRASE: "x" },
  });
  const status = await client.finished();
  assert.equal(status.code, 2);
  assert.match(client.stderr.text, /Invalid name/);
  assert.match(client.stderr.text, /Run "chat join --help"/);
});

Deno.test("join: an unreachable server is a one-line error", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  await using client = await spawnChat(["join", `127.0.0.1:${port}`, "--name", "ana"], {
    env: { CHAT_PASSPHRASE: "x" },
  });
  assert.equal((await client.finished()).code, EXIT.network);
  assert.match(client.stderr.text, /^chat: Cannot reach 127\.0\.0\.1:\d+: connection refused/);
});

Deno.test("serve: bad input ends only the offending connection", async () => {
  await using server = await startServer();
  await using ana = await joinClient(server.port, "ana");
  await using bob = await joinClient(server.port, "bob");

  const attacks: [string, Uint8Array, string | null][] = [
    ["random bytes", crypto.getRandomValues(new Uint8Array(4096)), null],
    ["a length over the limit", new Uint8Array([0x7f, 0xff, 0xff, 0xff, 1]), "frame_too_large"],
    ["an unknown frame type", new Uint8Array([0, 0, 0, 1, 0x3e]), "unknown_frame"],
    ["a truncated frame", new Uint8Array([0, 0, 0, 40, 0x01, 0, 1]), null],
  ];
  for (const [label, bytes, code] of attacks) {
    using peer = await RawPeer.connect(server.port);
    await peer.send({
      type: "hello",
      minVersion: PROTOCOL_VERSION,
      maxVersion: PROTOCOL_VERSION,
      software: "attacker",
    });
    assert.equal((await peer.next())?.type, "welcome", label);
    await peer.write(bytes);
    await peer.conn.closeWrite();
    const replies = await peer.drain();
    if (code) {
      const error = replies.find((message) => message.type === "error");
      assert.ok(error && error.type === "error" && error.fatal, `${label}: fatal error frame`);
      assert.equal(error.code, code, label);
    }

    await ana.writeLine(`after ${label}`);
    const received = await bob.event((event) => event.text === `after ${label}`);
    assert.equal(received.from, "ana");
  }
  assert.match(server.stdout.text, /protocol error: frame_too_large/);
  assert.match(server.stdout.text, /protocol error: unknown_frame/);
});

Deno.test("serve: a client speaking another protocol version is told so", async () => {
  await using server = await startServer();
  using peer = await RawPeer.connect(server.port);
  await peer.send({ type: "hello", minVersion: 99, maxVersion: 99, software: "future" });
  const reply = await peer.next();
  assert.ok(reply?.type === "error");
  assert.equal(reply.code, "version_mismatch");
  assert.match(reply.message, new RegExp(`protocol version ${PROTOCOL_VERSION}`));
  assert.equal(await peer.next(), null);
});

Deno.test("serve: SIGTERM tells members, and the server exits 0", async () => {
  await using server = await startServer();
  await using ana = await joinClient(server.port, "ana");
  const status = await server.stop();
  assert.equal(status.code, 0);
  const lost = await ana.event((event) => event.type === "disconnected");
  assert.match(String(lost.reason), /shutting down/);
  assert.match(server.stdout.text, /SIGTERM: telling members and shutting down/);
});

Deno.test("join: neither the wire nor the server's log carries plaintext or the passphrase", async () => {
  const secret = "the eagle lands at midnight";
  const passphrase = "plum orbit canvas lantern";
  await using server = await startServer();
  await using proxy = new TestProxy(server.port);
  await using ana = await joinClient(proxy.port, "ana", { passphrase, room: "ops" });
  await using bob = await joinClient(proxy.port, "bob", { passphrase, room: "ops" });
  await ana.writeLine(secret);
  assert.equal((await bob.event((event) => event.type === "message")).text, secret);
  await ana.closeInput();
  await bob.closeInput();
  assert.equal((await ana.finished()).code, 0);
  assert.equal((await bob.finished()).code, 0);

  const wire = proxy.recorded();
  assert.ok(wire.length > 200, "the proxy recorded the session");
  const latin1 = new TextDecoder("latin1").decode(wire);
  assert.ok(latin1.includes("ana"), "names are visible to the relay, as documented");
  for (const text of [secret, "eagle", passphrase, "plum orbit"]) {
    assert.ok(!latin1.includes(text), `"${text}" on the wire`);
    assert.ok(!server.stdout.text.includes(text), `"${text}" in the server's output`);
    assert.ok(!server.stderr.text.includes(text), `"${text}" in the server's errors`);
  }
});
