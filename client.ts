/**
 * Front door of the client: connects, greets the relay, gets the passphrase, derives the room key,
 * joins, and hands over to the interactive terminal or to line mode. From then on a `ChatSession`
 * keeps the member in the room across dropped connections.
 */
import {
  deriveRoomKey,
  keyFingerprint,
  newRoomParams,
  type RoomKey,
  roomParamsProblem,
} from "./crypto.ts";
import type { Joined, RoomInfo, RoomParams } from "./protocol.ts";
import { type Clock, sleep, SYSTEM_CLOCK } from "./client/clock.ts";
import { ClientConnection } from "./client/connection.ts";
import { describeWait, errorWords } from "./client/error_words.ts";
import { loadOrCreateIdentity } from "./client/identity.ts";
import { KnownKeys } from "./client/known_keys.ts";
import { ChatError, RelayError } from "./client/errors.ts";
import { lineRenderer, runLineMode } from "./client/line_mode.ts";
import type { OutputEvent, ReadyEvent } from "./client/render.ts";
import { ReplayGuard } from "./client/replay_guard.ts";
import { ChatSession } from "./client/session.ts";
import { MessageRouter } from "./client/message_router.ts";
import { weakPassphraseWarning } from "./client/strength.ts";
import { Interactive } from "./client/tui.ts";
import { PromptCancelled, promptHidden } from "./terminal/prompt.ts";
import { sanitizeForTerminal } from "./terminal/sanitize.ts";
import { RoomMemoryFile } from "./storage/room_memory.ts";
import { StreamConnection } from "./transport/stream_connection.ts";
import { tlsDialer, type TlsJoinOptions, withTlsHint } from "./client/tls_dial.ts";
import type { FrameConnection } from "./transport/types.ts";

/** How long connecting may take before the server counts as unreachable. */
const CONNECT_TIMEOUT_MS = 10_000;
/** Times a join is retried when another member created the room at the same moment. */
const JOIN_ATTEMPTS = 3;
/** Times the client connects again when the relay closed the connection during the prompt. */
const JOIN_REDIALS = 3;
/** Times the client waits when the relay slows joins down, and the longest wait it accepts. */
const JOIN_WAITS = 5;
const MAX_JOIN_WAIT_MS = 60_000;

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
  /** Where what the client remembers of rooms between runs is kept. */
  stateDir: string;
  /** Connect with TLS, and how to decide whether to trust the server's certificate. */
  tls?: TlsJoinOptions;
  out(line: string): void;
  err(line: string): void;
}

/** A connection that has said hello, and the router holding what it receives for its owner. */
interface Link {
  connection: ClientConnection;
  router: MessageRouter;
}

/** Joins a room and talks until the user leaves or input ends. Resolves with the exit code. */
export async function join(options: JoinOptions): Promise<number> {
  const { identity, created: newIdentity } = await loadOrCreateIdentity(options.configDir);
  const knownKeys = await KnownKeys.load(options.configDir);
  // Everything read from the relay is read in truncate mode: a frame too large to use becomes
  // an unreadable message to move past, not a connection to reconnect into forever.
  const dial = options.tls
    ? tlsDialer({ ...options, tls: options.tls })
    : async () =>
      new StreamConnection(await connect(options.host, options.port), {
        oversizedFrames: "truncate",
      });
  const clock = SYSTEM_CLOCK;
  const open = () => openLink(dial, options.software);
  let entered: Entered;
  try {
    entered = await enterRoom(await open(), open, options, clock);
  } catch (error) {
    throw options.tls ? error : withTlsHint(error);
  }
  const { link, joined } = entered;
  const server = `${options.host}:${options.port}`;
  let reportSaveError = (error: unknown) => options.err(`chat: warning: ${describe(error)}`);
  const memory = await RoomMemoryFile.forRoom(options.stateDir, {
    server,
    room: joined.room,
    name: joined.name,
  });
  const replay = await ReplayGuard.open(memory, {
    clock,
    onLoadError: (error) =>
      options.err(
        `chat: warning: cannot read ${memory.path} (${describe(error)}); starting it afresh, ` +
          `so messages seen before may show again`,
      ),
    onSaveError: (error) => reportSaveError(error),
  });
  const session = ChatSession.adopt({
    connection: link.connection,
    dial,
    software: options.software,
    identity,
    knownKeys,
    replay,
    server,
    clock,
    joined,
    key: entered.key,
    params: entered.params,
  }, link.router);
  let saveErrorShown = false;
  reportSaveError = (error) => {
    if (saveErrorShown) return;
    saveErrorShown = true;
    show({
      type: "error",
      code: "state",
      room: session.room,
      message: `Cannot save ${memory.path}: ${describe(error)}`,
    });
  };
  const ready: ReadyEvent = {
    type: "ready",
    room: joined.room,
    name: joined.name,
    members: joined.members,
    memberCount: Math.max(joined.memberCount, joined.members.length),
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
    show,
  });
}

/** Connects and says hello. */
async function openLink(dial: () => Promise<FrameConnection>, software: string): Promise<Link> {
  const router = new MessageRouter();
  const connection = new ClientConnection(await dial(), router.receive, {
    backpressure: router.backpressure,
  });
  try {
    await connection.hello(software);
  } catch (error) {
    await connection.abort();
    throw error;
  }
  return { connection, router };
}

interface Entered {
  link: Link;
  joined: Joined;
  key: RoomKey;
  params: RoomParams;
  created: boolean;
}

/**
 * Queries the room, asks for the passphrase and joins. The relay may close a connection that has
 * not joined in time (`join_timeout`) while a person types, so a connection lost by then is
 * replaced and the room queried again; joins the relay slows down are retried when it says.
 */
async function enterRoom(
  first: Link,
  open: () => Promise<Link>,
  options: JoinOptions,
  clock: Clock,
): Promise<Entered> {
  let link = first;
  let passphrase: string | null = null;
  let warned = false;
  const tries = { changed: 0, redials: 0, waits: 0 };
  const redial = async () => {
    await link.connection.abort();
    link = await open();
  };
  try {
    while (true) {
      const info = await link.connection.queryRoom(options.room);
      checkRoomParams(info);
      const created = info.params === null;
      passphrase ??= await readPassphrase(options.passphrase, info.room, created);
      if (created && !warned) {
        warned = true;
        const warning = await weakPassphraseWarning(passphrase, [info.room, options.name]);
        if (warning) options.err(`chat: warning: ${warning}`);
      }
      const params: RoomParams = info.params ?? newRoomParams();
      const key = await deriveRoomKey(passphrase, { room: info.room, ...params });
      if (link.connection.failure !== null && tries.redials++ < JOIN_REDIALS) {
        // Closed while the passphrase was typed or the key derived: connect again, look again.
        await redial();
        continue;
      }
      try {
        const joined = await link.connection.join({
          room: info.room,
          name: options.name,
          params,
          keyCheck: key.keyCheck,
          catchup: { kind: "history", limit: options.history },
          resumeToken: new Uint8Array(0),
        });
        return { link, joined, key, params, created };
      } catch (error) {
        if (!(error instanceof ChatError)) throw error;
        if (error.code === "room_changed" && ++tries.changed < JOIN_ATTEMPTS) continue;
        if (error.code === "join_timeout" && tries.redials++ < JOIN_REDIALS) {
          await redial();
          continue;
        }
        if (isSlowDown(error) && tries.waits++ < JOIN_WAITS) {
          const words = errorWords(error.code, "", { room: info.room, name: options.name });
          options.err(`chat: ${words}; trying again in ${describeWait(error.retryAfterMs)}`);
          await sleep(clock, error.retryAfterMs);
          if (link.connection.failure !== null) await redial();
          continue;
        }
        throw error;
      }
    }
  } catch (error) {
    await link.connection.abort();
    throw error;
  }
}

/** A refusal that passes with time, whose wait the client is willing to sit out. */
function isSlowDown(error: ChatError): error is RelayError {
  return error instanceof RelayError && !error.fatal &&
    (error.code === "too_many_attempts" || error.code === "too_many_rooms") &&
    error.retryAfterMs > 0 && error.retryAfterMs <= MAX_JOIN_WAIT_MS;
}

/**
 * Refuses a room whose key settings no client should accept, before asking for its passphrase:
 * a relay could weaken the key (few iterations) or stall the client (very many).
 */
function checkRoomParams(info: RoomInfo): void {
  const problem = info.params ? roomParamsProblem(info.params) : null;
  if (problem === null) return;
  throw new ChatError(
    "weak_room_params",
    `Cannot join room "${sanitizeForTerminal(info.room)}": ${problem}. The server may be ` +
      `misconfigured or hostile; not joining`,
  );
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
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
        const shown = sanitizeForTerminal(room);
        if (!created) return await promptHidden(`Passphrase for room "${shown}": `);
        const first = await promptHidden(`New room "${shown}": choose a passphrase: `);
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
