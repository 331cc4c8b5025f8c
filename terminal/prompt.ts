/**
 * A hidden prompt for secrets: nothing typed is echoed. Reads the terminal in raw mode so the
 * secret never appears on screen or in scrollback.
 */

/** Thrown when the user cancels the prompt with Ctrl-C or Ctrl-D. */
export class PromptCancelled extends Error {
  constructor() {
    super("Cancelled");
    this.name = "PromptCancelled";
  }
}

/** Asks `question` on stderr and reads one line from the terminal without echo. */
export async function promptHidden(question: string): Promise<string> {
  const encoder = new TextEncoder();
  const decoder = new TextDecoder();
  Deno.stderr.writeSync(encoder.encode(question));
  Deno.stdin.setRaw(true);
  const chars: string[] = [];
  const buffer = new Uint8Array(256);
  try {
    while (true) {
      const count = await Deno.stdin.read(buffer);
      if (count === null) throw new PromptCancelled();
      let escape = false;
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
            throw new PromptCancelled();
          case "\u0004":
            if (chars.length === 0) throw new PromptCancelled();
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
    Deno.stdin.setRaw(false);
    Deno.stderr.writeSync(encoder.encode("\n"));
  }
}
