/**
 * A member's stay in one room across connections: sealing and opening messages, the outbox of
 * messages not yet acknowledged, and reconnecting with backoff when the link drops, resuming from
 * the last sequence number seen so the member gets exactly what it missed, once. Inbound work is
 * bounded: while too many received messages wait to be opened and shown, the connection stops
 * reading. It knows nothing about terminals; whoever drives it receives `SessionEvent`s.
 */
import { type Identity, keyFingerprint, type RoomKey } from "../crypto.ts";
import {
  type BodyKind,
  type Deliver,
  foldName,
  type Joined,
  nameProblem,
  type RoomParams,
  textBytes,
} from "../protocol.ts";
import type { FrameConnection } from "../transport/types.ts";
import { type Clock, sleep, SYSTEM_CLOCK } from "./clock.ts";
import { ClientConnection, REPLY_TIMEOUT_MS, type Unprompted } from "./connection.ts";
import { openMessage, sealMessage } from "./envelope.ts";
import { relayError, renameWords } from "./error_words.ts";
import { ChatError } from "./errors.ts";
import type { SentMessage, SessionEvent, TopicEvent } from "./events.ts";
import { KeyTrust } from "./key_trust.ts";
import { MessageRouter } from "./message_router.ts";
import type { KnownKeys } from "./known_keys.ts";
import { FINAL_MESSAGE_CODES, Outbox } from "./outbox.ts";
import type { ReplayGuard } from "./replay_guard.ts";
import { Request } from "./requests.ts";

/** Longest topic, in UTF-8 bytes: a line people read, not a message. */
export const MAX_TOPIC_BYTES = 1_024;
/** Refusals that end a rename. */
const RENAME_REFUSALS = [
  "name_taken",
  "name_confusable",
  "invalid_name",
  "rate_limited",
  "not_joined",
];
/** Refusals that end setting a topic. */
const TOPIC_REFUSALS = [
  "rate_limited",
  "message_too_large",
  "storage_full",
  "storage_failed",
  "not_joined",
];

/** How reconnecting paces itself. */
export interface ReconnectPolicy {
  firstDelayMs: number;
  maxDelayMs: number;
  /** Give up when no attempt has succeeded for this long. */
  giveUpMs: number;
}

/** Default pacing: 0.5 s doubling to 15 s, with jitter, for up to 10 minutes. */
export const DEFAULT_RECONNECT: ReconnectPolicy = {
  firstDelayMs: 500,
  maxDelayMs: 15_000,
  giveUpMs: 10 * 60_000,
};
/** Received messages waiting to be opened and shown before the connection stops reading. */
export const INBOUND_BACKLOG = 64;
/** Longest wait a relay's retry time can add to reconnecting. */
const MAX_RETRY_AFTER_MS = 5 * 60_000;
/** Refusals that reconnecting cannot fix: the session ends with them. */
export const FINAL_CODES: ReadonlySet<string> = new Set([
  "wrong_passphrase",
  "name_taken",
  "name_confusable",
  "invalid_name",
  "invalid_room",
  "weak_room_params",
  "version_mismatch",
  "room_changed",
  "room_not_allowed",
  "room_limit",
  "room_dropped",
  "replaced",
  "certificate_changed",
]);

/** Everything a session needs to start, once the first join has succeeded. */
export interface SessionStart {
  connection: ClientConnection;
  joined: Joined;
  key: RoomKey;
  params: RoomParams;
  software: string;
  identity: Identity;
  knownKeys: KnownKeys;
  /** What this member remembers of the room between runs. */
  replay: ReplayGuard;
  /** The server as the user named it, so keys are remembered per server. */
  server: string;
  /** Opens a new connection to the relay, for reconnecting. */
  dial(): Promise<FrameConnection>;
  reconnect?: ReconnectPolicy;
  clock?: Clock;
  /**
   * Told each new resume token the relay hands out (at every rejoin), so it can be kept on disk:
   * a client started again after a closed terminal presents it and gets the name back at once.
   */
  onResumeToken?(token: Uint8Array): void;
}

/** A message `send` was asked for that the relay has not acknowledged yet. */
export interface Unsent {
  text: string;
  kind: BodyKind;
}

/** One member in one room, over as many connections as it takes. */
export class ChatSession {
  readonly room: string;
  #name: string;
  readonly #key: RoomKey;
  readonly #params: RoomParams;
  readonly #software: string;
  readonly #dial: () => Promise<FrameConnection>;
  readonly #policy: ReconnectPolicy;
  readonly #clock: Clock;
  readonly #identity: Identity;
  readonly #keys: KeyTrust;
  readonly #replay: ReplayGuard;
  readonly #outbox: Outbox;
  /** Every message asked for and not yet acknowledged or refused, in the order asked. */
  readonly #unsent = new Set<Unsent>();
  readonly #onResumeToken: (token: Uint8Array) => void;
  readonly #ended = Promise.withResolvers<Error | null>();
  readonly #caughtUp = Promise.withResolvers<void>();
  #connection: ClientConnection | null;
  #token: Uint8Array;
  #lastSeq: number;
  #historyThrough: number;
  #sealing: Promise<unknown> = Promise.resolve();
  #inbound: Promise<void> = Promise.resolve();
  #backlog = 0;
  #drained: PromiseWithResolvers<void> | null = null;
  #quitting = false;
  #listener: (event: SessionEvent) => void = () => {};
  readonly #renaming: Request<{ from: string; to: string }>;
  readonly #topicSetting: Request<string>;
  #topic: TopicEvent | null = null;
  /** The name a rename on its way asks for, for the words of a refusal. */
  #renamingTo = "";
  /** The topic a join brings arrives before caught_up: that one was set before we came. */
  #joining = true;

  private constructor(start: SessionStart) {
    this.room = start.joined.room;
    this.#name = start.joined.name;
    const requestClock = { clock: start.clock ?? SYSTEM_CLOCK, timeoutMs: REPLY_TIMEOUT_MS };
    this.#renaming = new Request("rename", requestClock);
    this.#topicSetting = new Request("topic", requestClock);
    this.#key = start.key;
    this.#params = start.params;
    this.#software = start.software;
    this.#dial = start.dial;
    this.#identity = start.identity;
    this.#replay = start.replay;
    this.#clock = start.clock ?? SYSTEM_CLOCK;
    this.#keys = new KeyTrust({
      identity: start.identity,
      known: start.knownKeys,
      server: start.server,
      room: start.joined.room,
      me: start.joined.name,
      onChange: (change) => this.#emit({ type: "key_changed", room: this.room, ...change }),
      onSaveError: (error) =>
        this.#emit({ type: "error", code: "known_keys", message: `Cannot save keys: ${error}` }),
    });
    this.#outbox = new Outbox({
      room: this.room,
      clock: this.#clock,
      transmit: (outgoing) =>
        this.#connection?.sendSealed(this.room, outgoing.id, outgoing.sealed) ?? false,
      notify: (event) => this.#emit(event),
    });
    this.#policy = start.reconnect ?? DEFAULT_RECONNECT;
    this.#onResumeToken = start.onResumeToken ?? (() => {});
    this.#connection = start.connection;
    this.#token = start.joined.resumeToken.slice();
    this.#lastSeq = start.joined.lastSeq;
    this.#historyThrough = start.joined.lastSeq;
  }

  /**
   * Takes over a connection that has just joined. Messages the relay sent in the meantime were
   * buffered by `router` and are handled now, in order.
   */
  static adopt(start: SessionStart, router: MessageRouter): ChatSession {
    const session = new ChatSession(start);
    router.deliverTo((message) => session.#receive(message), session.#pressure);
    session.#watch(start.connection);
    return session;
  }

  /** The name this member goes by in the room; /nick changes it. */
  get name(): string {
    return this.#name;
  }

  /** The room's topic as last heard, or null when it has none. */
  get topic(): TopicEvent | null {
    return this.#topic;
  }

  /**
   * /nick: goes by `name` from now on, keeping the identity key. Refused while messages wait for
   * an acknowledgement: they are sealed under the old name, which the relay would no longer
   * deliver them under. Rejects with the relay's refusal in the client's words.
   */
  async rename(name: string): Promise<void> {
    const problem = nameProblem(name);
    if (problem) throw new ChatError("invalid_name", `Cannot use "${name}": ${problem}`);
    if (this.#unsent.size > 0) {
      throw new ChatError("busy", "Wait until your messages are sent, then rename");
    }
    const connection = this.#connection;
    if (!connection) throw new ChatError("disconnected", "Not connected right now");
    const old = this.#name;
    this.#renamingTo = name;
    await this.#renaming.ask(
      () => connection.rename(this.room, name),
      (answer) => foldName(answer.from) === foldName(old) && answer.to === name,
      RENAME_REFUSALS,
    );
  }

  /** /topic: sets the room's topic, sealed and signed; resolves once every member was told. */
  async setTopic(text: string): Promise<void> {
    if (textBytes(text) > MAX_TOPIC_BYTES) {
      throw new ChatError("too_long", `A topic holds at most ${MAX_TOPIC_BYTES} bytes`);
    }
    const connection = this.#connection;
    if (!connection) throw new ChatError("disconnected", "Not connected right now");
    const { id, sealed } = await sealMessage(this.#key.messageKey, this.#identity, {
      room: this.room,
      sender: this.#name,
      text,
      kind: "topic",
    });
    const idHex = toHex(id);
    await this.#topicSetting.ask(
      () => connection.setTopic(this.room, id, sealed),
      (answer) => answer === idHex,
      TOPIC_REFUSALS,
    );
  }

  /** Where events go; set it before anything can happen. */
  set listener(listener: (event: SessionEvent) => void) {
    this.#listener = listener;
  }

  /** Resolves when the session is over: null after `quit`, else why it had to stop. */
  get ended(): Promise<Error | null> {
    return this.#ended.promise;
  }

  /** Resolves once the history asked for at join has been received and shown. */
  get caughtUp(): Promise<void> {
    return this.#caughtUp.promise;
  }

  /** Messages sent and not yet acknowledged. */
  get unacknowledged(): number {
    return this.#outbox.size;
  }

  /**
   * The messages asked for and not acknowledged, oldest first: still being sealed, queued, or on
   * their way. What a user leaving now would lose; after the session has ended, what was lost.
   */
  unsent(): Unsent[] {
    return [...this.#unsent];
  }

  /**
   * Seals and sends a message; resolves once the relay has stored it, across reconnects if need
   * be. Messages leave in the order `send` was called. Rejects only when the relay refuses this
   * message for good (`message_too_large`) or the session ends first.
   */
  send(text: string, kind: BodyKind = "text"): Promise<SentMessage> {
    const entry: Unsent = { text, kind };
    this.#unsent.add(entry);
    const sealed = this.#sealing.then(() =>
      sealMessage(this.#key.messageKey, this.#identity, {
        room: this.room,
        sender: this.name,
        text,
        kind,
      })
    );
    this.#sealing = sealed.catch(() => {});
    const sent = sealed.then(({ id, sealed }) =>
      new Promise<SentMessage>((resolve, reject) => {
        if (this.#quitting) return reject(new ChatError("closed", "The session has ended"));
        this.#outbox.add({ id, idHex: toHex(id), sealed, resolve, reject });
      })
    );
    // Acknowledged, or refused for good by the relay: either way no longer waiting to be sent.
    // A message that fails because the session ended stays listed: it was not sent.
    sent.then(() => this.#unsent.delete(entry), (error) => {
      if (error instanceof ChatError && FINAL_MESSAGE_CODES.has(error.code)) {
        this.#unsent.delete(entry);
      }
    });
    return sent;
  }

  /** The room's members, as the relay knows them. */
  async who(): Promise<{ total: number; members: string[] }> {
    if (!this.#connection) throw new ChatError("disconnected", "Not connected right now");
    return await this.#connection.who(this.room);
  }

  /** The key `name` signs with, for /whois. */
  whois(name: string): Promise<{ key: string; remembered: string | null } | null> {
    return this.#keys.whois(name);
  }

  /** The safety number to compare with `name`, for /verify. */
  verify(name: string): Promise<string | null> {
    return this.#keys.verify(name);
  }

  /** Accepts `name`'s new key, for /trust. */
  trust(name: string): Promise<boolean> {
    return this.#keys.trust(name);
  }

  /** Leaves the room and closes. Unacknowledged messages are abandoned. */
  async quit(): Promise<void> {
    this.#quitting = true;
    const connection = this.#connection;
    this.#connection = null;
    await connection?.quit([this.room]);
    this.#finish(null);
    await this.#ended.promise;
  }

  #watch(connection: ClientConnection): void {
    connection.closed.then((failure) => {
      if (this.#quitting || this.#connection !== connection) return;
      this.#connection = null;
      this.#outbox.disconnected();
      const error = failure ?? new ChatError("disconnected", "The connection closed");
      if (error instanceof ChatError && FINAL_CODES.has(error.code)) return this.#finish(error);
      this.#emit({
        type: "disconnected",
        room: this.room,
        reason: error.message,
        code: error instanceof ChatError ? error.code : "disconnected",
      });
      this.#reconnect(error);
    });
  }

  async #reconnect(cause: Error): Promise<void> {
    const started = this.#clock.now();
    let lastError = cause;
    for (let attempt = 0; !this.#quitting; attempt++) {
      if (this.#clock.now() - started > this.#policy.giveUpMs) {
        const minutes = Math.round(this.#policy.giveUpMs / 60_000);
        return this.#finish(
          new ChatError(
            "unreachable",
            `Could not reconnect for ${minutes} minutes (${lastError.message})`,
          ),
        );
      }
      const ceiling = Math.min(this.#policy.maxDelayMs, this.#policy.firstDelayMs * 2 ** attempt);
      const asked = lastError instanceof ChatError ? lastError.retryAfterMs : 0;
      const backoff = ceiling / 2 + Math.random() * ceiling / 2;
      await sleep(this.#clock, Math.max(backoff, Math.min(asked, MAX_RETRY_AFTER_MS)));
      if (this.#quitting) return;
      try {
        await this.#rejoin();
        return;
      } catch (error) {
        lastError = error instanceof Error ? error : new Error(String(error));
        if (lastError instanceof ChatError && FINAL_CODES.has(lastError.code)) {
          return this.#finish(lastError);
        }
      }
    }
  }

  async #rejoin(): Promise<void> {
    const router = new MessageRouter();
    const connection = new ClientConnection(await this.#dial(), router.receive, {
      backpressure: router.backpressure,
    });
    try {
      await connection.hello(this.#software);
      const info = await connection.queryRoom(this.room);
      if (info.params && !sameParams(info.params, this.#params)) {
        throw new ChatError(
          "room_changed",
          `Room "${this.room}" was created again with another passphrase salt; join it again`,
        );
      }
      const joined = await connection.join({
        room: this.room,
        name: this.name,
        params: this.#params,
        keyCheck: this.#key.keyCheck,
        catchup: { kind: "resume", afterSeq: this.#lastSeq },
        resumeToken: this.#token,
      });
      this.#token = joined.resumeToken.slice();
      this.#onResumeToken(this.#token);
      this.#connection = connection;
      this.#emit({ type: "reconnected", room: this.room });
      if (joined.firstSeq > this.#lastSeq + 1 && this.#lastSeq > 0) {
        this.#emit({ type: "gap", room: this.room, missed: joined.firstSeq - this.#lastSeq - 1 });
      }
      router.deliverTo((message) => this.#receive(message), this.#pressure);
      this.#outbox.reconnected();
      this.#watch(connection);
    } catch (error) {
      await connection.abort();
      throw error;
    }
  }

  #receive(message: Unprompted): void {
    // One chain for everything that arrives, so decryption never reorders what is shown.
    this.#backlog++;
    this.#inbound = this.#inbound.then(() => this.#handle(message)).catch((error) => {
      this.#emit({ type: "error", code: "internal", message: String(error) });
    }).finally(() => {
      this.#backlog--;
      // Resume reading at half the bound, so the reader is not woken for every message.
      if (this.#drained && this.#backlog <= INBOUND_BACKLOG / 2) {
        this.#drained.resolve();
        this.#drained = null;
      }
    });
  }

  /** A promise while too much waits to be handled: the connection reads nothing meanwhile. */
  readonly #pressure = (): Promise<void> | null => {
    if (this.#backlog < INBOUND_BACKLOG) return null;
    this.#drained ??= Promise.withResolvers<void>();
    return this.#drained.promise;
  };

  async #handle(message: Unprompted): Promise<void> {
    switch (message.type) {
      case "deliver":
        return await this.#deliver(message);
      case "ack":
        this.#acknowledge(toHex(message.id), message.seq, message.ts);
        return;
      case "nack":
        this.#outbox.refuse(message, toHex(message.id));
        return;
      case "presence":
        if (message.event === "join") {
          this.#emit({ type: "join", room: this.room, from: message.name, ts: message.ts });
        } else {
          this.#emit({
            type: "leave",
            room: this.room,
            from: message.name,
            ts: message.ts,
            reason: message.reason,
          });
        }
        return;
      case "presence_summary":
        this.#emit({
          type: "presence_summary",
          room: this.room,
          ts: message.ts,
          joined: Math.max(message.joined, message.joinedNames.length),
          left: Math.max(message.left, message.leftNames.length),
          joinedNames: message.joinedNames,
          leftNames: message.leftNames,
        });
        return;
      case "renamed":
        return this.#renamed(message);
      case "topic":
        return await this.#topicArrived(message);
      case "caught_up":
        this.#historyThrough = 0;
        this.#joining = false;
        this.#caughtUp.resolve();
        return;
      case "error": {
        const error = relayError(message, { room: this.room, name: this.name });
        if (this.#renaming.refuse(message.code, renameWords(message, this.#renamingTo))) return;
        if (this.#topicSetting.refuse(message.code, error)) return;
        if (error.code === "room_dropped") {
          // Final: no reconnecting into a room the operator removed.
          this.#quitting = true;
          const connection = this.#connection;
          this.#connection = null;
          this.#finish(error);
          await connection?.abort();
          return;
        }
        this.#emit({
          type: "error",
          code: message.code,
          message: error.message,
          room: this.room,
          ...(message.retryAfterMs > 0 ? { retryAfterMs: message.retryAfterMs } : {}),
        });
        return;
      }
    }
  }

  #renamed(message: Extract<Unprompted, { type: "renamed" }>): void {
    const self = foldName(message.from) === foldName(this.#name);
    if (self) {
      // A rename of this member that it did not ask for is the relay's idea: sealing under a
      // name the others would not check against is worse than ignoring it.
      if (!this.#renaming.answer({ from: message.from, to: message.to })) {
        this.#emit({
          type: "error",
          code: "protocol_violation",
          room: this.room,
          message: `The server said you were renamed to ${message.to} without your asking; ignored`,
        });
        return;
      }
      this.#name = message.to;
      this.#keys.claim(message.to);
    }
    this.#emit({
      type: "renamed",
      room: this.room,
      from: message.from,
      to: message.to,
      ts: message.ts,
      self,
    });
  }

  /** A topic: opened like a message, but only a body of kind "topic" is one. */
  async #topicArrived(message: Extract<Unprompted, { type: "topic" }>): Promise<void> {
    const idHex = toHex(message.id);
    try {
      const { body, genuine } = await openMessage(this.#key.messageKey, {
        ...message,
        room: this.room,
      });
      if (body.kind !== "topic") throw new Error("it is not a topic");
      const trust = genuine
        ? await this.#keys.judge(message.from, body.publicKey)
        : "bad_signature";
      const topic: TopicEvent = {
        type: "topic",
        room: this.room,
        from: message.from,
        ts: message.ts,
        sentAt: body.sentAt,
        text: body.text,
        trust,
        key: await keyFingerprint(body.publicKey),
        current: this.#joining,
      };
      this.#topic = topic;
      this.#emit(topic);
      if (foldName(message.from) === foldName(this.#name)) this.#topicSetting.answer(idHex);
    } catch (error) {
      if (!(error instanceof Error)) throw error;
      this.#emit({
        type: "error",
        code: "unreadable",
        room: this.room,
        id: idHex,
        from: message.from,
        message: `Could not read the topic ${message.from} set: ${error.message}`,
      });
    }
  }

  async #deliver(message: Deliver): Promise<void> {
    const idHex = toHex(message.id);
    if (message.seq > this.#lastSeq) this.#lastSeq = message.seq;
    if (foldName(message.from) === foldName(this.name) && this.#outbox.has(idHex)) {
      // Our own message, stored before an acknowledgement could reach us: replayed on resume.
      return this.#acknowledge(idHex, message.seq, message.ts);
    }
    const history = message.seq > 0 && message.seq <= this.#historyThrough;
    const seen = this.#replay.seen(message.from, idHex);
    // Shown already in this session, or a live message seen in an earlier one: a duplicate.
    if (seen === "this_session" || (seen === "earlier" && !history)) return;
    try {
      const { body, genuine } = await openMessage(this.#key.messageKey, {
        ...message,
        room: this.room,
      });
      // A topic moved into a delivery by the relay is not a message (the signature covers kind).
      if (body.kind === "topic") throw new Error("it is a topic, not a message");
      this.#replay.remember(message.from, idHex);
      const trust = genuine
        ? await this.#keys.judge(message.from, body.publicKey)
        : "bad_signature";
      this.#emit({
        type: "message",
        room: this.room,
        from: message.from,
        text: body.text,
        kind: body.kind,
        seq: message.seq,
        ts: message.ts,
        sentAt: body.sentAt,
        id: idHex,
        history,
        stale: !history && this.#replay.isStale(body.sentAt),
        trust,
        key: await keyFingerprint(body.publicKey),
      });
    } catch (error) {
      if (!(error instanceof Error)) throw error;
      this.#emit({
        type: "error",
        code: "unreadable",
        room: this.room,
        id: idHex,
        seq: message.seq,
        from: message.from,
        message: `Could not read message #${message.seq} from ${message.from}: ${error.message}`,
      });
    }
  }

  #acknowledge(idHex: string, seq: number, ts: number): void {
    if (seq > this.#lastSeq) this.#lastSeq = seq;
    if (!this.#outbox.has(idHex)) return;
    this.#replay.remember(this.name, idHex);
    this.#emit({ type: "ack", room: this.room, id: idHex, seq, ts });
    this.#outbox.acknowledge(idHex, seq, ts);
  }

  #finish(failure: Error | null): void {
    this.#quitting = true;
    const error = failure ?? new ChatError("closed", "The session has ended");
    this.#renaming.cancel(error);
    this.#topicSetting.cancel(error);
    this.#outbox.rejectAll(error);
    this.#drained?.resolve();
    // What was seen is saved before anyone hears the session is over and exits.
    this.#replay.close().finally(() => this.#ended.resolve(failure));
  }

  #emit(event: SessionEvent): void {
    this.#listener(event);
  }
}

function sameParams(a: RoomParams, b: RoomParams): boolean {
  return a.iterations === b.iterations && a.kdf === b.kdf && toHex(a.salt) === toHex(b.salt);
}

/** Lower-case hex of some bytes. */
export function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
}
