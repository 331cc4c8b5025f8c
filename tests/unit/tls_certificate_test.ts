/**
 * Tests for the relay's self-signed certificate: the extensions strict TLS clients insist on, and
 * proof that Deno serves it and Deno's own (strict) TLS client accepts it for each name.
 */
import assert from "node:assert/strict";
import { certificateNames } from "../../cli/serve_tls.ts";
import {
  certificateFacts,
  createSelfSigned,
  SELF_SIGNED_VALID_DAYS,
} from "../../transport/tls_certificate.ts";

Deno.test("createSelfSigned() makes an end-entity certificate for the names given", async () => {
  const now = new Date("2026-01-01T00:00:00Z");
  const pair = await createSelfSigned(["127.0.0.1", "::1", "localhost", "chat.lan"], { now });
  assert.match(pair.cert, /^-----BEGIN CERTIFICATE-----/);
  assert.match(pair.key, /^-----BEGIN PRIVATE KEY-----/);
  const facts = certificateFacts(pair.cert);
  assert.equal(facts.isCa, false);
  assert.deepEqual(facts.names, ["127.0.0.1", "::1", "localhost", "chat.lan"]);
  assert.ok(facts.notBefore < now);
  const days = (facts.notAfter.getTime() - now.getTime()) / 86_400_000;
  assert.equal(Math.round(days), SELF_SIGNED_VALID_DAYS);
  await assert.rejects(createSelfSigned([]), RangeError);
});

Deno.test("createSelfSigned() gives a fresh key and serial each time", async () => {
  const [a, b] = await Promise.all([createSelfSigned(["h"]), createSelfSigned(["h"])]);
  assert.notEqual(a.cert, b.cert);
  assert.notEqual(a.key, b.key);
});

Deno.test("certificateFacts() rejects what is not a certificate", () => {
  assert.throws(() => certificateFacts("not a certificate"), TypeError);
});

Deno.test("Deno serves the certificate and its strict TLS client accepts it by each name", async () => {
  const pair = await createSelfSigned(["127.0.0.1", "localhost"]);
  const listener = Deno.listenTls({ hostname: "127.0.0.1", port: 0, ...pair });
  const port = (listener.addr as Deno.NetAddr).port;
  const serving = (async () => {
    for (let i = 0; i < 2; i++) {
      const conn = await listener.accept();
      await conn.handshake().catch(() => {});
      await conn.write(Uint8Array.of(42)).catch(() => 0);
      conn.close();
    }
  })();
  try {
    for (const hostname of ["127.0.0.1", "localhost"]) {
      // Deno.connectTls refuses a CA certificate from a server (CaUsedAsEndEntity): this one passes.
      const conn = await Deno.connectTls({ hostname, port, caCerts: [pair.cert] });
      const info = await conn.handshake();
      const byte = new Uint8Array(1);
      assert.equal(await conn.read(byte), 1, hostname);
      assert.equal(byte[0], 42);
      conn.close();
      assert.equal(info.alpnProtocol, null);
    }
  } finally {
    await serving;
    listener.close();
  }
});

Deno.test("certificateNames() names a wildcard relay by every address it can be reached at", () => {
  const local = {
    addresses: ["127.0.0.1", "10.0.0.5", "fe80::1c2d:3eff:fe4f:5a6b", "fd00::2", "::1"],
    hostname: "Lab-Box",
  };
  assert.deepEqual(certificateNames("0.0.0.0", local), [
    "127.0.0.1",
    "10.0.0.5",
    "fd00::2",
    "::1",
    "localhost",
    "lab-box",
  ]);
  assert.deepEqual(certificateNames("::", { addresses: [], hostname: null }), [
    "127.0.0.1",
    "::1",
    "localhost",
  ]);
  // A host name that is not a DNS name is left out rather than put in a certificate.
  assert.deepEqual(
    certificateNames("0.0.0.0", { addresses: [], hostname: "my box" }),
    ["127.0.0.1", "::1", "localhost"],
  );
  assert.deepEqual(certificateNames("10.0.0.5", local), ["10.0.0.5"]);
  assert.deepEqual(certificateNames("chat.lan", local), ["chat.lan"]);
});
