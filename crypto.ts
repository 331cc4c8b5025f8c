/**
 * Front door of key derivation and sealing. Web Crypto only, so the browser client can share it.
 *
 * A room's passphrase and its random salt give, through PBKDF2-HMAC-SHA256, a master secret; HKDF
 * splits that into the AES-256-GCM message key, a key-check value the relay compares at join (so a
 * wrong passphrase is refused instead of producing garbage) and a fingerprint members can compare.
 * Sealed layout: nonce(12) || ciphertext || tag(16), with AAD binding version, room, sender and id.
 * Identity keys, which sign messages inside the seal, live in crypto/identity.ts; the AAD and the
 * fingerprint format in crypto/context.ts. Both are re-exported here.
 */
import {
  CURRENT_KDF,
  KDF_VERSIONS,
  KEY_CHECK_BYTES,
  MAX_ITERATIONS,
  MESSAGE_ID_BYTES,
  MIN_ITERATIONS,
  type RoomParams,
  SALT_BYTES,
} from "./protocol.ts";
import { formatFingerprint } from "./crypto/context.ts";
import { passphraseInput } from "./crypto/passphrase.ts";

export { messageAad, type MessageContext } from "./crypto/context.ts";
export { spokenForm } from "./crypto/passphrase.ts";
export * from "./crypto/identity.ts";

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

/** Random bytes from the platform's CSPRNG. */
export function randomBytes(length: number): Uint8Array<ArrayBuffer> {
  return crypto.getRandomValues(new Uint8Array(length));
}

/** A fresh salt for a new room. */
export function newSalt(): Uint8Array<ArrayBuffer> {
  return randomBytes(SALT_BYTES);
}

/** The parameters of a new room: a fresh salt, today's iterations and key derivation. */
export function newRoomParams(): RoomParams {
  return { salt: newSalt(), iterations: DEFAULT_ITERATIONS, kdf: CURRENT_KDF };
}

/**
 * Why a client must not derive a key with a room's parameters, or null when it may: a relay could
 * weaken the key (few iterations), stall the client (very many) or name a derivation this client
 * does not know.
 */
export function roomParamsProblem(params: RoomParams): string | null {
  const number = (value: number) => value.toLocaleString("en");
  if (params.iterations < MIN_ITERATIONS || params.iterations > MAX_ITERATIONS) {
    return `it asks for ${number(params.iterations)} PBKDF2 iterations, and this client accepts ` +
      `${number(MIN_ITERATIONS)} to ${number(MAX_ITERATIONS)}`;
  }
  if (!Object.values(KDF_VERSIONS).includes(params.kdf as 1 | 2)) {
    return `it uses key derivation version ${params.kdf}, which this client does not know`;
  }
  return null;
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

/**
 * Derives the room key from the passphrase, normalised as the room's `kdf` version says, and the
 * room's parameters.
 */
export async function deriveRoomKey(
  passphrase: string,
  params: { room: string } & RoomParams,
): Promise<RoomKey> {
  if (params.salt.length !== SALT_BYTES) {
    throw new RangeError(`Salt must be ${SALT_BYTES} bytes, got ${params.salt.length}`);
  }
  const problem = roomParamsProblem(params);
  if (problem) throw new RangeError(`Cannot derive a key for this room: ${problem}`);
  const input = passphraseInput(passphrase, params.kdf);
  const master = await pbkdf2Sha256(input, new Uint8Array(params.salt), {
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
