/**
 * Identity keys: each user's Ed25519 key signs every message inside the encryption, so members
 * can tell who really wrote it. Web Crypto only, like the rest of crypto.ts.
 */
import { concatBytes } from "../protocol/bytes.ts";
import { formatFingerprint, messageAad, type MessageContext } from "./context.ts";

const utf8 = new TextEncoder();

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
