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
 * Splits a byte stream into frame bodies. Chunks may end anywhere; the length prefix is checked
 * against the limit before any buffer for the frame is allocated.
 */
export class FrameDecoder {
  readonly #maxFrameBytes: number;
  #pending: Uint8Array = new Uint8Array(0);

  constructor(maxFrameBytes = MAX_FRAME_BYTES) {
    this.#maxFrameBytes = maxFrameBytes;
  }

  /** Feeds one chunk and returns the whole frame bodies it completes, each a copy it owns. */
  push(chunk: Uint8Array): Uint8Array[] {
    const data = this.#pending.length === 0 ? chunk : concat(this.#pending, chunk);
    const frames: Uint8Array[] = [];
    let offset = 0;
    while (data.length - offset >= LENGTH_PREFIX_BYTES) {
      const length = readLength(data, offset);
      if (length === 0) {
        throw new ProtocolError("bad_frame", "Received an empty frame");
      }
      if (length > this.#maxFrameBytes) {
        throw new ProtocolError(
          "frame_too_large",
          `Received a frame of ${length} bytes; the limit is ${this.#maxFrameBytes}`,
        );
      }
      const end = offset + LENGTH_PREFIX_BYTES + length;
      if (end > data.length) break;
      frames.push(data.slice(offset + LENGTH_PREFIX_BYTES, end));
      offset = end;
    }
    this.#pending = offset === data.length ? new Uint8Array(0) : data.slice(offset);
    return frames;
  }

  /** Bytes of a frame started but not finished; non-zero at end of stream means truncation. */
  get bufferedBytes(): number {
    return this.#pending.length;
  }
}

function readLength(data: Uint8Array, offset: number): number {
  return ((data[offset]! << 24) >>> 0) + (data[offset + 1]! << 16) + (data[offset + 2]! << 8) +
    data[offset + 3]!;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const joined = new Uint8Array(a.length + b.length);
  joined.set(a, 0);
  joined.set(b, a.length);
  return joined;
}
