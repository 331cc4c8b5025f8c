import assert from "node:assert/strict";
import {
  CONFIRM_LINES,
  type EditorAction,
  LineEditor,
  MAX_HISTORY,
} from "../../terminal/line_editor.ts";
import { MAX_PASTE_CHARS } from "../../terminal/keys.ts";
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

Deno.test("LineEditor.feed() reports Ctrl-L", () => {
  const line = editor();
  assert.deepEqual(line.feed("ab\x0c"), [{ type: "redraw" }]);
  assert.equal(line.line, "ab");
});

Deno.test("LineEditor.feed() clears the line on the first Ctrl-C and leaves on a second", () => {
  const line = editor();
  const actions: EditorAction[] = line.feed("a draft\x03");
  assert.deepEqual(actions, [{ type: "interrupt", leave: false, cleared: true }]);
  assert.equal(line.line, "");
  assert.deepEqual(line.feed("\x03"), [{ type: "interrupt", leave: true, cleared: false }]);
});

Deno.test("LineEditor.feed() asks for a second Ctrl-C in a row on an empty line", () => {
  const line = editor();
  assert.deepEqual(line.feed("\x03"), [{ type: "interrupt", leave: false, cleared: false }]);
  // Any other key in between disarms it.
  assert.deepEqual(line.feed(LEFT + "\x03"), [{ type: "interrupt", leave: false, cleared: false }]);
  assert.deepEqual(line.feed("\x03"), [{ type: "interrupt", leave: true, cleared: false }]);
  // Typing after a Ctrl-C disarms too: the next one clears what was typed.
  line.feed("x");
  assert.deepEqual(line.feed("\x03"), [{ type: "interrupt", leave: false, cleared: true }]);
});

Deno.test("LineEditor.feed() brings back a line cleared by Ctrl-C with Ctrl-Y", () => {
  const line = editor();
  line.feed("half a thought" + LEFT.repeat(3) + "\x03");
  assert.equal(line.line, "");
  line.feed("\x19");
  assert.equal(withCursor(line), "half a thought|");
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
  assert.equal(whole.line, "!aXc");
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

Deno.test("LineEditor.feed() keeps a pasted text's line breaks and sends it as one line", () => {
  const line = editor();
  const actions = line.feed("> \x1b[200~line one\r\nline two\nline three\r\n\x1b[201~");
  assert.deepEqual(actions, [], "a paste is not sent before Enter");
  assert.equal(line.line, "> line one\nline two\nline three");
  assert.equal(line.render(80).text, "> > line one↵line two↵line three");
  assert.deepEqual(line.feed("\r"), [
    { type: "submit", line: "> line one\nline two\nline three" },
  ]);
});

Deno.test("LineEditor.feed() asks before sending more than CONFIRM_LINES lines", () => {
  const line = editor();
  const paste = Array.from({ length: CONFIRM_LINES + 1 }, (_, i) => `line ${i}`).join("\n");
  line.feed(`\x1b[200~${paste}\x1b[201~`);
  assert.deepEqual(line.feed("\r"), [], "asked first");
  assert.match(line.render(80).text, /^Send 6 lines \(41 bytes\) as one message\? \(y\/n\) $/);
  assert.deepEqual(line.feed("n"), []);
  assert.equal(line.line, paste, "no keeps the line to edit");
  assert.equal(line.render(80).text.startsWith("> "), true);
  line.feed("\r");
  assert.deepEqual(line.feed("y"), [{ type: "submit", line: paste }]);
  assert.equal(line.line, "");
  const short = Array.from({ length: CONFIRM_LINES }, (_, i) => `line ${i}`).join("\n");
  line.feed(`\x1b[200~${short}\x1b[201~`);
  assert.deepEqual(line.feed("\r"), [{ type: "submit", line: short }], "a few lines go at once");
});

Deno.test("LineEditor.feed() refuses a paste or a line over maxBytes and keeps the line", () => {
  const line = new LineEditor({ prompt: "> ", maxBytes: 10 });
  line.feed("abc");
  assert.deepEqual(line.feed("\x1b[200~12345678\x1b[201~"), [
    { type: "too_long", bytes: 11, limit: 10, paste: true },
  ]);
  assert.equal(line.line, "abc");
  line.feed("\x1b[200~1234567\x1b[201~");
  assert.equal(line.line, "abc1234567");
  line.feed("é");
  assert.deepEqual(line.feed("\r"), [{ type: "too_long", bytes: 12, limit: 10, paste: false }]);
  assert.equal(line.line, "abc1234567é");
  const huge = `\x1b[200~${"x".repeat(MAX_PASTE_CHARS + 1)}\x1b[201~`;
  assert.deepEqual(line.feed(huge), [{ type: "too_long", bytes: null, limit: 10, paste: true }]);
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

Deno.test("LineEditor.render() shows the text at the cursor when scrolled, marked with <", () => {
  const line = editor("> ");
  line.feed("abcdefghijklmnopqrstuvwxyz");
  // 10 columns: 9 usable, 2 for the prompt, 1 for "<", 6 for text with the cursor at the end.
  assert.deepEqual(line.render(10), { text: "> <uvwxyz", cursorColumn: 9 });
  line.feed(HOME);
  assert.deepEqual(line.render(10), { text: "> abcdefg", cursorColumn: 2 });
  line.feed(END + "\x7f".repeat(23));
  assert.deepEqual(line.render(10), { text: "> abc", cursorColumn: 5 });
});

Deno.test("LineEditor.render() never splits a wide character at the edge", () => {
  const line = editor("> ");
  line.feed("日本語中文");
  // 8 columns: 7 usable, 5 for text; with "<", "中文" needs 5 and "語中文" 7, so "語" is left out.
  assert.deepEqual(line.render(8), { text: "> <中文", cursorColumn: 7 });
  assert.deepEqual(line.render(9), { text: "> <中文", cursorColumn: 7 });
  assert.deepEqual(line.render(10), { text: "> <語中文", cursorColumn: 9 });
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

Deno.test("LineEditor.feed() moves by words with Alt-B/F and Ctrl-Left/Right", () => {
  const line = editor();
  line.feed("say, hello wörld 日本");
  line.feed("\x1bb");
  assert.equal(withCursor(line), "say, hello wörld |日本");
  line.feed("\x1b[1;5D");
  assert.equal(withCursor(line), "say, hello |wörld 日本");
  line.feed("\x1bB\x1bb");
  assert.equal(withCursor(line), "|say, hello wörld 日本");
  line.feed("\x1bf");
  assert.equal(withCursor(line), "say|, hello wörld 日本");
  line.feed("\x1b[1;5C");
  assert.equal(withCursor(line), "say, hello| wörld 日本");
  line.feed("\x1bOc\x1b[1;3C\x1bf");
  assert.equal(withCursor(line), "say, hello wörld 日本|");
});

Deno.test("LineEditor.feed() deletes the word before the cursor with Alt-Backspace", () => {
  const line = editor();
  line.feed("see http://x.org/a-b  \x1b\x7f");
  assert.equal(withCursor(line), "see http://x.org/a-|");
  line.feed("\x1b\x7f\x1b\x7f");
  assert.equal(withCursor(line), "see http://x.|");
  line.feed(HOME + "\x1bd");
  assert.equal(withCursor(line), "| http://x.");
});

Deno.test("LineEditor.feed() yanks the last kill with Ctrl-Y, kills in a row as one", () => {
  const line = editor();
  line.feed("one two three\x17\x17");
  assert.equal(line.line, "one ");
  line.feed("\x19");
  assert.equal(withCursor(line), "one two three|");
  line.feed(HOME + "\x0b");
  assert.equal(line.line, "");
  line.feed("X\x19\x19");
  assert.equal(line.line, "Xone two threeone two three");
  const apart = editor();
  apart.feed("ab cd\x17" + LEFT + "\x0b\x19");
  assert.equal(withCursor(apart), "ab |", "kills separated by a move are two entries");
});

Deno.test("LineEditor.feed() searches history with Ctrl-R", () => {
  const line = editor();
  line.feed("hello ana\rdeploy at five\rhello bob\r");
  line.feed("draft\x12");
  assert.equal(line.render(80).text, "(reverse-i-search)'': draft");
  line.feed("hel");
  assert.deepEqual(line.render(80), {
    text: "(reverse-i-search)'hel': hello bob",
    cursorColumn: 25,
  });
  line.feed("\x12");
  assert.equal(line.render(80).text, "(reverse-i-search)'hel': hello ana");
  line.feed("\x12");
  assert.equal(line.render(80).text, "(failed reverse-i-search)'hel': hello ana");
  line.feed("\x7f\x7f\x7fFIVE");
  assert.equal(line.render(80).text, "(reverse-i-search)'FIVE': deploy at five");
  // A motion key takes the match to edit, at the match.
  line.feed(RIGHT);
  assert.equal(withCursor(line), "deploy at f|ive");
  line.feed("\x12ana");
  assert.deepEqual(line.feed("\r"), [{ type: "submit", line: "hello ana" }], "Enter sends it");
  line.feed("kept\x12deploy\x07");
  assert.equal(withCursor(line), "kept|", "Ctrl-G gives back the line as it was");
  line.feed("\x12bob\x03");
  assert.equal(line.line, "kept", "so does Ctrl-C, without clearing it");
});

Deno.test("LineEditor.feed() completes the word before the cursor with Tab and cycles", () => {
  const asked: [string, boolean][] = [];
  const line = new LineEditor({
    prompt: "> ",
    complete: (word, atLineStart) => {
      asked.push([word, atLineStart]);
      const names = ["ana", "anabel", "bob"].filter((name) => name.startsWith(word));
      return names.map((name) => atLineStart ? `${name}: ` : `${name} `);
    },
  });
  line.feed("an\t");
  assert.equal(withCursor(line), "ana: |");
  line.feed("\t");
  assert.equal(withCursor(line), "anabel: |");
  line.feed("\t");
  assert.equal(withCursor(line), "ana: |", "cycles round");
  line.feed("\x1b[Z");
  assert.equal(withCursor(line), "anabel: |", "Shift-Tab goes back");
  line.feed("hi b\t");
  assert.equal(withCursor(line), "anabel: hi bob |");
  line.feed("x\t\t");
  assert.equal(line.line, "anabel: hi bob x", "no match, no change");
  assert.deepEqual(asked, [["an", true], ["b", false], ["x", false], ["x", false]]);
  line.feed(" \t");
  assert.equal(line.line, "anabel: hi bob x ", "nothing to complete after a space");
});

Deno.test("LineEditor.feed() keeps invisible characters from completions out of the line", () => {
  const line = new LineEditor({ prompt: "> ", complete: () => ["a\u202eb: "] });
  line.feed("a\t");
  assert.equal(line.line, "ab: ");
});

Deno.test("LineEditor.feed() reports focus changes without disturbing a Ctrl-C", () => {
  const line = editor();
  assert.deepEqual(line.feed("\x03\x1b[O\x1b[I\x03"), [
    { type: "interrupt", leave: false, cleared: false },
    { type: "focus", focused: false },
    { type: "focus", focused: true },
    { type: "interrupt", leave: true, cleared: false },
  ]);
});
