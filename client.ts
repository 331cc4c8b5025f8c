/**
 * Front door of the client: connects, greets the relay, gets the passphrase, derives the room key,
 * joins, and hands over to the interactive terminal or to line mode. From then on a `ChatSession`
 * keeps the member in the room across dropped connections.
 */
import {
  DEFAULT_ITERATIONS,
  deriveRoomKey,
  keyFingerprint,
  newSalt,
  type RoomKey,
} from "./crypto.ts";
import type { Joined, RoomParams } from "./protocol.ts";
import { ClientConnection } from "./client/connection.ts";
import { loadOrCreateIdentity } from "./client/identity.ts";
import { KnownKeys } from "./client/known_keys.ts";
import { ChatError } from "./client/errors.ts";
import { lineRenderer, runLineMode } from "./client/line_mode.ts";
import type { OutputEvent, ReadyEvent } from "./client/render.ts";
import { ChatSession } from "./client/session.ts";
import { MessageRouter } from "./client/message_router.ts";
import { weakPassphraseWarning } from "./client/strength.ts";
import { Interactive } from "./client/tui.ts";
import { PromptCancelled, promptHidden } from "./terminal/prompt.ts";
import { StreamConnection } from "./transport/stream_connection.ts";
import { tlsDialer, type TlsJoinOptions, withTlsHint } from "./client/tls_dial.ts";

/** How long connecting may take before the server counts as unreachable. */
const CONNECT_TIMEOUT_MS = 10_000;
/** Times a join is retried when another member created the room at the same moment. */
const JOIN_ATTEMPTS = 3;

/** Where the room passphrase comes from; never the command line. */
export type PassphraseSource =
  | { kind: "value"; value: string }
  | { kind: "file"; path: string }
  | { kind: "prompt" };

/** Everything `join` needs. */
export interface JoinOptions {
  host: string;
  port: number;
  name: string;
  room: string;
  json: boolean;
  /** Most recent messages to show on joining; 0 for none. */
  history: number;
  passphrase: PassphraseSource;
  /** Interactive terminal UI when both stdin and stdout are terminals and --json is off. */
  interactive: boolean;
  color: boolean;
  software: string;
  /** Where the identity key and the keys of others are kept. */
  configDir: string;
  /** Connect with TLS, and how to decide whether to trust the server's certificate. */
  tls?: TlsJoinOptions;
  out(line: string): void;
  err(line: string): void;
}

/** Joins a room and talks until the user leaves or input ends. Resolves with the exit code. */
export async function join(options: JoinOptions): Promise<number> {
  const { identity, created: newIdentity } = await loadOrCreateIdentity(options.configDir);
  const knownKeys = await KnownKeys.load(options.configDir);
  const dial = options.tls
    ? tlsDialer({ ...options, tls: options.tls })
    : async () => new StreamConnection(await connect(options.host, options.port));
  const router = new MessageRouter();
  const connection = new ClientConnection(await dial(), router.receive);
  let entered: Entered;
  try {
    await connection.hello(options.software);
    entered = await enterRoom(connection, options);
  } catch (error) {
    await connection.abort();
    throw options.tls ? error : withTlsHint(error);
  }
  const session = ChatSession.adopt({
    connection,
    dial,
    software: options.software,
    identity,
    knownKeys,
    server: `${options.host}:${options.port}`,
    ...entered,
  }, router);
  const ready: ReadyEvent = {
    type: "ready",
    room: entered.joined.room,
    name: entered.joined.name,
    members: entered.joined.members,
    fingerprint: entered.key.fingerprint,
    created: entered.created,
    identity: await keyFingerprint(identity.publicKey),
    newIdentity,
  };
  let show: (event: OutputEvent) => void;
  if (options.interactive) {
    const ui = new Interactive(session, { color: options.color });
    show = (event) => ui.show(event);
    session.listener = show;
    show(ready);
    return await ui.run();
  }
  show = lineRenderer(options);
  session.listener = show;
  show(ready);
  return await runLineMode(session, {
    input: Deno.stdin.readable,
    out: options.out,
    err: options.err,
    json: options.json,
  });
}

interface Entered {
  joined: Joined;
  key: RoomKey;
  params: RoomParams;
  created: boolean;
}

async function enterRoom(connection: ClientConnection, options: JoinOptions): Promise<Entered> {
  let passphrase: string | null = null;
  for (let attempt = 1;; attempt++) {
    const info = await connection.queryRoom(options.room);
    const created = info.params === null;
    passphrase ??= await readPassphrase(options.passphrase, info.room, created);
    if (created) {
      const warning = await weakPassphraseWarning(passphrase, [info.room, options.name]);
      if (warning) options.err(`chat: warning: ${warning}`);
    }
    const params: RoomParams = info.params ?? { salt: newSalt(), iterations: DEFAULT_ITERATIONS };
    const key = await deriveRoomKey(passphrase, { room: info.room, ...params });
    try {
      const joined = await connection.join({
        room: info.room,
        name: options.name,
        params,
        keyCheck: key.keyCheck,
        catchup: { kind: "history", limit: options.history },
        resumeToken: new Uint8Array(0),
      });
      return { joined, key, params, created };
    } catch (error) {
      if (!(error instanceof ChatError)) throw error;
      if (error.code === "room_changed" && attempt < JOIN_ATTEMPTS) continue;
      throw refusal(error, info.room, options.name);
    }
  }
}

function refusal(error: ChatError, room: string, name: string): ChatError {
  switch (error.code) {
    case "wrong_passphrase":
      return new ChatError(error.code, `wrong passphrase for room "${room}"`);
    case "name_taken":
      return new ChatError(
        error.code,
        `the name "${name}" is taken in room "${room}"; choose another with --name`,
      );
    default:
      return error;
  }
}

async function readPassphrase(
  source: PassphraseSource,
  room: string,
  created: boolean,
): Promise<string> {
  const passphrase = await passphraseFrom(source, room, created);
  if (passphrase === "") throw new ChatError("no_passphrase", "The passphrase is empty");
  return passphrase;
}

async function passphraseFrom(
  source: PassphraseSource,
  room: string,
  created: boolean,
): Promise<string> {
  switch (source.kind) {
    case "value":
      return source.value;
    case "file": {
      let text: string;
      try {
        text = await Deno.readTextFile(source.path);
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        throw new ChatError("no_passphrase", `Cannot read passphrase file: ${reason}`);
      }
      return text.split(/\r?\n/, 1)[0] ?? "";
    }
    case "prompt":
      try {
        if (!created) return await promptHidden(`Passphrase for room "${room}": `);
        const first = await promptHidden(`New room "${room}": choose a passphrase: `);
        const second = await promptHidden("Type it again: ");
        if (first !== second) throw new ChatError("no_passphrase", "The passphrases differ");
        return first;
      } catch (error) {
        if (error instanceof PromptCancelled) {
          throw new ChatError("cancelled", "Cancelled at the passphrase prompt");
        }
        throw error;
      }
  }
}

async function connect(host: string, port: number): Promise<Deno.TcpConn> {
  const where = `${host.includes(":") ? `[${host}]` : host}:${port}`;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const attempt = Deno.connect({ hostname: host, port, transport: "tcp" });
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new ChatError("unreachable", `Cannot reach ${where}: no answer in time`)),
      CONNECT_TIMEOUT_MS,
    );
  });
  try {
    return await Promise.race([attempt, timeout]);
  } catch (error) {
    attempt.then((conn) => conn.close(), () => {});
    if (error instanceof ChatError) throw error;
    const reason = error instanceof Deno.errors.ConnectionRefused
      ? `connection refused (is "chat serve" running there?)`
      : error instanceof Error
      ? error.message
      : String(error);
    throw new ChatError("unreachable", `Cannot reach ${where}: ${reason}`);
  } finally {
    clearTimeout(timer);
  }
}
