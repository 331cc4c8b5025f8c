/**
 * What every key and signature in chat is bound to: the additional authenticated data of a
 * message (version, room, sender, id), and how short fingerprints are written for people.
 */
import { MESSAGE_ID_BYTES } from "../protocol.ts";

const utf8 = new TextEncoder();

/** Where a sealed message belongs: the relay cannot move it between rooms, senders or ids. */
export interface MessageContext {
  version: number;
  room: string;
  sender: string;
  id: Uint8Array;
}

/** The additional authenticated data for one message. */
export function messageAad(context: MessageContext): Uint8Array<ArrayBuffer> {
  const room = utf8.encode(context.room);
  const sender = utf8.encode(context.sender);
  if (room.length > 255 || sender.length > 255) throw new RangeError("Room or sender too long");
  if (context.id.length !== MESSAGE_ID_BYTES) throw new RangeError("Message id has the wrong size");
  const aad = new Uint8Array(2 + 1 + room.length + 1 + sender.length + MESSAGE_ID_BYTES);
  const view = new DataView(aad.buffer);
  let offset = 0;
  view.setUint16(offset, context.version);
  offset += 2;
  aad[offset++] = room.length;
  aad.set(room, offset);
  offset += room.length;
  aad[offset++] = sender.length;
  aad.set(sender, offset);
  offset += sender.length;
  aad.set(context.id, offset);
  return aad;
}

/** Bytes as upper-case hex in groups of four, for people to read aloud. */
export function formatFingerprint(bytes: Uint8Array): string {
  const hex = Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
  return hex.toUpperCase().match(/.{4}/g)!.join("-");
}
