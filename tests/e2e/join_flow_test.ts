/**
 * The join flow from outside, as people and bots meet it: getting a name back after a dropped
 * session, rooms a script must not create by accident, what an interrupt leaves unsent, JSON in
 * and out, defaults, and servers that are not what the user thinks.
 */
import assert from "node:assert/strict";
import { EXIT } from "../../client/errors.ts";
import { joinClient, type JsonEvent, spawnChat, startServer } from "./harness.ts";
import { FakeRelay } from "./fake_relay.ts";

const PASSPHRASE = "orchid-tunnel-marble-seven";

/** A directory for one test, removed after it. */
async function tempDir(): Promise<{ path: string } & AsyncDisposable> {
  const path = await Deno.makeTempDir({ prefix: "chat-e2e-flow-" });
  return { path, [Symbol.asyncDispose]: () => Deno.remove(path, { recursive: true }) };
}

Deno.test("join: rerun after a dropped session, the same user gets the name back at once; others are told it is taken", async () => {
  await using server = await startServer();
  await using home = await tempDir();
  {
    await using first = await joinClient(server.port, "ana", {
      configHome: home.path,
      passphrase: PASSPHRASE,
    });
    await first.writeLine("before the lid closed");
    await first.event((event) => event.type === "ack");
    // The terminal is closed: no leave, no bye; the relay holds the name for this session.
    first.child.kill("SIGKILL");
    await first.child.status;
  }
  await using again = await joinClient(server.port, "ana", {
    configHome: home.path,
    passphrase: PASSPHRASE,
    waitReady: false,
  });
  const ready = await again.event((event) => event.type === "ready" || event.type === "error");
  assert.equal(ready.type, "ready", JSON.stringify(ready));
  assert.equal(ready.name, "ana");

  // Someone else, on another machine (no token of this session): refused.
  await using other = await joinClient(server.port, "ana", {
    passphrase: PASSPHRASE,
    waitReady: false,
  });
  assert.equal((await other.finished()).code, EXIT.refused);
  assert.match(other.stderr.text, /the name "ana" is taken there/);
});

Deno.test("join: a name held for someone else's dropped session says when it frees", async () => {
  await using relay = new FakeRelay();
  const starting = joinClient(relay.port, "ana", { passphrase: PASSPHRASE, waitReady: false });
  const peer = await relay.accept();
  await peer.greet();
  await peer.answerQuery();
  await peer.expect("join");
  await peer.send({
    type: "error",
    code: "name_taken",
    room: "lobby",
    message: "whatever the relay says",
    fatal: false,
    retryAfterMs: 200_000,
  });
  await using client = await starting;
  assert.equal((await client.finished()).code, EXIT.refused);
  assert.match(
    client.stderr.text,
    /the name "ana" is held for a member who dropped; it is free in 4 min, or choose another/,
  );
});

Deno.test("join (pipe): a room that does not exist is refused without --create, and not created", async () => {
  await using server = await startServer();
  await using typo = await joinClient(server.port, "bot", {
    room: "deplys",
    create: false,
    waitReady: false,
    passphrase: PASSPHRASE,
  });
  await typo.writeLine("build 1432 passed");
  await typo.closeInput();
  assert.equal((await typo.finished()).code, EXIT.refused);
  assert.match(typo.stderr.text, /There is no room "deplys" on 127\.0\.0\.1:\d+/);
  assert.match(typo.stderr.text, /add --create to create it/);
  const error = typo.events().find((event) => event.type === "error");
  assert.equal(error?.code, "no_room");
  assert.equal(error?.exit, EXIT.refused);
  // Nothing was created: whoever creates it next is its first member.
  await using creator = await joinClient(server.port, "ops", {
    room: "deplys",
    passphrase: "x y z",
  });
  assert.equal(creator.events().find((event) => event.type === "ready")?.created, true);
});

Deno.test("join (pipe): an interrupt names every line not sent and exits 130", async () => {
  for (const json of [false, true]) {
    await using relay = new FakeRelay();
    const starting = joinClient(relay.port, "ana", { passphrase: PASSPHRASE, json });
    const peer = await relay.accept();
    await peer.admit();
    await using client = await starting;
    await peer.caughtUp("lobby");
    await client.writeLine("first words");
    await client.writeLine("second words");
    // The relay takes both and acknowledges neither.
    await peer.expect("send");
    await peer.expect("send");
    client.child.kill("SIGINT");
    assert.equal((await client.finished()).code, EXIT.interrupted);
    if (json) {
      const unsent = client.events().filter((event) => event.code === "unsent");
      assert.deepEqual(unsent.map((event) => event.line), [1, 2]);
      const fatal = client.events().at(-1)!;
      assert.equal(fatal.code, "interrupted");
      assert.equal(fatal.exit, EXIT.interrupted);
    } else {
      assert.match(client.stderr.text, /Line 1 was not sent: "first words"/);
      assert.match(client.stderr.text, /Line 2 was not sent: "second words"/);
      assert.match(client.stderr.text, /Interrupted; 2 message\(s\) were not sent \(lines 1, 2\)/);
    }
  }
});

Deno.test("join --json-in: refs come back in acks, actions are /me, a bad line is named and exits 6", async () => {
  await using server = await startServer();
  await using bob = await joinClient(server.port, "bob", { passphrase: PASSPHRASE });
  await using bot = await joinClient(server.port, "bot", {
    passphrase: PASSPHRASE,
    args: ["--json-in", "--no-history"],
  });
  await bot.writeLine('{"text": "deploy done", "ref": "r-1"}');
  await bot.writeLine('{"action": "waves", "ref": 2}');
  await bot.writeLine("not json");
  await bot.closeInput();
  assert.equal((await bot.finished()).code, EXIT.notSent);
  const acks = bot.events().filter((event) => event.type === "ack");
  assert.deepEqual(acks.map((event) => event.ref).sort(), [2, "r-1"]);
  assert.ok(acks.every((event) => event.v === 1 && typeof event.seq === "number"));
  const bad = bot.events().find((event) => event.code === "bad_input")!;
  assert.equal(bad.line, 3);
  assert.match(String(bad.message), /Line 3 is not JSON/);
  const said = await bob.event((event) => event.type === "message" && event.kind === "text");
  assert.equal(said.text, "deploy done");
  const action = await bob.event((event) => event.type === "message" && event.kind === "action");
  assert.equal(action.text, "waves");
});

Deno.test("join --json: a fatal error is also a JSON error event, with its exit code", async () => {
  await using server = await startServer();
  await using _owner = await joinClient(server.port, "owner", { room: "r1", passphrase: "right" });
  await using intruder = await joinClient(server.port, "eve", {
    room: "r1",
    passphrase: "wrong",
    waitReady: false,
  });
  assert.equal((await intruder.finished()).code, EXIT.passphrase);
  const last = JSON.parse(intruder.stdout.lines.at(-1)!) as JsonEvent;
  assert.deepEqual(
    { v: last.v, type: last.type, code: last.code, fatal: last.fatal, exit: last.exit },
    { v: 1, type: "error", code: "wrong_passphrase", fatal: true, exit: EXIT.passphrase },
  );
  assert.match(String(last.message), /wrong passphrase/);
});

Deno.test("join: the server, name and room come from the config file, else the name from $USER", async () => {
  await using server = await startServer();
  await using home = await tempDir();
  await Deno.mkdir(`${home.path}/chat`);
  await Deno.writeTextFile(
    `${home.path}/chat/config.json`,
    JSON.stringify({
      server: `127.0.0.1:${server.port}`,
      name: "cfgname",
      room: "cfgroom",
      colour: 1,
    }),
  );
  const env = {
    XDG_CONFIG_HOME: home.path,
    XDG_STATE_HOME: `${home.path}/state`,
    CHAT_PASSPHRASE: PASSPHRASE,
    USER: "zed",
  };
  {
    await using client = await spawnChat(["join", "--json", "--create"], { env });
    const ready = JSON.parse(
      await client.stdout.waitFor((line) => line.includes('"type":"ready"'), 20_000),
    );
    assert.equal(ready.name, "cfgname");
    assert.equal(ready.room, "cfgroom");
    assert.match(
      client.stderr.text,
      /unknown setting "colour" in .*config\.json; did you mean "color"\?/,
    );
  }
  await Deno.remove(`${home.path}/chat/config.json`);
  {
    await using client = await spawnChat(
      ["join", `127.0.0.1:${server.port}`, "--json", "--create"],
      { env },
    );
    const ready = JSON.parse(
      await client.stdout.waitFor((line) => line.includes('"type":"ready"'), 20_000),
    );
    assert.equal(ready.name, "zed");
    assert.match(
      client.stderr.text,
      /joining as "zed" \(your login name\); --name NAME picks another/,
    );
  }
});

Deno.test("join: a web server on the port is named as one", async () => {
  await using web = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    () => new Response("hello"),
  );
  await using client = await joinClient(web.addr.port, "ana", { waitReady: false });
  assert.equal((await client.finished()).code, EXIT.trust);
  assert.match(
    client.stderr.text,
    /^chat: 127\.0\.0\.1:\d+ is a web server, not "chat serve"; check the host and port$/m,
  );
});

Deno.test("serve: a --data file and an address not on this machine are one line each", async () => {
  await using dir = await tempDir();
  const file = `${dir.path}/a-file`;
  await Deno.writeTextFile(file, "");
  const cases: [string[], RegExp][] = [
    [["--data", file], /^chat: --data .*a-file is a file, not a directory: give a directory/],
    [["--data", `${file}/sub`], /^chat: --data .*a-file\/sub is inside a file, not a directory/],
    [
      ["--host", "203.0.113.7", "--data", ":memory:"],
      /^chat: Cannot listen on 203\.0\.113\.7:0: that address is not on this machine; use --host 0\.0\.0\.0/,
    ],
  ];
  for (const [args, message] of cases) {
    await using chat = await spawnChat(["serve", "--port", "0", ...args], { input: false });
    const status = await chat.finished();
    assert.equal(status.code, 1, args.join(" "));
    assert.equal(chat.stderr.lines.length, 1, chat.stderr.text);
    assert.match(chat.stderr.text, message);
  }
});

Deno.test("serve: the join line others are shown matches how the server was started", async () => {
  for (const [runAs, join] of [["", "chat join"], ["deno task", "deno task join"]] as const) {
    await using server = await spawnChat(
      ["serve", "--host", "127.0.0.1", "--port", "0", "--data", ":memory:"],
      { input: false, env: { CHAT_RUN_AS: runAs } },
    );
    const line = await server.stdout.waitFor((text) => text.startsWith("  "));
    assert.match(line, new RegExp(`^  ${join} 127\\.0\\.0\\.1:\\d+ --name NAME$`));
  }
});
