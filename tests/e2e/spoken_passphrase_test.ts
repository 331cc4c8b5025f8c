/** Issue 9, item 4: a generated passphrase read aloud opens the room it was written for. */
import assert from "node:assert/strict";
import { joinClient, spawnChat, startServer } from "./harness.ts";

Deno.test("join: a generated passphrase typed with spaces and capitals joins its room", async () => {
  await using server = await startServer();
  await using generator = await spawnChat(["passphrase"], { input: false });
  await generator.finished();
  const written = generator.stdout.text.trim();
  assert.match(written, /^[a-z]+(-[a-z]+){7}$/);
  await using ana = await joinClient(server.port, "ana", { passphrase: written });
  const created = await ana.event((event) => event.type === "ready");
  assert.equal(created.created, true);
  const heard = ` ${written.split("-").map((w) => w[0]!.toUpperCase() + w.slice(1)).join("  ")} `;
  await using bob = await joinClient(server.port, "bob", { passphrase: heard });
  const joined = await bob.event((event) => event.type === "ready");
  assert.equal(joined.fingerprint, created.fingerprint, "the same room key");
  await bob.writeLine("heard you");
  assert.equal((await ana.event((event) => event.type === "message")).text, "heard you");
});
