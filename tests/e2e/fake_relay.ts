/**
 * A relay the tests script frame by frame, for showing what the client does when the relay lies,
 * floods or refuses: a raw server on a loopback port speaking frames with the protocol's own
 * encoders. The real `chat join` process connects to it; each test plays the relay's part.
 */
import {
  CURRENT_KDF,
  decodeMessage,
  encodeDeliver,
  encodeMessage,
  FrameDecoder,
  type Join,
  type Message,
  MIN_ITERATIONS,
  PROTOCOL_VERSION,
  RESUME_TOKEN_BYTES,
  type RoomParams,
  SALT_BYTES,
} from "../../protocol.ts";
import {
  deriveRoomKey,
  type Identity,
  messageAad,
  newMessageId,
  type RoomKey,
  seal,
  signContent,
} from "../../crypto.ts";
import { BODY_KIND_CODES, type BodyKind, encodeBody, SEAL_VERSION } from "../../protocol.ts";
import { withTimeout } from "./harness.ts";

/** Room parameters the fake relay reports for existing rooms: the cheapest a client accepts. */
export const FAKE_PARAMS: RoomParams = {
  salt: Uint8Array.from({ length: SALT_BYTES }, (_, i) => 0xa0 + i),
  iterations: MIN_ITERATIONS,
  kdf: CURRENT_KDF,
};

export type MessageOf<Type extends Message["type"]> = Extract<Message, { type: Type }>;

/** A listening fake relay; `accept()` hands each client connection to the test. */
export class FakeRelay implements AsyncDisposable {
  readonly port: number;
  readonly #listener: Deno.TcpListener;
  readonly #peers: FakePeer[] = [];
  readonly #accepted: FakePeer[] = [];
  #waiters: ((peer: FakePeer) => void)[] = [];

  constructor() {
    this.#listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    this.port = (this.#listener.addr as Deno.NetAddr).port;
    this.#acceptLoop();
  }

  /** How many connections clients have opened so far. */
  get connections(): number {
    return this.#peers.length;
  }

  /** The next connection a client opens. */
  async accept(ms = 10_000): Promise<FakePeer> {
    const ready = this.#accepted.shift();
    if (ready) return ready;
    return await withTimeout(
      new Promise<FakePeer>((resolve) => this.#waiters.push(resolve)),
      ms,
      "a client connecting to the fake relay",
    );
  }

  async #acceptLoop(): Promise<void> {
    try {
      for await (const conn of this.#listener) {
        const peer = new FakePeer(conn);
        this.#peers.push(peer);
        const waiter = this.#waiters.shift();
        if (waiter) waiter(peer);
        else this.#accepted.push(peer);
      }
    } catch {
      // The listener was closed.
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.#listener.close();
    for (const peer of this.#peers) peer.close();
    await Promise.resolve();
  }
}

/** One client connection, as the fake relay sees it. */
export class FakePeer {
  readonly conn: Deno.TcpConn;
  readonly #decoder = new FrameDecoder();
  readonly #buffer = new Uint8Array(64 * 1024);
  #frames: Uint8Array[] = [];
  #closed = false;
  /** Bytes this end has managed to write. */
  written = 0;

  constructor(conn: Deno.TcpConn) {
    this.conn = conn;
  }

  /** The next message from the client, or null when it closes the connection. */
  async next(ms = 10_000): Promise<Message | null> {
    return await withTimeout(
      (async () => {
        while (this.#frames.length === 0) {
          const count = await this.conn.read(this.#buffer).catch(() => null);
          if (count === null) return null;
          this.#frames.push(...this.#decoder.push(this.#buffer.subarray(0, count)));
        }
        return decodeMessage(this.#frames.shift()!);
      })(),
      ms,
      "next frame from the client",
    );
  }

  /** The next message other than ping/pong (pings are answered), which must be of `type`. */
  async expect<Type extends Message["type"]>(type: Type, ms = 10_000): Promise<MessageOf<Type>> {
    while (true) {
      const message = await this.next(ms);
      if (message?.type === "ping") {
        await this.send({ type: "pong", token: message.token });
        continue;
      }
      if (message?.type === "pong") continue;
      if (message?.type !== type) {
        throw new Error(`Expected ${type} from the client, got ${message?.type ?? "end"}`);
      }
      return message as MessageOf<Type>;
    }
  }

  /** Writes raw bytes; they may be anything. */
  async write(bytes: Uint8Array): Promise<void> {
    let done = 0;
    while (done < bytes.length) {
      const count = await this.conn.write(bytes.subarray(done));
      done += count;
      this.written += count;
    }
  }

  async send(message: Message): Promise<void> {
    await this.write(encodeMessage(message));
  }

  /** Answers hello with welcome. */
  async greet(): Promise<void> {
    await this.expect("hello");
    await this.send({
      type: "welcome",
      version: PROTOCOL_VERSION,
      software: "fake-relay",
      maxFrameBytes: 64 * 1024,
      heartbeatMs: 30_000,
    });
  }

  /** Answers the next room query; the room exists with `params` unless `params` is null. */
  async answerQuery(params: RoomParams | null = FAKE_PARAMS): Promise<string> {
    const query = await this.expect("room_query");
    await this.send({ type: "room_info", room: query.room, params });
    return query.room;
  }

  /** Greets, answers the query, and lets the client join; returns its join. */
  async admit(
    options: { lastSeq?: number; memberCount?: number; members?: string[] } = {},
  ): Promise<Join> {
    await this.greet();
    await this.answerQuery();
    const join = await this.expect("join");
    await this.send(joinedFor(join, options));
    return join;
  }

  /** Sends caught_up for `room`. */
  async caughtUp(room: string, lastSeq = 0): Promise<void> {
    await this.send({ type: "caught_up", room, lastSeq });
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.conn.close();
    } catch {
      // Closed by the client already.
    }
  }
}

/** The `joined` an honest relay answers `join` with. */
export function joinedFor(
  join: Join,
  options: { lastSeq?: number; memberCount?: number; members?: string[] } = {},
): MessageOf<"joined"> {
  const members = options.members ?? [join.name];
  return {
    type: "joined",
    room: join.room,
    name: join.name,
    lastSeq: options.lastSeq ?? 0,
    firstSeq: 1,
    resumeToken: new Uint8Array(RESUME_TOKEN_BYTES).fill(7),
    memberCount: options.memberCount ?? members.length,
    members,
  };
}

/** The room key a client derives for `room` under FAKE_PARAMS. */
export function fakeRoomKey(passphrase: string, room = "lobby"): Promise<RoomKey> {
  return deriveRoomKey(passphrase, { room, ...FAKE_PARAMS });
}

/** A genuine message, signed by `identity` and sealed for `room`, as a `deliver`. */
export async function sealedDeliver(
  key: RoomKey,
  identity: Identity,
  message: {
    room?: string;
    from: string;
    text: string;
    seq: number;
    ts?: number;
    sentAt?: number;
    id?: Uint8Array;
    kind?: BodyKind;
  },
): Promise<MessageOf<"deliver">> {
  const room = message.room ?? "lobby";
  const id = message.id ?? newMessageId();
  const sentAt = message.sentAt ?? Date.now();
  const kind = message.kind ?? "text";
  const context = { version: SEAL_VERSION, room, sender: message.from, id };
  const signature = await signContent(identity, {
    ...context,
    kind: BODY_KIND_CODES[kind],
    sentAt,
    text: message.text,
  });
  const body = encodeBody({
    kind,
    sentAt,
    text: message.text,
    publicKey: identity.publicKey,
    signature,
  });
  return {
    type: "deliver",
    room,
    seq: message.seq,
    ts: message.ts ?? Date.now(),
    from: message.from,
    id,
    sealed: await seal(key.messageKey, body, messageAad(context)),
  };
}

/**
 * A `deliver` frame `bodyBytes` long, over the frame limit if asked: what the protocol's own
 * encoder refuses to build, and what a hostile relay can send anyway.
 */
export function oversizedDeliver(
  header: { room: string; seq: number; from: string },
  bodyBytes: number,
): Uint8Array {
  const frame = encodeDeliver({ ...header, ts: Date.now(), id: newMessageId() }, new Uint8Array(0));
  const body = new Uint8Array(bodyBytes);
  body.set(frame.subarray(4));
  crypto.getRandomValues(body.subarray(frame.length - 4, frame.length - 4 + 1024));
  const out = new Uint8Array(4 + bodyBytes);
  new DataView(out.buffer).setUint32(0, bodyBytes);
  out.set(body, 4);
  return out;
}
