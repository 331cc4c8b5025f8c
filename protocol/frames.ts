/**
 * Framing: every frame on the wire is a 4-byte big-endian length, then that many bytes, the first
 * of which is the frame type. This module owns the framing and its size limit; it knows nothing
 * about what the frames mean.
 */
import { ProtocolError } from "./errors.ts";

/** Largest frame body (type byte and payload) either side accepts. */
export const MAX_FRAME_BYTES = 64 * 1024;

/** Bytes in the length prefix. */
export const LENGTH_PREFIX_BYTES = 4;

/** Another protocol a peer may speak at a chat port by mistake, told from its first bytes. */
export type ForeignProtocol = "tls" | "http";

/**
 * What protocol the first bytes of a stream are, if not chat: a TLS record (a handshake, or the
 * alert a TLS server answers plain bytes with) or HTTP (a request, or a web server's answer). A
 * chat stream starts with a length prefix whose first byte is 0 for any frame within the limit.
 */
export function foreignProtocol(first: Uint8Array): ForeignProtocol | null {
  const [type = 0, major = 0, minor = 0xff] = first;
  if (type >= 0x14 && type <= 0x17 && major === 0x03 && minor <= 0x04) return "tls";
  const text = String.fromCharCode(...first.subarray(0, 4));
  if (/^(GET |POST|HEAD|PUT |DELE|OPTI|PATC|CONN|TRAC|HTTP)$/.test(text)) return "http";
  return null;
}

const FOREIGN_WORDS: Readonly<Record<ForeignProtocol, string>> = {
  tls: "The other side speaks TLS, not plain chat",
  http: "The other side speaks HTTP, not chat",
};

/** Bytes of an oversized frame a decoder in "truncate" mode keeps: more than any frame's header. */
export const TRUNCATED_FRAME_BYTES = 1024;

/** What a decoder does with a frame over its limit. */
export type OversizedFrames =
  /** Throws `ProtocolError("frame_too_large")`: the peer broke the protocol. */
  | "fail"
  /**
   * Keeps the first `TRUNCATED_FRAME_BYTES` and discards the rest as it arrives. A client reads
   * the relay this way: a `deliver` too large to use then fails to open and is reported as
   * unreadable, and the client moves past it instead of reconnecting into the same frame forever.
   */
  | "truncate";

/** First buffer for a frame whose bytes have not arrived yet; it doubles as they do. */
const FIRST_FRAME_BUFFER_BYTES = 256;

/**
 * Splits a byte stream into frame bodies. Chunks may end anywhere. The length prefix is checked
 * against the limit before anything is allocated for the frame, and the frame's buffer grows
 * with the bytes that actually arrive (doubling, so a peer trickling bytes costs linear time): a
 * peer that sends only a length prefix costs a few hundred bytes, not the frame limit.
 */
export class FrameDecoder {
  readonly #maxFrameBytes: number;
  readonly #oversized: OversizedFrames;
  readonly #prefix = new Uint8Array(LENGTH_PREFIX_BYTES);
  #prefixFilled = 0;
  /** Bytes the current frame has on the wire; 0 between frames. */
  #frameLength = 0;
  /** Bytes of the current frame kept: all of them, or the head of a truncated one. */
  #keepLength = 0;
  #frame: Uint8Array | null = null;
  #frameFilled = 0;
  /** Bytes of the current frame consumed from the stream, kept or discarded. */
  #frameConsumed = 0;
  #failure: ProtocolError | null = null;
  /** Whether a frame has started: only the first length prefix can be another protocol's. */
  #started = false;

  constructor(maxFrameBytes = MAX_FRAME_BYTES, options: { oversized?: OversizedFrames } = {}) {
    this.#maxFrameBytes = maxFrameBytes;
    this.#oversized = options.oversized ?? "fail";
  }

  /**
   * Feeds one chunk and returns the whole frame bodies it completes, each a copy the caller owns.
   * A violation is thrown at once when no frame came before it in the chunk; otherwise the frames
   * before it are returned and the violation is thrown by `check()` or the next `push()`.
   */
  push(chunk: Uint8Array): Uint8Array[] {
    this.check();
    const frames: Uint8Array[] = [];
    let offset = 0;
    try {
      while (offset < chunk.length) {
        if (this.#frameLength === 0) {
          const take = Math.min(LENGTH_PREFIX_BYTES - this.#prefixFilled, chunk.length - offset);
          this.#prefix.set(chunk.subarray(offset, offset + take), this.#prefixFilled);
          this.#prefixFilled += take;
          offset += take;
          if (this.#prefixFilled < LENGTH_PREFIX_BYTES) break;
          this.#startFrame(this.#checkedLength());
          this.#prefixFilled = 0;
        }
        const take = Math.min(this.#frameLength - this.#frameConsumed, chunk.length - offset);
        const keep = Math.max(0, Math.min(take, this.#keepLength - this.#frameFilled));
        if (keep > 0) this.#append(chunk.subarray(offset, offset + keep));
        this.#frameConsumed += take;
        offset += take;
        if (this.#frameConsumed === this.#frameLength) {
          frames.push(this.#finishFrame());
        }
      }
    } catch (error) {
      if (!(error instanceof ProtocolError) || frames.length === 0) throw error;
      this.#failure = error;
    }
    return frames;
  }

  /** Throws a violation found after frames that `push` already returned. */
  check(): void {
    if (this.#failure) throw this.#failure;
  }

  /** Bytes of a frame started but not finished; non-zero at end of stream means truncation. */
  get bufferedBytes(): number {
    return this.#prefixFilled +
      (this.#frameLength === 0 ? 0 : LENGTH_PREFIX_BYTES + this.#frameConsumed);
  }

  /** Bytes allocated for the frame being read: what an idle or trickling peer costs. */
  get allocatedBytes(): number {
    return this.#frame?.length ?? 0;
  }

  #startFrame(length: number): void {
    this.#frameLength = length;
    this.#keepLength = Math.min(
      length,
      this.#maxFrameBytes < length ? TRUNCATED_FRAME_BYTES : length,
    );
    this.#frame = null;
    this.#frameFilled = 0;
    this.#frameConsumed = 0;
  }

  #append(bytes: Uint8Array): void {
    const needed = this.#frameFilled + bytes.length;
    if (this.#frame === null || needed > this.#frame.length) {
      const grown = new Uint8Array(
        Math.min(
          this.#keepLength,
          Math.max(needed, FIRST_FRAME_BUFFER_BYTES, 2 * (this.#frame?.length ?? 0)),
        ),
      );
      if (this.#frame) grown.set(this.#frame.subarray(0, this.#frameFilled));
      this.#frame = grown;
    }
    this.#frame.set(bytes, this.#frameFilled);
    this.#frameFilled = needed;
  }

  #finishFrame(): Uint8Array {
    const frame = this.#frame!;
    const body = frame.length === this.#frameFilled ? frame : frame.slice(0, this.#frameFilled);
    this.#frame = null;
    this.#frameLength = 0;
    this.#frameFilled = 0;
    this.#frameConsumed = 0;
    return body;
  }

  #checkedLength(): number {
    const length = new DataView(this.#prefix.buffer).getUint32(0);
    if (!this.#started) {
      this.#started = true;
      // Over the limit anyway: say what it is rather than "a frame of 369,295,616 bytes".
      const foreign = length > this.#maxFrameBytes ? foreignProtocol(this.#prefix) : null;
      if (foreign) throw new ProtocolError("foreign_protocol", FOREIGN_WORDS[foreign]);
    }
    if (length === 0) throw new ProtocolError("bad_frame", "Received an empty frame");
    if (length > this.#maxFrameBytes && this.#oversized === "fail") {
      throw new ProtocolError(
        "frame_too_large",
        `Received a frame of ${length} bytes; the limit is ${this.#maxFrameBytes}`,
      );
    }
    return length;
  }
}
