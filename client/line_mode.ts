/**
 * Line mode, for pipes, scripts and bots: each input line is one message (or, with --json-in, one
 * JSON object naming a message and a `ref` to echo), every event is printed as a line (JSON with
 * --json). At end of input the client waits until the relay has acknowledged every message it
 * sent, then leaves. Leaving early (an interrupt, or a session that cannot go on) names every
 * message that was not sent and exits non-zero: a script must not take a lost line for a sent one.
 */
import { type BodyKind, MAX_TEXT_BYTES, textBytes } from "../protocol.ts";
import { createStyle } from "../terminal/colors.ts";
import { sanitizeForTerminal } from "../terminal/sanitize.ts";
import type { ChatSession } from "./session.ts";
import { ChatError } from "./errors.ts";
import { humanLines, jsonLine, type OutputEvent } from "./render.ts";
import { FINAL_MESSAGE_CODES } from "./outbox.ts";

/** Most messages sent and not yet acknowledged before reading more input. */
const SEND_WINDOW = 256;
/** The version of the JSON events' shape, in every event as `v` (docs/JSON.md). */
export const JSON_VERSION = 1;
/** Longest `ref` a bot may attach to a message, in characters. */
export const MAX_REF_CHARS = 256;
/** How much of an unsent line is quoted when naming it. */
const QUOTE_CHARS = 60;

/** Where line mode reads and writes. */
export interface LineModeIo {
  input: ReadableStream<Uint8Array>;
  out(line: string): void;
  err(line: string): void;
  json: boolean;
  /** Input lines are JSON objects: `{"text":...}` or `{"action":...}`, each with an optional `ref`. */
  jsonInput?: boolean;
  /** Shows an event the way the session's own events are shown. */
  show(event: OutputEvent): void;
  /**
   * Settles when the user interrupts (SIGINT, SIGTERM): the run stops reading, names what was
   * not sent and ends with exit code 130. Defaults to the process's signals.
   */
  interrupted?: Promise<void>;
}

/** Any event as a JSON line, with the schema version first. */
export function jsonEventLine(event: OutputEvent | ({ type: string } & Record<string, unknown>)) {
  // jsonLine only serialises (escaping what a terminal could act on); any event shape will do.
  return `{"v":${JSON_VERSION},${jsonLine(event as OutputEvent).slice(1)}`;
}

/**
 * Prints events as lines; the caller routes the connection's events here. Without --json, the
 * joining status goes to stderr so stdout carries only what was said in the room.
 */
export function lineRenderer(
  io: Pick<LineModeIo, "out" | "err" | "json">,
): (event: OutputEvent) => void {
  const style = createStyle(false);
  return (event) => {
    if (io.json) {
      io.out(jsonEventLine(event));
    } else {
      const write = event.type === "ready" || event.type === "error" ? io.err : io.out;
      for (const line of humanLines(event, style)) write(line);
    }
  };
}

/** One message read from the input. */
interface Outgoing {
  line: number;
  text: string;
  kind: BodyKind;
  ref?: string | number;
}

/** Sends each line of input, then waits for every acknowledgement. Returns the exit code. */
export async function runLineMode(session: ChatSession, io: LineModeIo): Promise<number> {
  const pending = new Set<Outgoing>();
  const inFlight = new Set<Promise<void>>();
  let refused = 0;
  let refusedByServer = 0;
  // Acks are printed here, where the message's `ref` is known, not by the session.
  session.listener = (event) => {
    if (event.type !== "ack") io.show(event);
  };
  const lost = session.ended.then((failure) => {
    throw failure ?? new ChatError("closed", "The session ended");
  });
  lost.catch(() => {});
  const signals = io.interrupted === undefined ? interruptSignals() : null;
  const interrupted = (io.interrupted ?? signals!.promise).then(() => {
    throw new ChatError("interrupted", "Interrupted");
  });
  interrupted.catch(() => {});
  const refuse = (outgoing: Outgoing | { line: number }, code: string, message: string) => {
    io.show({
      type: "error",
      code,
      room: session.room,
      message,
      ...jsonOnly(io, { line: outgoing.line, ...("ref" in outgoing ? { ref: outgoing.ref } : {}) }),
    } as OutputEvent);
  };
  const sendAll = async () => {
    let lineNumber = 0;
    for await (const line of readLines(io.input)) {
      lineNumber++;
      if (line === "") continue;
      const outgoing = io.jsonInput ? parseJsonInput(line, lineNumber) : {
        line: lineNumber,
        text: line,
        kind: "text" as const,
      };
      if (typeof outgoing === "string") {
        refused++;
        refuse({ line: lineNumber }, "bad_input", outgoing);
        continue;
      }
      if (textBytes(outgoing.text) > MAX_TEXT_BYTES) {
        refused++;
        refuse(
          outgoing,
          "line_too_long",
          `Line ${lineNumber} is over ${MAX_TEXT_BYTES} bytes and was not sent`,
        );
        continue;
      }
      pending.add(outgoing);
      const tracked: Promise<void> = session.send(outgoing.text, outgoing.kind).then((sent) => {
        inFlight.delete(tracked);
        pending.delete(outgoing);
        if (io.json) {
          const ref = outgoing.ref === undefined ? {} : { ref: outgoing.ref };
          io.out(jsonEventLine({ type: "ack", room: session.room, ...sent, ...ref }));
        }
      }, (error) => {
        // A refusal of this message alone: say so and go on. Anything else ends the run below.
        if (!(error instanceof ChatError) || !FINAL_MESSAGE_CODES.has(error.code)) throw error;
        inFlight.delete(tracked);
        pending.delete(outgoing);
        refusedByServer++;
        refuse(outgoing, error.code, `Line ${outgoing.line} was not sent: ${error.message}`);
      });
      tracked.catch(() => {});
      inFlight.add(tracked);
      if (inFlight.size >= SEND_WINDOW) await Promise.race(inFlight);
    }
  };
  try {
    // A session that cannot go on, or an interrupt, ends the run at once, even mid-input.
    await Promise.race([sendAll(), lost, interrupted]);
    await Promise.race([Promise.all([...inFlight, session.caughtUp]), lost, interrupted]);
  } catch (error) {
    const unsent = [...pending];
    if (error instanceof ChatError && error.code === "interrupted") await session.quit();
    if (!(error instanceof ChatError) || unsent.length === 0) throw error;
    for (const outgoing of unsent) {
      refuse(outgoing, "unsent", `Line ${outgoing.line} was not sent: "${quote(outgoing.text)}"`);
    }
    throw new ChatError(
      error.code,
      `${error.message}; ${unsent.length} message(s) were not sent (lines ${
        unsent.map((outgoing) => outgoing.line).join(", ")
      })`,
    );
  } finally {
    signals?.dispose();
  }
  await session.quit();
  if (refused > 0) {
    throw new ChatError("not_sent", `${refused} line(s) could not be sent`);
  }
  if (refusedByServer > 0) {
    throw new ChatError("not_sent", `${refusedByServer} line(s) were refused by the server`);
  }
  return 0;
}

/** Fields that only JSON output carries (human lines say them in words). */
function jsonOnly(io: Pick<LineModeIo, "json">, fields: Record<string, unknown>) {
  return io.json ? fields : {};
}

/**
 * One line of --json-in input: `{"text": "...", "ref": ...}` or `{"action": "...", "ref": ...}`
 * (an action is what /me sends). Returns why not, in words, for anything else.
 */
export function parseJsonInput(line: string, number: number): Outgoing | string {
  let data: unknown;
  try {
    data = JSON.parse(line);
  } catch {
    return `Line ${number} is not JSON; with --json-in each line is {"text": "..."}`;
  }
  if (typeof data !== "object" || data === null || Array.isArray(data)) {
    return `Line ${number} is not a JSON object like {"text": "..."}`;
  }
  const record = data as Record<string, unknown>;
  const { text, action, ref } = record;
  if ((typeof text === "string") === (typeof action === "string")) {
    return `Line ${number} needs a "text" or an "action" string (one of them)`;
  }
  const unknown = Object.keys(record).filter((key) => !["text", "action", "ref"].includes(key));
  if (unknown.length > 0) return `Line ${number} has an unknown field "${unknown[0]}"`;
  if (
    ref !== undefined &&
    !(typeof ref === "string" && ref.length <= MAX_REF_CHARS) &&
    !(typeof ref === "number" && Number.isFinite(ref))
  ) {
    return `Line ${number}: "ref" must be a number or a string of at most ${MAX_REF_CHARS} characters`;
  }
  const body = (text ?? action) as string;
  if (body.trim() === "") return `Line ${number} has nothing to say`;
  return {
    line: number,
    text: body,
    kind: typeof action === "string" ? "action" : "text",
    ...(ref === undefined ? {} : { ref: ref as string | number }),
  };
}

/** The start of a line, made inert and cut short, for naming it. */
function quote(text: string): string {
  const shown = sanitizeForTerminal(text);
  return shown.length > QUOTE_CHARS ? `${shown.slice(0, QUOTE_CHARS - 1)}…` : shown;
}

/** SIGINT and SIGTERM as a promise, while line mode runs; the listeners go with `dispose`. */
function interruptSignals(): { promise: Promise<void>; dispose(): void } {
  const { promise, resolve } = Promise.withResolvers<void>();
  const signals: Deno.Signal[] = Deno.build.os === "windows" ? ["SIGINT"] : ["SIGINT", "SIGTERM"];
  const handler = () => resolve();
  for (const signal of signals) Deno.addSignalListener(signal, handler);
  return {
    promise,
    dispose: () => {
      for (const signal of signals) Deno.removeSignalListener(signal, handler);
    },
  };
}

/** Lines of UTF-8 text, without their line endings. */
export async function* readLines(input: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  let partial = "";
  for await (const chunk of input.pipeThrough(new TextDecoderStream())) {
    const parts = (partial + chunk).split("\n");
    partial = parts.pop() ?? "";
    for (const part of parts) yield part.endsWith("\r") ? part.slice(0, -1) : part;
  }
  if (partial !== "") yield partial;
}
