/**
 * A source text with a name, and the one way text errors are made: a
 * {@linkcode WatError} at `file:line:col` with the offending line.
 *
 * @module
 */

import { type TextLocation, WatError } from "../errors.ts";

/** Longest source line shown under an error. */
const MAX_EXCERPT = 160;

/**
 * A text being parsed. Turns offsets into 1-based line and column (columns
 * count UTF-16 code units, like editors do) and offsets into errors.
 *
 * @example
 * ```ts
 * import { SourceFile } from "./source.ts";
 * const file = new SourceFile("(module\n  (func))", "a.wat");
 * file.position(10); // { line: 2, column: 3 }
 * ```
 */
export class SourceFile {
  /** The whole text. */
  readonly source: string;
  /** The name shown in errors. */
  readonly filename: string;
  // Offsets where lines start; computed on first use, because most parses
  // never need a position and the script runner parses one module of a
  // large file at a time.
  #lineStarts: Uint32Array | undefined;

  /** Wraps `source`, to be reported as `filename`. */
  constructor(source: string, filename: string) {
    this.source = source;
    this.filename = filename;
  }

  #starts(): Uint32Array {
    if (this.#lineStarts !== undefined) return this.#lineStarts;
    const src = this.source;
    let count = 1;
    for (let i = src.indexOf("\n"); i !== -1; i = src.indexOf("\n", i + 1)) count++;
    const starts = new Uint32Array(count);
    let line = 1;
    for (let i = src.indexOf("\n"); i !== -1; i = src.indexOf("\n", i + 1)) starts[line++] = i + 1;
    this.#lineStarts = starts;
    return starts;
  }

  /** The 1-based line and column of `offset` (clamped to the text). */
  position(offset: number): { line: number; column: number } {
    const starts = this.#starts();
    const at = Math.max(0, Math.min(offset, this.source.length));
    const lo = lastAtMost(starts, at);
    return { line: lo + 1, column: at - starts[lo] + 1 };
  }

  /** The text of 1-based `line`, without its line break. */
  lineText(line: number): string {
    const starts = this.#starts();
    if (line < 1 || line > starts.length) return "";
    const begin = starts[line - 1];
    const end = line < starts.length ? starts[line] - 1 : this.source.length;
    const text = this.source.slice(begin, end);
    return text.endsWith("\r") ? text.slice(0, -1) : text;
  }

  /**
   * A {@linkcode WatError} at `offset`, showing the line it is on. Long
   * lines are cut after the column, and not shown at all when the column
   * itself is far to the right, so messages stay readable (generated files
   * can hold a whole module on one line).
   */
  error(offset: number, message: string): WatError {
    return new WatError(message, this.location(offset));
  }

  /** Where `offset` is: file, line, column, and the line it is on (cut short as for {@linkcode error}). */
  location(offset: number): TextLocation {
    const { line, column } = this.position(offset);
    // A lone surrogate (itself an error) must not travel on in the message.
    let excerpt: string | undefined = this.lineText(line).toWellFormed();
    if (excerpt.length > MAX_EXCERPT) {
      excerpt = column <= MAX_EXCERPT - 20 ? excerpt.slice(0, MAX_EXCERPT) + " …" : undefined;
    }
    return { file: this.filename, line, column, excerpt };
  }
}

/** Index of the last entry of ascending `sorted` that is <= `at` (0 if none). */
export function lastAtMost(sorted: ArrayLike<number>, at: number): number {
  let lo = 0;
  let hi = sorted.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (sorted[mid] <= at) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}
