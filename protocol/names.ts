/**
 * What a member or room name may be. Names reach every member's terminal and the relay's log, so
 * they are restricted to letters, digits and a little punctuation: no spaces, controls, escape
 * sequences, invisible or bidirectional formatting characters.
 */

/** Longest name, in characters. */
export const MAX_NAME_CHARS = 32;

const NAME_PATTERN = /^(?!.*\p{Default_Ignorable_Code_Point})[\p{L}\p{N}][\p{L}\p{M}\p{N}_.-]*$/u;

/** Combining marks allowed on one letter: enough for any script, too few for "Zalgo" text. */
const MAX_STACKED_MARKS = 3;
const STACKED_MARKS = new RegExp(`\\p{M}{${MAX_STACKED_MARKS + 1},}`, "u");

/**
 * Scripts whose letters look alike: a name mixing them (a Cyrillic "а" among Latin letters) is
 * almost always an attempt to pass as another name, so it is refused.
 */
const CONFUSABLE_SCRIPTS: readonly [string, RegExp][] = [
  ["Latin", /\p{Script=Latin}/u],
  ["Cyrillic", /\p{Script=Cyrillic}/u],
  ["Greek", /\p{Script=Greek}/u],
];

/** Which kind of name is being checked, for the message. */
export type NameKind = "name" | "room";

/**
 * Why `name` is not acceptable, or null when it is. Names must already be in Unicode NFKC form so
 * that look-alike spellings (full-width letters, ligatures) cannot pass as someone else.
 */
export function nameProblem(name: string, kind: NameKind = "name"): string | null {
  const chars = [...name].length;
  if (chars === 0) return `${kindLabel(kind)} is empty`;
  if (chars > MAX_NAME_CHARS) {
    return `${kindLabel(kind)} is ${chars} characters long; the limit is ${MAX_NAME_CHARS}`;
  }
  if (STACKED_MARKS.test(name)) {
    return `${kindLabel(kind)} stacks more than ${MAX_STACKED_MARKS} combining marks on a letter`;
  }
  if (name !== name.normalize("NFKC") || !NAME_PATTERN.test(name)) {
    return `${kindLabel(kind)} may only hold letters, digits, "_", "-" and "." and must start ` +
      `with a letter or digit`;
  }
  const scripts = CONFUSABLE_SCRIPTS.filter(([, pattern]) => pattern.test(name));
  if (scripts.length > 1) {
    return `${kindLabel(kind)} mixes ${scripts.map(([script]) => script).join(" and ")} ` +
      `letters, which can look alike; use one script`;
  }
  return null;
}

/** The form two names are compared in: names differing only in case are the same name. */
export function foldName(name: string): string {
  return name.normalize("NFKC").toLowerCase().normalize("NFKC");
}

/** Brings a typed name to the form `nameProblem` accepts when the user meant a valid one. */
export function normalizeName(name: string): string {
  return name.trim().normalize("NFKC");
}

function kindLabel(kind: NameKind): string {
  return kind === "name" ? "Name" : "Room name";
}
