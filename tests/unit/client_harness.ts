/**
 * Drives the client core over in-memory connections for tests: a `ClientConnection` and a
 * `ChatSession` on one end, the test playing the relay on the other. No sockets, no processes.
 */
import assert from "node:assert/strict";
import { deriveRoomKey, generateIdentity, type RoomKey } from "../../crypto.ts";
import {
  CURRENT_KDF,
  decodeMessage,
  encodeMessage,
  type Join,
  type Message,
  MIN_ITERATIONS,
  PROTOCOL_VERSION,
  RESUME_TOKEN_BYTES,
  SALT_BYTES,
  type ServerMessage,
} from "../../protocol.ts";
import type { Clock } from "../../client/clock.ts";
import { ClientConnection } from "../../client/connection.ts";
import type { SessionEvent } from "../../client/events.ts";
import { KnownKeys } from "../../client/known_keys.ts";
import { MessageRouter } from "../../client/message_router.ts";
import { ReplayGuard } from "../../client/replay_guard.ts";
import { ChatSession, type SessionStart } from "../../client/session.ts";
import { InMemoryRoomStore } from "../../storage/room_memory.ts";
import { type MemoryConnection, memoryPair } from "../../transport/memory.ts";
import type { FrameConnection } from "../../transport/types.ts";
import { ManualClock } from "./manual_clock.ts";

export const PARAMS = {
  salt: new Uint8Array(SALT_BYTES).fill(3),
  iterations: MIN_ITERATIONS,
  kdf: CURRENT_KDF,
};
let roomKey: Promise<RoomKey> | null = null;
/** The key of "lobby" with `PARAMS`, derived once: a derivation costs a fraction of a second. */
export const key = () =>
  roomKey ??= deriveRoomKey("a passphrase for tests", { room: "lobby", ...PARAMS });

/** The relay's end of a memory pair, driven by the test; the client's pings are skipped. */
export class RelayEnd {
  readonly conn: MemoryConnection;
  readonly #frames: AsyncIterator<Uint8Array>;

  constructor(conn: MemoryConnection) {
    this.conn = conn;
    this.#frames = conn.frames()[Symbol.asyncIterator]();
  }

  send(message: ServerMessage): void {
    assert.ok(this.conn.send(encodeMessage(message)), `could not send ${message.type}`);
  }

  async expect<Type extends Message["type"]>(
    type: Type,
  ): Promise<Extract<Message, { type: Type }>> {
    while (true) {
      const next = await this.#frames.next();
      assert.ok(!next.done, `the client closed instead of sending ${type}`);
      const message = decodeMessage(next.value);
      if (message.type === "ping" && type !== "ping") continue;
      assert.equal(message.type, type);
      return message as Extract<Message, { type: Type }>;
    }
  }

  /** Answers hello. */
  async greet(): Promise<void> {
    await this.expect("hello");
    this.send({
      type: "welcome",
      version: PROTOCOL_VERSION,
      software: "test",
      maxFrameBytes: 65_536,
      heartbeatMs: 30_000,
    });
  }
}

/** What a client asks for when it joins "lobby" as ana. */
export function joinRequest(keyCheck: Uint8Array = new Uint8Array(32)): Omit<Join, "type"> {
  return {
    room: "lobby",
    name: "ana",
    params: PARAMS,
    keyCheck,
    catchup: { kind: "history", limit: 0 },
    resumeToken: new Uint8Array(0),
  };
}

/** The relay's `joined` for `join`, with a resume token filled with `token`. */
export function joinedFor(join: Join, token = 0) {
  return {
    type: "joined" as const,
    room: join.room,
    name: join.name,
    lastSeq: 0,
    firstSeq: 1,
    resumeToken: new Uint8Array(RESUME_TOKEN_BYTES).fill(token),
    memberCount: 1,
    members: [join.name],
  };
}

/** How `joinedSession` sets the session up. */
export interface JoinedSessionOptions {
  /** Wraps the client's end, e.g. to count what it reads. */
  wrap?: (conn: FrameConnection) => FrameConnection;
  /** Serves the session's reconnects; none by default. */
  dial?: () => Promise<FrameConnection>;
  clock?: Clock;
  /** Sends caught_up and waits for the session to take it (default true). */
  catchUp?: boolean;
  /** Anything else of the session's start. */
  start?: Partial<SessionStart>;
}

/** A session in "lobby" as ana, joined through the returned `relay`, its events recorded. */
export async function joinedSession(options: JoinedSessionOptions = {}) {
  const [client, server] = memoryPair();
  const relay = new RelayEnd(server);
  const router = new MessageRouter();
  const connection = new ClientConnection(options.wrap?.(client) ?? client, router.receive, {
    backpressure: router.backpressure,
  });
  const hello = connection.hello("test");
  await relay.greet();
  await hello;
  const joining = connection.join(joinRequest((await key()).keyCheck));
  relay.send(joinedFor(await relay.expect("join"), 1));
  const clock = options.clock ?? new ManualClock();
  const session = ChatSession.adopt({
    connection,
    joined: await joining,
    key: await key(),
    params: PARAMS,
    software: "test",
    identity: (await generateIdentity()).identity,
    knownKeys: KnownKeys.inMemory(),
    replay: await ReplayGuard.open(new InMemoryRoomStore(), {
      clock,
      onLoadError: () => {},
      onSaveError: () => {},
    }),
    server: "test",
    dial: options.dial ?? (() => Promise.reject(new Error("no reconnecting in this test"))),
    clock,
    ...options.start,
  }, router);
  const events: SessionEvent[] = [];
  session.listener = (event) => events.push(event);
  if (options.catchUp ?? true) {
    relay.send({ type: "caught_up", room: "lobby", lastSeq: 0 });
    await session.caughtUp;
  }
  return { relay, session, events, connection };
}
