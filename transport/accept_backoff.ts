/**
 * What an accept loop does when `accept()` fails (EMFILE, ENFILE, ECONNABORTED, anything): wait a
 * little, doubling the pause up to a ceiling, and say so once per burst of failures rather than
 * once per failure, then sum the burst up in one line once accepting has worked for a while.
 * Its clock is a parameter, so tests need no sleeps. It knows nothing about sockets.
 */

/** The pause after a failed accept: the first, doubling up to the last. */
export const ACCEPT_BACKOFF_MS = { first: 50, max: 1_000 };
/** Accepting must work this long after a failure before the burst counts as over. */
export const BURST_QUIET_MS = 2_000;

/** The clock and the voice of an `AcceptBackoff`. */
export interface AcceptBackoffOptions {
  log(line: string): void;
  /** Ends the waiting (pauses and the wait for quiet) when it aborts. */
  signal: AbortSignal;
  now?(): number;
  /** Waits `ms`, or less when `signal` aborts. */
  sleep?(ms: number, signal: AbortSignal): Promise<void>;
}

/** Backoff and once-per-burst logging for one accept loop. */
export class AcceptBackoff {
  readonly #log: (line: string) => void;
  readonly #signal: AbortSignal;
  readonly #now: () => number;
  readonly #sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  #pause = ACCEPT_BACKOFF_MS.first;
  #failures = 0;
  #firstFailure = 0;
  #lastFailure = 0;
  #watching = false;

  constructor(options: AcceptBackoffOptions) {
    this.#log = options.log;
    this.#signal = options.signal;
    this.#now = options.now ?? Date.now;
    this.#sleep = options.sleep ?? sleep;
  }

  /** Failed accepts in the burst under way; 0 when there is none. */
  get failures(): number {
    return this.#failures;
  }

  /** Records a failed accept, logs it when it opens a burst, and waits out the pause. */
  async failed(error: unknown): Promise<void> {
    const now = this.#now();
    if (this.#failures === 0) {
      this.#firstFailure = now;
      const reason = error instanceof Error ? error.message : String(error);
      this.#log(
        `accept failed: ${reason}; retrying with backoff (up to ${ACCEPT_BACKOFF_MS.max} ms), ` +
          `serving the connections already open`,
      );
    }
    this.#failures++;
    this.#lastFailure = now;
    await this.#sleep(this.#pause, this.#signal);
    this.#pause = Math.min(this.#pause * 2, ACCEPT_BACKOFF_MS.max);
  }

  /** Records a working accept: the pause starts over, and the burst ends once it stays quiet. */
  succeeded(): void {
    this.#pause = ACCEPT_BACKOFF_MS.first;
    if (this.#failures > 0 && !this.#watching) this.#summarizeWhenQuiet();
  }

  /** Sums up a burst still open: the loop is ending. */
  end(): void {
    this.#summarize("");
  }

  async #summarizeWhenQuiet(): Promise<void> {
    this.#watching = true;
    while (!this.#signal.aborted) {
      const quiet = this.#now() - this.#lastFailure;
      if (quiet >= BURST_QUIET_MS) break;
      await this.#sleep(BURST_QUIET_MS - quiet, this.#signal);
    }
    this.#watching = false;
    this.#summarize(this.#signal.aborted ? "" : "; accepting again");
  }

  #summarize(outcome: string): void {
    if (this.#failures === 0) return;
    const seconds = ((this.#lastFailure - this.#firstFailure) / 1000).toFixed(1);
    this.#log(`accept failed ${this.#failures} time(s) over ${seconds} s${outcome}`);
    this.#failures = 0;
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done);
  });
}
