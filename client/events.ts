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
    ts: number;
    id: string;
    /** Said before this member joined, replayed from the relay's storage. */
    history: boolean;
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
  | { type: "ack"; room: string; id: string; seq: number; ts: number }
  | { type: "error"; code: string; message: string; room?: string }
  | { type: "disconnected"; room: string; reason: string }
  | { type: "reconnected"; room: string }
  | { type: "gap"; room: string; missed: number };

/** A message the relay has acknowledged: its id, and the sequence number and time it assigned. */
export interface SentMessage {
  id: string;
  seq: number;
  ts: number;
}
