/**
 * Dialing a relay over TLS: connect, look at the certificate the server showed, decide with
 * `decideTrust` whether to believe it, and only then hand the socket over as a `FrameConnection`.
 * Nothing is sent before the decision. The dialer remembers what it trusted, so every reconnect
 * checks the new connection's certificate against it: a changed certificate ends the session
 * (`certificate_changed`, a final refusal) instead of being retried.
 */
import { knownHostAddress, KnownHostsFile, knownHostsPath } from "../storage/known_hosts.ts";
import { connectTls, NodeTlsConnection, TlsConnectError } from "../transport/node_tls.ts";
import type { TlsPeer } from "../transport/node_tls.ts";
import type { FrameConnection } from "../transport/types.ts";
import { ChatError } from "./errors.ts";
import { decideTrust, type EarlierTrust, UNTRUSTED_CERTIFICATE } from "./tls_trust.ts";

/**
 * How the relay is read: a frame over the limit is truncated, so an oversized `deliver` becomes
 * an unreadable message to move past instead of a connection to reconnect into forever.
 */
const READ_OPTIONS = { oversizedFrames: "truncate" } as const;
/** How long connecting and the TLS handshake may take before the server counts as unreachable. */
const CONNECT_TIMEOUT_MS = 10_000;

/** How `chat join --tls` decides whom to trust. */
export interface TlsJoinOptions {
  /** Authorities to trust instead of the system's (--ca): the PEM text and the file it came from. */
  ca?: { pem: string; file: string };
  /** The certificate's expected fingerprint (--fingerprint), `SHA256:...`. */
  fingerprint?: string;
  /**
   * Asks the user a yes/no question on the terminal. Without it (no terminal), a new server's
   * self-signed certificate is trusted, recorded, and its fingerprint printed on stderr.
   */
  confirm?: (question: string) => Promise<boolean>;
}

/** What the dialer needs besides the TLS options. */
export interface TlsDialTarget {
  host: string;
  port: number;
  /** The config directory, holding the known-hosts file. */
  configDir: string;
  tls: TlsJoinOptions;
  /** Where notes for the user go (stderr). */
  err(line: string): void;
}

/** A `dial` function for `ChatSession`: each call opens a new, checked TLS connection. */
export function tlsDialer(target: TlsDialTarget): () => Promise<FrameConnection> {
  const address = knownHostAddress(target.host, target.port);
  const knownHosts = new KnownHostsFile(knownHostsPath(target.configDir));
  let earlier: EarlierTrust | null = null;

  const record = async (fingerprint: string, replace: boolean): Promise<number | null> => {
    try {
      return await knownHosts.record({ address, fingerprint }, { replace });
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      target.err(`chat: warning: could not record ${address} in ${knownHosts.path}: ${reason}`);
      return null;
    }
  };

  return async function dial(): Promise<FrameConnection> {
    while (true) {
      const { socket, peer } = await connect(target, address);
      let decision;
      try {
        decision = decideTrust({
          address,
          offered: peer.fingerprint,
          pinned: target.tls.fingerprint ?? null,
          known: await knownHosts.lookup(address),
          knownHostsFile: knownHosts.path,
          verified: peer.authorized,
          verifyError: peer.authorizationError,
          caFile: target.tls.ca?.file ?? null,
          earlier,
        });
      } catch (error) {
        socket.destroy();
        throw error;
      }
      if (decision.action === "refuse") {
        socket.destroy();
        throw decision.error;
      }
      if (decision.action === "accept") {
        if (decision.record === "replace") {
          const line = await record(peer.fingerprint, true);
          if (line !== null) {
            target.err(
              `chat: replaced the known certificate of ${address} in ${knownHosts.path} ` +
                `(now line ${line}) with the one --fingerprint names`,
            );
          }
        } else if (decision.record === "add") {
          await record(peer.fingerprint, false);
        }
        earlier = decision.trust;
        return new NodeTlsConnection(socket, address, READ_OPTIONS);
      }
      // A server never seen, with a certificate no authority vouches for: trust on first use.
      if (target.tls.confirm) {
        // The relay waits only so long for a hello; a person may take longer. Ask with the
        // connection closed, then connect again and insist on the very certificate trusted.
        socket.destroy();
        const yes = await target.tls.confirm(question(address, decision.reason, peer));
        if (!yes) {
          throw new ChatError(UNTRUSTED_CERTIFICATE, `Not trusting ${address}; nothing was sent`);
        }
        const line = await record(peer.fingerprint, false);
        if (line !== null) target.err(`chat: recorded ${address} in ${knownHosts.path}`);
        earlier = { kind: "fingerprint", fingerprint: peer.fingerprint };
        continue;
      }
      const line = await record(peer.fingerprint, false);
      target.err(
        `chat: trusting new server ${address} (its TLS certificate is ${decision.reason}) with ` +
          `certificate fingerprint ${peer.fingerprint}; compare it with the one the server ` +
          `printed${line === null ? "" : `. Recorded in ${knownHosts.path}`}`,
      );
      earlier = { kind: "fingerprint", fingerprint: peer.fingerprint };
      return new NodeTlsConnection(socket, address, READ_OPTIONS);
    }
  };
}

/**
 * A plain connection's first exchange failing on garbage is most likely a TLS server answering
 * (a TLS record header reads as an enormous frame length): say so.
 */
export function withTlsHint(error: unknown): unknown {
  if (!(error instanceof ChatError)) return error;
  if (!["frame_too_large", "bad_frame", "unknown_frame"].includes(error.code)) return error;
  return new ChatError(
    error.code,
    `${error.message}; if the server runs with --tls, join with --tls`,
  );
}

function question(address: string, reason: string, peer: TlsPeer): string {
  // The colon-hex form in two halves, so it fits an 80-column terminal.
  const hex = peer.hexFingerprint;
  return [
    `The server ${address} is new to this computer, and its TLS certificate is ${reason}.`,
    `Its certificate fingerprint:`,
    `  ${peer.fingerprint}`,
    `  ${hex.slice(0, 48)}`,
    `  ${hex.slice(48)}  (the same, as openssl prints it)`,
    `Compare it with the fingerprint "chat serve" printed. Trust this server? [y/N] `,
  ].join("\n");
}

async function connect(target: TlsDialTarget, address: string) {
  try {
    return await connectTls({
      host: target.host,
      port: target.port,
      ...(target.tls.ca ? { ca: target.tls.ca.pem } : {}),
      timeoutMs: CONNECT_TIMEOUT_MS,
    });
  } catch (error) {
    if (!(error instanceof TlsConnectError)) throw error;
    switch (error.kind) {
      case "refused":
        throw new ChatError(
          "unreachable",
          `Cannot reach ${address}: connection refused (is "chat serve --tls" running there?)`,
        );
      case "timeout":
        throw new ChatError("unreachable", `Cannot reach ${address}: no answer in time`);
      case "network":
        throw new ChatError("unreachable", `Cannot reach ${address}: ${error.message}`);
      case "handshake":
        throw new ChatError(
          "tls_failed",
          `TLS handshake with ${address} failed: ${error.message} (is the server running ` +
            `with --tls?)`,
        );
    }
  }
}
