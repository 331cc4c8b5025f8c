import assert from "node:assert/strict";
import { type EditorAction, LineEditor, MAX_HISTORY } from "../../terminal/line_editor.ts";
import { displayWidth } from "../../terminal/width.ts";

const LEFT = "\x1b[D";
const RIGHT = "\x1b[C";
const UP = "\x1b[A";
const DOWN = "\x1b[B";
const HOME = "\x1b[H";
const END = "\x1b[F";
const DELETE = "\x1b[3~";

function editor(prompt = "> "): LineEditor {
  return new LineEditor({ prompt });
}

/** The buffer with "|" at the cursor, read back through render() on a wide terminal. */
function withCursor(line: LineEditor): string {
  const { text, cursorColumn } = line.render(1000);
  const body = text.slice(2);
  let column = 2;
  let out = "";
  let placed = false;
  for (const char of new Intl.Segmenter().segment(body)) {
    if (!placed && column >= cursorColumn) {
      out += "|";
      placed = true;
    }
    out += char.segment;
    column += displayWidth(char.segment);
  }
  return placed ? out : out + "|";
}

Deno.test("LineEditor.feed() inserts at the cursor", () => {
  const line = editor();
  assert.deepEqual(line.feed("helo"), []);
  line.feed(LEFT + "l");
  assert.equal(line.line, "hello");
  assert.equal(withCursor(line), "hell|o");
});

Deno.test("LineEditor.feed() submits on Enter, clears the buffer and accepts \\n too", () => {
  const line = editor();
  assert.deepEqual(line.feed("hi\r"), [{ type: "submit", line: "hi" }]);
  assert.equal(line.line, "");
  assert.deepEqual(line.feed("a\nb\r"), [
    { type: "submit", line: "a" },
    { type: "submit", line: "b" },
  ]);
});

Deno.test("LineEditor.feed() moves the cursor with arrows, Home/End and Ctrl keys", () => {
  const line = editor();
  line.feed("abc");
  line.feed(HOME);
  assert.equal(withCursor(line), "|abc");
  line.feed(RIGHT);
  assert.equal(withCursor(line), "a|bc");
  line.feed(END);
  assert.equal(withCursor(line), "abc|");
  line.feed("\x01");
  assert.equal(withCursor(line), "|abc");
  line.feed("\x06\x06");
  assert.equal(withCursor(line), "ab|c");
  line.feed("\x02");
  assert.equal(withCursor(line), "a|bc");
  line.feed("\x05");
  assert.equal(withCursor(line), "abc|");
  for (const home of ["\x1b[1~", "\x1bOH", "\x1b[7~"]) {
    line.feed(END + home);
    assert.equal(withCursor(line), "|abc", JSON.stringify(home));
  }
  for (const end of ["\x1b[4~", "\x1bOF", "\x1b[8~"]) {
    line.feed(HOME + end);
    assert.equal(withCursor(line), "abc|", JSON.stringify(end));
  }
  line.feed(RIGHT + RIGHT);
  assert.equal(withCursor(line), "abc|");
  line.feed(HOME + LEFT);
  assert.equal(withCursor(line), "|abc");
});

Deno.test("LineEditor.feed() deletes with Backspace, Delete and Ctrl-D", () => {
  const line = editor();
  line.feed("abcdef");
  line.feed("\x7f");
  assert.equal(line.line, "abcde");
  line.feed("\x08");
  assert.equal(line.line, "abcd");
  line.feed(HOME + DELETE);
  assert.equal(withCursor(line), "|bcd");
  line.feed("\x04");
  assert.equal(withCursor(line), "|cd");
  line.feed("\x7f");
  assert.equal(line.line, "cd");
  line.feed(END + "\x04" + DELETE);
  assert.equal(line.line, "cd");
});

Deno.test("LineEditor.feed() reports eof only for Ctrl-D on an empty line", () => {
  const line = editor();
  assert.deepEqual(line.feed("\x04"), [{ type: "eof" }]);
  assert.deepEqual(line.feed("x\x01\x04"), []);
  assert.equal(line.line, "");
  assert.deepEqual(line.feed("\x04"), [{ type: "eof" }]);
});

Deno.test("LineEditor.feed() reports Ctrl-C and Ctrl-L", () => {
  const line = editor();
  const actions: EditorAction[] = line.feed("ab\x03\x0c");
  assert.deepEqual(actions, [{ type: "interrupt" }, { type: "redraw" }]);
  assert.equal(line.line, "ab");
});

Deno.test("LineEditor.feed() kills to the start with Ctrl-U", () => {
  const line = editor();
  line.feed("hello world" + LEFT.repeat(5) + "\x15");
  assert.equal(withCursor(line), "|world");
});

Deno.test("LineEditor.feed() kills to the end with Ctrl-K", () => {
  const line = editor();
  line.feed("hello world" + LEFT.repeat(5) + "\x0b");
  assert.equal(withCursor(line), "hello |");
});

Deno.test("LineEditor.feed() deletes the previous word with Ctrl-W", () => {
  const line = editor();
  line.feed("say hello  world  \x17");
  assert.equal(withCursor(line), "say hello  |");
  line.feed("\x17");
  assert.equal(withCursor(line), "say |");
  line.feed("there" + LEFT.repeat(2) + "\x17");
  assert.equal(withCursor(line), "say |re");
  line.feed("\x17\x17");
  assert.equal(withCursor(line), "|re");
});

Deno.test("LineEditor.feed() walks history and restores the line being written", () => {
  const line = editor();
  line.feed("first\rsecond\r\rsecond\r");
  line.feed("draft");
  line.feed(UP);
  assert.equal(withCursor(line), "second|");
  line.feed(UP);
  assert.equal(line.line, "first");
  line.feed(UP);
  assert.equal(line.line, "first", "stays at the oldest entry");
  line.feed(DOWN);
  assert.equal(line.line, "second");
  line.feed(DOWN);
  assert.equal(withCursor(line), "draft|");
  line.feed(DOWN);
  assert.equal(line.line, "draft");
  line.feed("\x10");
  assert.equal(line.line, "second", "Ctrl-P goes back");
  line.feed("\x0e");
  assert.equal(line.line, "draft", "Ctrl-N goes forward");
});

Deno.test("LineEditor.feed() keeps at most MAX_HISTORY entries", () => {
  const line = editor();
  for (let i = 0; i < MAX_HISTORY + 20; i++) line.feed(`line ${i}\r`);
  line.feed(UP.repeat(MAX_HISTORY + 50));
  assert.equal(line.line, "line 20");
});

Deno.test("LineEditor.feed() handles an escape sequence split at every offset", () => {
  const input = "abc" + LEFT + LEFT + "X" + DELETE + "\x1bOF" + "\x1b[1;5D" + "\x1bx" + "!";
  const whole = editor();
  whole.feed(input);
  assert.equal(whole.line, "aXc!");
  for (let cut = 0; cut <= input.length; cut++) {
    const line = editor();
    line.feed(input.slice(0, cut));
    line.feed(input.slice(cut));
    assert.equal(withCursor(line), withCursor(whole), `cut at ${cut}`);
  }
});

Deno.test("LineEditor.feed() holds a lone ESC at the end of a chunk", () => {
  const line = editor();
  line.feed("ab\x1b");
  assert.equal(line.line, "ab");
  line.feed("[D");
  assert.equal(withCursor(line), "a|b");
});

Deno.test("LineEditor.feed() swallows unknown escape sequences", () => {
  const line = editor();
  line.feed("a\x1b[1;5C\x1b[5~\x1bOP\x1bf\x1b[?1049hb");
  assert.equal(line.line, "ab");
});

Deno.test("LineEditor.feed() ignores other control characters", () => {
  const line = editor();
  line.feed("a\t\x00\x07\x12\x1fb\u009b");
  assert.equal(line.line, "ab");
});

Deno.test("LineEditor.feed() inserts pasted multi-line text as one line", () => {
  const line = editor();
  const actions = line.feed("> \x1b[200~line one\r\nline two\nline three\x1b[201~");
  assert.deepEqual(actions, []);
  assert.equal(line.line, "> line one line two line three");
  assert.deepEqual(line.feed("\r"), [{ type: "submit", line: "> line one line two line three" }]);
});

Deno.test("LineEditor.feed() keeps bidi controls out of the buffer", () => {
  const line = editor();
  line.feed("\x1b[200~a\u202eb\u2028c\x1b[201~");
  assert.equal(line.line, "abc");
});

Deno.test("LineEditor.feed() edits emoji and combining marks as one character", () => {
  const line = editor();
  line.feed("a👨‍👩‍👧e\u0301b");
  line.feed(LEFT + "\x7f");
  assert.equal(withCursor(line), "a👨‍👩‍👧|b");
  line.feed("\x7f");
  assert.equal(withCursor(line), "a|b");
  line.feed("e");
  line.feed("\u0301");
  assert.equal(withCursor(line), "ae\u0301|b");
  line.feed("\x7f");
  assert.equal(line.line, "ab");
});

Deno.test("LineEditor.render() shows the prompt and places the cursor by display width", () => {
  const line = editor("> ");
  assert.deepEqual(line.render(80), { text: "> ", cursorColumn: 2 });
  line.feed("日本👍x");
  assert.deepEqual(line.render(80), { text: "> 日本👍x", cursorColumn: 9 });
  line.feed(LEFT + LEFT);
  assert.equal(line.render(80).cursorColumn, 6);
});

Deno.test("LineEditor.render() scrolls to keep the cursor visible within width-1", () => {
  const text = "The quick brown fox 日本語 jumps 👨‍👩‍👧 over the lazy dog e\u0301 中文";
  for (const width of [1, 2, 3, 4, 5, 8, 13, 20]) {
    const line = editor("> ");
    const check = (step: string): void => {
      const { text: shown, cursorColumn } = line.render(width);
      assert.ok(displayWidth(shown) <= Math.max(0, width - 1), `${step} at ${width}: too wide`);
      assert.ok(cursorColumn <= Math.max(0, width - 1), `${step} at ${width}: cursor off screen`);
      assert.ok(cursorColumn >= 0);
    };
    for (const char of text) {
      line.feed(char);
      check(`typing ${char}`);
    }
    for (let i = 0; i < text.length; i++) {
      line.feed(LEFT);
      check(`left ${i}`);
    }
    for (let i = 0; i < text.length; i++) {
      line.feed(RIGHT);
      check(`right ${i}`);
    }
  }
});

Deno.test("LineEditor.render() shows the text at the cursor when scrolled", () => {
  const line = editor("> ");
  line.feed("abcdefghijklmnopqrstuvwxyz");
  // 10 columns: 9 usable, 2 for the prompt, 7 for text with the cursor at the end.
  assert.deepEqual(line.render(10), { text: "> tuvwxyz", cursorColumn: 9 });
  line.feed(HOME);
  assert.deepEqual(line.render(10), { text: "> abcdefg", cursorColumn: 2 });
  line.feed(END + "\x7f".repeat(23));
  assert.deepEqual(line.render(10), { text: "> abc", cursorColumn: 5 });
});

Deno.test("LineEditor.render() never splits a wide character at the edge", () => {
  const line = editor("> ");
  line.feed("日本語中文");
  // 8 columns: 7 usable, 5 for text; "語中文" needs 6, so "語" is left out whole.
  assert.deepEqual(line.render(8), { text: "> 中文", cursorColumn: 6 });
  assert.deepEqual(line.render(9), { text: "> 語中文", cursorColumn: 8 });
  line.feed(HOME);
  assert.deepEqual(line.render(8), { text: "> 日本", cursorColumn: 2 });
});

Deno.test("LineEditor.render() shortens the prompt on a very narrow terminal", () => {
  const line = editor("room> ");
  line.feed("hi");
  const { text, cursorColumn } = line.render(5);
  assert.ok(displayWidth(text) <= 4);
  assert.ok(text.endsWith("hi"));
  assert.equal(cursorColumn, 4);
  assert.deepEqual(line.render(0), { text: "", cursorColumn: 0 });
});

Deno.test("LineEditor.render() rejects a width that is not a count of columns", () => {
  assert.throws(() => editor().render(-1), RangeError);
  assert.throws(() => editor().render(1.5), RangeError);
  assert.throws(() => editor().render(Number.NaN), RangeError);
});

Deno.test("LineEditor.feed() keeps pasted emoji joiners and selectors but drops invisible ones", () => {
  const line = editor();
  line.feed("\x1b[200~\u2764\ufe0f \u{1F469}\u200d\u{1F4BB} a\u200bb\u2060c\x1b[201~");
  assert.equal(line.line, "\u2764\ufe0f \u{1F469}\u200d\u{1F4BB} abc");
});
