/**
 * Errors for input that a peer got wrong. Callers catch these by class and branch on `code`;
 * a caller's own bug throws `TypeError` or `RangeError` instead.
 */

/** Codes a relay or client may put in an error frame, and that `ProtocolError` carries. */
export type ErrorCode =
  | "bad_frame"
  | "frame_too_large"
  | "foreign_protocol"
  | "unknown_frame"
  | "unexpected_frame"
  | "version_mismatch"
  | "handshake_timeout"
  | "idle_timeout"
  | "slow_consumer"
  | "too_many_connections"
  | "invalid_name"
  | "invalid_room"
  | "name_taken"
  | "wrong_passphrase"
  | "room_changed"
  | "weak_room_params"
  | "not_joined"
  | "already_joined"
  | "replaced"
  | "storage_full"
  | "storage_failed"
  | "server_shutdown"
  | "join_timeout"
  | "too_many_attempts"
  | "rate_limited"
  | "message_too_large"
  | "room_not_allowed"
  | "room_limit"
  | "too_many_rooms"
  | "room_dropped"
  | "name_confusable";

/** A frame or message from the network that breaks the protocol, or a refusal the peer sent. */
export class ProtocolError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string) {
    super(message);
    this.name = "ProtocolError";
    this.code = code;
  }
}
