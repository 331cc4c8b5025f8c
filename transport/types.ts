/**
 * The one interface the relay and the client talk through, whatever carries the bytes: TCP, TLS,
 * WebSocket or an in-memory pair. It deals in whole frames; how they are framed is its business.
 */

/** A message-oriented connection to one peer. */
export interface FrameConnection {
  /** Who the peer is, for log lines: an address, or a label for in-memory pairs. */
  readonly peer: string;
  /**
   * The key per-address limits count this peer under (transport/address.ts): its IPv4 address,
   * its IPv6 /64, or a label for in-memory pairs.
   */
  readonly address: string;
  /**
   * Frame bodies (type byte and payload, no length prefix) in arrival order, each a copy the
   * caller owns. Ends when the peer closes; throws `ProtocolError` on a framing violation.
   */
  frames(): AsyncIterable<Uint8Array>;
  /**
   * Queues one encoded frame (length prefix included) to be written with others queued in the
   * same turn. Returns false, queuing nothing, when the connection is closed or its send queue
   * is full: the peer is not reading fast enough.
   */
  send(frame: Uint8Array): boolean;
  /**
   * Writes `finalFrame` (if any) after what is queued, waits a bounded time for it all to leave,
   * then closes. When the queue is full the queued frames are dropped and only `finalFrame` is
   * tried. Safe to call more than once.
   */
  close(finalFrame?: Uint8Array): Promise<void>;
  /** Resolves once everything queued so far has been written, or the connection has closed. */
  drained(): Promise<void>;
  /** False once the connection is closing or closed: `send` will refuse everything. */
  readonly open: boolean;
  /** Bytes queued and not yet written. */
  readonly queuedBytes: number;
}
