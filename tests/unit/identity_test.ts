/** Identity keys: signing inside the encryption, fingerprints, safety numbers, trust on first use. */
import assert from "node:assert/strict";
import {
  generateIdentity,
  importIdentity,
  keyFingerprint,
  safetyNumber,
  signContent,
  type SignedContent,
  verifyContent,
} from "../../crypto.ts";
import { fromPem, loadOrCreateIdentity, toPem } from "../../client/identity.ts";
import { KnownKeys, parse, serialize } from "../../client/known_keys.ts";

const CONTENT: SignedContent = {
  version: 1,
  room: "ops",
  sender: "ana",
  id: new Uint8Array(16).fill(3),
  kind: 1,
  sentAt: 1_700_000_000_000,
  text: "deploy at noon",
};

Deno.test("verifyContent() accepts the signer's signature over the same content", async () => {
  const { identity } = await generateIdentity();
  const signature = await signContent(identity, CONTENT);
  assert.equal(signature.length, 64);
  assert.ok(await verifyContent(identity.publicKey, CONTENT, signature));
});

Deno.test("verifyContent() rejects any change to what was signed", async () => {
  const { identity } = await generateIdentity();
  const signature = await signContent(identity, CONTENT);
  const changes: Partial<SignedContent>[] = [
    { text: "deploy at nine" },
    { sender: "bob" },
    { room: "dev" },
    { id: new Uint8Array(16).fill(4) },
    { kind: 2 },
    { sentAt: CONTENT.sentAt + 1 },
    { version: 2 },
  ];
  for (const change of changes) {
    assert.equal(
      await verifyContent(identity.publicKey, { ...CONTENT, ...change }, signature),
      false,
      JSON.stringify(Object.keys(change)),
    );
  }
  const tampered = signature.slice();
  tampered[10]! ^= 1;
  assert.equal(await verifyContent(identity.publicKey, CONTENT, tampered), false);
});

Deno.test("verifyContent() rejects another key, and malformed keys or signatures", async () => {
  const { identity } = await generateIdentity();
  const other = (await generateIdentity()).identity;
  const signature = await signContent(identity, CONTENT);
  assert.equal(await verifyContent(other.publicKey, CONTENT, signature), false);
  assert.equal(await verifyContent(new Uint8Array(31), CONTENT, signature), false);
  assert.equal(await verifyContent(identity.publicKey, CONTENT, signature.subarray(1)), false);
});

Deno.test("importIdentity() restores the same key from its PKCS#8 bytes", async () => {
  const { identity, pkcs8 } = await generateIdentity();
  const restored = await importIdentity(fromPem(toPem(pkcs8)));
  assert.deepEqual(restored.publicKey, identity.publicKey);
  const signature = await signContent(restored, CONTENT);
  assert.ok(await verifyContent(identity.publicKey, CONTENT, signature));
});

Deno.test("keyFingerprint() is stable and differs between keys", async () => {
  const a = (await generateIdentity()).identity.publicKey;
  const b = (await generateIdentity()).identity.publicKey;
  assert.match(await keyFingerprint(a), /^[0-9A-F]{4}(-[0-9A-F]{4}){4}$/);
  assert.equal(await keyFingerprint(a), await keyFingerprint(a.slice()));
  assert.notEqual(await keyFingerprint(a), await keyFingerprint(b));
});

Deno.test("safetyNumber() is the same from both sides and changes with either key", async () => {
  const a = (await generateIdentity()).identity.publicKey;
  const b = (await generateIdentity()).identity.publicKey;
  const c = (await generateIdentity()).identity.publicKey;
  const code = await safetyNumber(a, b);
  assert.match(code, /^\d{5}( \d{5}){5}$/);
  assert.equal(await safetyNumber(b, a), code);
  assert.notEqual(await safetyNumber(a, c), code);
});

Deno.test("KnownKeys.check() trusts a name's first key and flags a different one", () => {
  const keys = KnownKeys.inMemory();
  assert.equal(keys.check("h:1", "ops", "ana", "KEY1", 1), "new");
  assert.equal(keys.check("h:1", "ops", "ANA", "KEY1", 2), "known", "names fold case");
  assert.equal(keys.check("h:1", "ops", "ana", "KEY2", 3), "changed");
  assert.equal(keys.remembered("h:1", "ops", "ana"), "KEY1", "a change does not replace the key");
  assert.equal(keys.check("h:1", "dev", "ana", "KEY2", 4), "new", "rooms are separate");
  assert.equal(keys.check("h:2", "ops", "ana", "KEY2", 5), "new", "servers are separate");
  keys.trust("h:1", "ops", "ana", "KEY2", 6);
  assert.equal(keys.check("h:1", "ops", "ana", "KEY2", 7), "known");
});

Deno.test("parse() reads what serialize() writes and refuses anything else", () => {
  const entries = new Map([["h:1/ops/ana", { name: "ana", key: "KEY1", firstSeen: 5 }]]);
  assert.deepEqual(parse(serialize(entries)), entries);
  assert.throws(() => parse("{}"), SyntaxError);
  assert.throws(() => parse('{"version":1,"keys":{"x":{"key":1}}}'), SyntaxError);
  assert.throws(() => parse("not json"), SyntaxError);
});

Deno.test("loadOrCreateIdentity() makes a key readable by the user alone, then reuses it", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const configDir = `${dir}/chat`;
    const first = await loadOrCreateIdentity(configDir);
    assert.equal(first.created, true);
    const second = await loadOrCreateIdentity(configDir);
    assert.equal(second.created, false);
    assert.deepEqual(second.identity.publicKey, first.identity.publicKey);
    if (Deno.build.os !== "windows") {
      assert.equal((await Deno.stat(`${configDir}/identity.pem`)).mode! & 0o777, 0o600);
      assert.equal((await Deno.stat(configDir)).mode! & 0o077, 0);
    }
    await Deno.writeTextFile(`${configDir}/identity.pem`, "garbage");
    await assert.rejects(loadOrCreateIdentity(configDir), /damaged/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("KnownKeys.save() writes a file load() reads back", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const keys = await KnownKeys.load(dir);
    keys.check("h:1", "ops", "ana", "KEY1", 1);
    await keys.save();
    const again = await KnownKeys.load(dir);
    assert.equal(again.remembered("h:1", "ops", "ana"), "KEY1");
    assert.deepEqual([...Deno.readDirSync(dir)].map((entry) => entry.name), ["known_keys.json"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
