/**
 * What a session reports to whoever shows it: the events of a room, and the outcome of a send.
 * Plain data, so a terminal, a JSON line writer or a browser can all render it.
 */
import type { BodyKind } from "../protocol.ts";
import type { Trust } from "./key_trust.ts";

/** What happens in the room, for a user interface to show. */
export type SessionEvent =
  | {
    type: "message";
    room: string;
    from: string;
    text: string;
    kind: BodyKind;
    seq: number;
    /** When the relay accepted it, on the relay's clock (ms): the relay's word only. */
    ts: number;
    /** When the sender wrote it, on the sender's clock (ms): signed by the sender. */
    sentAt: number;
    id: string;
    /** Said before this member joined, replayed from the relay's storage. */
    history: boolean;
    /**
     * A live message signed long before it arrived: more than an hour before, or before this
     * member's previous session in the room ended. A relay may be replaying an old message.
     */
    stale: boolean;
    /**
     * Whether the sender is who the name says: its signature verifies and its key is the one
     * this name used before ("known") or the name is new to us ("new"); "changed" when the name
     * used another key before; "bad_signature" when the signature does not verify.
     */
    trust: Trust;
    /** Fingerprint of the key that signed it. */
    key: string;
  }
  | { type: "key_changed"; room: string; from: string; key: string; previous: string }
  | { type: "join"; room: string; from: string; ts: number }
  | { type: "leave"; room: string; from: string; ts: number; reason: string }
  | {
    type: "presence_summary";
    room: string;
    ts: number;
    /** How many joined and left in the interval the relay summarised. */
    joined: number;
    left: number;
    /** The first few names of each (at most 10): the counts may be larger. */
    joinedNames: string[];
    leftNames: string[];
  }
  | {
    type: "renamed";
    room: string;
    from: string;
    to: string;
    ts: number;
    /** This member renamed itself (/nick). */
    self: boolean;
  }
  | {
    type: "topic";
    room: string;
    /** Who set it, and when (the relay's clock) and on their own clock (signed). */
    from: string;
    ts: number;
    sentAt: number;
    text: string;
    trust: Trust;
    key: string;
    /** Set before this member joined: the topic it finds. */
    current: boolean;
  }
  | { type: "ack"; room: string; id: string; seq: number; ts: number }
  | {
    type: "error";
    /** The relay's code as sent, or the client's own ("unreadable", "state", ...). */
    code: string;
    /** The client's own words: a relay's free text is never passed on. */
    message: string;
    room?: string;
    /** When the server asked to wait before trying again. */
    retryAfterMs?: number;
    /** The message it is about: one of ours (a refusal), or one received (unreadable). */
    id?: string;
    seq?: number;
    from?: string;
  }
  | { type: "disconnected"; room: string; reason: string; code: string }
  | { type: "reconnected"; room: string }
  | { type: "gap"; room: string; missed: number };

/** A message the relay has acknowledged: its id, and the sequence number and time it assigned. */
export interface SentMessage {
  id: string;
  seq: number;
  ts: number;
}

/** A room's topic, opened and checked. */
export type TopicEvent = Extract<SessionEvent, { type: "topic" }>;
