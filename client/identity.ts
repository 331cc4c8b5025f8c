/**
 * The user's identity key on disk: an Ed25519 private key in PKCS#8 PEM, made on first use and
 * readable by the user alone. Messages are signed with it inside the encryption.
 */
import { generateIdentity, type Identity, importIdentity } from "../crypto.ts";
import { join } from "node:path";
import { ChatError } from "./errors.ts";

/** The identity file's name inside the config directory. */
export const IDENTITY_FILE = "identity.pem";
const PEM_LABEL = "PRIVATE KEY";

/** Loads the identity kept in `configDir`, making one there first if there is none. */
export async function loadOrCreateIdentity(
  configDir: string,
): Promise<{ identity: Identity; created: boolean }> {
  const path = join(configDir, IDENTITY_FILE);
  let pem: string | null = null;
  try {
    pem = await Deno.readTextFile(path);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) {
      throw new ChatError("identity", `Cannot read the identity key ${path}: ${describe(error)}`);
    }
  }
  if (pem !== null) {
    try {
      return { identity: await importIdentity(fromPem(pem)), created: false };
    } catch (error) {
      throw new ChatError(
        "identity",
        `The identity key ${path} is damaged (${describe(error)}); move it aside to make a new one`,
      );
    }
  }
  const { identity, pkcs8 } = await generateIdentity();
  await Deno.mkdir(configDir, { recursive: true, mode: 0o700 });
  // Created exclusively, so two clients starting at once cannot overwrite each other's key.
  try {
    await Deno.writeTextFile(path, toPem(pkcs8), { createNew: true, mode: 0o600 });
  } catch (error) {
    if (error instanceof Deno.errors.AlreadyExists) return await loadOrCreateIdentity(configDir);
    throw new ChatError("identity", `Cannot write the identity key ${path}: ${describe(error)}`);
  }
  return { identity, created: true };
}

/** PKCS#8 bytes as PEM text. */
export function toPem(pkcs8: Uint8Array): string {
  const base64 = btoa(String.fromCharCode(...pkcs8));
  const lines = base64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${PEM_LABEL}-----\n${lines.join("\n")}\n-----END ${PEM_LABEL}-----\n`;
}

/** The bytes inside a PEM block labelled PRIVATE KEY. */
export function fromPem(pem: string): Uint8Array {
  const match = pem.match(
    new RegExp(`-----BEGIN ${PEM_LABEL}-----([A-Za-z0-9+/=\\s]+)-----END ${PEM_LABEL}-----`),
  );
  if (!match) throw new TypeError("no PRIVATE KEY block");
  return Uint8Array.from(atob(match[1]!.replace(/\s+/g, "")), (char) => char.charCodeAt(0));
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
