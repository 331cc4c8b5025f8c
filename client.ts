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
import {
  askPassphrase,
  chooseNewPassphrase,
  PASSPHRASE_TRIES,
  type Prompter,
} from "./client/passphrase.ts";
import { probeServer, wrongProtocolWords } from "./client/probe.ts";
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
  | { kind: "prompt"; prompter: Prompter };

/** Everything `join` needs. */
export interface JoinOptions {
  host: string;
  port: number;
  name: string;
  room: string;
  json: boolean;
  /** Most recent messages to show on joining; 0 for none. */
  history: number;
  /** Create the room if it does not exist. Line mode refuses to without it: a typo would. */
  create: boolean;
  /** Line mode reads JSON objects (`{"text":...,"ref":...}`) instead of lines of text. */
  jsonInput?: boolean;
  passphrase: PassphraseSource;
  /** Interactive terminal UI when both stdin and stdout are terminals and --json is off. */
  interactive: boolean;
  color: boolean;
  /** Ring the bell on a mention (--no-bell, or bell in the config file, turns it off). */
  bell: boolean;
  /** Show the time before each message in the terminal (timestamps in the config file). */
  timestamps: boolean;
  software: string;
  /** Where the identity key and the keys of others are kept. */
  configDir: string;
  /** Where what the client remembers of rooms between runs is kept. */
  stateDir: string;
  /** Connect with TLS, and how to decide whether to trust the server's certificate. */
  tls?: TlsJoinOptions;
  /** Where line mode reads its input (stdin unless told). */
  input?: ReadableStream<Uint8Array>;
  /** Called once the room is joined, before the session takes over (e.g. to close a terminal). */
  onJoined?(): void;
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
  const open = () =>
    openLink(dial, options.software).catch(async (error) => {
      throw await explainProtocol(error, options);
    });
  const server = `${options.host}:${options.port}`;
  // Per server, room and name: the resume token of this user's last session there, if any.
  const memory = await RoomMemoryFile.forRoom(options.stateDir, {
    server,
    room: options.room,
    name: options.name,
  });
  const entered = await enterRoom(open, options, clock, await memory.loadResumeToken());
  const { link, joined } = entered;
  let reportSaveError = (error: unknown) => options.err(`chat: warning: ${describe(error)}`);
  const keepToken = (token: Uint8Array) =>
    memory.saveResumeToken(token).catch((error) => reportSaveError(error));
  await keepToken(joined.resumeToken);
  options.onJoined?.();
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
    onResumeToken: keepToken,
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
    const ui = new Interactive(session, {
      color: options.color,
      bell: options.bell,
      timestamps: options.timestamps,
    });
    show = (event) => ui.show(event);
    session.listener = show;
    show(ready);
    return await ui.run();
  }
  show = lineRenderer(options);
  session.listener = show;
  show(ready);
  return await runLineMode(session, {
    input: options.input ?? Deno.stdin.readable,
    out: options.out,
    err: options.err,
    json: options.json,
    jsonInput: options.jsonInput ?? false,
    show,
  });
}

/**
 * Connecting that failed before the relay's greeting in a way the wrong protocol on the other end
 * would cause (a frame no relay sends, a TLS handshake that broke, a close or silence instead of
 * a welcome) is explained by probing what answers there; any other error passes unchanged.
 */
async function explainProtocol(error: unknown, options: JoinOptions): Promise<unknown> {
  if (!(error instanceof ChatError) || !SUSPECT_CODES.has(error.code)) return error;
  const where = `${
    options.host.includes(":") ? `[${options.host}]` : options.host
  }:${options.port}`;
  const words = wrongProtocolWords(
    await probeServer(options.host, options.port),
    where,
    options.tls !== undefined,
  );
  if (words !== null) return new ChatError("wrong_protocol", words);
  return options.tls ? error : withTlsHint(error);
}

/** Failures at connecting that may mean another protocol answers on the port. */
const SUSPECT_CODES: ReadonlySet<string> = new Set([
  "foreign_protocol",
  "frame_too_large",
  "bad_frame",
  "unknown_frame",
  "unexpected_frame",
  "disconnected",
  "timeout",
  "tls_failed",
]);

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
 * Queries the room, asks for the passphrase and joins, presenting `resumeToken` (this user's
 * last session's, kept on disk) so a name held for that session is given back at once. The relay
 * may close a connection that has not joined in time (`join_timeout`) while a person types, so a
 * connection lost by then is replaced and the room queried again; joins the relay slows down are
 * retried when it says; a person who typed a wrong passphrase is asked again, up to three tries
 * (the relay closes a connection at its third wrong one, so the third goes out on a new one).
 */
async function enterRoom(
  open: () => Promise<Link>,
  options: JoinOptions,
  clock: Clock,
  resumeToken: Uint8Array | null,
): Promise<Entered> {
  let link = await open();
  let passphrase: string | null = null;
  let warned = false;
  const tries = { changed: 0, redials: 0, waits: 0, wrong: 0 };
  const redial = async () => {
    await link.connection.abort();
    link = await open();
  };
  try {
    while (true) {
      const info = await link.connection.queryRoom(options.room);
      checkRoomParams(info);
      const created = info.params === null;
      if (created && !options.create) throw noSuchRoom(info.room, options);
      if (passphrase === null) {
        passphrase = await readPassphrase(options.passphrase, info.room, created, options.name);
        if (created && options.passphrase.kind !== "prompt" && !warned) {
          // A person at a prompt was warned and asked already; a script is only told.
          warned = true;
          const warning = await weakPassphraseWarning(passphrase, [info.room, options.name]);
          if (warning) options.err(`chat: warning: ${warning}`);
        }
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
          resumeToken: resumeToken ?? new Uint8Array(0),
        });
        return { link, joined, key, params, created };
      } catch (error) {
        if (!(error instanceof ChatError)) throw error;
        if (isWrongPassphrase(error, tries.wrong) && options.passphrase.kind === "prompt") {
          if (++tries.wrong >= PASSPHRASE_TRIES) {
            throw new ChatError(
              "wrong_passphrase",
              `${errorWords("wrong_passphrase", "", { room: info.room })} (${tries.wrong} tries)`,
            );
          }
          options.passphrase.prompter.say("Wrong passphrase; try again.");
          passphrase = null;
          if (link.connection.failure !== null) await redial();
          continue;
        }
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

/**
 * A refusal saying the passphrase was wrong: `wrong_passphrase`, or the fatal
 * `too_many_attempts` a relay sends instead at a connection's third wrong one.
 */
function isWrongPassphrase(error: ChatError, wrongSoFar: number): boolean {
  if (error.code === "wrong_passphrase") return true;
  return error instanceof RelayError && error.fatal && error.code === "too_many_attempts" &&
    wrongSoFar > 0;
}

/** Line mode met a room that does not exist: a typo would otherwise create it, silently. */
function noSuchRoom(room: string, options: JoinOptions): ChatError {
  const shown = sanitizeForTerminal(room);
  return new ChatError(
    "no_room",
    `There is no room "${shown}" on ${options.host}:${options.port}, and without a terminal ` +
      `chat does not create one: check the name, or add --create to create it`,
  );
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
  name: string,
): Promise<string> {
  const shown = sanitizeForTerminal(room);
  if (source.kind === "prompt") {
    return created
      ? await chooseNewPassphrase(
        source.prompter,
        shown,
        (passphrase) => weakPassphraseWarning(passphrase, [room, name]),
      )
      : await askPassphrase(source.prompter, shown);
  }
  const passphrase = await passphraseFrom(source);
  if (passphrase === "") throw new ChatError("no_passphrase", "The passphrase is empty");
  return passphrase;
}

async function passphraseFrom(source: Exclude<PassphraseSource, { kind: "prompt" }>) {
  if (source.kind === "value") return source.value;
  let text: string;
  try {
    text = await Deno.readTextFile(source.path);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ChatError("no_passphrase", `Cannot read passphrase file: ${reason}`);
  }
  return text.split(/\r?\n/, 1)[0] ?? "";
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
