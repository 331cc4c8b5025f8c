/**
 * Makes the relay's self-signed TLS certificate and reads the facts the serve command checks in a
 * certificate someone else made. Built on WebCrypto and `@peculiar/x509`; it never touches files
 * or sockets, and it is loaded only when TLS is asked for.
 */
// @peculiar/x509 2.x needs a Reflect metadata polyfill loaded before it (its README says so).
import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import { isIP } from "node:net";

/** How long a generated certificate is valid. Trust in it is pinned by fingerprint, not by date. */
export const SELF_SIGNED_VALID_DAYS = 3650;
const DAY_MS = 86_400_000;
const ALGORITHM = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;

/** A certificate and its private key, both PEM. */
export interface CertificatePair {
  /** The certificate, `-----BEGIN CERTIFICATE-----`. */
  cert: string;
  /** The PKCS#8 private key, `-----BEGIN PRIVATE KEY-----`. */
  key: string;
}

/**
 * A fresh ECDSA P-256 key and a self-signed end-entity certificate for it, valid for `names`
 * (IP addresses and DNS names): basicConstraints CA:FALSE, keyUsage digitalSignature, extended
 * key usage serverAuth. TLS clients such as Deno's own refuse a CA certificate as a server's.
 */
export async function createSelfSigned(
  names: readonly string[],
  options: { now?: Date; commonName?: string } = {},
): Promise<CertificatePair> {
  if (names.length === 0) throw new RangeError("A certificate needs at least one name");
  const now = options.now ?? new Date();
  const keys = await crypto.subtle.generateKey(ALGORITHM, true, ["sign", "verify"]);
  const serial = crypto.getRandomValues(new Uint8Array(16));
  serial[0]! &= 0x7f; // A positive serial number, as RFC 5280 requires.
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: [...serial].map((byte) => byte.toString(16).padStart(2, "0")).join(""),
    name: [{ CN: [options.commonName ?? "chat relay"] }],
    // An hour's slack for clients whose clocks run a little behind.
    notBefore: new Date(now.getTime() - 3_600_000),
    notAfter: new Date(now.getTime() + SELF_SIGNED_VALID_DAYS * DAY_MS),
    signingAlgorithm: ALGORITHM,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(
        names.map((name): x509.JsonGeneralName => ({
          type: isIP(name) ? "ip" : "dns",
          value: name,
        })),
      ),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  const pkcs8 = await crypto.subtle.exportKey("pkcs8", keys.privateKey);
  return { cert: cert.toString("pem"), key: x509.PemConverter.encode(pkcs8, "PRIVATE KEY") };
}

/** What the serve command checks in a certificate before serving it. */
export interface CertificateFacts {
  subject: string;
  /** The subjectAltName entries: DNS names and IP addresses. */
  names: string[];
  /** basicConstraints says CA:TRUE: strict TLS clients refuse it as a server's certificate. */
  isCa: boolean;
  notBefore: Date;
  notAfter: Date;
}

/** Reads the first certificate of a PEM text; throws `TypeError` when it cannot be parsed. */
export function certificateFacts(pem: string): CertificateFacts {
  let cert: x509.X509Certificate;
  try {
    cert = new x509.X509Certificate(pem);
  } catch (error) {
    throw new TypeError(
      `Not a PEM certificate: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  const constraints = cert.getExtension(x509.BasicConstraintsExtension);
  const altNames = cert.getExtension(x509.SubjectAlternativeNameExtension);
  return {
    subject: cert.subject,
    names: altNames?.names.items
      .filter((item) => item.type === "dns" || item.type === "ip")
      .map((item) => item.value) ?? [],
    isCa: constraints?.ca ?? false,
    notBefore: cert.notBefore,
    notAfter: cert.notAfter,
  };
}
