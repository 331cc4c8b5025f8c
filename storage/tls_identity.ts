/**
 * Where the relay keeps the TLS certificate it made for itself: `<data>/tls/cert.pem` and
 * `<data>/tls/key.pem`, so a restarted relay shows clients the same identity. It owns only the
 * files; making a certificate is the caller's (`create`), so this module needs no crypto library.
 */
import { join } from "node:path";
import { writeAtomically } from "./atomic_file.ts";

// Same spelling as data_dir.ts: the data directory that keeps nothing on disk.
const MEMORY_PATH = ":memory:";

/** The directory under the data directory that holds the relay's certificate and key. */
export const TLS_DIR_NAME = "tls";

/** A certificate and key, PEM, and where they are kept (null when kept in memory only). */
export interface StoredIdentity {
  cert: string;
  key: string;
  certPath: string | null;
  keyPath: string | null;
  /** Made just now rather than read from disk. */
  created: boolean;
}

/** The certificate and key file paths for a data directory. */
export function tlsPaths(dataDir: string): { dir: string; cert: string; key: string } {
  const dir = join(dataDir, TLS_DIR_NAME);
  return { dir, cert: join(dir, "cert.pem"), key: join(dir, "key.pem") };
}

/**
 * Reads the relay's certificate and key from `dataDir`, or makes them with `create` and keeps
 * them there (the key readable by the owner only). With ":memory:" they are made for this run and
 * never written. A key without its certificate is a generation that never finished, and is
 * replaced; a certificate without its key is an error, since serving it is impossible.
 */
export async function loadOrCreateIdentity(
  dataDir: string,
  create: () => Promise<{ cert: string; key: string }>,
): Promise<StoredIdentity> {
  if (dataDir === MEMORY_PATH) {
    return { ...await create(), certPath: null, keyPath: null, created: true };
  }
  const paths = tlsPaths(dataDir);
  const cert = await readIfPresent(paths.cert);
  if (cert !== null) {
    const key = await readIfPresent(paths.key);
    if (key === null) {
      throw new Error(
        `${paths.cert} has no key beside it (${paths.key}); restore the key, or remove ` +
          `${paths.dir} to make a new certificate (clients will see it as changed)`,
      );
    }
    return { cert, key, certPath: paths.cert, keyPath: paths.key, created: false };
  }
  const made = await create();
  // 0o700 and 0o600: the key is the relay's identity; the umask may only narrow these.
  await Deno.mkdir(paths.dir, { recursive: true, mode: 0o700 });
  // The key first: a certificate on disk always has its key beside it.
  await writeAtomically(paths.key, made.key);
  await writeAtomically(paths.cert, made.cert);
  return { ...made, certPath: paths.cert, keyPath: paths.key, created: true };
}

async function readIfPresent(path: string): Promise<string | null> {
  try {
    return await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw error;
  }
}
