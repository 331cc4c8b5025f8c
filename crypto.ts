/**
 * Front door of key derivation and sealing. Web Crypto only, so the browser client can share it.
 *
 * A room's passphrase and its random salt give, through PBKDF2-HMAC-SHA256, a master secret; HKDF
 * splits that into the AES-256-GCM message key, a key-check value the relay compares at join (so a
 * wrong passphrase is refused instead of producing garbage) and a fingerprint members can compare.
 * Sealed layout: nonce(12) || ciphertext || tag(16), with AAD binding version, room, sender and id.
 */
import {
  KEY_CHECK_BYTES,
  MAX_ITERATIONS,
  MESSAGE_ID_BYTES,
  MIN_ITERATIONS,
  SALT_BYTES,
} from "./protocol.ts";

/** Iterations for new rooms: about a quarter second per derivation on a 2-core test machine. */
export const DEFAULT_ITERATIONS = 1_600_000;
/** Bytes of random nonce before each ciphertext. */
export const NONCE_BYTES = 12;
/** Bytes of GCM authentication tag after each ciphertext. */
export const TAG_BYTES = 16;

const utf8 = new TextEncoder();

/** A sealed message that cannot be opened: wrong key, tampered bytes or wrong context. */
export class DecryptError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DecryptError";
  }
}

/** What a member derives from the passphrase for one room. */
export interface RoomKey {
  /** AES-256-GCM key for sealing and opening messages; not extractable. */
  readonly messageKey: CryptoKey;
  /** Sent at join: the relay compares it with the value the room's creator sent. */
  readonly keyCheck: Uint8Array;
  /** Short code members read to each other to confirm they typed the same passphrase. */
  readonly fingerprint: string;
}

/** Where a sealed message belongs: the relay cannot move it between rooms, senders or ids. */
export interface MessageContext {
  version: number;
  room: string;
  sender: string;
  id: Uint8Array;
}

/** Random bytes from the platform's CSPRNG. */
export function randomBytes(length: number): Uint8Array<ArrayBuffer> {
  return crypto.getRandomValues(new Uint8Array(length));
}

/** A fresh salt for a new room. */
export function newSalt(): Uint8Array<ArrayBuffer> {
  return randomBytes(SALT_BYTES);
}

/** A fresh message id. */
export function newMessageId(): Uint8Array<ArrayBuffer> {
  return randomBytes(MESSAGE_ID_BYTES);
}

/** PBKDF2-HMAC-SHA256 of `password` (NFC-normalized text or bytes). */
export async function pbkdf2Sha256(
  password: string | Uint8Array<ArrayBuffer>,
  salt: Uint8Array<ArrayBuffer>,
  options: { iterations: number; bytes: number },
): Promise<Uint8Array<ArrayBuffer>> {
  const secret = typeof password === "string" ? utf8.encode(password.normalize("NFC")) : password;
  const base = await crypto.subtle.importKey("raw", secret, "PBKDF2", false, ["deriveBits"]);
  const bits = await crypto.subtle.deriveBits(
    { name: "PBKDF2", hash: "SHA-256", salt, iterations: options.iterations },
    base,
    options.bytes * 8,
  );
  return new Uint8Array(bits);
}

/** Derives the room key from the passphrase and the room's parameters. */
export async function deriveRoomKey(
  passphrase: string,
  params: { room: string; salt: Uint8Array; iterations: number },
): Promise<RoomKey> {
  if (params.salt.length !== SALT_BYTES) {
    throw new RangeError(`Salt must be ${SALT_BYTES} bytes, got ${params.salt.length}`);
  }
  if (params.iterations < MIN_ITERATIONS || params.iterations > MAX_ITERATIONS) {
    throw new RangeError(
      `Iterations must be between ${MIN_ITERATIONS} and ${MAX_ITERATIONS}, got ${params.iterations}`,
    );
  }
  const master = await pbkdf2Sha256(passphrase, new Uint8Array(params.salt), {
    iterations: params.iterations,
    bytes: 32,
  });
  const hkdf = await crypto.subtle.importKey("raw", master, "HKDF", false, ["deriveBits"]);
  const expand = async (label: string, bytes: number) =>
    new Uint8Array(
      await crypto.subtle.deriveBits(
        {
          name: "HKDF",
          hash: "SHA-256",
          salt: new Uint8Array(0),
          info: utf8.encode(`chat v1 ${label}\u0000${params.room}`),
        },
        hkdf,
        bytes * 8,
      ),
    );
  const messageKey = await crypto.subtle.importKey(
    "raw",
    await expand("message key", 32),
    "AES-GCM",
    false,
    ["encrypt", "decrypt"],
  );
  return {
    messageKey,
    keyCheck: await expand("key check", KEY_CHECK_BYTES),
    fingerprint: formatFingerprint(await expand("fingerprint", 8)),
  };
}

/** The additional authenticated data for one message. */
export function messageAad(context: MessageContext): Uint8Array<ArrayBuffer> {
  const room = utf8.encode(context.room);
  const sender = utf8.encode(context.sender);
  if (room.length > 255 || sender.length > 255) throw new RangeError("Room or sender too long");
  if (context.id.length !== MESSAGE_ID_BYTES) throw new RangeError("Message id has the wrong size");
  const aad = new Uint8Array(2 + 1 + room.length + 1 + sender.length + MESSAGE_ID_BYTES);
  const view = new DataView(aad.buffer);
  let offset = 0;
  view.setUint16(offset, context.version);
  offset += 2;
  aad[offset++] = room.length;
  aad.set(room, offset);
  offset += room.length;
  aad[offset++] = sender.length;
  aad.set(sender, offset);
  offset += sender.length;
  aad.set(context.id, offset);
  return aad;
}

/** Encrypts with a fresh random nonce: nonce || ciphertext || tag. */
export async function seal(
  key: CryptoKey,
  plaintext: Uint8Array<ArrayBuffer>,
  aad: Uint8Array<ArrayBuffer>,
): Promise<Uint8Array<ArrayBuffer>> {
  const nonce = randomBytes(NONCE_BYTES);
  const ciphertext = await crypto.subtle.encrypt(
    { name: "AES-GCM", iv: nonce, additionalData: aad, tagLength: TAG_BYTES * 8 },
    key,
    plaintext,
  );
  const sealed = new Uint8Array(NONCE_BYTES + ciphertext.byteLength);
  sealed.set(nonce, 0);
  sealed.set(new Uint8Array(ciphertext), NONCE_BYTES);
  return sealed;
}

/** Decrypts and authenticates a sealed message, or throws `DecryptError`. */
export async function open(
  key: CryptoKey,
  sealed: Uint8Array,
  aad: Uint8Array<ArrayBuffer>,
): Promise<Uint8Array<ArrayBuffer>> {
  if (sealed.length < NONCE_BYTES + TAG_BYTES) {
    throw new DecryptError(
      `Sealed message is ${sealed.length} bytes; at least ${NONCE_BYTES + TAG_BYTES} are needed`,
    );
  }
  try {
    const plaintext = await crypto.subtle.decrypt(
      {
        name: "AES-GCM",
        iv: sealed.slice(0, NONCE_BYTES),
        additionalData: aad,
        tagLength: TAG_BYTES * 8,
      },
      key,
      sealed.slice(NONCE_BYTES),
    );
    return new Uint8Array(plaintext);
  } catch {
    throw new DecryptError("Message failed authentication: wrong key, tampered or misrouted");
  }
}

function formatFingerprint(bytes: Uint8Array): string {
  const hex = Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
  return hex.toUpperCase().match(/.{4}/g)!.join("-");
}

/** Bytes in an Ed25519 public key. */
export const PUBLIC_KEY_BYTES = 32;
/** Bytes in an Ed25519 signature. */
export const SIGNATURE_BYTES = 64;

/** A member's long-term Ed25519 identity: it signs every message, inside the encryption. */
export interface Identity {
  readonly privateKey: CryptoKey;
  readonly publicKey: Uint8Array<ArrayBuffer>;
}

/** What a message signature covers: where it belongs, and all of its content. */
export interface SignedContent extends MessageContext {
  kind: number;
  sentAt: number;
  text: string;
}

/** A new identity, and its private key in PKCS#8 form for keeping on disk. */
export async function generateIdentity(): Promise<{ identity: Identity; pkcs8: Uint8Array }> {
  const pair = await crypto.subtle.generateKey({ name: "Ed25519" }, true, [
    "sign",
    "verify",
  ]) as CryptoKeyPair;
  const pkcs8 = new Uint8Array(await crypto.subtle.exportKey("pkcs8", pair.privateKey));
  return { identity: await importIdentity(pkcs8), pkcs8 };
}

/** The identity whose private key is `pkcs8`. */
export async function importIdentity(pkcs8: Uint8Array): Promise<Identity> {
  const extractable = await crypto.subtle.importKey(
    "pkcs8",
    new Uint8Array(pkcs8),
    { name: "Ed25519" },
    true,
    ["sign"],
  );
  const jwk = await crypto.subtle.exportKey("jwk", extractable);
  if (!jwk.x) throw new TypeError("The identity key has no public part");
  const privateKey = await crypto.subtle.importKey(
    "pkcs8",
    new Uint8Array(pkcs8),
    { name: "Ed25519" },
    false,
    ["sign"],
  );
  return { privateKey, publicKey: fromBase64Url(jwk.x) };
}

/** Signs a message's content with the sender's identity. */
export async function signContent(
  identity: Identity,
  content: SignedContent,
): Promise<Uint8Array<ArrayBuffer>> {
  const signed = signedBytes(content, identity.publicKey);
  return new Uint8Array(await crypto.subtle.sign({ name: "Ed25519" }, identity.privateKey, signed));
}

/** Whether `signature` is `publicKey`'s signature over the content. */
export async function verifyContent(
  publicKey: Uint8Array,
  content: SignedContent,
  signature: Uint8Array,
): Promise<boolean> {
  if (publicKey.length !== PUBLIC_KEY_BYTES || signature.length !== SIGNATURE_BYTES) return false;
  try {
    const key = await crypto.subtle.importKey(
      "raw",
      new Uint8Array(publicKey),
      { name: "Ed25519" },
      false,
      ["verify"],
    );
    return await crypto.subtle.verify(
      { name: "Ed25519" },
      key,
      new Uint8Array(signature),
      signedBytes(content, publicKey),
    );
  } catch {
    return false;
  }
}

/** A short, readable fingerprint of a public key: the first 80 bits of its SHA-256, in hex. */
export async function keyFingerprint(publicKey: Uint8Array): Promise<string> {
  const digest = new Uint8Array(
    await crypto.subtle.digest("SHA-256", concatBytes(utf8.encode("chat key\u0000"), publicKey)),
  );
  return formatFingerprint(digest.subarray(0, 10));
}

/**
 * A code two members compare out of band to confirm each holds the other's real key: the same for
 * both, whichever of them computes it. 30 digits in six groups.
 */
export async function safetyNumber(keyA: Uint8Array, keyB: Uint8Array): Promise<string> {
  const [first, second] = compareBytes(keyA, keyB) <= 0 ? [keyA, keyB] : [keyB, keyA];
  const digest = new Uint8Array(
    await crypto.subtle.digest(
      "SHA-256",
      concatBytes(utf8.encode("chat safety number\u0000"), first, second),
    ),
  );
  const groups: string[] = [];
  for (let i = 0; i < 6; i++) {
    const value = new DataView(digest.buffer, i * 5, 5);
    const number = value.getUint32(0) * 256 + value.getUint8(4);
    groups.push(String(number % 100_000).padStart(5, "0"));
  }
  return groups.join(" ");
}

function signedBytes(content: SignedContent, publicKey: Uint8Array): Uint8Array<ArrayBuffer> {
  const header = new Uint8Array(9);
  const view = new DataView(header.buffer);
  view.setUint8(0, content.kind);
  view.setUint32(1, Math.floor(content.sentAt / 2 ** 32));
  view.setUint32(5, content.sentAt % 2 ** 32);
  return concatBytes(
    utf8.encode("chat v1 signature\u0000"),
    messageAad(content),
    publicKey,
    header,
    utf8.encode(content.text),
  );
}

function concatBytes(...parts: Uint8Array[]): Uint8Array<ArrayBuffer> {
  const joined = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    joined.set(part, offset);
    offset += part.length;
  }
  return joined;
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    if (a[i] !== b[i]) return a[i]! - b[i]!;
  }
  return a.length - b.length;
}

function fromBase64Url(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text.replaceAll("-", "+").replaceAll("_", "/"));
  return Uint8Array.from(binary, (char) => char.charCodeAt(0));
}
