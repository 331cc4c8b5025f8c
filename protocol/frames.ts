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

/**
 * Splits a byte stream into frame bodies. Chunks may end anywhere. The length prefix is checked
 * against the limit before the frame's buffer is allocated, and each frame is allocated once and
 * filled as bytes arrive, so a peer trickling bytes costs linear time.
 */
export class FrameDecoder {
  readonly #maxFrameBytes: number;
  readonly #prefix = new Uint8Array(LENGTH_PREFIX_BYTES);
  #prefixFilled = 0;
  #frame: Uint8Array | null = null;
  #frameFilled = 0;
  #failure: ProtocolError | null = null;

  constructor(maxFrameBytes = MAX_FRAME_BYTES) {
    this.#maxFrameBytes = maxFrameBytes;
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
        if (this.#frame === null) {
          const take = Math.min(LENGTH_PREFIX_BYTES - this.#prefixFilled, chunk.length - offset);
          this.#prefix.set(chunk.subarray(offset, offset + take), this.#prefixFilled);
          this.#prefixFilled += take;
          offset += take;
          if (this.#prefixFilled < LENGTH_PREFIX_BYTES) break;
          this.#frame = new Uint8Array(this.#checkedLength());
          this.#frameFilled = 0;
          this.#prefixFilled = 0;
        }
        const take = Math.min(this.#frame.length - this.#frameFilled, chunk.length - offset);
        this.#frame.set(chunk.subarray(offset, offset + take), this.#frameFilled);
        this.#frameFilled += take;
        offset += take;
        if (this.#frameFilled === this.#frame.length) {
          frames.push(this.#frame);
          this.#frame = null;
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
      (this.#frame === null ? 0 : LENGTH_PREFIX_BYTES + this.#frameFilled);
  }

  #checkedLength(): number {
    const length = new DataView(this.#prefix.buffer).getUint32(0);
    if (length === 0) throw new ProtocolError("bad_frame", "Received an empty frame");
    if (length > this.#maxFrameBytes) {
      throw new ProtocolError(
        "frame_too_large",
        `Received a frame of ${length} bytes; the limit is ${this.#maxFrameBytes}`,
      );
    }
    return length;
  }
}
