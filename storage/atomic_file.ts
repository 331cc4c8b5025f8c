/**
 * Replacing a small file all at once: a reader (or a crash) sees the old contents or the new,
 * never half of either. Used for the relay's certificate and key and the client's known hosts.
 */
import { dirname, join } from "node:path";

/** Writes `text` to a temporary file beside `path`, owner-only, then renames it into place. */
export async function writeAtomically(path: string, text: string): Promise<void> {
  const temporary = join(dirname(path), `.${crypto.randomUUID()}.tmp`);
  try {
    await Deno.writeTextFile(temporary, text, { mode: 0o600, createNew: true });
    // `mode` applies through the umask; make it exact, since these files are secrets or trust.
    if (Deno.build.os !== "windows") await Deno.chmod(temporary, 0o600);
    await Deno.rename(temporary, path);
  } catch (error) {
    await Deno.remove(temporary).catch(() => {});
    throw error;
  }
}
