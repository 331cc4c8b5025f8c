/**
 * Presence in large rooms. Telling every member of a room of N about each join costs N frames, so
 * N people joining cost N² (10,000 members: 10^8 frames). Above a size, joins and leaves are
 * gathered and sent as one `presence_summary` per room per interval instead: counts, and the
 * first names of each. Small rooms keep one `presence` per change, at once.
 */
import { type PresenceSummary, SUMMARY_NAMES } from "../protocol.ts";

/** Joins and leaves of one room waiting for the next summary. */
export class PresenceBatch {
  #joined = 0;
  #left = 0;
  readonly #joinedNames: string[] = [];
  readonly #leftNames: string[] = [];

  /** Counts one join or leave; the first names of each are kept for the summary. */
  add(event: "join" | "leave", name: string): void {
    if (event === "join") {
      this.#joined++;
      if (this.#joinedNames.length < SUMMARY_NAMES) this.#joinedNames.push(name);
    } else {
      this.#left++;
      if (this.#leftNames.length < SUMMARY_NAMES) this.#leftNames.push(name);
    }
  }

  /** The summary of everything counted. */
  summary(room: string, ts: number): PresenceSummary {
    return {
      type: "presence_summary",
      room,
      ts,
      joined: this.#joined,
      left: this.#left,
      joinedNames: [...this.#joinedNames],
      leftNames: [...this.#leftNames],
    };
  }
}
