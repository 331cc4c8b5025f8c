/**
 * Line mode, for pipes, scripts and bots: each input line is one message, every event is printed
 * as a line (JSON with --json). At end of input the client waits until the relay has acknowledged
 * every message it sent, then leaves.
 */
import { MAX_TEXT_BYTES, textBytes } from "../protocol.ts";
import { createStyle } from "../terminal/colors.ts";
import type { ChatSession } from "./session.ts";
import { ChatError } from "./errors.ts";
import { humanLines, jsonLine, type OutputEvent } from "./render.ts";
import { FINAL_MESSAGE_CODES } from "./outbox.ts";

/** Most messages sent and not yet acknowledged before reading more input. */
const SEND_WINDOW = 256;

/** Where line mode reads and writes. */
export interface LineModeIo {
  input: ReadableStream<Uint8Array>;
  out(line: string): void;
  err(line: string): void;
  json: boolean;
  /** Shows an event the way the session's own events are shown. */
  show(event: OutputEvent): void;
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
      io.out(jsonLine(event));
    } else {
      const write = event.type === "ready" || event.type === "error" ? io.err : io.out;
      for (const line of humanLines(event, style)) write(line);
    }
  };
}

/** Sends each line of input, then waits for every acknowledgement. Returns the exit code. */
export async function runLineMode(session: ChatSession, io: LineModeIo): Promise<number> {
  const inFlight = new Set<Promise<void>>();
  let refused = 0;
  let refusedByServer = 0;
  let lineNumber = 0;
  const lost = session.ended.then((failure) => {
    throw failure ?? new ChatError("closed", "The session ended");
  });
  lost.catch(() => {});
  const sendAll = async () => {
    for await (const line of readLines(io.input)) {
      lineNumber++;
      if (line === "") continue;
      if (textBytes(line) > MAX_TEXT_BYTES) {
        refused++;
        io.err(`chat: line ${lineNumber} is over ${MAX_TEXT_BYTES} bytes and was not sent`);
        continue;
      }
      const number = lineNumber;
      const tracked: Promise<void> = session.send(line).then(() => {
        inFlight.delete(tracked);
      }, (error) => {
        // A refusal of this message alone: say so and go on. Anything else ends the run below.
        if (!(error instanceof ChatError) || !FINAL_MESSAGE_CODES.has(error.code)) throw error;
        inFlight.delete(tracked);
        refusedByServer++;
        io.show({
          type: "error",
          code: error.code,
          room: session.room,
          message: `Line ${number} was not sent: ${error.message}`,
        });
      });
      tracked.catch(() => {});
      inFlight.add(tracked);
      if (inFlight.size >= SEND_WINDOW) await Promise.race(inFlight);
    }
  };
  try {
    // A session that cannot go on ends the run at once, even while input is still open.
    await Promise.race([sendAll(), lost]);
    await Promise.race([Promise.all([...inFlight, session.caughtUp]), lost]);
  } catch (error) {
    const missing = session.unacknowledged || inFlight.size;
    if (error instanceof ChatError && missing > 0) {
      throw new ChatError(
        error.code,
        `${error.message}; ${missing} message(s) were not acknowledged`,
      );
    }
    throw error;
  }
  await session.quit();
  if (refused > 0) {
    throw new ChatError("line_too_long", `${refused} line(s) were too long and were not sent`);
  }
  if (refusedByServer > 0) {
    throw new ChatError("not_sent", `${refusedByServer} line(s) were refused by the server`);
  }
  return 0;
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
