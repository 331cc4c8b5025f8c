/**
 * Whether to trust the certificate a TLS server showed, decided before a single byte is sent. Pure:
 * the caller gathers what is known (the pin from --fingerprint, the known-hosts entries, whether
 * the certificate checks out under the system's or --ca's authorities, what this session trusted
 * before) and acts on the decision: accept, ask the user, or refuse with a `ChatError`.
 *
 * The order: a --fingerprint pin decides alone; else a known-hosts entry must match (a changed
 * certificate is always refused); else a certificate valid for the host under a CA is accepted;
 * else the server is new and the user decides (trust on first use). Once a session has trusted a
 * certificate, every reconnect must see the same one (or, if a CA vouched, one a CA vouches for).
 */
import type { KnownHost } from "../storage/known_hosts.ts";
import { ChatError } from "./errors.ts";

/** The code of every refusal on a reconnect, and of a known host's changed certificate. */
export const CERTIFICATE_CHANGED = "certificate_changed";
/** The code when the certificate is not the one --fingerprint named. */
export const CERTIFICATE_MISMATCH = "certificate_mismatch";
/** The code when the certificate is not trusted: not valid under --ca, or the user said no. */
export const UNTRUSTED_CERTIFICATE = "untrusted_certificate";

/** What this session trusted on an earlier connection. */
export type EarlierTrust = { kind: "fingerprint"; fingerprint: string } | { kind: "ca" };

/** Everything the decision depends on. */
export interface TrustInput {
  /** `host:port`, as in the known-hosts file. */
  address: string;
  /** The offered certificate's `SHA256:...` fingerprint. */
  offered: string;
  /** From --fingerprint, or null. */
  pinned: string | null;
  /** The known-hosts entries for `address`. */
  known: readonly KnownHost[];
  /** The known-hosts file, for telling the user which line to remove. */
  knownHostsFile: string | null;
  /** The certificate chains to a trusted CA and is valid for the host. */
  verified: boolean;
  /** Why it is not, in the TLS library's words (e.g. DEPTH_ZERO_SELF_SIGNED_CERT), or null. */
  verifyError: string | null;
  /** The --ca file: only its authorities (or a pin) may vouch; no trust on first use. */
  caFile: string | null;
  /** What this session trusted before; null on the first connection. */
  earlier: EarlierTrust | null;
}

/** What to do with the connection. */
export type TrustDecision =
  /** Go ahead; `record` says whether to add the pinned fingerprint to known hosts. */
  | { action: "accept"; trust: EarlierTrust; record: "no" | "add" | "replace" }
  /** A new server with a certificate no authority vouches for: ask, or in a pipe accept. */
  | { action: "ask"; reason: string }
  | { action: "refuse"; error: ChatError };

/** Decides whether to trust the offered certificate. */
export function decideTrust(input: TrustInput): TrustDecision {
  const decision = firstContact(input);
  if (input.earlier === null) return decision;
  if (input.earlier.kind === "fingerprint") {
    return input.offered === input.earlier.fingerprint
      ? { action: "accept", trust: input.earlier, record: "no" }
      : { action: "refuse", error: changedSinceConnected(input, input.earlier.fingerprint) };
  }
  // A CA vouched before: a certificate a CA vouches for now is a renewal, not a change.
  if (decision.action === "accept") return { ...decision, record: "no" };
  if (decision.action === "refuse" && decision.error.code === CERTIFICATE_CHANGED) return decision;
  const why = decision.action === "ask" ? decision.reason : decision.error.message;
  return {
    action: "refuse",
    error: new ChatError(
      CERTIFICATE_CHANGED,
      `The TLS certificate of ${input.address} changed since this session connected, and is no ` +
        `longer trusted (${why}). Stopped reconnecting; nothing was sent. Offered: ${input.offered}`,
    ),
  };
}

function firstContact(input: TrustInput): TrustDecision {
  const fingerprintTrust = { kind: "fingerprint", fingerprint: input.offered } as const;
  if (input.pinned !== null) {
    if (input.offered !== input.pinned) {
      return {
        action: "refuse",
        error: new ChatError(
          CERTIFICATE_MISMATCH,
          `The TLS certificate of ${input.address} is not the one --fingerprint names: expected ` +
            `${input.pinned}, offered ${input.offered}. Nothing was sent; check the fingerprint ` +
            `"chat serve" printed`,
        ),
      };
    }
    const record = input.known.length === 0
      ? "add"
      : input.known.some((entry) => entry.fingerprint === input.offered)
      ? "no"
      : "replace";
    return { action: "accept", trust: fingerprintTrust, record };
  }
  if (input.known.length > 0) {
    if (input.known.some((entry) => entry.fingerprint === input.offered)) {
      return { action: "accept", trust: fingerprintTrust, record: "no" };
    }
    return { action: "refuse", error: knownHostChanged(input, input.known[0]!) };
  }
  if (input.verified) return { action: "accept", trust: { kind: "ca" }, record: "no" };
  const reason = describeVerifyError(input.verifyError, input.address);
  if (input.caFile !== null) {
    return {
      action: "refuse",
      error: new ChatError(
        UNTRUSTED_CERTIFICATE,
        `The TLS certificate of ${input.address} is not trusted under --ca ${input.caFile} ` +
          `(${reason}). Nothing was sent`,
      ),
    };
  }
  return { action: "ask", reason };
}

function knownHostChanged(input: TrustInput, entry: KnownHost): ChatError {
  const where = input.knownHostsFile === null
    ? "the known-hosts file"
    : `line ${entry.line} of ${input.knownHostsFile}`;
  return new ChatError(
    CERTIFICATE_CHANGED,
    [
      `WARNING: the TLS certificate of ${input.address} has CHANGED. Someone may be ` +
      `intercepting the connection, or the server was given a new certificate.`,
      `  known:   ${entry.fingerprint} (${where})`,
      `  offered: ${input.offered}`,
      `Nothing was sent. If the server's certificate was really replaced, check the new ` +
      `fingerprint with whoever runs it, then remove ${where} (or join once with ` +
      `--fingerprint ${input.offered})`,
    ].join("\n"),
  );
}

function changedSinceConnected(input: TrustInput, before: string): ChatError {
  const entry = input.known.find((known) => known.fingerprint === before);
  const remedy = entry && input.knownHostsFile !== null
    ? `, then remove line ${entry.line} of ${input.knownHostsFile} and join again`
    : ", then join again";
  return new ChatError(
    CERTIFICATE_CHANGED,
    [
      `WARNING: the TLS certificate of ${input.address} CHANGED since this session connected. ` +
      `Someone may be intercepting the connection, or the server was given a new certificate.`,
      `  before:  ${before}`,
      `  offered: ${input.offered}`,
      `Stopped reconnecting; nothing was sent. If the server's certificate was really replaced, ` +
      `check the new fingerprint with whoever runs it${remedy}`,
    ].join("\n"),
  );
}

/** Why a certificate did not check out, in words, from the TLS library's error code. */
export function describeVerifyError(code: string | null, address: string): string {
  switch (code) {
    case null:
      return "not verified";
    case "DEPTH_ZERO_SELF_SIGNED_CERT":
      return "self-signed";
    case "ERR_TLS_CERT_ALTNAME_INVALID":
      return `not issued for ${address.replace(/:\d+$/, "")}`;
    case "CERT_HAS_EXPIRED":
      return "expired";
    case "CERT_NOT_YET_VALID":
      return "not valid yet";
    case "SELF_SIGNED_CERT_IN_CHAIN":
    case "UNABLE_TO_VERIFY_LEAF_SIGNATURE":
    case "UNABLE_TO_GET_ISSUER_CERT":
    case "UNABLE_TO_GET_ISSUER_CERT_LOCALLY":
      return "not signed by a trusted authority";
    default:
      return code;
  }
}
