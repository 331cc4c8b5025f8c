/** Tests for certificate fingerprints: both printed forms, parsing what people paste, PEM. */
import assert from "node:assert/strict";
import {
  fingerprintOf,
  fingerprintOfPem,
  hexFromSsh,
  parseFingerprint,
  pemBlocks,
  sshFromHex,
} from "../../transport/tls_fingerprint.ts";

// SHA-256("abc"), FIPS 180-2 appendix B.1.
const ABC_HEX = "BA:78:16:BF:8F:01:CF:EA:41:41:40:DE:5D:AE:22:23:" +
  "B0:03:61:A3:96:17:7A:9C:B4:10:FF:61:F2:00:15:AD";
const ABC_SSH = "SHA256:ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0";

Deno.test("fingerprintOf() gives the SSH form and openssl's colon hex of SHA-256", async () => {
  const fingerprint = await fingerprintOf(new TextEncoder().encode("abc"));
  assert.equal(fingerprint.sha256, ABC_SSH);
  assert.equal(fingerprint.hex, ABC_HEX);
});

Deno.test("sshFromHex() and hexFromSsh() convert between the forms", () => {
  assert.equal(sshFromHex(ABC_HEX), ABC_SSH);
  assert.equal(sshFromHex(ABC_HEX.toLowerCase()), ABC_SSH);
  assert.equal(hexFromSsh(ABC_SSH), ABC_HEX);
  assert.throws(() => sshFromHex("AB:CD"), TypeError);
  assert.throws(() => hexFromSsh("SHA256:short"), TypeError);
});

Deno.test("parseFingerprint() accepts the SSH form, padded or not, and openssl's output", () => {
  assert.equal(parseFingerprint(ABC_SSH), ABC_SSH);
  assert.equal(parseFingerprint(` ${ABC_SSH}= `), ABC_SSH);
  assert.equal(parseFingerprint(ABC_HEX), ABC_SSH);
  assert.equal(parseFingerprint(ABC_HEX.replaceAll(":", "")), ABC_SSH);
  assert.equal(parseFingerprint(`sha256 Fingerprint=${ABC_HEX}`), ABC_SSH);
});

Deno.test("parseFingerprint() rejects anything else", () => {
  for (
    const bad of [
      "",
      "SHA256:",
      ABC_SSH.slice(0, -1),
      `${ABC_SSH}A`,
      ABC_SSH.replace("SHA256:", "SHA1:"),
      ABC_SSH.replace("u", "!"),
      // The last base64 digit carries 2 spare bits: a non-canonical spelling is not the digest.
      ABC_SSH.slice(0, -1) + "1",
      ABC_HEX.slice(3),
      ABC_HEX.replace("BA", "ZZ"),
    ]
  ) {
    assert.equal(parseFingerprint(bad), null, bad);
  }
});

Deno.test("pemBlocks() decodes every block with the label, in order", async () => {
  const body = btoa("abc");
  const pem = `junk\n-----BEGIN CERTIFICATE-----\n${body}\n-----END CERTIFICATE-----\n` +
    `-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n` +
    `-----BEGIN CERTIFICATE-----\r\n${btoa("xyz")}\r\n-----END CERTIFICATE-----\n`;
  const blocks = pemBlocks(pem, "CERTIFICATE");
  assert.deepEqual(blocks.map((block) => new TextDecoder().decode(block)), ["abc", "xyz"]);
  assert.equal((await fingerprintOfPem(pem)).sha256, ABC_SSH);
  await assert.rejects(fingerprintOfPem("no certificate here"), TypeError);
});
