/**
 * Tests for key derivation and sealing, after deno std's crypto/aes_gcm tests: one test per
 * property, plus published known-answer vectors.
 *
 * Vectors:
 * - PBKDF2-HMAC-SHA256: RFC 7914 (scrypt), section 11, "Test Vectors for PBKDF2 with
 *   HMAC-SHA-256".
 * - AES-256-GCM: McGrew and Viega, "The Galois/Counter Mode of Operation (GCM)", appendix B,
 *   test cases 13, 14 and 16 (the AES-256 cases with a 96-bit IV), the vectors NIST SP 800-38D
 *   adopted.
 */
import assert from "node:assert/strict";
import {
  DecryptError,
  DEFAULT_ITERATIONS,
  deriveRoomKey,
  messageAad,
  type MessageContext,
  NONCE_BYTES,
  open,
  pbkdf2Sha256,
  type RoomKey,
  seal,
  TAG_BYTES,
} from "../../crypto.ts";
import {
  concatBytes,
  MAX_ITERATIONS,
  MESSAGE_ID_BYTES,
  MIN_ITERATIONS,
  SALT_BYTES,
} from "../../protocol.ts";

const utf8 = new TextEncoder();

function hex(text: string): Uint8Array<ArrayBuffer> {
  const digits = text.replace(/\s+/g, "");
  assert.equal(digits.length % 2, 0);
  return Uint8Array.from(
    { length: digits.length / 2 },
    (_, i) => parseInt(digits.slice(2 * i, 2 * i + 2), 16),
  );
}

function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
}

const CONTEXT: MessageContext = {
  version: 1,
  room: "ops",
  sender: "ana",
  id: Uint8Array.from({ length: MESSAGE_ID_BYTES }, (_, i) => i),
};
const PLAINTEXT = utf8.encode("the eagle lands at midnight");

function testKey(): Promise<CryptoKey> {
  return crypto.subtle.generateKey({ name: "AES-GCM", length: 256 }, false, [
    "encrypt",
    "decrypt",
  ]);
}

function importGcmKey(raw: Uint8Array<ArrayBuffer>): Promise<CryptoKey> {
  return crypto.subtle.importKey("raw", raw, "AES-GCM", false, ["decrypt"]);
}

// ---- seal and open ----

Deno.test("open() returns what seal() sealed", async () => {
  const key = await testKey();
  const aad = messageAad(CONTEXT);
  const sealed = await seal(key, PLAINTEXT, aad);
  assert.deepEqual(await open(key, sealed, aad), PLAINTEXT);
});

Deno.test("seal() lays out nonce || ciphertext || tag", async () => {
  const key = await testKey();
  const sealed = await seal(key, PLAINTEXT, messageAad(CONTEXT));
  assert.equal(sealed.length, NONCE_BYTES + PLAINTEXT.length + TAG_BYTES);
});

Deno.test("open() returns an empty plaintext sealed by seal()", async () => {
  const key = await testKey();
  const aad = messageAad(CONTEXT);
  const sealed = await seal(key, new Uint8Array(0), aad);
  assert.equal(sealed.length, NONCE_BYTES + TAG_BYTES);
  assert.deepEqual(await open(key, sealed, aad), new Uint8Array(0));
});

Deno.test("seal() uses a fresh nonce for each message", async () => {
  const key = await testKey();
  const aad = messageAad(CONTEXT);
  const first = await seal(key, PLAINTEXT, aad);
  const second = await seal(key, PLAINTEXT, aad);
  assert.notDeepEqual(first, second);
  assert.notDeepEqual(first.subarray(0, NONCE_BYTES), second.subarray(0, NONCE_BYTES));
});

Deno.test("open() rejects a tampered byte anywhere with DecryptError", async () => {
  const key = await testKey();
  const aad = messageAad(CONTEXT);
  const sealed = await seal(key, PLAINTEXT, aad);
  for (let i = 0; i < sealed.length; i++) {
    const region = i < NONCE_BYTES ? "nonce" : i < sealed.length - TAG_BYTES ? "ciphertext" : "tag";
    const tampered = sealed.slice();
    tampered[i]! ^= 0x01;
    await assert.rejects(open(key, tampered, aad), DecryptError, `byte ${i} (${region})`);
  }
});

Deno.test("open() rejects a sealed message with a byte cut or added with DecryptError", async () => {
  const key = await testKey();
  const aad = messageAad(CONTEXT);
  const sealed = await seal(key, PLAINTEXT, aad);
  await assert.rejects(open(key, sealed.subarray(0, sealed.length - 1), aad), DecryptError);
  await assert.rejects(open(key, concatBytes(sealed, new Uint8Array([0])), aad), DecryptError);
});

Deno.test("open() rejects the wrong key with DecryptError", async () => {
  const aad = messageAad(CONTEXT);
  const sealed = await seal(await testKey(), PLAINTEXT, aad);
  await assert.rejects(open(await testKey(), sealed, aad), DecryptError);
});

Deno.test("open() rejects a message moved to another room with DecryptError", async () => {
  const key = await testKey();
  const sealed = await seal(key, PLAINTEXT, messageAad(CONTEXT));
  await assert.rejects(open(key, sealed, messageAad({ ...CONTEXT, room: "dev" })), DecryptError);
});

Deno.test("open() rejects a message attributed to another sender with DecryptError", async () => {
  const key = await testKey();
  const sealed = await seal(key, PLAINTEXT, messageAad(CONTEXT));
  await assert.rejects(open(key, sealed, messageAad({ ...CONTEXT, sender: "bob" })), DecryptError);
});

Deno.test("open() rejects a message under another id with DecryptError", async () => {
  const key = await testKey();
  const sealed = await seal(key, PLAINTEXT, messageAad(CONTEXT));
  const id = CONTEXT.id.slice();
  id[MESSAGE_ID_BYTES - 1]! ^= 0x80;
  await assert.rejects(open(key, sealed, messageAad({ ...CONTEXT, id })), DecryptError);
});

Deno.test("open() rejects a message under another protocol version with DecryptError", async () => {
  const key = await testKey();
  const sealed = await seal(key, PLAINTEXT, messageAad(CONTEXT));
  await assert.rejects(open(key, sealed, messageAad({ ...CONTEXT, version: 2 })), DecryptError);
});

Deno.test("open() rejects input shorter than nonce and tag with DecryptError", async () => {
  const key = await testKey();
  const aad = messageAad(CONTEXT);
  for (const length of [0, 1, NONCE_BYTES, NONCE_BYTES + TAG_BYTES - 1]) {
    await assert.rejects(open(key, new Uint8Array(length), aad), DecryptError, `${length} bytes`);
  }
});

// ---- messageAad ----

Deno.test("messageAad() keeps room and sender apart", () => {
  // Length prefixes make "ab"+"c" and "a"+"bc" different, so fields cannot be re-split.
  const a = messageAad({ ...CONTEXT, room: "ab", sender: "c" });
  const b = messageAad({ ...CONTEXT, room: "a", sender: "bc" });
  assert.notDeepEqual(a, b);
});

Deno.test("messageAad() throws RangeError for an id of the wrong size", () => {
  assert.throws(
    () => messageAad({ ...CONTEXT, id: new Uint8Array(MESSAGE_ID_BYTES - 1) }),
    RangeError,
  );
});

Deno.test("messageAad() throws RangeError for a room over 255 bytes", () => {
  assert.throws(() => messageAad({ ...CONTEXT, room: "\u674e".repeat(86) }), RangeError);
});

// ---- deriveRoomKey ----

const SALT = Uint8Array.from({ length: SALT_BYTES }, (_, i) => 0x10 + i);
const OTHER_SALT = Uint8Array.from({ length: SALT_BYTES }, (_, i) => 0x90 + i);

/** Each derivation costs a fraction of a second, so the common one is computed once. */
let baseKey: Promise<RoomKey> | undefined;
function deriveBase(): Promise<RoomKey> {
  baseKey ??= deriveRoomKey("correct horse battery staple", {
    room: "ops",
    salt: SALT,
    iterations: MIN_ITERATIONS,
    kdf: 1,
  });
  return baseKey;
}

Deno.test("deriveRoomKey() gives the same key check and fingerprint for the same inputs", async () => {
  const first = await deriveBase();
  const second = await deriveRoomKey("correct horse battery staple", {
    room: "ops",
    salt: SALT.slice(),
    iterations: MIN_ITERATIONS,
    kdf: 1,
  });
  assert.deepEqual(second.keyCheck, first.keyCheck);
  assert.equal(second.fingerprint, first.fingerprint);
  // And the message keys agree: one member opens what the other sealed.
  const aad = messageAad(CONTEXT);
  assert.deepEqual(
    await open(second.messageKey, await seal(first.messageKey, PLAINTEXT, aad), aad),
    PLAINTEXT,
  );
});

Deno.test("deriveRoomKey() gives a 32-byte key check and a grouped hex fingerprint", async () => {
  const key = await deriveBase();
  assert.equal(key.keyCheck.length, 32);
  assert.match(key.fingerprint, /^[0-9A-F]{4}(-[0-9A-F]{4}){3}$/);
  assert.equal(key.messageKey.extractable, false);
  assert.deepEqual(key.messageKey.algorithm, { name: "AES-GCM", length: 256 });
});

Deno.test("deriveRoomKey() gives another key check for another passphrase", async () => {
  const other = await deriveRoomKey("correct horse battery stapler", {
    room: "ops",
    salt: SALT,
    iterations: MIN_ITERATIONS,
    kdf: 1,
  });
  const base = await deriveBase();
  assert.notDeepEqual(other.keyCheck, base.keyCheck);
  assert.notEqual(other.fingerprint, base.fingerprint);
});

Deno.test("deriveRoomKey() gives another key check for another salt", async () => {
  const other = await deriveRoomKey("correct horse battery staple", {
    room: "ops",
    salt: OTHER_SALT,
    iterations: MIN_ITERATIONS,
    kdf: 1,
  });
  assert.notDeepEqual(other.keyCheck, (await deriveBase()).keyCheck);
});

Deno.test("deriveRoomKey() gives another key check for another room", async () => {
  const other = await deriveRoomKey("correct horse battery staple", {
    room: "dev",
    salt: SALT,
    iterations: MIN_ITERATIONS,
    kdf: 1,
  });
  assert.notDeepEqual(other.keyCheck, (await deriveBase()).keyCheck);
});

Deno.test("deriveRoomKey() throws RangeError for iterations below MIN_ITERATIONS", async () => {
  await assert.rejects(
    deriveRoomKey("pw", { room: "ops", salt: SALT, iterations: MIN_ITERATIONS - 1, kdf: 1 }),
    RangeError,
  );
  await assert.rejects(
    deriveRoomKey("pw", { room: "ops", salt: SALT, iterations: 1, kdf: 1 }),
    RangeError,
  );
});

Deno.test("deriveRoomKey() throws RangeError for iterations above MAX_ITERATIONS", async () => {
  await assert.rejects(
    deriveRoomKey("pw", { room: "ops", salt: SALT, iterations: MAX_ITERATIONS + 1, kdf: 1 }),
    RangeError,
  );
});

Deno.test("deriveRoomKey() throws RangeError for a salt of the wrong size", async () => {
  await assert.rejects(
    deriveRoomKey("pw", {
      room: "ops",
      salt: new Uint8Array(8),
      iterations: MIN_ITERATIONS,
      kdf: 1,
    }),
    RangeError,
  );
});

Deno.test("DEFAULT_ITERATIONS lies within the accepted range", () => {
  assert.ok(DEFAULT_ITERATIONS >= MIN_ITERATIONS && DEFAULT_ITERATIONS <= MAX_ITERATIONS);
});

// ---- known-answer vectors ----

Deno.test('pbkdf2Sha256() matches RFC 7914 section 11, P="passwd" S="salt" c=1', async () => {
  const derived = await pbkdf2Sha256("passwd", utf8.encode("salt"), { iterations: 1, bytes: 64 });
  assert.equal(
    toHex(derived),
    toHex(hex(`
      55 ac 04 6e 56 e3 08 9f ec 16 91 c2 25 44 b6 05
      f9 41 85 21 6d de 04 65 e6 8b 9d 57 c2 0d ac bc
      49 ca 9c cc f1 79 b6 45 99 16 64 b3 9d 77 ef 31
      7c 71 b8 45 b1 e3 0b d5 09 11 20 41 d3 a1 97 83`)),
  );
});

Deno.test('pbkdf2Sha256() matches RFC 7914 section 11, P="Password" S="NaCl" c=80000', async () => {
  const derived = await pbkdf2Sha256("Password", utf8.encode("NaCl"), {
    iterations: 80_000,
    bytes: 64,
  });
  assert.equal(
    toHex(derived),
    toHex(hex(`
      4d dc d8 f6 0b 98 be 21 83 0c ee 5e f2 27 01 f9
      64 1a 44 18 d0 4c 04 14 ae ff 08 87 6b 34 ab 56
      a1 d4 25 a1 22 58 33 54 9a db 84 1b 51 c9 b3 17
      6a 27 2b de bb a1 d0 78 47 8f 62 b3 97 f3 3c 8d`)),
  );
});

Deno.test("pbkdf2Sha256() gives the same result for a password as text and as bytes", async () => {
  const options = { iterations: 1, bytes: 32 };
  const salt = utf8.encode("salt");
  assert.deepEqual(
    await pbkdf2Sha256("passwd", salt, options),
    await pbkdf2Sha256(utf8.encode("passwd"), salt, options),
  );
});

Deno.test("open() decrypts GCM spec test case 13 (AES-256, empty P)", async () => {
  const key = await importGcmKey(new Uint8Array(32));
  const sealed = concatBytes(new Uint8Array(12), hex("530f8afbc74536b9a963b4f1c4cb738b"));
  assert.deepEqual(await open(key, sealed, new Uint8Array(0)), new Uint8Array(0));
});

Deno.test("open() decrypts GCM spec test case 14 (AES-256, P=0^128)", async () => {
  const key = await importGcmKey(new Uint8Array(32));
  const sealed = concatBytes(
    new Uint8Array(12),
    hex("cea7403d4d606b6e074ec5d3baf39d18"),
    hex("d0d1c8a799996bf0265b98b5d48ab919"),
  );
  assert.deepEqual(await open(key, sealed, new Uint8Array(0)), new Uint8Array(16));
});

const TC16 = {
  key: hex("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308"),
  iv: hex("cafebabefacedbaddecaf888"),
  plaintext: hex(`
    d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72
    1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39`),
  aad: hex("feedfacedeadbeeffeedfacedeadbeefabaddad2"),
  ciphertext: hex(`
    522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa
    8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662`),
  tag: hex("76fc6ece0f4e1768cddf8853bb2d551b"),
};

Deno.test("open() decrypts GCM spec test case 16 (AES-256 with AAD)", async () => {
  const key = await importGcmKey(TC16.key);
  const sealed = concatBytes(TC16.iv, TC16.ciphertext, TC16.tag);
  assert.deepEqual(await open(key, sealed, TC16.aad), TC16.plaintext);
});

Deno.test("open() rejects GCM spec test case 16 under a changed AAD with DecryptError", async () => {
  const key = await importGcmKey(TC16.key);
  const sealed = concatBytes(TC16.iv, TC16.ciphertext, TC16.tag);
  const aad = TC16.aad.slice();
  aad[0]! ^= 0x01;
  await assert.rejects(open(key, sealed, aad), DecryptError);
});
