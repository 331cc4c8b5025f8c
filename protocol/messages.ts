/**
 * The messages of protocol version 2 and their binary encoding (docs/PROTOCOL.md). Pure: no
 * sockets, no crypto. Sealed bodies are opaque bytes here.
 */
import { ProtocolError } from "./errors.ts";
import { LENGTH_PREFIX_BYTES, MAX_FRAME_BYTES } from "./frames.ts";
import { WireReader, WireWriter } from "./wire.ts";

const utf8 = new TextEncoder();

/**
 * The wire protocol version this code speaks. Version 2 paged member lists, summarised presence
 * and added retry times to refusals; the sealed layout did not change (see `SEAL_VERSION`).
 */
export const PROTOCOL_VERSION = 2;
/**
 * The version bound into every seal's AAD and signature. Separate from the wire version so that
 * stored messages stay readable when framing changes.
 */
export const SEAL_VERSION = 1;
/** Bytes in a client-generated message id. */
export const MESSAGE_ID_BYTES = 16;
/** Bytes in a room salt. */
export const SALT_BYTES = 16;
/** Bytes in a resume token. */
export const RESUME_TOKEN_BYTES = 16;
/** Bytes in a room key-check value. */
export const KEY_CHECK_BYTES = 32;
/** Fewest PBKDF2 iterations a room may use (OWASP's 2023 figure for PBKDF2-HMAC-SHA256). */
export const MIN_ITERATIONS = 600_000;
/** Most PBKDF2 iterations a room may use, so a hostile peer cannot stall a client. */
export const MAX_ITERATIONS = 20_000_000;
/** Most member names a `joined` frame lists; `memberCount` gives the room's real size. */
export const MAX_LISTED_MEMBERS = 100;
/**
 * Most names in one `members` page. A name is at most 32 characters of at most 4 UTF-8 bytes, so
 * a full page (400 x 129 bytes) stays well inside the frame limit.
 */
export const MEMBERS_PAGE = 400;
/** Most names of each kind a `presence_summary` lists. */
export const SUMMARY_NAMES = 10;

/** Frame type codes: 0x01-0x3f travel client to server, 0x40-0x7f server to client. */
export const FrameType = {
  hello: 0x01,
  room_query: 0x02,
  join: 0x03,
  send: 0x04,
  leave: 0x05,
  who: 0x06,
  ping: 0x07,
  pong: 0x08,
  bye: 0x09,
  rename: 0x0a,
  set_topic: 0x0b,
  welcome: 0x41,
  room_info: 0x42,
  joined: 0x43,
  deliver: 0x44,
  ack: 0x45,
  presence: 0x46,
  members: 0x47,
  error: 0x48,
  left: 0x49,
  nack: 0x4a,
  caught_up: 0x4b,
  presence_summary: 0x4c,
  renamed: 0x4d,
  topic: 0x4e,
} as const;

/**
 * How a passphrase becomes PBKDF2's input (docs/PROTOCOL.md): 1, as typed (NFC); 2, normalised
 * so that a passphrase read aloud (spaces for hyphens, capitals) derives the same key. A room
 * keeps the version it was created with, so rooms made before version 2 keep their keys.
 */
export const KDF_VERSIONS = { typed: 1, spoken: 2 } as const;
/** The version new rooms use. */
export const CURRENT_KDF = KDF_VERSIONS.spoken;

/** Room parameters a room's first member chooses and the relay keeps. */
export interface RoomParams {
  salt: Uint8Array;
  iterations: number;
  /** How the passphrase is normalised before derivation: one of `KDF_VERSIONS`. */
  kdf: number;
}

export interface Hello {
  type: "hello";
  minVersion: number;
  maxVersion: number;
  software: string;
}
export interface RoomQuery {
  type: "room_query";
  room: string;
}
/** How a joining client wants what the room said before it arrived. */
export type Catchup =
  /** The most recent `limit` messages (0 for none), as history. */
  | { kind: "history"; limit: number }
  /** Every kept message after `afterSeq`: what a reconnecting client missed. */
  | { kind: "resume"; afterSeq: number };
export interface Join {
  type: "join";
  room: string;
  name: string;
  params: RoomParams;
  keyCheck: Uint8Array;
  catchup: Catchup;
  /** The token from an earlier `joined`, to reclaim a held name; empty when new. */
  resumeToken: Uint8Array;
}
export interface Send {
  type: "send";
  room: string;
  id: Uint8Array;
  sealed: Uint8Array;
}
export interface Leave {
  type: "leave";
  room: string;
}
export interface Who {
  type: "who";
  room: string;
  /** How many names of the member list to skip: 0, then the previous page's end. */
  offset: number;
}
export interface Ping {
  type: "ping";
  token: number;
}
export interface Pong {
  type: "pong";
  token: number;
}
export interface Bye {
  type: "bye";
}
/** Asks to go by another name in a room (/nick); answered with `renamed`, or an error. */
export interface Rename {
  type: "rename";
  room: string;
  name: string;
}
/** Sets the room's topic: a body of kind "topic", sealed and signed like a message. */
export interface SetTopic {
  type: "set_topic";
  room: string;
  id: Uint8Array;
  sealed: Uint8Array;
}
/** A member now goes by another name; sent to every member, the renamed one included. */
export interface Renamed {
  type: "renamed";
  room: string;
  from: string;
  to: string;
  ts: number;
}
/**
 * The room's topic, sealed by the member who set it: sent to every member when it is set (the
 * setter's copy is its acknowledgement), and to a member who joins, right after `joined`.
 */
export interface Topic {
  type: "topic";
  room: string;
  ts: number;
  from: string;
  id: Uint8Array;
  sealed: Uint8Array;
}
export interface Welcome {
  type: "welcome";
  version: number;
  software: string;
  maxFrameBytes: number;
  heartbeatMs: number;
}
export interface RoomInfo {
  type: "room_info";
  room: string;
  /** Null when the room does not exist yet: the joiner creates it. */
  params: RoomParams | null;
}
export interface Joined {
  type: "joined";
  room: string;
  name: string;
  /** The room's last stored sequence number when the member joined. */
  lastSeq: number;
  /** The oldest sequence number the relay still keeps (lastSeq + 1 when none). */
  firstSeq: number;
  /** Presents this to reclaim the name after a dropped connection. */
  resumeToken: Uint8Array;
  /** Members in the room now, this one included. */
  memberCount: number;
  /** The first members in join order, at most `MAX_LISTED_MEMBERS`; `who` pages the rest. */
  members: string[];
}
export interface Deliver {
  type: "deliver";
  room: string;
  seq: number;
  ts: number;
  from: string;
  id: Uint8Array;
  sealed: Uint8Array;
}
export interface Ack {
  type: "ack";
  room: string;
  id: Uint8Array;
  seq: number;
  ts: number;
}
/** Why a member left, as shown to the others. */
export type LeaveReason = "quit" | "disconnected" | "timed_out" | "too_slow" | "server_shutdown";
export interface Presence {
  type: "presence";
  room: string;
  event: "join" | "leave";
  name: string;
  ts: number;
  reason: LeaveReason | "";
}
/**
 * Joins and leaves in a large room, gathered over a short interval instead of one `presence`
 * frame per member per change: counts, and the first few names of each.
 */
export interface PresenceSummary {
  type: "presence_summary";
  room: string;
  ts: number;
  joined: number;
  left: number;
  joinedNames: string[];
  leftNames: string[];
}
/** One page of a room's member list, in join order. */
export interface Members {
  type: "members";
  room: string;
  /** Members in the room now. */
  total: number;
  /** Position of the first name of this page in the whole list. */
  offset: number;
  members: string[];
}
export interface ErrorMessage {
  type: "error";
  code: string;
  room: string;
  message: string;
  /** The sender closes the connection after a fatal error. */
  fatal: boolean;
  /** For refusals that pass with time (rate limits): when to try again; 0 otherwise. */
  retryAfterMs: number;
}
export interface Left {
  type: "left";
  room: string;
}
/** A message the relay could not store: it was not acknowledged and may be sent again. */
export interface Nack {
  type: "nack";
  room: string;
  id: Uint8Array;
  code: string;
  message: string;
  /** How long to wait before sending it again; 0 when the sender may choose. */
  retryAfterMs: number;
}
/** Every stored message the member asked for has been sent; what follows is live. */
export interface CaughtUp {
  type: "caught_up";
  room: string;
  lastSeq: number;
}

/** Messages a client sends. */
export type ClientMessage =
  | Hello
  | RoomQuery
  | Join
  | Send
  | Leave
  | Who
  | Ping
  | Pong
  | Bye
  | Rename
  | SetTopic;
/** Messages a relay sends. */
export type ServerMessage =
  | Welcome
  | RoomInfo
  | Joined
  | Deliver
  | Ack
  | Presence
  | PresenceSummary
  | Renamed
  | Topic
  | Members
  | ErrorMessage
  | Left
  | Nack
  | CaughtUp
  | Ping
  | Pong;
/** Any message of the protocol. */
export type Message = ClientMessage | ServerMessage;

const LEAVE_REASONS: readonly string[] = [
  "",
  "quit",
  "disconnected",
  "timed_out",
  "too_slow",
  "server_shutdown",
];

/** Encodes one message as a frame, length prefix included. */
export function encodeMessage(message: Message): Uint8Array {
  const writer = new WireWriter(FrameType[message.type]);
  switch (message.type) {
    case "hello":
      writer.u16(message.minVersion).u16(message.maxVersion).str8(message.software);
      break;
    case "room_query":
    case "leave":
    case "left":
      writer.str8(message.room);
      break;
    case "who":
      writer.str8(message.room).u32(message.offset);
      break;
    case "join":
      writer.str8(message.room).str8(message.name).u32(message.params.iterations)
        .fixed(message.params.salt, SALT_BYTES).u8(message.params.kdf)
        .fixed(message.keyCheck, KEY_CHECK_BYTES);
      if (message.catchup.kind === "history") {
        writer.u8(0).u64(message.catchup.limit);
      } else {
        writer.u8(1).u64(message.catchup.afterSeq);
      }
      writeToken(writer, message.resumeToken);
      break;
    case "send":
      return encodeSend(message.room, message.id, message.sealed);
    case "ping":
    case "pong":
      writer.u64(message.token);
      break;
    case "bye":
      break;
    case "rename":
      writer.str8(message.room).str8(message.name);
      break;
    case "set_topic":
      writer.str8(message.room).fixed(message.id, MESSAGE_ID_BYTES).raw(message.sealed);
      break;
    case "renamed":
      writer.str8(message.room).str8(message.from).str8(message.to).u64(message.ts);
      break;
    case "topic":
      writer.str8(message.room).u64(message.ts).str8(message.from)
        .fixed(message.id, MESSAGE_ID_BYTES).raw(message.sealed);
      break;
    case "welcome":
      writer.u16(message.version).str8(message.software).u32(message.maxFrameBytes)
        .u32(message.heartbeatMs);
      break;
    case "room_info":
      writer.str8(message.room);
      if (message.params === null) {
        writer.u8(0);
      } else {
        writer.u8(1).u32(message.params.iterations).fixed(message.params.salt, SALT_BYTES)
          .u8(message.params.kdf);
      }
      break;
    case "joined":
      writer.str8(message.room).str8(message.name).u64(message.lastSeq).u64(message.firstSeq)
        .fixed(message.resumeToken, RESUME_TOKEN_BYTES).u32(message.memberCount);
      writeNames(writer, message.members, MAX_LISTED_MEMBERS);
      break;
    case "nack":
      writer.str8(message.room).fixed(message.id, MESSAGE_ID_BYTES).str8(message.code)
        .str16(message.message).u32(message.retryAfterMs);
      break;
    case "caught_up":
      writer.str8(message.room).u64(message.lastSeq);
      break;
    case "deliver":
      return encodeDeliver(message, message.sealed);
    case "ack":
      writer.str8(message.room).fixed(message.id, MESSAGE_ID_BYTES).u64(message.seq)
        .u64(message.ts);
      break;
    case "presence":
      writer.str8(message.room).u8(message.event === "join" ? 1 : 2).str8(message.name)
        .u64(message.ts).str8(message.reason);
      break;
    case "presence_summary":
      writer.str8(message.room).u64(message.ts).u32(message.joined).u32(message.left);
      writeNames(writer, message.joinedNames, SUMMARY_NAMES);
      writeNames(writer, message.leftNames, SUMMARY_NAMES);
      break;
    case "members":
      writer.str8(message.room).u32(message.total).u32(message.offset);
      writeNames(writer, message.members, MEMBERS_PAGE);
      break;
    case "error":
      writer.str8(message.code).str8(message.room).str16(message.message)
        .u8(message.fatal ? 1 : 0).u32(message.retryAfterMs);
      break;
  }
  return checkedSize(writer.finish());
}

/** Encodes a SEND frame; the sealed body is copied once, as is. */
export function encodeSend(room: string, id: Uint8Array, sealed: Uint8Array): Uint8Array {
  return checkedSize(
    new WireWriter(FrameType.send, 32 + room.length * 3 + sealed.length).str8(room)
      .fixed(id, MESSAGE_ID_BYTES).raw(sealed).finish(),
  );
}

/**
 * Encodes a DELIVER frame around a sealed body the relay never decodes. The relay calls this once
 * per message and writes the same bytes to every recipient.
 */
export function encodeDeliver(
  header: Omit<Deliver, "type" | "sealed">,
  sealed: Uint8Array,
): Uint8Array {
  return checkedSize(
    new WireWriter(FrameType.deliver, 64 + header.room.length * 3 + sealed.length)
      .str8(header.room).u64(header.seq).u64(header.ts).str8(header.from)
      .fixed(header.id, MESSAGE_ID_BYTES).raw(sealed).finish(),
  );
}

/** Bytes a `deliver` frame takes on the wire, length prefix included, without building it. */
export function deliverFrameBytes(room: string, from: string, sealedBytes: number): number {
  return LENGTH_PREFIX_BYTES + 1 + 1 + utf8Length(room) + 8 + 8 + 1 + utf8Length(from) +
    MESSAGE_ID_BYTES + sealedBytes;
}

/**
 * Refuses to hand out a frame that no peer would accept: building one is a bug in the caller,
 * which must check sizes first (a relay that sent one would make every receiver drop the link).
 */
function checkedSize(frame: Uint8Array): Uint8Array {
  if (frame.length - LENGTH_PREFIX_BYTES > MAX_FRAME_BYTES) {
    throw new RangeError(
      `Frame of ${frame.length - LENGTH_PREFIX_BYTES} bytes is over the ${MAX_FRAME_BYTES} limit`,
    );
  }
  return frame;
}

function utf8Length(text: string): number {
  return utf8.encode(text).length;
}

/** Decodes one frame body (without its length prefix). */
export function decodeMessage(frame: Uint8Array): Message {
  const reader = new WireReader(frame, 1);
  const message = decodeFields(frame[0], reader);
  reader.end();
  return message;
}

function decodeFields(type: number | undefined, reader: WireReader): Message {
  switch (type) {
    case FrameType.hello:
      return {
        type: "hello",
        minVersion: reader.u16(),
        maxVersion: reader.u16(),
        software: reader.str8(),
      };
    case FrameType.room_query:
      return { type: "room_query", room: reader.str8() };
    case FrameType.join:
      return {
        type: "join",
        room: reader.str8(),
        name: reader.str8(),
        params: readParamsAfterIterations(reader.u32(), reader),
        keyCheck: reader.fixed(KEY_CHECK_BYTES),
        catchup: readCatchup(reader),
        resumeToken: readToken(reader),
      };
    case FrameType.send:
      return {
        type: "send",
        room: reader.str8(),
        id: reader.fixed(MESSAGE_ID_BYTES),
        sealed: reader.rest(),
      };
    case FrameType.leave:
      return { type: "leave", room: reader.str8() };
    case FrameType.who:
      return { type: "who", room: reader.str8(), offset: reader.u32() };
    case FrameType.ping:
      return { type: "ping", token: reader.u64() };
    case FrameType.pong:
      return { type: "pong", token: reader.u64() };
    case FrameType.bye:
      return { type: "bye" };
    case FrameType.rename:
      return { type: "rename", room: reader.str8(), name: reader.str8() };
    case FrameType.set_topic:
      return {
        type: "set_topic",
        room: reader.str8(),
        id: reader.fixed(MESSAGE_ID_BYTES),
        sealed: reader.rest(),
      };
    case FrameType.renamed:
      return {
        type: "renamed",
        room: reader.str8(),
        from: reader.str8(),
        to: reader.str8(),
        ts: reader.u64(),
      };
    case FrameType.topic:
      return {
        type: "topic",
        room: reader.str8(),
        ts: reader.u64(),
        from: reader.str8(),
        id: reader.fixed(MESSAGE_ID_BYTES),
        sealed: reader.rest(),
      };
    case FrameType.welcome:
      return {
        type: "welcome",
        version: reader.u16(),
        software: reader.str8(),
        maxFrameBytes: reader.u32(),
        heartbeatMs: reader.u32(),
      };
    case FrameType.room_info: {
      const room = reader.str8();
      const exists = reader.u8();
      if (exists > 1) throw new ProtocolError("bad_frame", "room_info has an invalid exists flag");
      return {
        type: "room_info",
        room,
        params: exists ? readParamsAfterIterations(reader.u32(), reader) : null,
      };
    }
    case FrameType.joined:
      return {
        type: "joined",
        room: reader.str8(),
        name: reader.str8(),
        lastSeq: reader.u64(),
        firstSeq: reader.u64(),
        resumeToken: reader.fixed(RESUME_TOKEN_BYTES),
        memberCount: reader.u32(),
        members: readNames(reader, MAX_LISTED_MEMBERS),
      };
    case FrameType.deliver:
      return {
        type: "deliver",
        room: reader.str8(),
        seq: reader.u64(),
        ts: reader.u64(),
        from: reader.str8(),
        id: reader.fixed(MESSAGE_ID_BYTES),
        sealed: reader.rest(),
      };
    case FrameType.ack:
      return {
        type: "ack",
        room: reader.str8(),
        id: reader.fixed(MESSAGE_ID_BYTES),
        seq: reader.u64(),
        ts: reader.u64(),
      };
    case FrameType.presence: {
      const room = reader.str8();
      const event = reader.u8();
      if (event !== 1 && event !== 2) {
        throw new ProtocolError("bad_frame", "presence has an invalid event");
      }
      const name = reader.str8();
      const ts = reader.u64();
      const reason = reader.str8();
      if (!LEAVE_REASONS.includes(reason)) {
        throw new ProtocolError("bad_frame", "presence has an invalid reason");
      }
      return {
        type: "presence",
        room,
        event: event === 1 ? "join" : "leave",
        name,
        ts,
        reason: reason as LeaveReason | "",
      };
    }
    case FrameType.presence_summary:
      return {
        type: "presence_summary",
        room: reader.str8(),
        ts: reader.u64(),
        joined: reader.u32(),
        left: reader.u32(),
        joinedNames: readNames(reader, SUMMARY_NAMES),
        leftNames: readNames(reader, SUMMARY_NAMES),
      };
    case FrameType.members:
      return {
        type: "members",
        room: reader.str8(),
        total: reader.u32(),
        offset: reader.u32(),
        members: readNames(reader, MEMBERS_PAGE),
      };
    case FrameType.error: {
      const code = reader.str8();
      const room = reader.str8();
      const message = reader.str16();
      const fatal = reader.u8();
      if (fatal > 1) throw new ProtocolError("bad_frame", "error has an invalid fatal flag");
      return { type: "error", code, room, message, fatal: fatal === 1, retryAfterMs: reader.u32() };
    }
    case FrameType.left:
      return { type: "left", room: reader.str8() };
    case FrameType.nack:
      return {
        type: "nack",
        room: reader.str8(),
        id: reader.fixed(MESSAGE_ID_BYTES),
        code: reader.str8(),
        message: reader.str16(),
        retryAfterMs: reader.u32(),
      };
    case FrameType.caught_up:
      return { type: "caught_up", room: reader.str8(), lastSeq: reader.u64() };
    case undefined:
      throw new ProtocolError("bad_frame", "Received an empty frame");
    default:
      throw new ProtocolError(
        "unknown_frame",
        `Unknown frame type 0x${type.toString(16).padStart(2, "0")}`,
      );
  }
}

function readParamsAfterIterations(iterations: number, reader: WireReader): RoomParams {
  return { iterations, salt: reader.fixed(SALT_BYTES), kdf: reader.u8() };
}

function readCatchup(reader: WireReader): Catchup {
  const kind = reader.u8();
  const value = reader.u64();
  if (kind === 0) return { kind: "history", limit: value };
  if (kind === 1) return { kind: "resume", afterSeq: value };
  throw new ProtocolError("bad_frame", "join has an invalid catch-up kind");
}

function writeToken(writer: WireWriter, token: Uint8Array): void {
  if (token.length !== 0 && token.length !== RESUME_TOKEN_BYTES) {
    throw new RangeError(`A resume token is empty or ${RESUME_TOKEN_BYTES} bytes`);
  }
  writer.u8(token.length).raw(token);
}

function readToken(reader: WireReader): Uint8Array {
  const length = reader.u8();
  if (length !== 0 && length !== RESUME_TOKEN_BYTES) {
    throw new ProtocolError("bad_frame", "join has a resume token of the wrong size");
  }
  return reader.fixed(length);
}

function writeNames(writer: WireWriter, names: readonly string[], max: number): void {
  if (names.length > max) {
    throw new RangeError(`At most ${max} names fit here, got ${names.length}`);
  }
  writer.u16(names.length);
  for (const name of names) writer.str8(name);
}

function readNames(reader: WireReader, max: number): string[] {
  const count = reader.u16();
  if (count > max) throw new ProtocolError("bad_frame", `A list of ${count} names; at most ${max}`);
  const names: string[] = [];
  for (let i = 0; i < count; i++) names.push(reader.str8());
  return names;
}
