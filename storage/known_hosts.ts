/**
 * The client's known-hosts file, `<config>/known_hosts`: one `host:port SHA256:...` line per
 * server whose self-signed TLS certificate the user trusted, so a changed one is noticed. Lines
 * starting with `#` and blank lines are kept as they are; lines that do not parse are ignored.
 * Parsing and editing are pure; only `KnownHostsFile` touches the disk.
 */
import { dirname, join } from "node:path";
import { parseFingerprint } from "../transport/tls_fingerprint.ts";
import { writeAtomically } from "./atomic_file.ts";

/** The file's name in the config directory. */
export const KNOWN_HOSTS_FILE_NAME = "known_hosts";

/** One server's entry. */
export interface KnownHost {
  /** `host:port`, as `knownHostAddress` spells it. */
  address: string;
  /** `SHA256:...` */
  fingerprint: string;
  /** 1-based line number in the file, for telling the user which line to remove. */
  line: number;
}

/** The known-hosts file in a config directory. */
export function knownHostsPath(configDir: string): string {
  return join(configDir, KNOWN_HOSTS_FILE_NAME);
}

/** How a server is named in the file: lower-case host, IPv6 in brackets, then the port. */
export function knownHostAddress(host: string, port: number): string {
  const lower = host.toLowerCase();
  return `${lower.includes(":") ? `[${lower}]` : lower}:${port}`;
}

/** Every well-formed entry of a known-hosts text, in file order. */
export function parseKnownHosts(text: string): KnownHost[] {
  const entries: KnownHost[] = [];
  text.split("\n").forEach((raw, index) => {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) return;
    const [address, fingerprint, ...rest] = line.split(/\s+/);
    const parsed = fingerprint === undefined ? null : parseFingerprint(fingerprint);
    if (!address || parsed === null || rest.length > 0 || !/:\d+$/.test(address)) return;
    entries.push({ address: address.toLowerCase(), fingerprint: parsed, line: index + 1 });
  });
  return entries;
}

/**
 * The text with `address fingerprint` appended; with `replace`, the address's other entries are
 * removed first. Returns the new text and the line number of the new entry.
 */
export function withEntry(
  text: string,
  entry: { address: string; fingerprint: string },
  options: { replace?: boolean } = {},
): { text: string; line: number } {
  const stale = new Set(
    options.replace
      ? parseKnownHosts(text).filter((known) => known.address === entry.address).map((known) =>
        known.line
      )
      : [],
  );
  const lines = text.split("\n").filter((_, index) => !stale.has(index + 1));
  if (lines.at(-1) === "") lines.pop();
  lines.push(`${entry.address} ${entry.fingerprint}`);
  return { text: `${lines.join("\n")}\n`, line: lines.length };
}

/** The known-hosts file on disk. */
export class KnownHostsFile {
  readonly path: string;

  constructor(path: string) {
    this.path = path;
  }

  /** The entries for `address`; none when the file does not exist yet. */
  async lookup(address: string): Promise<KnownHost[]> {
    return parseKnownHosts(await this.#read()).filter((entry) => entry.address === address);
  }

  /**
   * Adds an entry (replacing the address's others with `replace`), writing the whole file
   * atomically and owner-only. Returns the line number of the new entry.
   */
  async record(
    entry: { address: string; fingerprint: string },
    options: { replace?: boolean } = {},
  ): Promise<number> {
    // Read again right before writing, so a line another client added meanwhile is kept.
    const updated = withEntry(await this.#read(), entry, options);
    // 0o700: the config directory also holds the member's identity key.
    await Deno.mkdir(dirname(this.path), { recursive: true, mode: 0o700 });
    await writeAtomically(this.path, updated.text);
    return updated.line;
  }

  async #read(): Promise<string> {
    try {
      return await Deno.readTextFile(this.path);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return "";
      throw error;
    }
  }
}
