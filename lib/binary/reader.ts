/**
 * A byte reader for WebAssembly binaries: bytes, LEB128 integers and names,
 * with every malformed or out-of-bounds read reported as a `CompileError`
 * that carries the offset in the outermost binary and the nested-module path.
 *
 * @module
 */

import { startsWith, strictUtf8 } from "../encoding.ts";
import { CompileError } from "../errors.ts";
import { MAX_ITEMS } from "../limits.ts";

/** ASCII names up to this long skip the (slow) `TextDecoder` call and are interned. */
const SHORT_NAME = 32;
/** Slots of the interning table; a power of two. */
const NAME_CACHE_SIZE = 1024;
const nameCache: string[] = new Array<string>(NAME_CACHE_SIZE).fill("");

/**
 * Whether one reader lives as long as the program. Optimized code that
 * reads through readers holds their hidden class weakly: were it to die
 * with the last reader, as a full GC between two compiles does, all that
 * code would be thrown away and optimized again (measured: fusing a
 * compile's modules took twice as long after a full GC).
 */
let keepingShape = false;
const keptReaders: Reader[] = [];

function keepShape(): void {
  keepingShape = true;
  keptReaders.push(new Reader(new Uint8Array(0), 0, []));
}

function sameAscii(s: string, bytes: Uint8Array, at: number): boolean {
  for (let i = 0; i < s.length; i++) {
    if (s.charCodeAt(i) !== bytes[at + i]) return false;
  }
  return true;
}

/**
 * Reads a `Uint8Array` front to back. `pos` is an index into `bytes`;
 * offsets in errors are `base + pos`, so a reader over a nested module
 * (a `subarray` of the outer binary) still reports outermost offsets.
 *
 * @example
 * ```ts
 * import { Reader } from "./reader.ts";
 * const r = new Reader(new Uint8Array([0xe5, 0x8e, 0x26]));
 * r.u32(); // 624485
 * ```
 */
export class Reader {
  /** The bytes being read. */
  readonly bytes: Uint8Array;
  /** Offset of `bytes[0]` in the outermost binary. */
  readonly base: number;
  /** Nested modules from the outermost inwards, for error messages. */
  readonly path: readonly string[];
  /** Index of the next byte to read. */
  pos = 0;
  /** Reads stop here; normally `bytes.length`, narrowed while reading a custom section's name. */
  end: number;
  /**
   * True while a section's payload is read: running out of bytes then says
   * "unexpected end of section or function", as the core spec tests expect.
   */
  inSection = false;

  /** Makes a reader over `bytes`, whose first byte is at `base` in the outermost binary. */
  constructor(bytes: Uint8Array, base = 0, path: readonly string[] = []) {
    this.bytes = bytes;
    this.base = base;
    this.path = path;
    this.end = bytes.length;
    if (!keepingShape) keepShape();
  }

  /** Offset of `bytes[at]` in the outermost binary. */
  offset(at: number = this.pos): number {
    return this.base + at;
  }

  /** A `CompileError` at `bytes[at]`, with this reader's path. */
  error(reason: string, at: number = this.pos): CompileError {
    return new CompileError(reason, { offset: this.base + at, path: this.path });
  }

  /** The error for running out of input at `at`. */
  eof(at: number = this.end): CompileError {
    return this.error(
      this.inSection ? "unexpected end of section or function" : "unexpected end",
      at,
    );
  }

  /** One byte. */
  u8(): number {
    const p = this.pos;
    if (p >= this.end) throw this.eof();
    this.pos = p + 1;
    return this.bytes[p];
  }

  /** The next byte without consuming it, or -1 at the end. */
  peek(): number {
    return this.pos < this.end ? this.bytes[this.pos] : -1;
  }

  /** Skips `n` bytes. */
  skip(n: number): void {
    if (n > this.end - this.pos) throw this.eof();
    this.pos += n;
  }

  /**
   * Whether the next bytes are `expected`; consumes them. Compares in place:
   * every nested module's header is checked, and a view per check would cost
   * an allocation each.
   */
  expect(expected: readonly number[]): boolean {
    if (expected.length > this.end - this.pos) throw this.eof();
    const matches = startsWith(this.bytes, expected, this.pos);
    this.pos += expected.length;
    return matches;
  }

  /** The next `n` bytes as a view (no copy). */
  view(n: number): Uint8Array {
    const p = this.pos;
    if (n > this.end - p) throw this.eof();
    this.pos = p + n;
    return this.bytes.subarray(p, p + n);
  }

  /** An unsigned 32-bit LEB128 integer: at most 5 bytes, unused bits of the last one zero. */
  u32(): number {
    const p = this.pos;
    if (p < this.end) {
      const b = this.bytes[p];
      if (b < 0x80) {
        this.pos = p + 1;
        return b;
      }
    }
    return this.u32Slow();
  }

  private u32Slow(): number {
    const bytes = this.bytes;
    const start = this.pos;
    let p = start;
    let result = 0;
    for (let shift = 0; shift < 28; shift += 7) {
      if (p >= this.end) throw this.eof();
      const b = bytes[p++];
      result |= (b & 0x7f) << shift;
      if (b < 0x80) {
        this.pos = p;
        return result >>> 0;
      }
    }
    if (p >= this.end) throw this.eof();
    const last = bytes[p++];
    if (last & 0x80) throw this.error("integer representation too long", start);
    if (last & 0x70) throw this.error("integer too large", start);
    this.pos = p;
    return (result | (last << 28)) >>> 0;
  }

  /**
   * An unsigned 64-bit LEB128 integer as a JS number (memory64 limits).
   * Values of 2^53 and above cannot be represented exactly and are rejected.
   */
  u64(): number {
    const bytes = this.bytes;
    const start = this.pos;
    let p = start;
    let result = 0;
    for (let shift = 0; shift < 63; shift += 7) {
      if (p >= this.end) throw this.eof();
      const b = bytes[p++];
      result += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) return this.safe(result, p, start);
    }
    if (p >= this.end) throw this.eof();
    const last = bytes[p++];
    if (last & 0x80) throw this.error("integer representation too long", start);
    if (last & 0x7e) throw this.error("integer too large", start);
    return this.safe(result + last * 2 ** 63, p, start);
  }

  private safe(value: number, p: number, start: number): number {
    if (value > Number.MAX_SAFE_INTEGER) {
      throw this.error("integer too large: 64-bit limits of 2^53 or more are not supported", start);
    }
    this.pos = p;
    return value;
  }

  /** A signed 32-bit LEB128 integer. */
  s32(): number {
    const bytes = this.bytes;
    const start = this.pos;
    let p = start;
    let result = 0;
    for (let shift = 0; shift < 28; shift += 7) {
      if (p >= this.end) throw this.eof();
      const b = bytes[p++];
      result |= (b & 0x7f) << shift;
      if (b < 0x80) {
        this.pos = p;
        // Sign-extend from the last bit read.
        const unused = 32 - shift - 7;
        return (result << unused) >> unused;
      }
    }
    if (p >= this.end) throw this.eof();
    const last = bytes[p++];
    if (last & 0x80) throw this.error("integer representation too long", start);
    // Bits 32..34 live in 0x70 and must copy the sign bit (0x08).
    const high = last & 0x78;
    if (high !== 0 && high !== 0x78) throw this.error("integer too large", start);
    this.pos = p;
    return result | (last << 28);
  }

  /** Skips a signed 64-bit LEB128 integer, checking that it is well formed. */
  skipS64(): void {
    const bytes = this.bytes;
    const start = this.pos;
    let p = start;
    for (let i = 0; i < 9; i++) {
      if (p >= this.end) throw this.eof();
      if (bytes[p++] < 0x80) {
        this.pos = p;
        return;
      }
    }
    if (p >= this.end) throw this.eof();
    const last = bytes[p++];
    if (last & 0x80) throw this.error("integer representation too long", start);
    // The 10th byte holds bit 63 in 0x01; its other bits must copy it.
    const high = last & 0x7f;
    if (high !== 0 && high !== 0x7f) throw this.error("integer too large", start);
    this.pos = p;
  }

  /**
   * The element count of a vector. A count that cannot fit in the bytes
   * that are left (every entry takes at least one byte) fails here, before
   * anything is allocated for it.
   */
  count(): number {
    const start = this.pos;
    const n = this.u32();
    // Measured from the count itself, as the reference interpreter does.
    if (n > this.end - start) throw this.error("length out of bounds", start);
    if (n > MAX_ITEMS) {
      throw this.error(`too many entries: ${n} exceeds the limit of ${MAX_ITEMS}`, start);
    }
    return n;
  }

  /** A byte length (u32) whose bytes must all be present. */
  length(): number {
    const start = this.pos;
    const n = this.u32();
    if (n > this.end - this.pos) throw this.error("length out of bounds", start);
    return n;
  }

  /** A name: u32 byte length, then valid UTF-8. */
  name(): string {
    const n = this.length();
    const bytes = this.bytes;
    const p = this.pos;
    const stop = p + n;
    this.pos = stop;
    if (n <= SHORT_NAME) {
      // Short ASCII names are interned: real modules repeat them ("env",
      // "memory", …), and a hit allocates nothing.
      let hash = n;
      let bits = 0;
      for (let i = p; i < stop; i++) {
        const b = bytes[i];
        bits |= b;
        hash = (Math.imul(hash, 31) + b) | 0;
      }
      if (bits < 0x80) {
        const slot = hash & (NAME_CACHE_SIZE - 1);
        const cached = nameCache[slot];
        if (cached.length === n && sameAscii(cached, bytes, p)) return cached;
        const s = String.fromCharCode.apply(
          null,
          bytes.subarray(p, stop) as unknown as number[],
        );
        nameCache[slot] = s;
        return s;
      }
    }
    try {
      return strictUtf8.decode(bytes.subarray(p, stop));
    } catch {
      throw this.error("malformed UTF-8 encoding", p);
    }
  }
}
