/**
 * A growable byte writer for WebAssembly binaries. Integers are written as
 * canonical (shortest) LEB128, so decoding and re-encoding a canonical
 * binary gives the same bytes.
 *
 * @module
 */

const utf8 = new TextEncoder();

/**
 * Bytes an unsigned LEB128 encoding of `value` (a u32) takes.
 *
 * @example
 * ```ts
 * import { u32Size } from "./writer.ts";
 * u32Size(127); // 1
 * u32Size(128); // 2
 * ```
 */
export function u32Size(value: number): number {
  if (value < 0x80) return 1;
  if (value < 0x4000) return 2;
  if (value < 0x200000) return 3;
  if (value < 0x10000000) return 4;
  return 5;
}

/**
 * Appends bytes to a buffer that doubles as it fills.
 *
 * @example
 * ```ts
 * import { Writer } from "./writer.ts";
 * const w = new Writer();
 * const mark = w.startSized();
 * w.name("hi");
 * w.endSized(mark);
 * w.finish(); // Uint8Array [3, 2, 104, 105]
 * ```
 */
export class Writer {
  private buf: Uint8Array;
  /** Bytes written so far. */
  pos = 0;

  /** Makes a writer; `capacity` is only the initial buffer size. */
  constructor(capacity = 256) {
    this.buf = new Uint8Array(Math.max(16, capacity));
  }

  /** Makes room for `n` more bytes. */
  private reserve(n: number): void {
    const need = this.pos + n;
    if (need <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < need) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
  }

  /** One byte. */
  u8(byte: number): void {
    if (this.pos >= this.buf.length) this.reserve(1);
    this.buf[this.pos++] = byte;
  }

  /** An unsigned 32-bit integer as canonical LEB128. */
  u32(value: number): void {
    if (!(value >= 0 && value <= 0xffffffff && Number.isInteger(value))) {
      throw new RangeError(`not a u32: ${value}`);
    }
    this.reserve(5);
    const buf = this.buf;
    let p = this.pos;
    while (value >= 0x80) {
      buf[p++] = (value & 0x7f) | 0x80;
      value = Math.floor(value / 128);
    }
    buf[p++] = value;
    this.pos = p;
  }

  /** An unsigned integer below 2^53 as canonical LEB128 (memory64 limits). */
  u64(value: number): void {
    if (!(value >= 0 && Number.isSafeInteger(value))) {
      throw new RangeError(`not a u64 below 2^53: ${value}`);
    }
    this.reserve(10);
    const buf = this.buf;
    let p = this.pos;
    while (value >= 0x80) {
      buf[p++] = (value % 128) | 0x80;
      value = Math.floor(value / 128);
    }
    buf[p++] = value;
    this.pos = p;
  }

  /** A signed integer of at most 53 bits (an s32 constant, an s33 type index) as canonical LEB128. */
  signed(value: number): void {
    if (!Number.isSafeInteger(value)) throw new RangeError(`not a signed integer: ${value}`);
    for (;;) {
      const low = ((value % 128) + 128) % 128;
      value = Math.floor(value / 128);
      const sign = low & 0x40;
      if ((value === 0 && sign === 0) || (value === -1 && sign !== 0)) {
        this.u8(low);
        return;
      }
      this.u8(low | 0x80);
    }
  }

  /** Raw bytes. */
  bytes(data: Uint8Array): void {
    this.reserve(data.length);
    this.buf.set(data, this.pos);
    this.pos += data.length;
  }

  /** Raw bytes preceded by their length. */
  sizedBytes(data: Uint8Array): void {
    this.u32(data.length);
    this.bytes(data);
  }

  /** A name: its UTF-8 byte length, then the bytes. */
  name(text: string): void {
    const n = text.length;
    let ascii = true;
    for (let i = 0; i < n; i++) {
      if (text.charCodeAt(i) >= 0x80) {
        ascii = false;
        break;
      }
    }
    if (!ascii) {
      this.sizedBytes(utf8.encode(text));
      return;
    }
    this.u32(n);
    this.reserve(n);
    const buf = this.buf;
    const p = this.pos;
    for (let i = 0; i < n; i++) buf[p + i] = text.charCodeAt(i);
    this.pos = p + n;
  }

  /**
   * Starts a length-prefixed block (a section payload, a nested module):
   * returns a mark to give to {@linkcode Writer.endSized} once the block is written.
   */
  startSized(): number {
    // One byte is reserved for the length; endSized moves the block if it needs more.
    this.u8(0);
    return this.pos - 1;
  }

  /** Ends the block started at `mark`, writing its length in front of it. */
  endSized(mark: number): void {
    const start = mark + 1;
    const length = this.pos - start;
    const size = u32Size(length);
    if (size > 1) {
      this.reserve(size - 1);
      this.buf.copyWithin(mark + size, start, this.pos);
      this.pos += size - 1;
    }
    const buf = this.buf;
    let p = mark;
    let value = length;
    while (value >= 0x80) {
      buf[p++] = (value & 0x7f) | 0x80;
      value = Math.floor(value / 128);
    }
    buf[p] = value;
  }

  /** The bytes written, in a buffer of their exact size. */
  finish(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }

  /** Bytes the buffer holds before it must grow. */
  get capacity(): number {
    return this.buf.length;
  }

  /** The bytes written, as a view of the buffer: valid until the next write. */
  view(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }

  /** Starts over, keeping the buffer when it is small enough to be worth keeping. */
  reset(capacity: number, keepUpTo: number): void {
    if (this.buf.length > keepUpTo || this.buf.length < capacity) {
      this.buf = new Uint8Array(Math.max(16, capacity));
    }
    this.pos = 0;
  }
}
