/**
 * Drives the relay core over in-memory connections for tests: each `Peer` is one `memoryPair()`;
 * the relay serves one end, the test speaks the protocol on the other.
 */
import assert from "node:assert/strict";
import {
  type Catchup,
  type ClientMessage,
  CURRENT_KDF,
  decodeMessage,
  encodeMessage,
  KEY_CHECK_BYTES,
  type Message,
  MESSAGE_ID_BYTES,
  MIN_ITERATIONS,
  PROTOCOL_VERSION,
  type RoomParams,
  SALT_BYTES,
} from "../../protocol.ts";
import type { RelayLimits } from "../../relay/limits.ts";
import { Relay, type RelayOptions } from "../../relay/relay.ts";
import { SqliteStore } from "../../storage/sqlite_store.ts";
import { type MemoryConnection, memoryPair } from "../../transport/memory.ts";

/**
 * The abuse limits off, as on a trusted LAN: tests of other behaviour are not slowed by them, and
 * each limit's own tests turn on the one they test.
 */
export const NO_LIMITS: Partial<RelayLimits> = {
  joinTimeoutMs: Infinity,
  maxUnjoined: Infinity,
  roomCreation: null,
  emptyRoomMs: Infinity,
  guesses: null,
  guessesPerConnection: Infinity,
  sendRate: null,
  sendBytes: null,
  addressBytes: null,
  presenceSummaryAbove: Infinity,
};

/** A relay over an in-memory database, committing at the end of each turn without timers. */
export function newRelay(options: Omit<RelayOptions, "store"> = {}): Relay {
  return new Relay({
    store: SqliteStore.open(":memory:"),
    defer: queueMicrotask,
    ...options,
    limits: { ...NO_LIMITS, ...options.limits },
  });
}

/** Longest a test waits for a frame that should already be on its way. */
export const READ_TIMEOUT_MS = 2_000;

export const PARAMS: RoomParams = {
  salt: Uint8Array.from({ length: SALT_BYTES }, (_, i) => i + 1),
  iterations: MIN_ITERATIONS,
  kdf: CURRENT_KDF,
};
export const KEY_CHECK = new Uint8Array(KEY_CHECK_BYTES).fill(0x11);
export const OTHER_KEY_CHECK = new Uint8Array(KEY_CHECK_BYTES).fill(0x22);

export type MessageOf<Type extends Message["type"]> = Extract<Message, { type: Type }>;

/** How a test peer connects: its send queue bound, and the address the relay sees. */
export interface PeerOptions {
  maxQueueBytes?: number;
  address?: string;
}

/** One client as the test drives it, and the relay's `accept()` of the other end. */
export class Peer implements AsyncDisposable {
  /** The test's end. */
  readonly conn: MemoryConnection;
  /** The end the relay serves. */
  readonly server: MemoryConnection;
  /** Settles when the relay is done with this connection. */
  readonly accepted: Promise<void>;
  readonly #frames: AsyncIterator<Uint8Array>;

  constructor(relay: Relay, options: PeerOptions = {}) {
    const { address = "test", ...rest } = options;
    [this.conn, this.server] = memoryPair({
      ...rest,
      labels: ["test", "relay"],
      // The relay's end sees the test's address, which per-address limits count.
      addresses: ["relay", address],
    });
    this.accepted = relay.accept(this.server);
    this.#frames = this.conn.frames()[Symbol.asyncIterator]();
  }

  /** Sends one message to the relay. */
  send(message: ClientMessage): void {
    assert.ok(this.conn.send(encodeMessage(message)), `could not send ${message.type}`);
  }

  /** The next message from the relay, or null when it closed the connection. */
  async read(): Promise<Message | null> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`No frame from the relay within ${READ_TIMEOUT_MS} ms`)),
        READ_TIMEOUT_MS,
      );
    });
    try {
      const result = await Promise.race([this.#frames.next(), timeout]);
      return result.done ? null : decodeMessage(result.value);
    } finally {
      clearTimeout(timer);
    }
  }

  /** The next message, which must be of `type`. */
  async expect<Type extends Message["type"]>(type: Type): Promise<MessageOf<Type>> {
    const message = await this.read();
    assert.ok(message !== null, `expected ${type}, but the relay closed the connection`);
    assert.equal(message.type, type, `expected ${type}, got ${JSON.stringify(message)}`);
    return message as MessageOf<Type>;
  }

  /** The next message must be an error frame with this code and fatality. */
  async expectError(code: string, fatal: boolean): Promise<MessageOf<"error">> {
    const error = await this.expect("error");
    assert.equal(error.code, code, error.message);
    assert.equal(error.fatal, fatal);
    return error;
  }

  /** The relay must close the connection now, with nothing more to read. */
  async expectClosed(): Promise<void> {
    const message = await this.read();
    assert.equal(message, null, `expected the end, got ${JSON.stringify(message)}`);
    await this.accepted;
  }

  /** A fatal error with `code` and then the end of the connection. */
  async expectFatal(code: string): Promise<void> {
    await this.expectError(code, true);
    await this.expectClosed();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.conn.close();
    await this.accepted;
  }
}

/** Connects and completes the handshake. */
export async function greeted(relay: Relay, options: PeerOptions = {}): Promise<Peer> {
  const peer = new Peer(relay, options);
  peer.send({
    type: "hello",
    minVersion: PROTOCOL_VERSION,
    maxVersion: PROTOCOL_VERSION,
    software: "test",
  });
  await peer.expect("welcome");
  return peer;
}

export function join(
  peer: Peer,
  name: string,
  options: {
    room?: string;
    keyCheck?: Uint8Array;
    catchup?: Catchup;
    resumeToken?: Uint8Array;
  } = {},
) {
  peer.send({
    type: "join",
    room: options.room ?? "ops",
    name,
    params: PARAMS,
    keyCheck: options.keyCheck ?? KEY_CHECK,
    catchup: options.catchup ?? { kind: "history", limit: 0 },
    resumeToken: options.resumeToken ?? new Uint8Array(0),
  });
}

/** Connects, greets and joins "ops" under `name`. */
export async function member(
  relay: Relay,
  name: string,
  options: PeerOptions = {},
): Promise<Peer> {
  const peer = await greeted(relay, options);
  join(peer, name);
  await peer.expect("joined");
  await peer.expect("caught_up");
  return peer;
}

export function messageId(n: number): Uint8Array {
  return new Uint8Array(MESSAGE_ID_BYTES).fill(n);
}

export function sealedBytes(length: number, seed: number): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => (i * 31 + seed) & 0xff);
}

/** `from` sends a message to "ops"; `to` must receive it and `from` must get the ack. */
export async function exchange(from: Peer, to: Peer, n: number): Promise<void> {
  const id = messageId(n);
  const sealed = sealedBytes(40, n);
  from.send({ type: "send", room: "ops", id, sealed });
  const deliver = await to.expect("deliver");
  assert.deepEqual(deliver.id, id);
  assert.deepEqual(deliver.sealed, sealed);
  const ack = await from.expect("ack");
  assert.equal(ack.seq, deliver.seq);
}
