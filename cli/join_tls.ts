/**
 * The TLS flags of `chat join`: --tls, --ca FILE and --fingerprint SHA256:... (either of the last
 * two implies --tls). Turns them into the client's `TlsJoinOptions`, reading the CA file here so a
 * bad one is reported before anything connects.
 */
import type { TlsJoinOptions } from "../client/tls_dial.ts";
import { ChatError } from "../client/errors.ts";
import { confirm } from "../terminal/confirm.ts";
import { parseFingerprint, pemBlocks } from "../transport/tls_fingerprint.ts";
import { JOIN_USAGE, UsageError } from "./usage.ts";

/** The parseArgs option table for the TLS flags. */
export const JOIN_TLS_FLAGS = {
  tls: { type: "boolean", default: false },
  ca: { type: "string" },
  fingerprint: { type: "string" },
} as const;

/** The flags' values as parseArgs returns them. */
export interface JoinTlsValues {
  tls: boolean;
  ca?: string | undefined;
  fingerprint?: string | undefined;
}

/** TLS options for `join`, or undefined for plain TCP. `terminal`: stdin is a terminal. */
export async function joinTlsOptions(
  values: JoinTlsValues,
  terminal: boolean,
): Promise<TlsJoinOptions | undefined> {
  if (!values.tls && values.ca === undefined && values.fingerprint === undefined) return undefined;
  const options: TlsJoinOptions = {};
  if (values.fingerprint !== undefined) {
    const fingerprint = parseFingerprint(values.fingerprint);
    if (fingerprint === null) {
      throw new UsageError(
        `Invalid --fingerprint "${values.fingerprint}": use the SHA256:... form "chat serve" ` +
          `printed (or openssl's colon-separated hex)`,
        JOIN_USAGE,
      );
    }
    options.fingerprint = fingerprint;
  }
  if (values.ca !== undefined) options.ca = { pem: await readCa(values.ca), file: values.ca };
  if (terminal) options.confirm = confirm;
  return options;
}

async function readCa(file: string): Promise<string> {
  let pem: string;
  try {
    pem = await Deno.readTextFile(file);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ChatError("tls_config", `Cannot read --ca ${file}: ${reason}`);
  }
  if (pemBlocks(pem, "CERTIFICATE").length === 0) {
    throw new ChatError(
      "tls_config",
      `--ca ${file} holds no certificate: give a PEM file with "-----BEGIN CERTIFICATE-----"`,
    );
  }
  return pem;
}
