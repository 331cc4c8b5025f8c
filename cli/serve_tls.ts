/**
 * The TLS flags of `chat serve`: --tls (a certificate the relay makes once and keeps in its data
 * directory) or --cert FILE --key FILE (one from a CA or openssl; implies --tls). Finds or makes
 * the certificate, checks what can be checked before listening, and fingerprints it.
 */
import { ChatError } from "../client/errors.ts";
import { ensureDataDir } from "../storage/data_dir.ts";
import { loadOrCreateIdentity } from "../storage/tls_identity.ts";
import { type Fingerprint, fingerprintOfPem } from "../transport/tls_fingerprint.ts";
import { SERVE_USAGE, UsageError } from "./usage.ts";

/** The parseArgs option table for the TLS flags. */
export const SERVE_TLS_FLAGS = {
  tls: { type: "boolean", default: false },
  cert: { type: "string" },
  key: { type: "string" },
} as const;

/** The flags' values as parseArgs returns them. */
export interface ServeTlsValues {
  tls: boolean;
  cert?: string | undefined;
  key?: string | undefined;
}

/** The certificate to serve, and what to tell the operator about it. */
export interface ServerTls {
  cert: string;
  key: string;
  fingerprint: Fingerprint;
  /** The relay made the certificate itself (clients pin it by fingerprint). */
  selfSigned: boolean;
  /** Lines for the operator: where the certificate is, and any warnings. */
  notes: string[];
  /** The files given with --cert and --key, for error messages; null for the relay's own. */
  files: { cert: string; key: string } | null;
}

/** TLS settings for `serve`, or undefined for plain TCP. */
export async function serverTls(
  values: ServeTlsValues,
  where: { dataDir: string; host: string },
): Promise<ServerTls | undefined> {
  if ((values.cert === undefined) !== (values.key === undefined)) {
    throw new UsageError(
      "--cert and --key go together: give both, or neither (with --tls) for a certificate " +
        "the server makes itself",
      SERVE_USAGE,
    );
  }
  if (values.cert !== undefined && values.key !== undefined) {
    return await givenCertificate(values.cert, values.key);
  }
  if (!values.tls) return undefined;
  const names = certificateNames(where.host, localNames());
  ensureDataDir(where.dataDir);
  const identity = await loadOrCreateIdentity(where.dataDir, async () => {
    // Loaded only now: the X.509 library is needed only to make a certificate.
    const { createSelfSigned } = await import("../transport/tls_certificate.ts");
    return await createSelfSigned(names);
  });
  const notes = identity.certPath === null
    ? ["made a TLS certificate for this run only (--data :memory:)"]
    : identity.created
    ? [`made a TLS certificate, kept in ${identity.certPath} (key: ${identity.keyPath})`]
    : [`TLS certificate from ${identity.certPath}`];
  return {
    cert: identity.cert,
    key: identity.key,
    fingerprint: await fingerprintOfPem(identity.cert),
    selfSigned: true,
    notes,
    files: null,
  };
}

async function givenCertificate(certFile: string, keyFile: string): Promise<ServerTls> {
  const read = async (file: string, flag: string) => {
    try {
      return await Deno.readTextFile(file);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new ChatError("tls_config", `Cannot read ${flag} ${file}: ${reason}`);
    }
  };
  const cert = await read(certFile, "--cert");
  const key = await read(keyFile, "--key");
  const { certificateFacts } = await import("../transport/tls_certificate.ts");
  let facts;
  try {
    facts = certificateFacts(cert);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ChatError("tls_config", `--cert ${certFile} is not a certificate: ${reason}`);
  }
  const notes = [`TLS certificate from ${certFile} for ${facts.names.join(", ") || facts.subject}`];
  if (facts.isCa) {
    notes.push(
      `warning: ${certFile} is a CA certificate (basicConstraints CA:TRUE): TLS clients that ` +
        `check certificates, Deno's own among them, refuse it from a server ` +
        `(CaUsedAsEndEntity). Make one with CA:FALSE; docs/TLS.md shows how`,
    );
  }
  const now = Date.now();
  if (facts.notAfter.getTime() < now) {
    notes.push(`warning: ${certFile} expired on ${facts.notAfter.toISOString()}`);
  } else if (facts.notBefore.getTime() > now) {
    notes.push(`warning: ${certFile} is not valid until ${facts.notBefore.toISOString()}`);
  }
  return {
    cert,
    key,
    fingerprint: await fingerprintOfPem(cert),
    selfSigned: false,
    notes,
    files: { cert: certFile, key: keyFile },
  };
}

/** What this machine is called: its interface addresses and, if readable, its host name. */
export interface LocalNames {
  addresses: string[];
  hostname: string | null;
}

function localNames(): LocalNames {
  let addresses: string[] = [];
  try {
    addresses = Deno.networkInterfaces().map((info) => info.address);
  } catch {
    // Not permitted or not supported: the loopback names still go in.
  }
  let hostname: string | null = null;
  try {
    hostname = Deno.hostname();
  } catch {
    // Not permitted: the certificate simply does not name the host.
  }
  return { addresses, hostname };
}

/**
 * The names a relay's own certificate is made for: the host it listens on or, for a wildcard
 * (0.0.0.0 or ::), every interface address, the loopback addresses, "localhost" and the host name.
 * Link-local IPv6 addresses are left out: a certificate cannot name their zone.
 */
export function certificateNames(host: string, local: LocalNames): string[] {
  if (host !== "0.0.0.0" && host !== "::") return [host];
  const names = [
    ...local.addresses.filter((address) => !/^fe80:/i.test(address)),
    "127.0.0.1",
    "::1",
    "localhost",
  ];
  if (local.hostname && /^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$/.test(local.hostname)) {
    names.push(local.hostname.toLowerCase());
  }
  return [...new Set(names)];
}
