/**
 * Byte helpers for the load process's hot path: big-endian u32 reads, the send time stored as a
 * float64 in a fake sealed body, and joining queued writes. No allocation except in `coalesce`.
 */
import { concatBytes } from "../protocol.ts";

/** The big-endian u32 at `offset`. */
export function readU32(bytes: Uint8Array, offset: number): number {
  return ((bytes[offset]! << 24) >>> 0) + (bytes[offset + 1]! << 16) +
    (bytes[offset + 2]! << 8) + bytes[offset + 3]!;
}

const f64 = new Float64Array(1);
const f64Bytes = new Uint8Array(f64.buffer);

/** The float64 (platform byte order: same process writes and reads it) at `offset`. */
export function readF64(bytes: Uint8Array, offset: number): number {
  for (let i = 0; i < 8; i++) f64Bytes[i] = bytes[offset + i]!;
  return f64[0]!;
}

/** Writes `value` as a float64 at `offset`. */
export function writeF64(bytes: Uint8Array, offset: number, value: number): void {
  f64[0] = value;
  bytes.set(f64Bytes, offset);
}

/** The chunks joined into one array (the one chunk itself when there is only one). */
export function coalesce(chunks: Uint8Array[]): Uint8Array {
  return chunks.length === 1 ? chunks[0]! : concatBytes(...chunks);
}

/** Hands out random bytes from a pool refilled 64 kB at a time. */
export class RandomPool {
  #pool = new Uint8Array(65_536);
  #offset = this.#pool.length;

  take(length: number): Uint8Array {
    if (this.#offset + length > this.#pool.length) {
      this.#pool = crypto.getRandomValues(new Uint8Array(this.#pool.length));
      this.#offset = 0;
    }
    const bytes = this.#pool.subarray(this.#offset, this.#offset + length);
    this.#offset += length;
    return bytes;
  }
}
