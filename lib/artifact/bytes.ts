/**
 * Byte-level reading and writing for artifacts: unsigned LEB128 numbers,
 * length-prefixed UTF-8 strings and byte strings. The reader checks every
 * length against what is left and throws `ArtifactError`, never a
 * `RangeError`.
 *
 * @module
 */

import { strictUtf8 } from "../encoding.ts";
import { ArtifactError } from "../errors.ts";

const encoder = new TextEncoder();

/** A growable byte buffer. */
export class ArtifactWriter {
  #bytes = new Uint8Array(1024);
  #length = 0;

  #reserve(n: number): void {
    if (this.#length + n <= this.#bytes.length) return;
    let size = this.#bytes.length * 2;
    while (size < this.#length + n) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.#bytes.subarray(0, this.#length));
    this.#bytes = grown;
  }

  /** One byte. */
  u8(value: number): void {
    this.#reserve(1);
    this.#bytes[this.#length++] = value;
  }

  /** An unsigned LEB128 number (up to 2^53). */
  uint(value: number): void {
    this.#reserve(8);
    do {
      let byte = value % 128;
      value = Math.floor(value / 128);
      if (value > 0) byte |= 0x80;
      this.#bytes[this.#length++] = byte;
    } while (value > 0);
  }

  /** Raw bytes, no length. */
  raw(bytes: Uint8Array): void {
    this.#reserve(bytes.length);
    this.#bytes.set(bytes, this.#length);
    this.#length += bytes.length;
  }

  /** Length-prefixed bytes. */
  bytes(bytes: Uint8Array): void {
    this.uint(bytes.length);
    this.raw(bytes);
  }

  /** A length-prefixed UTF-8 string. */
  string(text: string): void {
    // Most names are short ASCII: write them without a TextEncoder call.
    if (text.length < 128) {
      let ascii = true;
      for (let i = 0; i < text.length && ascii; i++) ascii = text.charCodeAt(i) < 0x80;
      if (ascii) {
        this.#reserve(1 + text.length);
        this.#bytes[this.#length++] = text.length;
        for (let i = 0; i < text.length; i++) this.#bytes[this.#length++] = text.charCodeAt(i);
        return;
      }
    }
    this.bytes(encoder.encode(text));
  }

  /** A copy of what was written. */
  finish(): Uint8Array {
    return this.#bytes.slice(0, this.#length);
  }
}

/**
 * Whether one reader lives as long as the program. Optimized code holds a
 * reader's hidden class weakly: were the class to die with the last reader
 * (a full GC between two loads), that code would be thrown away and made
 * again on every load (measured: deserialize 2.5x slower after a full GC).
 */
let keepingShape = false;
const keptReaders: ArtifactReader[] = [];

function keepShape(): void {
  keepingShape = true;
  keptReaders.push(new ArtifactReader(new Uint8Array(0), 0, 0, ""));
}

/** Reads what {@linkcode ArtifactWriter} wrote, checking bounds. */
export class ArtifactReader {
  readonly #bytes: Uint8Array;
  #pos: number;
  readonly #end: number;
  readonly #source: string | undefined;

  /** Reads `bytes[start, end)`; `source` names the artifact in errors. */
  constructor(bytes: Uint8Array, start: number, end: number, source?: string) {
    this.#bytes = bytes;
    this.#pos = start;
    this.#end = end;
    this.#source = source;
    if (!keepingShape) keepShape();
  }

  /** Whether everything was read. */
  get done(): boolean {
    return this.#pos === this.#end;
  }

  /** Throws an `ArtifactError` about the current position. */
  fail(reason: string): never {
    throw new ArtifactError(`${reason} (at byte ${this.#pos})`, { source: this.#source });
  }

  /** One byte. */
  u8(): number {
    if (this.#pos >= this.#end) {
      this.fail("truncated artifact: unexpected end of data");
    }
    return this.#bytes[this.#pos++];
  }

  /** An unsigned LEB128 number. */
  uint(): number {
    let result = 0;
    for (let scale = 1; scale < 2 ** 56; scale *= 128) {
      const byte = this.u8();
      result += (byte & 0x7f) * scale;
      if ((byte & 0x80) === 0) return result;
    }
    return this.fail("malformed number");
  }

  /** A number that must be below `limit` (an index or a count). */
  below(limit: number, what: string): number {
    const n = this.uint();
    if (n >= limit) this.fail(`${what} ${n} out of range (${limit})`);
    return n;
  }

  /** A count of entries that each take at least one byte: cannot exceed what is left. */
  count(what: string): number {
    const n = this.uint();
    if (n > this.#end - this.#pos) {
      this.fail(`${what} count ${n} exceeds the data left`);
    }
    return n;
  }

  /** Length-prefixed bytes, as a view (no copy). */
  bytes(): Uint8Array {
    const n = this.uint();
    if (n > this.#end - this.#pos) {
      this.fail("truncated artifact: byte string runs past the end");
    }
    const view = this.#bytes.subarray(this.#pos, this.#pos + n);
    this.#pos += n;
    return view;
  }

  /** A length-prefixed UTF-8 string. */
  string(): string {
    const view = this.bytes();
    // Short ASCII names without a TextDecoder call, which costs more than the name.
    if (view.length <= 32) {
      let text = "";
      for (let i = 0; i < view.length; i++) {
        if (view[i] >= 0x80) return this.#utf8(view);
        text += String.fromCharCode(view[i]);
      }
      return text;
    }
    return this.#utf8(view);
  }

  #utf8(view: Uint8Array): string {
    try {
      return strictUtf8.decode(view);
    } catch {
      return this.fail("malformed UTF-8 string");
    }
  }
}
