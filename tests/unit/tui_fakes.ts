/**
 * A terminal and a session for testing the interactive client without either: the terminal
 * records what is written and lets the test type and send signals, the session records what is
 * sent and answers at once.
 */
import type { BodyKind } from "../../protocol.ts";
import type { SentMessage, TopicEvent } from "../../client/events.ts";
import type { InteractiveSession } from "../../client/tui.ts";
import type { TerminalIo, TerminalSignal } from "../../terminal/io.ts";
import type { TerminalSize } from "../../terminal/screen.ts";

/** A terminal in memory. */
export class FakeTerminal implements TerminalIo {
  output = "";
  raw = false;
  rawChanges: boolean[] = [];
  readonly dimensions: TerminalSize = { columns: 80, rows: 24 };
  readonly #input: (Uint8Array | null)[] = [];
  #waiting: (() => void) | null = null;
  readonly #handlers = new Map<TerminalSignal, Set<() => void>>();

  async read(buffer: Uint8Array): Promise<number | null> {
    while (this.#input.length === 0) await new Promise<void>((wake) => this.#waiting = wake);
    const next = this.#input.shift();
    if (next === null || next === undefined) return null;
    // What does not fit waits for the next read, as with a real terminal.
    if (next.length > buffer.length) this.#input.unshift(next.subarray(buffer.length));
    const bytes = next.subarray(0, buffer.length);
    buffer.set(bytes);
    return bytes.length;
  }

  write(text: string): void {
    this.output += text;
  }

  size(): TerminalSize {
    return this.dimensions;
  }

  setRaw(raw: boolean): void {
    this.raw = raw;
    this.rawChanges.push(raw);
  }

  onSignal(signal: TerminalSignal, handler: () => void): () => void {
    const handlers = this.#handlers.get(signal) ?? new Set();
    handlers.add(handler);
    this.#handlers.set(signal, handlers);
    return () => handlers.delete(handler);
  }

  /** Types `text` as one read. */
  type(text: string): void {
    this.#input.push(new TextEncoder().encode(text));
    this.#wake();
  }

  /** Ends input, as a closed terminal does. */
  end(): void {
    this.#input.push(null);
    this.#wake();
  }

  /** Sends `signal` to every listener. */
  signal(signal: TerminalSignal): void {
    for (const handler of this.#handlers.get(signal) ?? []) handler();
  }

  /** Whether everything typed has been read and handled: the reader waits for more. */
  get idle(): boolean {
    return this.#waiting !== null && this.#input.length === 0;
  }

  /** How many listeners are still registered, across signals. */
  get listeners(): number {
    return [...this.#handlers.values()].reduce((sum, handlers) => sum + handlers.size, 0);
  }

  /** What was written since the last call, and forget it. */
  take(): string {
    const output = this.output;
    this.output = "";
    return output;
  }

  #wake(): void {
    this.#waiting?.();
    this.#waiting = null;
  }
}

/** A session that stores every message at once. */
export class FakeSession implements InteractiveSession {
  readonly room: string;
  readonly name: string;
  readonly sent: { text: string; kind: string }[] = [];
  quits = 0;
  /** While true, sends are never stored: they stay unsent, as with a relay that went away. */
  stalled = false;
  readonly #unsent: { text: string; kind: BodyKind }[] = [];
  readonly #ended = Promise.withResolvers<Error | null>();
  readonly #caughtUp = Promise.withResolvers<void>();
  #seq = 0;

  constructor(name = "ana", room = "lobby") {
    this.name = name;
    this.room = room;
  }

  get ended(): Promise<Error | null> {
    return this.#ended.promise;
  }

  get caughtUp(): Promise<void> {
    return this.#caughtUp.promise;
  }

  send(text: string, kind: BodyKind = "text"): Promise<SentMessage> {
    this.sent.push({ text, kind });
    if (this.stalled) {
      this.#unsent.push({ text, kind });
      return new Promise(() => {});
    }
    return Promise.resolve({ id: String(++this.#seq), seq: this.#seq, ts: Date.now() });
  }

  unsent(): { text: string; kind: BodyKind }[] {
    return [...this.#unsent];
  }

  /** Names asked for with /nick, and topics set with /topic. */
  readonly renames: string[] = [];
  readonly topics: string[] = [];
  topic: TopicEvent | null = null;

  rename(name: string): Promise<void> {
    this.renames.push(name);
    return Promise.resolve();
  }

  setTopic(text: string): Promise<void> {
    this.topics.push(text);
    return Promise.resolve();
  }

  who(): Promise<{ total: number; members: string[] }> {
    return Promise.resolve({ total: 1, members: [this.name] });
  }

  whois(): Promise<null> {
    return Promise.resolve(null);
  }

  verify(): Promise<null> {
    return Promise.resolve(null);
  }

  trust(): Promise<boolean> {
    return Promise.resolve(false);
  }

  async quit(): Promise<void> {
    this.quits++;
    this.#ended.resolve(null);
    await this.#ended.promise;
  }

  /** Ends the session as a lost connection would. */
  fail(error: Error): void {
    this.#ended.resolve(error);
  }

  /** The history asked for at join has all arrived. */
  catchUp(): void {
    this.#caughtUp.resolve();
  }
}
