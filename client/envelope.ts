/**
 * A message's way into and out of its envelope: signed with the sender's identity, then sealed
 * with the room key, and on arrival opened, decoded and checked against its signature. Pure: no
 * connections, no files.
 */
import {
  type Identity,
  messageAad,
  newMessageId,
  open,
  seal,
  signContent,
  verifyContent,
} from "../crypto.ts";
import {
  type Body,
  BODY_KIND_CODES,
  type BodyKind,
  decodeBody,
  encodeBody,
  SEAL_VERSION,
} from "../protocol.ts";

/** Signs and seals `text` from `sender` in `room`, under a fresh message id. */
export async function sealMessage(
  key: CryptoKey,
  identity: Identity,
  message: { room: string; sender: string; text: string; kind: BodyKind },
): Promise<{ id: Uint8Array; sealed: Uint8Array }> {
  const id = newMessageId();
  const context = { version: SEAL_VERSION, room: message.room, sender: message.sender, id };
  const sentAt = Date.now();
  const signature = await signContent(identity, {
    ...context,
    kind: BODY_KIND_CODES[message.kind],
    sentAt,
    text: message.text,
  });
  const body = encodeBody({
    kind: message.kind,
    sentAt,
    text: message.text,
    publicKey: identity.publicKey,
    signature,
  });
  return { id, sealed: await seal(key, body, messageAad(context)) };
}

/**
 * Opens a delivered message and checks its signature. Throws `DecryptError` or `ProtocolError`
 * when it cannot be read at all; `genuine` is false when it reads but the signature fails.
 */
export async function openMessage(
  key: CryptoKey,
  delivered: { room: string; from: string; id: Uint8Array; sealed: Uint8Array },
): Promise<{ body: Body; genuine: boolean }> {
  const context = {
    version: SEAL_VERSION,
    room: delivered.room,
    sender: delivered.from,
    id: delivered.id,
  };
  const body = decodeBody(await open(key, delivered.sealed, messageAad(context)));
  const genuine = await verifyContent(body.publicKey, {
    ...context,
    kind: BODY_KIND_CODES[body.kind],
    sentAt: body.sentAt,
    text: body.text,
  }, body.signature);
  return { body, genuine };
}
