/**
 * Certificate fingerprints in the two forms people compare: `SHA256:<base64, no padding>` as SSH
 * prints host keys, and the colon-separated upper-case hex `openssl x509 -fingerprint -sha256`
 * prints. Pure, Web APIs only; it knows nothing of sockets or files.
 */

/** The prefix of the SSH-style form. */
const PREFIX = "SHA256:";
const SHA256_BYTES = 32;

/** A certificate's SHA-256 fingerprint in both printed forms. */
export interface Fingerprint {
  /** `SHA256:` then the digest in base64 without padding (43 characters). */
  sha256: string;
  /** The digest as colon-separated upper-case hex pairs, as openssl prints it. */
  hex: string;
}

/** Fingerprints a DER-encoded certificate. */
export async function fingerprintOf(der: Uint8Array): Promise<Fingerprint> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", der as BufferSource));
  return { sha256: sshForm(digest), hex: hexForm(digest) };
}

/** Fingerprints the first certificate of a PEM text; throws `TypeError` when there is none. */
export async function fingerprintOfPem(pem: string): Promise<Fingerprint> {
  const [first] = pemBlocks(pem, "CERTIFICATE");
  if (!first) throw new TypeError("No certificate in the PEM text");
  return await fingerprintOf(first);
}

/**
 * Reads a fingerprint someone typed or pasted: the SSH form, or 32 hex pairs with or without
 * colons (openssl's form). Returns the SSH form, or null when it is neither.
 */
export function parseFingerprint(text: string): string | null {
  const trimmed = text.trim();
  if (trimmed.startsWith(PREFIX)) {
    const body = trimmed.slice(PREFIX.length).replace(/=+$/, "");
    if (!/^[A-Za-z0-9+/]{43}$/.test(body)) return null;
    const digest = fromBase64(body);
    // Base64 of 32 bytes leaves 2 spare bits; only the canonical spelling is accepted.
    return digest.length === SHA256_BYTES && sshForm(digest) === PREFIX + body
      ? PREFIX + body
      : null;
  }
  const hex = trimmed.replace(/^sha256 fingerprint=/i, "").replaceAll(":", "");
  if (!/^[0-9A-Fa-f]{64}$/.test(hex)) return null;
  return sshForm(fromHex(hex));
}

/** Turns the colon-hex form (as node:tls reports `fingerprint256`) into the SSH form. */
export function sshFromHex(hex: string): string {
  const digits = hex.replaceAll(":", "");
  if (!/^[0-9A-Fa-f]{64}$/.test(digits)) throw new TypeError(`Not a SHA-256 hex digest: ${hex}`);
  return sshForm(fromHex(digits));
}

/** Turns the SSH form into openssl's colon-hex form. */
export function hexFromSsh(fingerprint: string): string {
  const parsed = parseFingerprint(fingerprint);
  if (parsed === null) throw new TypeError(`Not a SHA256: fingerprint: ${fingerprint}`);
  return hexForm(fromBase64(parsed.slice(PREFIX.length)));
}

/** The DER bytes of every `-----BEGIN <label>-----` block in a PEM text, in order. */
export function pemBlocks(pem: string, label: string): Uint8Array[] {
  const pattern = new RegExp(
    `-----BEGIN ${label}-----([A-Za-z0-9+/=\\s]*?)-----END ${label}-----`,
    "g",
  );
  return [...pem.matchAll(pattern)].map((match) => fromBase64(match[1]!.replace(/\s+/g, "")));
}

function sshForm(digest: Uint8Array): string {
  return PREFIX + toBase64(digest).replace(/=+$/, "");
}

function hexForm(digest: Uint8Array): string {
  return [...digest].map((byte) => byte.toString(16).padStart(2, "0").toUpperCase()).join(":");
}

function toBase64(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

function fromBase64(text: string): Uint8Array {
  const padded = text + "=".repeat((4 - text.length % 4) % 4);
  return Uint8Array.from(atob(padded), (char) => char.charCodeAt(0));
}

function fromHex(hex: string): Uint8Array {
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return bytes;
}
