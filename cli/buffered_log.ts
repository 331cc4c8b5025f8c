/**
 * The relay's log as `chat serve` writes it: lines gathered during one turn of the event loop are
 * written together (a storm of joins logs two lines per member, and a write per line showed in
 * profiles), and at most a number of lines a second are written at all. Past that, lines are
 * counted instead, and the count is written when the next second starts, so a peer churning
 * connections cannot fill the operator's disk through the log.
 */
import { setImmediate } from "node:timers";

/** A rate-limited, turn-buffered line writer. */
export class BufferedLog {
  readonly #out: (text: string) => void;
  readonly #linesPerSecond: number;
  readonly #now: () => number;
  #lines: string[] = [];
  #windowStart = -Infinity;
  #written = 0;
  #dropped = 0;

  constructor(
    out: (text: string) => void,
    linesPerSecond: number,
    now: () => number = () => performance.now(),
  ) {
    this.#out = out;
    this.#linesPerSecond = linesPerSecond;
    this.#now = now;
  }

  /** Queues a line for the end of this turn, or counts it when the second's share is written. */
  write(line: string): void {
    const now = this.#now();
    if (now - this.#windowStart >= 1_000) {
      if (this.#dropped > 0) {
        this.#queue(
          `(${this.#dropped} log line(s) left out: more than ${this.#linesPerSecond} a second)`,
        );
      }
      this.#windowStart = now;
      this.#written = 0;
      this.#dropped = 0;
    }
    if (this.#written >= this.#linesPerSecond) {
      this.#dropped++;
      return;
    }
    this.#written++;
    this.#queue(line);
  }

  /** Writes what is queued now. */
  flush(): void {
    if (this.#lines.length === 0) return;
    const text = this.#lines.join("\n");
    this.#lines = [];
    this.#out(text);
  }

  #queue(line: string): void {
    if (this.#lines.length === 0) setImmediate(() => this.flush());
    this.#lines.push(line);
  }
}
