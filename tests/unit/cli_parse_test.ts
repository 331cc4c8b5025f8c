import assert from "node:assert/strict";
import { parseHostPort, parsePort } from "../../cli/parse.ts";
import { UsageError } from "../../cli/usage.ts";
import { generatePassphrase, passphraseBits } from "../../cli/passphrase_command.ts";
import { describeDuration, estimateGuessesLog10 } from "../../client/strength.ts";

Deno.test("parseHostPort() splits hosts, ports and IPv6 addresses", () => {
  assert.deepEqual(parseHostPort("10.0.0.5", 7777, ""), { host: "10.0.0.5", port: 7777 });
  assert.deepEqual(parseHostPort("10.0.0.5:9000", 7777, ""), { host: "10.0.0.5", port: 9000 });
  assert.deepEqual(parseHostPort("chat.lan", 7777, ""), { host: "chat.lan", port: 7777 });
  assert.deepEqual(parseHostPort("::1", 7777, ""), { host: "::1", port: 7777 });
  assert.deepEqual(parseHostPort("[::1]:8000", 7777, ""), { host: "::1", port: 8000 });
  assert.deepEqual(parseHostPort("[fe80::1]", 7777, ""), { host: "fe80::1", port: 7777 });
  assert.throws(() => parseHostPort(":80", 7777, ""), UsageError);
  assert.throws(() => parseHostPort("", 7777, ""), UsageError);
});

Deno.test("parsePort() accepts 0 to 65535 only", () => {
  assert.equal(parsePort("0", ""), 0);
  assert.equal(parsePort("65535", ""), 65535);
  for (const bad of ["65536", "-1", "1e3", "", "80x"]) {
    assert.throws(() => parsePort(bad, ""), UsageError, bad);
  }
});

Deno.test("generatePassphrase() gives 8 words and 88 bits", () => {
  const words = generatePassphrase().split("-");
  assert.equal(words.length, 8);
  assert.equal(passphraseBits(), 88);
  assert.ok(passphraseBits() >= 80);
  const seen = new Set(Array.from({ length: 50 }, () => generatePassphrase()));
  assert.equal(seen.size, 50);
});

Deno.test("estimateGuessesLog10() rates a generated passphrase strong and a word weak", async () => {
  assert.ok(await estimateGuessesLog10(generatePassphrase(), []) >= 14);
  assert.ok(await estimateGuessesLog10("password1", []) < 6);
  assert.ok(
    await estimateGuessesLog10("lobby-ana", ["lobby", "ana"]) <
      await estimateGuessesLog10("lobby-ana", []),
  );
});

Deno.test("describeDuration() reads naturally", () => {
  assert.equal(describeDuration(0.2), "less than a second");
  assert.equal(describeDuration(1), "1 second");
  assert.equal(describeDuration(7200), "2 hours");
  assert.equal(describeDuration(3 * 86400), "3 days");
  assert.equal(describeDuration(1e12), "centuries");
});
