/**
 * The terminal as the interactive client uses it: read keys, write text, know the size, switch raw
 * mode, hear signals. `denoTerminal()` is the real one on stdin and stdout; tests pass their own,
 * so the client's exits (and what they leave the terminal in) are tested without a terminal.
 */
import type { TerminalSize } from "./screen.ts";

/** Signals the interactive client answers. */
export type TerminalSignal = "SIGWINCH" | "SIGINT" | "SIGTERM" | "SIGHUP";

/** What the interactive client needs of a terminal. */
export interface TerminalIo {
  /** Reads raw input into `buffer`; null at end of input. */
  read(buffer: Uint8Array): Promise<number | null>;
  /** Writes text; a terminal that has gone away is not an error. */
  write(text: string): void;
  size(): TerminalSize;
  setRaw(raw: boolean): void;
  /** Calls `handler` on `signal` until the returned function is called. */
  onSignal(signal: TerminalSignal, handler: () => void): () => void;
}

/** The process's own terminal: stdin, stdout and its signals. */
export function denoTerminal(): TerminalIo {
  const encoder = new TextEncoder();
  return {
    read: (buffer) => Deno.stdin.read(buffer),
    write(text) {
      try {
        Deno.stdout.writeSync(encoder.encode(text));
      } catch {
        // The terminal is gone (a closed window sends SIGHUP and then refuses writes).
      }
    },
    size() {
      try {
        return Deno.consoleSize();
      } catch {
        return { columns: 80, rows: 24 };
      }
    },
    setRaw(raw) {
      try {
        Deno.stdin.setRaw(raw);
      } catch (error) {
        // Turning raw mode off on a terminal that has gone is not worth failing the exit for.
        if (raw) throw error;
      }
    },
    onSignal(signal, handler) {
      // Windows has no SIGWINCH, SIGTERM or SIGHUP listeners; resizing there goes unnoticed.
      if (Deno.build.os === "windows" && signal !== "SIGINT") return () => {};
      Deno.addSignalListener(signal, handler);
      return () => Deno.removeSignalListener(signal, handler);
    },
  };
}
