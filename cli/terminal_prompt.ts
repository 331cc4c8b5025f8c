/**
 * Questions on the user's terminal, for `chat join`: the terminal on stdin when there is one,
 * else the controlling terminal (/dev/tty) as ssh and sudo use, so `echo hi | chat join ...` in a
 * terminal still asks for the passphrase. Secrets are read in raw mode and never echoed; Ctrl-C
 * is an interrupt (exit 130) and Ctrl-D on an empty line a cancel.
 */
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
 * The terminal to ask questions on: stdin and stderr when stdin is a terminal, else the
 * controlling terminal, else null (no one to ask).
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
  if (Deno.build.os === "windows") return null;
  let tty: Deno.FsFile;
  try {
    tty = Deno.openSync("/dev/tty", { read: true, write: true });
  } catch {
    // No controlling terminal (a service, CI, a detached session): nobody to ask.
    return null;
  }
  if (!tty.isTerminal()) {
    tty.close();
    return null;
  }
  let open = true;
  return {
    read: (buffer) => tty.read(buffer),
    write: (bytes) => {
      let written = 0;
      while (written < bytes.length) written += tty.writeSync(bytes.subarray(written));
    },
    setRaw: (raw) => tty.setRaw(raw),
    close: () => {
      if (open) tty.close();
      open = false;
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
