/**
 * Builds the core-module text handed to wabt out of pieces of the original
 * source and generated pieces, remembering where each piece came from, so
 * that a position wabt reports maps back to the original file.
 *
 * @module
 */

import { lastAtMost } from "./source.ts";

/** A replacement inside copied source: `[start, end)` becomes `text`. */
export interface Edit {
  start: number;
  end: number;
  text: string;
}

/**
 * Text assembled from copied source ranges and generated strings. Joined
 * once at the end, so building it is linear in its size.
 *
 * @example
 * ```ts
 * import { MappedText } from "./coretext.ts";
 * const src = "(func $f) (export \"x\")";
 * const t = new MappedText(src);
 * t.generated("(module ", 0);
 * t.copy(0, 9);
 * t.generated(")", 9);
 * t.text(); // "(module (func $f))"
 * t.originOf(9); // 1: output offset 9 is the "f" of "func", copied from offset 1
 * ```
 */
export class MappedText {
  readonly #source: string;
  readonly #parts: string[] = [];
  // Per piece: where it starts in the output, and where it came from
  // (for generated pieces: the offset to blame).
  readonly #outStarts: number[] = [];
  readonly #origins: number[] = [];
  readonly #copied: boolean[] = [];
  #length = 0;

  /** Pieces will be copied from `source`. */
  constructor(source: string) {
    this.#source = source;
  }

  /** Appends `source[from, to)`. */
  copy(from: number, to: number): void {
    if (to <= from) return;
    this.#push(this.#source.slice(from, to), from, true);
  }

  /** Appends generated `text`; positions inside it map to `origin`. */
  generated(text: string, origin: number): void {
    if (text.length === 0) return;
    this.#push(text, origin, false);
  }

  /** Appends `source[from, to)` with `edits` (sorted, non-overlapping, inside the range) applied. */
  copyEdited(from: number, to: number, edits: readonly Edit[]): void {
    let at = from;
    for (const e of edits) {
      this.copy(at, e.start);
      this.generated(e.text, e.start);
      at = e.end;
    }
    this.copy(at, to);
  }

  #push(text: string, origin: number, copied: boolean): void {
    this.#parts.push(text);
    this.#outStarts.push(this.#length);
    this.#origins.push(origin);
    this.#copied.push(copied);
    this.#length += text.length;
  }

  /** The assembled text. */
  text(): string {
    return this.#parts.join("");
  }

  /** The original offset of output offset `at`. */
  originOf(at: number): number {
    const starts = this.#outStarts;
    if (starts.length === 0) return 0;
    const lo = lastAtMost(starts, at);
    if (!this.#copied[lo]) return this.#origins[lo];
    const within = Math.min(at - starts[lo], this.#parts[lo].length);
    return this.#origins[lo] + within;
  }
}

/**
 * The offset in `text` of 1-based `line` and 1-based `byteColumn`, the
 * column counted in UTF-8 bytes as wabt counts it.
 */
export function offsetOfLineColumn(text: string, line: number, byteColumn: number): number {
  let at = 0;
  for (let l = 1; l < line; l++) {
    const nl = text.indexOf("\n", at);
    if (nl === -1) break;
    at = nl + 1;
  }
  let bytes = byteColumn - 1;
  while (bytes > 0 && at < text.length && text.charCodeAt(at) !== 0x0a) {
    const cp = text.codePointAt(at)!;
    bytes -= cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    at += cp >= 0x10000 ? 2 : 1;
  }
  return at;
}
