/**
 * Nothing acknowledged is lost: real server and client processes, a server killed with SIGKILL
 * and restarted, a proxy that cuts connections at random points. Every receiver must end with
 * every acknowledged message exactly once, in sequence order. The tests print their counts.
 */
import assert from "node:assert/strict";
import { type ChatClient, joinClient, type JsonEvent, spawnChat, startServer } from "./harness.ts";
import { TestProxy } from "./proxy.ts";
import { prng } from "../prng.ts";

const isMessage = (event: JsonEvent) => event.type === "message";
/**
 * These tests push hundreds of messages through as fast as pipes go, to test durability, not the
 * send rate limits (tested on their own), which would only make them slow.
 */
const UNLIMITED_SENDS = ["--send-rate", "0", "--send-kbps", "0", "--ip-mb-per-hour", "0"];

/** Joins `count` senders, then has each send `perSender` numbered lines and close its input. */
async function startSenders(port: number, count: number, perSender: number) {
  const senders: ChatClient[] = [];
  for (let s = 1; s <= count; s++) {
    senders.push(await joinClient(port, `sender${s}`, { args: ["--no-history"] }));
  }
  const writing = senders.map(async (sender, index) => {
    for (let n = 1; n <= perSender; n++) {
      await sender.writeLine(`s${index + 1}-${String(n).padStart(4, "0")}`);
    }
    await sender.closeInput();
  });
  return { senders, writing: Promise.all(writing) };
}

/** Checks a receiver against what the senders had acknowledged, and prints the counts. */
function verify(label: string, senders: ChatClient[], receiver: ChatClient, sent: number): void {
  const acked = new Set(
    senders.flatMap((sender) => sender.events().filter((e) => e.type === "ack").map((e) => e.id)),
  );
  const messages = receiver.events().filter(isMessage);
  const counts = new Map<unknown, number>();
  for (const message of messages) counts.set(message.id, (counts.get(message.id) ?? 0) + 1);
  const duplicated = [...counts.values()].filter((n) => n > 1).length;
  const lost = [...acked].filter((id) => !counts.has(id)).length;
  console.log(
    `${label}: sent ${sent}, acknowledged ${acked.size}, received ${messages.length}, ` +
      `duplicated ${duplicated}, lost ${lost}`,
  );
  assert.equal(acked.size, sent, "every message was acknowledged in the end");
  assert.equal(duplicated, 0);
  assert.equal(lost, 0);
  const seqs = messages.map((message) => Number(message.seq));
  assert.ok(seqs.every((seq, i) => i === 0 || seq > seqs[i - 1]!), "in sequence order");
  for (let s = 1; s <= senders.length; s++) {
    const own = messages.filter((m) => m.from === `sender${s}`).map((m) => String(m.text));
    assert.deepEqual(own, [...own].sort(), `sender${s}'s messages in the order sent`);
  }
}

Deno.test("join: a server killed with SIGKILL mid-stream and restarted loses nothing acknowledged", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "chat-e2e-" });
  try {
    const senderCount = 3;
    const perSender = 300;
    await using first = await startServer({ dataDir, args: UNLIMITED_SENDS });
    const port = first.port;
    await using receiver = await joinClient(port, "reader", { args: ["--no-history"] });
    const { senders, writing } = await startSenders(port, senderCount, perSender);
    await receiver.count(isMessage, 100, 30_000);
    first.child.kill("SIGKILL");
    await first.finished();
    await receiver.event((event) => event.type === "disconnected");

    await using _second = await startServer({ dataDir, port, args: UNLIMITED_SENDS });
    await writing;
    for (const sender of senders) {
      assert.equal((await sender.finished(60_000)).code, 0, sender.stderr.text);
    }
    await receiver.event((event) => event.type === "reconnected");
    await receiver.count(isMessage, senderCount * perSender, 60_000);
    verify("SIGKILL and restart", senders, receiver, senderCount * perSender);
    for (const sender of senders) await sender[Symbol.asyncDispose]();
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("join: connections cut at random points lose and duplicate nothing", async () => {
  const seed = Date.now() % 100_000;
  const random = prng(seed);
  await using server = await startServer({ args: UNLIMITED_SENDS });
  await using proxy = new TestProxy(server.port, {
    cutAfterBytes: () => 1_500 + Math.floor(random() * 12_000),
  });
  const senderCount = 3;
  const perSender = 200;
  await using receiver = await joinClient(proxy.port, "reader", { args: ["--no-history"] });
  const { senders, writing } = await startSenders(proxy.port, senderCount, perSender);
  await writing;
  for (const sender of senders) {
    assert.equal((await sender.finished(90_000)).code, 0, sender.stderr.text);
  }
  await receiver.count(isMessage, senderCount * perSender, 60_000);
  console.log(`random cuts (seed ${seed}): the proxy cut ${proxy.cuts} connections`);
  assert.ok(proxy.cuts > 0, "the proxy cut connections");
  verify("random cuts", senders, receiver, senderCount * perSender);
  for (const sender of senders) await sender[Symbol.asyncDispose]();
});

Deno.test("join: history is marked, --no-history skips it, and a resume past retention reports the gap", async () => {
  await using server = await startServer({ args: ["--retain", "2"] });
  await using proxy = new TestProxy(server.port);
  await using ana = await joinClient(server.port, "ana");
  await using late = await joinClient(proxy.port, "late", { args: ["--no-history"] });
  for (const text of ["one", "two", "three"]) await ana.writeLine(text);
  await ana.count((event) => event.type === "ack", 3);
  await late.count(isMessage, 3);

  await using newcomer = await joinClient(server.port, "newcomer");
  await newcomer.count(isMessage, 2);
  assert.deepEqual(
    newcomer.events().filter(isMessage).map((event) => [event.text, event.history]),
    [["two", true], ["three", true]],
  );
  await using bot = await joinClient(server.port, "bot", { args: ["--no-history"] });
  await ana.writeLine("four");
  assert.equal((await bot.event(isMessage)).text, "four", "a bot sees only what comes after");
  await late.event((event) => event.text === "four");

  proxy.blocked = true;
  proxy.cutAll();
  await late.event((event) => event.type === "disconnected");
  for (const text of ["five", "six", "seven", "eight"]) await ana.writeLine(text);
  await ana.count((event) => event.type === "ack", 8);
  proxy.blocked = false;
  await late.event((event) => event.type === "reconnected", 20_000);
  assert.equal((await late.event((event) => event.type === "gap")).missed, 2, "five and six");
  await late.count(isMessage, 6);
  assert.deepEqual(
    late.events().filter(isMessage).map((event) => event.text),
    ["one", "two", "three", "four", "seven", "eight"],
  );
});

Deno.test("serve: an unreadable database is refused and left untouched", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "chat-e2e-" });
  try {
    const garbage = crypto.getRandomValues(new Uint8Array(8192));
    await Deno.writeFile(`${dataDir}/chat.db`, garbage);
    await using server = await spawnChat(
      ["serve", "--host", "127.0.0.1", "--port", "0", "--data", dataDir],
      { input: false },
    );
    const status = await server.finished();
    assert.equal(status.code, 1);
    assert.match(server.stderr.text, /chat\.db/);
    assert.deepEqual(await Deno.readFile(`${dataDir}/chat.db`), garbage);
    assert.deepEqual([...Deno.readDirSync(dataDir)].map((entry) => entry.name), ["chat.db"]);
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("serve: with storage full, messages are relayed but not acknowledged, and senders are told", async () => {
  await using server = await startServer({ args: ["--max-storage-mb", "1", ...UNLIMITED_SENDS] });
  await using reader = await joinClient(server.port, "reader", { args: ["--no-history"] });
  await using writer = await joinClient(server.port, "writer", { args: ["--no-history"] });
  const lines = 120;
  for (let n = 1; n <= lines; n++) {
    await writer.writeLine(`${String(n).padStart(3, "0")} ${"x".repeat(12_000)}`);
  }
  const refusal = await writer.event((event) => event.code === "storage_full", 30_000);
  assert.match(String(refusal.message), /Not stored/);
  await reader.count(isMessage, lines, 30_000);
  const received = reader.events().filter(isMessage);
  assert.equal(new Set(received.map((event) => event.id)).size, lines, "each shown once");
  const unsequenced = received.filter((event) => event.seq === 0).length;
  const acked = writer.events().filter((event) => event.type === "ack").length;
  console.log(
    `storage full: sent ${lines}, acknowledged ${acked}, relayed unstored ${unsequenced}`,
  );
  assert.ok(acked > 0 && unsequenced > 0 && acked + unsequenced === lines);
  assert.match(server.stdout.text, /storage refused messages/);

  await using newcomer = await joinClient(server.port, "newcomer", { args: ["--history", "500"] });
  const isStored = (event: JsonEvent) => isMessage(event) && Number(event.seq) > 0;
  await newcomer.count(isStored, acked, 20_000);
  // The writer keeps retrying refused messages, which reach the newcomer live, unsequenced.
  const stored = newcomer.events().filter(isStored);
  assert.equal(stored.length, acked, "exactly the acknowledged messages were stored");
  assert.ok(stored.every((event) => event.history === true));
});
