/**
 * Field encoding inside a frame: big-endian integers, length-prefixed UTF-8 strings and byte
 * strings. Reading past the end or meeting invalid UTF-8 is the peer's fault: `ProtocolError`.
 */
import { ProtocolError } from "./errors.ts";

const utf8 = new TextEncoder();
const strictUtf8 = new TextDecoder("utf-8", { fatal: true });
const TWO_TO_32 = 2 ** 32;

/** Reads fields from one frame body in order. */
export class WireReader {
  readonly #bytes: Uint8Array;
  readonly #view: DataView;
  #offset: number;

  constructor(bytes: Uint8Array, offset = 0) {
    this.#bytes = bytes;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.#offset = offset;
  }

  u8(): number {
    this.#need(1);
    return this.#view.getUint8(this.#offset++);
  }

  u16(): number {
    this.#need(2);
    const value = this.#view.getUint16(this.#offset);
    this.#offset += 2;
    return value;
  }

  u32(): number {
    this.#need(4);
    const value = this.#view.getUint32(this.#offset);
    this.#offset += 4;
    return value;
  }

  /** A u64 that must fit in a JavaScript number (sequence numbers, milliseconds). */
  u64(): number {
    const high = this.u32();
    const low = this.u32();
    const value = high * TWO_TO_32 + low;
    if (!Number.isSafeInteger(value)) {
      throw new ProtocolError("bad_frame", "A 64-bit field is larger than 2^53 - 1");
    }
    return value;
  }

  /** Exactly `length` bytes, as a view into the frame. */
  fixed(length: number): Uint8Array {
    this.#need(length);
    const bytes = this.#bytes.subarray(this.#offset, this.#offset + length);
    this.#offset += length;
    return bytes;
  }

  str8(): string {
    return this.#utf8(this.u8());
  }

  str16(): string {
    return this.#utf8(this.u16());
  }

  bytes16(): Uint8Array {
    return this.fixed(this.u16());
  }

  /** Everything left in the frame, as a view. */
  rest(): Uint8Array {
    const bytes = this.#bytes.subarray(this.#offset);
    this.#offset = this.#bytes.length;
    return bytes;
  }

  /** Throws unless every byte of the frame was read: trailing bytes mean a malformed frame. */
  end(): void {
    if (this.#offset !== this.#bytes.length) {
      throw new ProtocolError(
        "bad_frame",
        `Frame has ${this.#bytes.length - this.#offset} unexpected trailing bytes`,
      );
    }
  }

  #utf8(length: number): string {
    const bytes = this.fixed(length);
    try {
      return strictUtf8.decode(bytes);
    } catch {
      throw new ProtocolError("bad_frame", "A text field is not valid UTF-8");
    }
  }

  #need(length: number): void {
    if (this.#offset + length > this.#bytes.length) {
      throw new ProtocolError("bad_frame", "Frame ends in the middle of a field");
    }
  }
}

/** Builds one frame, length prefix included. */
export class WireWriter {
  #bytes: Uint8Array;
  #view: DataView;
  #offset: number;

  constructor(type: number, sizeHint = 64) {
    this.#bytes = new Uint8Array(Math.max(sizeHint, 16));
    this.#view = new DataView(this.#bytes.buffer);
    this.#offset = 4;
    this.u8(type);
  }

  u8(value: number): this {
    this.#reserve(1);
    this.#view.setUint8(this.#offset++, value);
    return this;
  }

  u16(value: number): this {
    this.#reserve(2);
    this.#view.setUint16(this.#offset, value);
    this.#offset += 2;
    return this;
  }

  u32(value: number): this {
    this.#reserve(4);
    this.#view.setUint32(this.#offset, value);
    this.#offset += 4;
    return this;
  }

  u64(value: number): this {
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new RangeError(`Cannot encode ${value} as an unsigned 64-bit field`);
    }
    this.u32(Math.floor(value / TWO_TO_32));
    return this.u32(value % TWO_TO_32);
  }

  fixed(bytes: Uint8Array, length: number): this {
    if (bytes.length !== length) {
      throw new RangeError(`Expected ${length} bytes, got ${bytes.length}`);
    }
    return this.raw(bytes);
  }

  str8(text: string): this {
    const bytes = utf8.encode(text);
    if (bytes.length > 0xff) throw new RangeError(`Text field over 255 bytes: ${bytes.length}`);
    return this.u8(bytes.length).raw(bytes);
  }

  str16(text: string): this {
    const bytes = utf8.encode(text);
    if (bytes.length > 0xffff) throw new RangeError(`Text field over 65535 bytes`);
    return this.u16(bytes.length).raw(bytes);
  }

  bytes16(bytes: Uint8Array): this {
    if (bytes.length > 0xffff) throw new RangeError(`Byte field over 65535 bytes`);
    return this.u16(bytes.length).raw(bytes);
  }

  raw(bytes: Uint8Array): this {
    this.#reserve(bytes.length);
    this.#bytes.set(bytes, this.#offset);
    this.#offset += bytes.length;
    return this;
  }

  /** The finished frame with its length prefix filled in. */
  finish(): Uint8Array {
    this.#view.setUint32(0, this.#offset - 4);
    return this.#bytes.subarray(0, this.#offset);
  }

  #reserve(length: number): void {
    if (this.#offset + length <= this.#bytes.length) return;
    const grown = new Uint8Array(Math.max(this.#bytes.length * 2, this.#offset + length));
    grown.set(this.#bytes);
    this.#bytes = grown;
    this.#view = new DataView(grown.buffer);
  }
}
