/**
 * Questions on the user's terminal, for `chat join`: the terminal on stdin when there is one,
 * else the terminal the output goes to, as ssh and sudo ask on the controlling terminal, so
 * `echo hi | chat join ...` in a terminal still asks for the passphrase. Secrets are read in raw mode and never echoed; Ctrl-C
 * is an interrupt (exit 130) and Ctrl-D on an empty line a cancel.
 */
import tty from "node:tty";
import { ChatError } from "../client/errors.ts";
import type { Prompter } from "../client/passphrase.ts";

/** The bytes of a terminal, as the prompts need them. */
export interface TerminalIo {
  read(buffer: Uint8Array): Promise<number | null>;
  write(bytes: Uint8Array): void;
  setRaw(raw: boolean): void;
  close(): void;
}

/**
 * The terminal to ask questions on: stdin and stderr when stdin is a terminal; else, when input
 * is a pipe, the terminal stderr (or stdout) is on, which is the controlling terminal in
 * `echo hi | chat join ...`; else null (no one to ask). Deno refuses to open /dev/tty without
 * --allow-all, so the terminal is reached through the descriptor already open on it.
 */
export function openTerminal(): TerminalIo | null {
  if (Deno.stdin.isTerminal()) {
    return {
      read: (buffer) => Deno.stdin.read(buffer),
      write: (bytes) => void Deno.stderr.writeSync(bytes),
      setRaw: (raw) => Deno.stdin.setRaw(raw),
      close: () => {},
    };
  }
  if (Deno.stderr.isTerminal()) return descriptorTerminal(2, Deno.stderr);
  if (Deno.stdout.isTerminal()) return descriptorTerminal(1, Deno.stdout);
  return null;
}

/** A terminal read through descriptor `fd` (open on it for writing, and so for reading too). */
function descriptorTerminal(fd: number, output: { writeSync(bytes: Uint8Array): number }) {
  const stream = new tty.ReadStream(fd);
  // Read only while a prompt waits: whatever is typed after it belongs to nobody here.
  stream.pause();
  const chunks: Uint8Array[] = [];
  let ended = false;
  let wake: (() => void) | null = null;
  const woken = () => {
    const waiting = wake;
    wake = null;
    waiting?.();
  };
  stream.on("data", (chunk: Uint8Array) => {
    chunks.push(chunk);
    stream.pause();
    woken();
  });
  for (const event of ["end", "close", "error"]) {
    stream.on(event, () => {
      ended = true;
      woken();
    });
  }
  return {
    read: async (buffer: Uint8Array): Promise<number | null> => {
      while (chunks.length === 0 && !ended) {
        const waited = new Promise<void>((resolve) => wake = resolve);
        stream.resume();
        await waited;
      }
      const chunk = chunks[0];
      if (chunk === undefined) return null;
      const count = Math.min(chunk.length, buffer.length);
      buffer.set(chunk.subarray(0, count));
      if (count < chunk.length) chunks[0] = chunk.subarray(count);
      else chunks.shift();
      return count;
    },
    write: (bytes: Uint8Array) => {
      let written = 0;
      while (written < bytes.length) written += output.writeSync(bytes.subarray(written));
    },
    setRaw: (raw: boolean) => void stream.setRawMode(raw),
    close: () => {
      if (!ended) stream.destroy();
      ended = true;
    },
  };
}

/** A `Prompter` on `terminal`. */
export function terminalPrompter(terminal: TerminalIo): Prompter {
  const encoder = new TextEncoder();
  const write = (text: string) => terminal.write(encoder.encode(text));
  return {
    secret: (question) => readSecret(terminal, question),
    confirm: async (question) => /^\s*y(es)?\s*$/i.test(await readLine(terminal, question)),
    line: (question) => readLine(terminal, question),
    say: (line) => write(`${line}\n`),
  };
}

/** Asks `question` and reads one line without echo, in raw mode. */
export async function readSecret(terminal: TerminalIo, question: string): Promise<string> {
  const encoder = new TextEncoder();
  const decoder = new TextDecoder();
  terminal.write(encoder.encode(question));
  terminal.setRaw(true);
  const chars: string[] = [];
  const buffer = new Uint8Array(256);
  try {
    let escape = false;
    while (true) {
      const count = await terminal.read(buffer);
      if (count === null) throw cancelled();
      for (const char of decoder.decode(buffer.subarray(0, count), { stream: true })) {
        if (escape) {
          // Skip a cursor-key sequence: it ends at its first letter or tilde.
          if (/[A-Za-z~]/.test(char)) escape = false;
          continue;
        }
        switch (char) {
          case "\r":
          case "\n":
            return chars.join("");
          case "\u0003":
            throw new ChatError("interrupted", "Interrupted at the passphrase prompt");
          case "\u0004":
            if (chars.length === 0) throw cancelled();
            break;
          case "\u007f":
          case "\b":
            chars.pop();
            break;
          case "\u0015":
            chars.length = 0;
            break;
          case "\u001b":
            escape = true;
            break;
          default:
            if (char >= " ") chars.push(char);
        }
      }
    }
  } finally {
    terminal.setRaw(false);
    terminal.write(encoder.encode("\n"));
  }
}

/**
 * Asks `question` and reads one visible line in the terminal's own line mode (Ctrl-C there is
 * the terminal's interrupt); end of input is an empty answer.
 */
export async function readLine(terminal: TerminalIo, question: string): Promise<string> {
  terminal.write(new TextEncoder().encode(question));
  const decoder = new TextDecoder();
  const buffer = new Uint8Array(256);
  let line = "";
  while (!line.includes("\n")) {
    const count = await terminal.read(buffer);
    if (count === null) {
      terminal.write(new TextEncoder().encode("\n"));
      break;
    }
    line += decoder.decode(buffer.subarray(0, count), { stream: true });
  }
  return line.split("\n")[0]!.replace(/\r$/, "");
}

function cancelled(): ChatError {
  return new ChatError("cancelled", "Cancelled at the passphrase prompt");
}
