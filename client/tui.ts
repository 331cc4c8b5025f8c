/**
 * The interactive client: a raw-mode terminal with a line editor, incoming messages printed above
 * the line being typed, and slash commands. Only this module and the prompt touch the terminal.
 */
import { type BodyKind, MAX_TEXT_BYTES, textBytes } from "../protocol.ts";
import { createStyle } from "../terminal/colors.ts";
import { LineEditor } from "../terminal/line_editor.ts";
import { sanitizeForTerminal } from "../terminal/sanitize.ts";
import { Screen } from "../terminal/screen.ts";
import { type CommandContext, runInput } from "./commands.ts";
import type { ChatSession } from "./session.ts";
import { humanLines, messageLines, nameList, type OutputEvent } from "./render.ts";

/** How long quitting waits for messages typed but not yet stored. */
const QUIT_WAIT_MS = 3_000;

/** A terminal UI bound to stdin/stdout; `show` receives the connection's events. */
export class Interactive {
  readonly #session: ChatSession;
  readonly #style;
  readonly #editor: LineEditor;
  readonly #screen: Screen;
  readonly #pending: { text: string; sent: Promise<unknown> }[] = [];
  readonly #done = Promise.withResolvers<number>();
  readonly #encoder = new TextEncoder();

  constructor(session: ChatSession, options: { color: boolean }) {
    this.#session = session;
    this.#style = createStyle(options.color);
    this.#editor = new LineEditor({ prompt: `${sanitizeForTerminal(session.room)}> ` });
    this.#screen = new Screen(
      (text) => Deno.stdout.writeSync(this.#encoder.encode(text)),
      () => consoleSize(),
      { prompt: this.#editor, dim: this.#style.dim },
    );
  }

  /** Shows an event above the prompt. */
  show(event: OutputEvent): void {
    this.#screen.print(humanLines(event, this.#style));
  }

  /** Runs until the user quits (exit 0) or the connection fails (throws). */
  async run(): Promise<number> {
    Deno.stdin.setRaw(true);
    this.#screen.print([this.#style.dim("Type to talk; /help lists commands, Ctrl-D leaves.")]);
    this.#session.ended.then((failure) => {
      if (failure) this.#done.reject(failure);
      else this.#done.resolve(0);
    });
    this.#readKeys();
    // A resized terminal rewraps what is on screen; redraw the prompt line for the new width.
    const resized = () => this.#screen.redraw();
    const watchResize = Deno.build.os !== "windows";
    if (watchResize) Deno.addSignalListener("SIGWINCH", resized);
    try {
      return await this.#done.promise;
    } finally {
      if (watchResize) Deno.removeSignalListener("SIGWINCH", resized);
      this.#screen.close();
      Deno.stdin.setRaw(false);
    }
  }

  async #readKeys(): Promise<void> {
    const decoder = new TextDecoder();
    const buffer = new Uint8Array(4096);
    while (true) {
      const count = await Deno.stdin.read(buffer);
      if (count === null) return this.#quit();
      for (
        const action of this.#editor.feed(
          decoder.decode(buffer.subarray(0, count), { stream: true }),
        )
      ) {
        switch (action.type) {
          case "submit":
            runInput(action.line, this.#commands());
            break;
          case "eof":
          case "interrupt":
            return this.#quit();
          case "redraw":
            Deno.stdout.writeSync(this.#encoder.encode("\x1b[2J\x1b[H"));
            break;
        }
      }
      this.#screen.redraw();
    }
  }

  #commands(): CommandContext {
    return {
      send: (text, kind) => this.#send(text, kind),
      who: () => {
        this.#session.who().then(
          ({ total, members }) => this.#notice(`Here: ${nameList(members, total)}`),
          (error) => this.#notice(`Cannot list members: ${error.message}`),
        );
      },
      quit: () => this.#quit(),
      notice: (text) => this.#notice(text),
      whois: (name) => {
        const shown = sanitizeForTerminal(name);
        this.#session.whois(name).then((found) => {
          if (!found) return this.#notice(`No signed message from ${shown} seen yet`);
          const pinned = found.remembered === null || found.remembered === found.key
            ? "the key remembered for this name"
            : `NOT the key remembered for this name (${found.remembered})`;
          this.#notice(`${shown} signs with key ${found.key}: ${pinned}`);
        });
      },
      verify: (name) => {
        const shown = sanitizeForTerminal(name);
        this.#session.verify(name).then((code) => {
          if (!code) return this.#notice(`No signed message from ${shown} seen yet`);
          this.#notice(`Safety number with ${shown}: ${code}`);
          this.#notice(
            `Read it to ${shown} in person or by phone; if yours match, no one sits between you`,
          );
        });
      },
      trust: (name) => {
        const shown = sanitizeForTerminal(name);
        this.#session.trust(name).then(
          (trusted) =>
            this.#notice(
              trusted ? `${shown}'s current key is now trusted` : `No key seen for ${shown} yet`,
            ),
          (error) => this.#notice(`Cannot save: ${error.message}`),
        );
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
    this.#showPending();
    sending.then(
      (sent) => {
        this.#pending.splice(this.#pending.indexOf(entry), 1);
        this.#showPending();
        this.#screen.print(
          messageLines(sent.ts, this.#session.name, text, kind === "action", this.#style),
        );
      },
      (error) => {
        this.#pending.splice(this.#pending.indexOf(entry), 1);
        this.#showPending();
        this.#notice(`Not sent: ${error.message}`);
      },
    );
  }

  #showPending(): void {
    this.#screen.setStatus(
      this.#pending.map((entry) => `sending: ${sanitizeForTerminal(entry.text)}`),
    );
  }

  /** A line for the user alone. Made inert whole: error words may quote the network. */
  #notice(text: string): void {
    this.#screen.print([this.#style.dim(sanitizeForTerminal(text))]);
  }

  async #quit(): Promise<void> {
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
    await this.#session.quit();
    this.#done.resolve(0);
  }
}

function consoleSize(): { columns: number; rows: number } {
  try {
    return Deno.consoleSize();
  } catch {
    return { columns: 80, rows: 24 };
  }
}
