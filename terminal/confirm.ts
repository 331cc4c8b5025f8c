/**
 * A yes/no question on the terminal, answered with a line the user can see (nothing secret is
 * typed here, unlike `prompt.ts`). Anything but "y" or "yes" is no, and so is end of input.
 */

/** Asks `question` on stderr and reads one line from the terminal; true only for y or yes. */
export async function confirm(question: string): Promise<boolean> {
  Deno.stderr.writeSync(new TextEncoder().encode(question));
  const decoder = new TextDecoder();
  const buffer = new Uint8Array(256);
  let line = "";
  while (!line.includes("\n")) {
    const count = await Deno.stdin.read(buffer);
    if (count === null) {
      Deno.stderr.writeSync(new TextEncoder().encode("\n"));
      return false;
    }
    line += decoder.decode(buffer.subarray(0, count), { stream: true });
  }
  return isYes(line);
}

/** Whether an answer means yes: "y" or "yes", any case, spaces around ignored. */
export function isYes(answer: string): boolean {
  return /^\s*y(es)?\s*$/i.test(answer);
}
