/**
 * What answers on a server's port, told from the first bytes it sends back: a chat relay, a TLS
 * server, a web server or an SSH server. Used only after a join has failed in a way that looks
 * like the wrong protocol (a frame length no relay sends, a TLS handshake that broke), so the
 * user reads "this server speaks TLS: add --tls" instead of a framing error. It sends a chat
 * hello on a fresh plain connection and reads what comes back, and, if that says nothing
 * useful, tries a TLS handshake. Nothing is trusted or kept: the probe only names the protocol.
 */
import { encodeMessage, MAX_FRAME_BYTES, PROTOCOL_VERSION } from "../protocol.ts";
import { connectTls } from "../transport/node_tls.ts";

/** What a server's first bytes show it to be. */
export type ServerKind = "chat" | "tls" | "http" | "ssh" | "unknown";

/** How long each step of the probe waits. */
const PROBE_TIMEOUT_MS = 3_000;
/** Enough bytes to tell the protocols apart. */
const PROBE_BYTES = 64;

/** The kind of server whose first bytes, in answer to a chat hello, are `bytes`. */
export function classifyFirstBytes(bytes: Uint8Array): ServerKind {
  const text = new TextDecoder("latin1").decode(bytes.subarray(0, 8));
  if (text.startsWith("HTTP/")) return "http";
  if (text.startsWith("SSH-")) return "ssh";
  // A TLS record: alert (21) or handshake (22), then major version 3.
  if (bytes.length >= 2 && (bytes[0] === 0x15 || bytes[0] === 0x16) && bytes[1] === 0x03) {
    return "tls";
  }
  if (bytes.length >= 5) {
    const length = new DataView(bytes.buffer, bytes.byteOffset).getUint32(0);
    const type = bytes[4]!;
    // A relay's frame: a sane length and a relay-to-client frame type.
    if (length >= 1 && length <= MAX_FRAME_BYTES && type >= 0x40 && type <= 0x7f) return "chat";
  }
  return "unknown";
}

/** Probes `host:port`: plain first, then a TLS handshake if plain told nothing. */
export async function probeServer(host: string, port: number): Promise<ServerKind> {
  const plain = await firstBytes(host, port).catch(() => null);
  const kind = plain === null ? "unknown" : classifyFirstBytes(plain);
  if (kind !== "unknown") return kind;
  try {
    const { socket } = await connectTls({ host, port, timeoutMs: PROBE_TIMEOUT_MS });
    socket.destroy();
    return "tls";
  } catch {
    return "unknown";
  }
}

/** What the server sends first in answer to a chat hello, within the probe's time. */
async function firstBytes(host: string, port: number): Promise<Uint8Array> {
  const conn = await Deno.connect({ hostname: host, port });
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const hello = encodeMessage({
      type: "hello",
      minVersion: PROTOCOL_VERSION,
      maxVersion: PROTOCOL_VERSION,
      software: "chat-probe",
    });
    await conn.write(hello).catch(() => 0);
    const buffer = new Uint8Array(PROBE_BYTES);
    let filled = 0;
    const read = (async () => {
      while (filled < 5) {
        const count = await conn.read(buffer.subarray(filled));
        if (count === null) break;
        filled += count;
      }
    })();
    const timeout = new Promise<void>((resolve) => timer = setTimeout(resolve, PROBE_TIMEOUT_MS));
    await Promise.race([read.catch(() => {}), timeout]);
    return buffer.slice(0, filled);
  } finally {
    clearTimeout(timer);
    try {
      conn.close();
    } catch {
      // Closed already.
    }
  }
}

/**
 * Words for a server of `kind` where the user expected a chat relay (`tls`: whether they joined
 * with --tls), or null when the probe found what was expected or nothing useful.
 */
export function wrongProtocolWords(kind: ServerKind, where: string, tls: boolean): string | null {
  switch (kind) {
    case "tls":
      return tls ? null : `${where} speaks TLS: add --tls`;
    case "chat":
      return tls
        ? `${where} is a chat server without TLS: join without --tls (messages are end-to-end ` +
          `encrypted either way)`
        : null;
    case "http":
      return `${where} is a web server, not "chat serve"; check the host and port`;
    case "ssh":
      return `${where} is an SSH server, not "chat serve"; check the host and port`;
    case "unknown":
      return null;
  }
}
