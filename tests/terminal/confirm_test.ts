/** Tests for reading a yes/no answer. */
import assert from "node:assert/strict";
import { isYes } from "../../terminal/confirm.ts";

Deno.test("isYes() takes y or yes in any case, and nothing else", () => {
  for (const yes of ["y", "Y", "yes", "YES", " y\n", "Yes\r\n"]) {
    assert.equal(isYes(yes), true, yes);
  }
  for (const no of ["", "\n", "n", "no", "yep", "y es", "sure", "1"]) {
    assert.equal(isYes(no), false, no);
  }
});
