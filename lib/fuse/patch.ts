/**
 * Copy-through editing of a byte range: bytes are copied as they are,
 * except the spans that are replaced. A range with no edit comes back as a
 * view of the input, so that rewriting with maps that change nothing gives
 * the input back byte for byte, non-canonical LEB128s included.
 *
 * @module
 */

import { Writer } from "../binary/writer.ts";

/**
 * Edits of the range of `source` that starts at `start`, in increasing
 * order of position.
 *
 * @example
 * ```ts
 * import { Patch } from "./patch.ts";
 * const source = new Uint8Array([1, 2, 3, 4]);
 * const patch = new Patch(source, 0);
 * patch.edit(1).u8(9); // replace byte 1…
 * patch.resume(2); // …up to byte 2
 * patch.finish(4); // Uint8Array [1, 9, 3, 4]
 * ```
 */
export class Patch {
  readonly #source: Uint8Array;
  readonly #start: number;
  /** Bytes before this position are written out (or replaced). */
  #copied: number;
  #out: Writer | undefined;
  /** The writer the first edit starts over, if the caller lends one. */
  readonly #scratch: Writer | undefined;

  /**
   * Starts editing `source` at `start`. Edits go into `scratch` when it is
   * given (emptied at the first edit), so that a rewrite of many ranges
   * allocates no buffer per range.
   */
  constructor(source: Uint8Array, start: number, scratch?: Writer) {
    this.#source = source;
    this.#start = start;
    this.#copied = start;
    this.#scratch = scratch;
  }

  /** Whether an edit was made. */
  get changed(): boolean {
    return this.#out !== undefined;
  }

  /**
   * Copies the bytes up to `at` and returns the writer to write what
   * replaces the bytes from `at`; {@linkcode Patch.resume} says where they end.
   */
  edit(at: number): Writer {
    const out = this.#out ??= this.#begin(at);
    out.bytes(this.#source.subarray(this.#copied, at));
    this.#copied = at;
    return out;
  }

  #begin(at: number): Writer {
    const scratch = this.#scratch;
    if (scratch === undefined) return new Writer(Math.max(64, (at - this.#start) * 2));
    scratch.pos = 0;
    return scratch;
  }

  /** Copying resumes at `at`: the bytes before it were replaced. */
  resume(at: number): void {
    this.#copied = at;
  }

  /** The edited range, up to `end`: a view of the source when nothing was edited. */
  finish(end: number): Uint8Array {
    const out = this.#copyRest(end);
    return out === undefined ? this.#source.subarray(this.#start, end) : out.finish();
  }

  /**
   * As {@linkcode Patch.finish}, but an edited range comes back as a view
   * of the writer it was written into: valid only until that writer is
   * written again, for a caller that copies it at once.
   */
  finishView(end: number): Uint8Array {
    const out = this.#copyRest(end);
    return out === undefined ? this.#source.subarray(this.#start, end) : out.view();
  }

  /** Copies the bytes up to `end` after the last edit; the writer, or none without edits. */
  #copyRest(end: number): Writer | undefined {
    const out = this.#out;
    if (out === undefined) return undefined;
    out.bytes(this.#source.subarray(this.#copied, end));
    this.#copied = end;
    return out;
  }
}
