/**
 * The interactive client: a raw-mode terminal with a line editor, incoming messages printed above
 * the line being typed, and slash commands. It turns on bracketed paste, focus reports and a
 * window title of its own, and turns them off again on every way out: Ctrl-D, /quit, the second
 * Ctrl-C, a signal, end of input, or the session failing. Only this module and the prompt touch
 * the terminal, and this one only through a `TerminalIo`.
 */
import { type BodyKind, MAX_TEXT_BYTES, textBytes } from "../protocol.ts";
import { createStyle, type Style } from "../terminal/colors.ts";
import { denoTerminal, type TerminalIo, type TerminalSignal } from "../terminal/io.ts";
import { type EditorAction, LineEditor } from "../terminal/line_editor.ts";
import { ENTER_MODES, LEAVE_MODES } from "../terminal/modes.ts";
import { sanitizeForTerminal } from "../terminal/sanitize.ts";
import { Screen } from "../terminal/screen.ts";
import { type CommandContext, completeCommand, runInput } from "./commands.ts";
import { nameList, type OutputEvent } from "./render.ts";
import { EXIT } from "./errors.ts";
import type { ChatSession } from "./session.ts";
import { Attention } from "./tui_attention.ts";
import { identityCommands, viewCommands } from "./tui_commands.ts";
import { RoomView } from "./tui_view.ts";

/** How long quitting waits for messages typed but not yet stored. */
const QUIT_WAIT_MS = 3_000;
/** The exit code of a session left with Ctrl-C, as a shell reports a program ended by SIGINT. */
export const EXIT_INTERRUPTED = 130;
/** Exit codes for signals: 128 and the signal's number, as shells report them. */
const SIGNAL_EXITS: Readonly<Record<Exclude<TerminalSignal, "SIGWINCH">, number>> = {
  SIGINT: EXIT_INTERRUPTED,
  SIGTERM: 143,
  SIGHUP: 129,
};
export { BELL_INTERVAL_MS } from "./tui_attention.ts";

/** What the interactive client uses of a session. */
export type InteractiveSession = Pick<
  ChatSession,
  | "room"
  | "name"
  | "send"
  | "who"
  | "whois"
  | "verify"
  | "trust"
  | "quit"
  | "ended"
  | "caughtUp"
  | "unsent"
  | "rename"
  | "setTopic"
  | "topic"
>;

/** How the interactive client behaves. */
export interface InteractiveOptions {
  color: boolean;
  /** Ring the terminal bell when a message mentions the user (on unless false: --no-bell). */
  bell?: boolean;
  /** Show the room and unread mentions in the window title, and restore it on exit (on). */
  title?: boolean;
  /** The terminal; stdin and stdout when not given. */
  terminal?: TerminalIo;
  /** The wall clock, for dates on old lines and spacing bells. */
  now?: () => number;
  /** Show the time before each message (on unless false). */
  timestamps?: boolean;
}

/** A terminal UI; `show` receives the session's events. */
export class Interactive {
  readonly #session: InteractiveSession;
  readonly #terminal: TerminalIo;
  readonly #style: Style;
  readonly #attention: Attention;
  readonly #editor: LineEditor;
  readonly #screen: Screen;
  readonly #view: RoomView;
  readonly #pending: { text: string; sent: Promise<unknown> }[] = [];
  readonly #done = Promise.withResolvers<number>();
  #exitCode: number | null = null;
  #hint: string | null = null;

  constructor(session: InteractiveSession, options: InteractiveOptions) {
    this.#session = session;
    this.#terminal = options.terminal ?? denoTerminal();
    this.#style = createStyle(options.color);
    const now = options.now ?? Date.now;
    this.#attention = new Attention({
      room: session.room,
      write: (text) => this.#terminal.write(text),
      now,
      bell: options.bell ?? true,
      title: options.title ?? true,
    });
    this.#view = new RoomView({
      me: session.name,
      style: this.#style,
      now,
      timestamps: options.timestamps ?? true,
    });
    this.#editor = new LineEditor({
      prompt: this.#prompt(),
      maxBytes: MAX_TEXT_BYTES,
      complete: (word, atLineStart) => {
        if (atLineStart && word.startsWith("/")) return completeCommand(word);
        const names = this.#view.completeName(word);
        return names.map((name) => atLineStart ? `${name}: ` : `${name} `);
      },
    });
    this.#screen = new Screen((text) => this.#terminal.write(text), () => this.#terminal.size(), {
      prompt: this.#editor,
      dim: this.#style.dim,
    });
  }

  /** Shows an event above the prompt. */
  show(event: OutputEvent): void {
    if (event.type === "renamed" && event.self) this.#view.me = event.to;
    const shown = this.#view.show(event);
    this.#screen.print(shown.lines);
    if (shown.mention) this.#attention.mentioned();
  }

  /**
   * Runs until the user leaves: 0 for Ctrl-D, /quit or end of input, `EXIT_INTERRUPTED` (130)
   * for Ctrl-C twice or SIGINT, 128 + the signal for SIGTERM and SIGHUP. Throws when the
   * session fails. The terminal is given back as it was found in every case.
   */
  async run(): Promise<number> {
    const terminal = this.#terminal;
    terminal.setRaw(true);
    const stops: (() => void)[] = [];
    try {
      terminal.write(ENTER_MODES + this.#attention.start());
      this.#screen.print([this.#style.dim("Type to talk; /help lists commands, Ctrl-D leaves.")]);
      this.#session.ended.then((failure) => {
        if (failure) this.#done.reject(failure);
        else this.#done.resolve(this.#exitCode ?? 0);
      });
      this.#session.caughtUp.then(() => this.#screen.print(this.#view.endOfHistory()));
      stops.push(terminal.onSignal("SIGWINCH", () => this.#screen.resized()));
      for (const [signal, code] of Object.entries(SIGNAL_EXITS)) {
        stops.push(terminal.onSignal(signal as TerminalSignal, () => this.#leave(code)));
      }
      this.#readKeys().catch((error) => this.#done.reject(error));
      return await this.#done.promise;
    } finally {
      for (const stop of stops) stop();
      this.#screen.close();
      terminal.write(LEAVE_MODES + this.#attention.stop());
      terminal.setRaw(false);
    }
  }

  async #readKeys(): Promise<void> {
    const decoder = new TextDecoder();
    const buffer = new Uint8Array(4096);
    while (this.#exitCode === null) {
      const count = await this.#terminal.read(buffer);
      if (this.#exitCode !== null) return;
      if (count === null) return this.#leave(0);
      const input = decoder.decode(buffer.subarray(0, count), { stream: true });
      if (!FOCUS_REPORTS_ONLY.test(input)) {
        // The user is here: what was unread is read, and last key's hint has done its job.
        this.#hint = null;
        this.#attention.seen();
      }
      for (const action of this.#editor.feed(input)) {
        if (this.#exitCode !== null) return;
        this.#act(action);
      }
      this.#showStatus();
    }
  }

  #act(action: EditorAction): void {
    switch (action.type) {
      case "submit":
        runInput(action.line, this.#commands());
        return;
      case "eof":
        return this.#leave(0);
      case "interrupt":
        if (action.leave) return this.#leave(EXIT_INTERRUPTED);
        this.#hint = action.cleared
          ? "Line cleared (Ctrl-Y brings it back); Ctrl-C again leaves"
          : "Ctrl-C again leaves (so do Ctrl-D and /quit)";
        return;
      case "redraw":
        return this.#screen.repaint();
      case "too_long":
        return this.#notice(tooLongWords(action));
      case "focus":
        return this.#attention.focus(action.focused);
    }
  }

  #commands(): CommandContext {
    const session = this.#session;
    return {
      send: (text, kind) => this.#send(text, kind),
      who: () => {
        session.who().then(
          ({ total, members }) => this.#notice(`Here: ${nameList(members, total)}`),
          (error) => this.#notice(`Cannot list members: ${error.message}`),
        );
      },
      quit: () => this.#leave(0),
      notice: (text) => this.#notice(text),
      ...identityCommands(session, (text) => this.#notice(text)),
      away: (reason) => {
        this.#attention.setAway(reason);
        this.#editor.prompt = this.#prompt();
        this.#send(`is away${reason ? ` (${reason})` : ""}`, "action");
        this.#notice("You are marked away; /back when you return");
      },
      back: () => {
        if (this.#attention.away === null) return this.#notice("You are not marked away");
        const missed = this.#attention.setAway(null);
        this.#editor.prompt = this.#prompt();
        this.#send("is back", "action");
        if (missed > 0) {
          this.#notice(
            `${missed} message${missed === 1 ? "" : "s"} mentioned you while you were away`,
          );
        }
      },
      ...viewCommands(this.#view, { me: session.name, notice: (text) => this.#notice(text) }),
      clear: () => this.#screen.clear(),
      nick: (name) => {
        session.rename(name).catch((error) => this.#notice(`Not renamed: ${error.message}`));
      },
      topic: (text) => {
        if (text === null) {
          const topic = session.topic;
          return this.#notice(
            topic ? `Topic: ${topic.text} (set by ${topic.from})` : "This room has no topic yet",
          );
        }
        session.setTopic(text).catch((error) => this.#notice(`Topic not set: ${error.message}`));
      },
    };
  }

  #send(text: string, kind: BodyKind): void {
    if (textBytes(text) > MAX_TEXT_BYTES) {
      this.#notice(`Not sent: over ${MAX_TEXT_BYTES} bytes`);
      return;
    }
    const sending = this.#session.send(text, kind);
    const entry = { text, sent: sending.catch(() => {}) };
    this.#pending.push(entry);
    this.#showStatus();
    sending.then(
      (sent) => {
        this.#pending.splice(this.#pending.indexOf(entry), 1);
        this.#showStatus();
        this.#screen.print(this.#view.showOwn({ ts: sent.ts, text, action: kind === "action" }));
      },
      (error) => {
        this.#pending.splice(this.#pending.indexOf(entry), 1);
        this.#showStatus();
        this.#notice(`Not sent: ${error.message}`);
      },
    );
  }

  /** The live region's status lines: messages being sent, then a hint about the last key. */
  #showStatus(): void {
    const sending = this.#pending.map(({ text }) => {
      const [first = "", ...more] = text.split("\n");
      const rest = more.length
        ? ` (and ${more.length} more line${more.length > 1 ? "s" : ""})`
        : "";
      return `sending: ${sanitizeForTerminal(first)}${rest}`;
    });
    this.#screen.setStatus(this.#hint ? [...sending, this.#hint] : sending);
  }

  /** A line for the user alone. Made inert whole: error words may quote the network. */
  #notice(text: string): void {
    this.#screen.print([this.#style.dim(sanitizeForTerminal(text))]);
  }

  #prompt(): string {
    const away = this.#attention.away === null ? "" : " (away)";
    return `${sanitizeForTerminal(this.#session.room)}${away}> `;
  }

  /** Leaves the room with exit code `code`; the first way out taken wins. */
  #leave(code: number): void {
    if (this.#exitCode !== null) return;
    this.#exitCode = code;
    this.#quit(code).catch((error) => this.#done.reject(error));
  }

  async #quit(code: number): Promise<void> {
    if (this.#pending.length > 0) {
      // Leaving now would abandon them; give the relay a moment to store what was typed.
      this.#notice(`Waiting up to ${QUIT_WAIT_MS / 1000} s for messages still being sent…`);
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        Promise.all(this.#pending.map((entry) => entry.sent)),
        new Promise((resolve) => timer = setTimeout(resolve, QUIT_WAIT_MS)),
      ]);
      clearTimeout(timer);
    }
    // Name what would be lost, and say so in the exit code, rather than leave quietly.
    const unsent = this.#session.unsent();
    for (const entry of unsent) {
      this.#notice(
        `Not sent: ${entry.kind === "action" ? "/me " : ""}${sanitizeForTerminal(entry.text)}`,
      );
    }
    const exitCode = unsent.length > 0 && code === EXIT.ok ? EXIT.notSent : code;
    // Set before quitting: the session's end settles the run with this code.
    this.#exitCode = exitCode;
    await this.#session.quit();
    this.#done.resolve(exitCode);
  }
}

/** Input made only of focus reports: the user did not type anything. */
const FOCUS_REPORTS_ONLY = new RegExp(`^(?:${"\x1b"}\\[[IO])+$`);

function tooLongWords(action: Extract<EditorAction, { type: "too_long" }>): string {
  const limit = `one message holds at most ${action.limit.toLocaleString("en")} bytes`;
  if (!action.paste) {
    return `Not sent: the message is ${action.bytes?.toLocaleString("en")} bytes and ${limit}; ` +
      `shorten it (it is still on the line)`;
  }
  if (action.bytes === null) return `Paste not added: it is far too long, and ${limit}`;
  return `Paste not added: the message would be ${action.bytes.toLocaleString("en")} bytes, ` +
    `and ${limit}; paste it in parts`;
}
