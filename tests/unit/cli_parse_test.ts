import assert from "node:assert/strict";
import { parseHostPort, parsePort, parseServer } from "../../cli/parse.ts";
import { nearest, UsageError } from "../../cli/usage.ts";
import { generatePassphrase, passphraseBits } from "../../cli/passphrase_command.ts";
import {
  describeDuration,
  estimateGuessesLog10,
  weakPassphraseWarning,
} from "../../client/strength.ts";

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
  assert.equal(describeDuration(0.2), "under a second");
  assert.equal(describeDuration(1), "1 second");
  assert.equal(describeDuration(7200), "2 hours");
  assert.equal(describeDuration(3 * 86400), "3 days");
  assert.equal(describeDuration(1e12), "centuries");
});

Deno.test("parseServer() understands a URL, sets its scheme aside, and refuses a path", () => {
  assert.deepEqual(parseServer("10.0.0.5", 7777, ""), { host: "10.0.0.5", port: 7777, note: null });
  assert.deepEqual(parseServer("chat://10.0.0.5:7000", 7777, ""), {
    host: "10.0.0.5",
    port: 7000,
    note: null,
  });
  const http = parseServer("http://chat.lan:7000/", 7777, "");
  assert.deepEqual([http.host, http.port], ["chat.lan", 7000]);
  assert.match(http.note!, /not HTTP: joining chat\.lan:7000$/);
  assert.match(parseServer("https://[::1]", 7777, "").note!, /joining \[::1\]:7777 \(add --tls/);
  assert.throws(() => parseServer("http://h:7/chat", 7777, ""), UsageError);
});

Deno.test("nearest() suggests a known word a typo or two away, and nothing for a stranger", () => {
  const options = ["--name", "--room", "--port", "--json", "--json-in", "--history"];
  assert.equal(nearest("--nmae", options), "--name");
  assert.equal(nearest("--rom", options), "--room");
  assert.equal(nearest("--hsitory", options), "--history");
  assert.equal(nearest("--bogus", options), null);
  assert.equal(nearest("jion", ["serve", "join", "rooms"]), "join");
  assert.equal(nearest("x", ["serve", "join"]), null);
});

Deno.test("weakPassphraseWarning() reads naturally at both ends", async () => {
  assert.match(
    (await weakPassphraseWarning("password1", []))!,
    /could guess it offline in under a second on one GPU\. "chat passphrase" makes a strong one$/,
  );
  assert.doesNotMatch((await weakPassphraseWarning("password1", []))!, /about less than/);
  assert.equal(await weakPassphraseWarning(generatePassphrase(), []), null);
});
