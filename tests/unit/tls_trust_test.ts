/**
 * Tests for the TLS trust decision: each rule in order (pin, known hosts, CA, first use), and
 * reconnects, which must see the certificate they trusted before.
 */
import assert from "node:assert/strict";
import { ChatError } from "../../client/errors.ts";
import {
  CERTIFICATE_CHANGED,
  CERTIFICATE_MISMATCH,
  decideTrust,
  describeVerifyError,
  type TrustDecision,
  type TrustInput,
  UNTRUSTED_CERTIFICATE,
} from "../../client/tls_trust.ts";

const OLD = "SHA256:ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0";
const NEW = "SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU";
const FILE = "/home/ana/.config/chat/known_hosts";

function input(overrides: Partial<TrustInput> = {}): TrustInput {
  return {
    address: "10.0.0.5:7777",
    offered: NEW,
    pinned: null,
    known: [],
    knownHostsFile: FILE,
    verified: false,
    verifyError: "DEPTH_ZERO_SELF_SIGNED_CERT",
    caFile: null,
    earlier: null,
    ...overrides,
  };
}

function refusal(decision: TrustDecision): ChatError {
  assert.equal(decision.action, "refuse");
  return (decision as { error: ChatError }).error;
}

Deno.test("decideTrust() accepts a --fingerprint match and records it when unknown", () => {
  assert.deepEqual(decideTrust(input({ pinned: NEW })), {
    action: "accept",
    trust: { kind: "fingerprint", fingerprint: NEW },
    record: "add",
  });
  const known = [{ address: "10.0.0.5:7777", fingerprint: NEW, line: 3 }];
  assert.equal((decideTrust(input({ pinned: NEW, known })) as { record: string }).record, "no");
});

Deno.test("decideTrust() lets a --fingerprint match replace a stale known-hosts entry", () => {
  const known = [{ address: "10.0.0.5:7777", fingerprint: OLD, line: 3 }];
  const decision = decideTrust(input({ pinned: NEW, known }));
  assert.equal(decision.action, "accept");
  assert.equal((decision as { record: string }).record, "replace");
});

Deno.test("decideTrust() refuses a --fingerprint mismatch even from a CA-valid server", () => {
  const error = refusal(decideTrust(input({ pinned: OLD, verified: true, verifyError: null })));
  assert.equal(error.code, CERTIFICATE_MISMATCH);
  assert.match(error.message, new RegExp(`expected ${OLD.replace("+", "\\+")}`));
  assert.ok(error.message.includes(`offered ${NEW}`));
  assert.match(error.message, /Nothing was sent/);
});

Deno.test("decideTrust() accepts a known host whose certificate matches", () => {
  const known = [{ address: "10.0.0.5:7777", fingerprint: NEW, line: 1 }];
  assert.deepEqual(decideTrust(input({ known })), {
    action: "accept",
    trust: { kind: "fingerprint", fingerprint: NEW },
    record: "no",
  });
});

Deno.test("decideTrust() refuses a known host's changed certificate, even a CA-valid one", () => {
  const known = [{ address: "10.0.0.5:7777", fingerprint: OLD, line: 4 }];
  for (const verified of [false, true]) {
    const error = refusal(decideTrust(input({ known, verified })));
    assert.equal(error.code, CERTIFICATE_CHANGED);
    assert.match(error.message, /has CHANGED/);
    assert.ok(error.message.includes(`known:   ${OLD}`));
    assert.ok(error.message.includes(`offered: ${NEW}`));
    assert.ok(error.message.includes(`remove line 4 of ${FILE}`));
    assert.ok(error.message.includes(`--fingerprint ${NEW}`));
  }
});

Deno.test("decideTrust() accepts a certificate a CA vouches for, without recording it", () => {
  assert.deepEqual(decideTrust(input({ verified: true, verifyError: null })), {
    action: "accept",
    trust: { kind: "ca" },
    record: "no",
  });
});

Deno.test("decideTrust() asks about a new server with a self-signed certificate", () => {
  assert.deepEqual(decideTrust(input()), { action: "ask", reason: "self-signed" });
});

Deno.test("decideTrust() with --ca refuses what its CA does not vouch for, asking nothing", () => {
  const error = refusal(
    decideTrust(input({ caFile: "ca.pem", verifyError: "ERR_TLS_CERT_ALTNAME_INVALID" })),
  );
  assert.equal(error.code, UNTRUSTED_CERTIFICATE);
  assert.match(error.message, /not trusted under --ca ca\.pem \(not issued for 10\.0\.0\.5\)/);
});

Deno.test("decideTrust() on a reconnect accepts only the certificate trusted before", () => {
  const earlier = { kind: "fingerprint", fingerprint: OLD } as const;
  assert.equal(decideTrust(input({ earlier, offered: OLD })).action, "accept");
  const known = [{ address: "10.0.0.5:7777", fingerprint: OLD, line: 2 }];
  const error = refusal(decideTrust(input({ earlier, known })));
  assert.equal(error.code, CERTIFICATE_CHANGED);
  assert.match(error.message, /CHANGED since this session connected/);
  assert.ok(error.message.includes(`before:  ${OLD}`));
  assert.ok(error.message.includes(`offered: ${NEW}`));
  assert.ok(error.message.includes(`remove line 2 of ${FILE}`));
  // Never asks on a reconnect, even when nothing else is known about the new certificate.
  assert.equal(refusal(decideTrust(input({ earlier }))).code, CERTIFICATE_CHANGED);
});

Deno.test("decideTrust() on a reconnect after a CA vouched takes a renewed CA certificate", () => {
  const earlier = { kind: "ca" } as const;
  assert.equal(decideTrust(input({ earlier, verified: true, verifyError: null })).action, "accept");
  const error = refusal(decideTrust(input({ earlier })));
  assert.equal(error.code, CERTIFICATE_CHANGED);
  assert.match(error.message, /no longer trusted \(self-signed\)/);
  const underCa = refusal(decideTrust(input({ earlier, caFile: "ca.pem" })));
  assert.equal(underCa.code, CERTIFICATE_CHANGED);
});

Deno.test("describeVerifyError() puts the TLS library's codes in words", () => {
  assert.equal(describeVerifyError("DEPTH_ZERO_SELF_SIGNED_CERT", "h:1"), "self-signed");
  assert.equal(
    describeVerifyError("ERR_TLS_CERT_ALTNAME_INVALID", "[::1]:7777"),
    "not issued for [::1]",
  );
  assert.equal(describeVerifyError("CERT_HAS_EXPIRED", "h:1"), "expired");
  assert.equal(
    describeVerifyError("UNABLE_TO_VERIFY_LEAF_SIGNATURE", "h:1"),
    "not signed by a trusted authority",
  );
  assert.equal(describeVerifyError("SOMETHING_ELSE", "h:1"), "SOMETHING_ELSE");
});
