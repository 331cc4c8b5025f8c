/**
 * Passphrase normalisation (key derivation version 2): what a listener types when a generated
 * passphrase is read aloud derives the same key; a passphrase of one's own keeps its case.
 */
import assert from "node:assert/strict";
import { deriveRoomKey, roomParamsProblem, spokenForm } from "../../crypto.ts";
import { KDF_VERSIONS, MIN_ITERATIONS, SALT_BYTES } from "../../protocol.ts";

const SALT = Uint8Array.from({ length: SALT_BYTES }, (_, i) => i);

Deno.test("spokenForm() gives read-aloud forms of a generated passphrase one spelling", () => {
  const written = "abandon-ability-able-zoo";
  for (
    const heard of [
      written,
      "abandon ability able zoo",
      "Abandon Ability Able Zoo",
      "  ABANDON   ability-able - zoo\n",
      "abandon\tability--able zoo",
    ]
  ) {
    assert.equal(spokenForm(heard), "abandon ability able zoo", JSON.stringify(heard));
  }
});

Deno.test("spokenForm() keeps the case of a passphrase that is not all generator words", () => {
  assert.equal(spokenForm("Tr0ub4dor  &-3"), "Tr0ub4dor & 3");
  assert.notEqual(spokenForm("Tr0ub4dor & 3"), spokenForm("tr0ub4dor & 3"));
  // One word off the list keeps the case of all of them.
  assert.equal(spokenForm("Abandon Ability Qwzx"), "Abandon Ability Qwzx");
  assert.equal(spokenForm("caf\u0065\u0301 au lait"), "caf\u00e9 au lait", "NFC");
  assert.equal(spokenForm("   "), "");
});

Deno.test("deriveRoomKey() derives one key from every read-aloud form in a version 2 room", async () => {
  const params = { room: "lobby", salt: SALT, iterations: MIN_ITERATIONS };
  const written = await deriveRoomKey("legal-winner-thank-year-wave-sausage-worth-useful", {
    ...params,
    kdf: KDF_VERSIONS.spoken,
  });
  const heard = await deriveRoomKey("Legal winner thank year wave sausage worth useful ", {
    ...params,
    kdf: KDF_VERSIONS.spoken,
  });
  assert.deepEqual(heard.keyCheck, written.keyCheck);
  // A room created before version 2 keeps deriving from the passphrase as typed.
  const typed = await deriveRoomKey("legal-winner-thank-year-wave-sausage-worth-useful", {
    ...params,
    kdf: KDF_VERSIONS.typed,
  });
  const typedHeard = await deriveRoomKey("legal winner thank year wave sausage worth useful", {
    ...params,
    kdf: KDF_VERSIONS.typed,
  });
  assert.notDeepEqual(typedHeard.keyCheck, typed.keyCheck);
  assert.notDeepEqual(typed.keyCheck, written.keyCheck);
});

Deno.test("roomParamsProblem() refuses a derivation version the client does not know", async () => {
  const params = { salt: SALT, iterations: MIN_ITERATIONS };
  assert.equal(roomParamsProblem({ ...params, kdf: 2 }), null);
  assert.match(roomParamsProblem({ ...params, kdf: 9 })!, /key derivation version 9/);
  await assert.rejects(deriveRoomKey("pw", { room: "ops", ...params, kdf: 0 }), RangeError);
});
