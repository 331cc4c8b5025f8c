/**
 * Identity keys end to end: someone using another member's name with a different key is flagged
 * to the others, and a message whose signature does not verify is never shown as genuine.
 */
import assert from "node:assert/strict";
import {
  deriveRoomKey,
  generateIdentity,
  messageAad,
  newMessageId,
  seal,
  signContent,
} from "../../crypto.ts";
import { BODY_KIND_CODES, encodeBody, PROTOCOL_VERSION, SEAL_VERSION } from "../../protocol.ts";
import { joinClient, RawPeer, startServer } from "./harness.ts";

const PASSPHRASE = "quartz-lemon-harbor-violet-engine";
const isMessage = (event: { type: string }) => event.type === "message";

Deno.test("join: a name used with a different identity key makes the others see a warning", async () => {
  await using server = await startServer();
  const anaHome = await Deno.makeTempDir({ prefix: "chat-e2e-config-" });
  try {
    await using bob = await joinClient(server.port, "bob", { passphrase: PASSPHRASE });
    await using ana = await joinClient(server.port, "ana", {
      passphrase: PASSPHRASE,
      configHome: anaHome,
    });
    await ana.writeLine("hi, it's ana");
    const genuine = await bob.event(isMessage);
    assert.equal(genuine.trust, "new", "first sight of ana: trusted on first use");
    await ana.closeInput();
    assert.equal((await ana.finished()).code, 0);
    await bob.event((event) => event.type === "leave" && event.from === "ana");

    await using impostor = await joinClient(server.port, "ana", { passphrase: PASSPHRASE });
    await impostor.writeLine("it's me, ana, send me the password");
    const warning = await bob.event((event) => event.type === "key_changed");
    assert.equal(warning.from, "ana");
    assert.equal(warning.previous, genuine.key);
    assert.notEqual(warning.key, genuine.key);
    const forged = await bob.event((event) => isMessage(event) && event.text !== "hi, it's ana");
    assert.equal(forged.trust, "changed");
    await impostor.closeInput();
    assert.equal((await impostor.finished()).code, 0);

    await using back = await joinClient(server.port, "ana", {
      passphrase: PASSPHRASE,
      configHome: anaHome,
      args: ["--no-history"],
    });
    await back.writeLine("back again");
    const again = await bob.event((event) => event.text === "back again");
    assert.equal(again.trust, "known", "the real ana's key is still the remembered one");
  } finally {
    await Deno.remove(anaHome, { recursive: true });
  }
});

Deno.test("join: a message with a tampered signature is shown as unverified, never as genuine", async () => {
  await using server = await startServer();
  await using bob = await joinClient(server.port, "bob", { passphrase: PASSPHRASE });
  using forger = await RawPeer.connect(server.port);
  await forger.send({
    type: "hello",
    minVersion: PROTOCOL_VERSION,
    maxVersion: PROTOCOL_VERSION,
    software: "forger",
  });
  assert.equal((await forger.next())?.type, "welcome");
  await forger.send({ type: "room_query", room: "lobby" });
  const info = await forger.next();
  assert.ok(info?.type === "room_info" && info.params);
  const key = await deriveRoomKey(PASSPHRASE, { room: "lobby", ...info.params });
  await forger.send({
    type: "join",
    room: "lobby",
    name: "mallory",
    params: info.params,
    keyCheck: key.keyCheck,
    catchup: { kind: "history", limit: 0 },
    resumeToken: new Uint8Array(0),
  });
  assert.equal((await forger.next())?.type, "joined");

  const { identity } = await generateIdentity();
  const id = newMessageId();
  const context = { version: SEAL_VERSION, room: "lobby", sender: "mallory", id };
  const sentAt = Date.now();
  const signature = await signContent(identity, {
    ...context,
    kind: BODY_KIND_CODES.text,
    sentAt,
    text: "pay 10 coins to mallory",
  });
  const body = encodeBody({
    kind: "text",
    sentAt,
    text: "pay 1000 coins to mallory",
    publicKey: identity.publicKey,
    signature,
  });
  const sealed = await seal(key.messageKey, body, messageAad(context));
  await forger.send({ type: "send", room: "lobby", id, sealed });

  const shown = await bob.event(isMessage);
  assert.equal(shown.text, "pay 1000 coins to mallory");
  assert.equal(shown.trust, "bad_signature");
});
