import assert from "node:assert/strict";
import {
  ENTER_MODES,
  LEAVE_MODES,
  MAX_TITLE_COLUMNS,
  RESTORE_TITLE,
  SAVE_TITLE,
  titleSequence,
} from "../../terminal/modes.ts";

Deno.test("titleSequence() makes a title from the network inert", () => {
  const title = titleSequence("(1) lob\x07by\x1b]0;pwned\x1b\\ \u009d2;x\u009c - chat");
  assert.ok(title.startsWith("\x1b]2;") && title.endsWith("\x07"));
  const inside = title.slice(4, -1);
  const controls = [...inside].filter((char) => /\p{Cc}/u.test(char));
  assert.deepEqual(controls, [], JSON.stringify(title));
  assert.match(inside, /lob\^Gby\^\[\]0;pwned/);
});

Deno.test("titleSequence() keeps a title to MAX_TITLE_COLUMNS columns", () => {
  const title = titleSequence("日".repeat(100)).slice(4, -1);
  assert.ok(title.length <= MAX_TITLE_COLUMNS / 2 + 1, title);
  assert.ok(title.endsWith("…"));
});

Deno.test("LEAVE_MODES turns off what ENTER_MODES turned on; RESTORE_TITLE pops what SAVE_TITLE pushed", () => {
  assert.ok(ENTER_MODES.includes("\x1b[?2004h") && LEAVE_MODES.includes("\x1b[?2004l"));
  assert.ok(ENTER_MODES.includes("\x1b[?1004h") && LEAVE_MODES.includes("\x1b[?1004l"));
  assert.equal(SAVE_TITLE, "\x1b[22;0t");
  assert.equal(RESTORE_TITLE, "\x1b[23;0t");
});
