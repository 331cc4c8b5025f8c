/**
 * What the interactive client's commands do, in words for the user: /whois, /verify and /trust
 * over what the session knows of who signs as whom, and /ignore, /unignore and /quiet over what
 * the screen shows. Names come from the user's own line but are shown made inert all the same.
 */
import { foldName } from "../protocol.ts";
import { sanitizeForTerminal } from "../terminal/sanitize.ts";
import type { CommandContext } from "./commands.ts";
import type { ChatSession } from "./session.ts";
import type { RoomView } from "./tui_view.ts";

/** The identity commands of a `CommandContext`, answering through `notice`. */
export function identityCommands(
  session: Pick<ChatSession, "whois" | "verify" | "trust">,
  notice: (text: string) => void,
): Pick<CommandContext, "whois" | "verify" | "trust"> {
  return {
    whois: (name) => {
      const shown = sanitizeForTerminal(name);
      session.whois(name).then((found) => {
        if (!found) return notice(`No signed message from ${shown} seen yet`);
        const pinned = found.remembered === null || found.remembered === found.key
          ? "the key remembered for this name"
          : `NOT the key remembered for this name (${found.remembered})`;
        notice(`${shown} signs with key ${found.key}: ${pinned}`);
      });
    },
    verify: (name) => {
      const shown = sanitizeForTerminal(name);
      session.verify(name).then((code) => {
        if (!code) return notice(`No signed message from ${shown} seen yet`);
        notice(`Safety number with ${shown}: ${code}`);
        notice(
          `Read it to ${shown} in person or by phone; if yours match, no one sits between you`,
        );
      });
    },
    trust: (name) => {
      const shown = sanitizeForTerminal(name);
      session.trust(name).then(
        (trusted) =>
          notice(
            trusted ? `${shown}'s current key is now trusted` : `No key seen for ${shown} yet`,
          ),
        (error) => notice(`Cannot save: ${error.message}`),
      );
    },
  };
}

/** The commands of a `CommandContext` that change what `view` shows; `me` cannot be ignored. */
export function viewCommands(
  view: RoomView,
  options: { me: string; notice: (text: string) => void },
): Pick<CommandContext, "ignore" | "unignore" | "quiet"> {
  const { me, notice } = options;
  return {
    ignore: (name) => {
      if (name === null) {
        const ignored = view.ignored.map(sanitizeForTerminal);
        return notice(ignored.length ? `Ignored: ${ignored.join(", ")}` : "Nobody is ignored");
      }
      const shown = sanitizeForTerminal(name);
      if (foldName(name) === foldName(me)) return notice("You cannot ignore yourself");
      notice(
        view.ignore(name)
          ? `${shown}'s messages, joins and leaves are hidden on this screen; /unignore ${shown}`
          : `${shown} is already ignored`,
      );
    },
    unignore: (name) => {
      const shown = sanitizeForTerminal(name);
      notice(view.unignore(name) ? `${shown} is shown again` : `${shown} is not ignored`);
    },
    quiet: () => {
      view.quiet = !view.quiet;
      notice(
        view.quiet
          ? "Joins and leaves are hidden; /quiet shows them again"
          : "Joins and leaves are shown",
      );
    },
  };
}
