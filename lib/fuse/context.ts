/**
 * The state a rewrite shares across sections: the reader over the module,
 * the index maps, and the patch that edits go into. Its visitor is told of
 * every index the instruction reader (`lib/compile/instructions.ts`) finds,
 * and re-encodes the ones that move.
 *
 * @module
 */

import { Reader } from "../binary/reader.ts";
import { Writer } from "../binary/writer.ts";
import type { IndexForm, IndexVisitor } from "../compile/instructions.ts";
import type { IndexSpace } from "../compile/opcodes.ts";
import { unreachable } from "../ir.ts";
import { type Remap, SPACE_WORDS } from "./maps.ts";
import { Patch } from "./patch.ts";

/**
 * A rewrite in progress over one core module's bytes. Offsets are the
 * module's: errors point into it.
 *
 * @example
 * ```ts
 * import { readInstruction } from "../compile/instructions.ts";
 * import { RewriteContext } from "./context.ts";
 * import { Remap } from "./maps.ts";
 * const bytes = new Uint8Array([0x10, 0x01, 0x0b]); // call 1, end
 * const cx = new RewriteContext(bytes, new Remap({ func: (i) => i + 200 }));
 * cx.range(() => {
 *   readInstruction(cx.r, cx.visit);
 *   readInstruction(cx.r, cx.visit);
 * }); // Uint8Array [0x10, 0xc9, 0x01, 0x0b]: call 201
 * ```
 */
export class RewriteContext {
  /** The reader over the module. */
  readonly r: Reader;
  /** The index maps. */
  readonly remap: Remap;
  /** Where edits go: the range being rewritten. */
  patch: Patch;
  #depth = 0;

  /** A rewrite of `bytes` with `remap`. */
  constructor(bytes: Uint8Array, remap: Remap) {
    this.r = new Reader(bytes);
    this.remap = remap;
    this.patch = new Patch(bytes, 0);
  }

  /**
   * Where index `index` of `space`, read at `at`, goes.
   *
   * @throws {CompileError} when the map does not cover it.
   */
  index(space: IndexSpace, index: number, at: number): number {
    const to = this.remap.of(space, index);
    if (to === undefined) throw this.r.error(`unknown ${SPACE_WORDS[space]} ${index}`, at);
    return to;
  }

  /** Reads a u32 index of `space` and re-encodes it if it moves. */
  readIndex(space: IndexSpace): number {
    const start = this.r.pos;
    const value = this.r.u32();
    this.visit(space, value, start, this.r.pos, "u32", 0);
    return value;
  }

  /** The visitor to give the instruction reader: re-encodes each index that moves. */
  readonly visit: IndexVisitor = (space, value, start, end, form, align) => {
    const to = this.index(space, value, start);
    if (to === value) return;
    const w = this.patch.edit(start);
    encodeIndex(w, to, form, align);
    this.patch.resume(end);
  };

  /**
   * Rewrites the bytes that `read` reads from the reader's position, into a
   * patch of their own, and returns them: a view of the input when no index
   * in them moved.
   */
  range(read: () => void): Uint8Array {
    const patch = this.#within(read);
    return patch.finish(this.r.pos);
  }

  /**
   * As {@linkcode RewriteContext.range}, but rewritten bytes are a view
   * that the next range as deep overwrites: for a caller that copies them
   * into the enclosing range at once (a function body, a name section).
   */
  transientRange(read: () => void): Uint8Array {
    const patch = this.#within(read);
    return patch.finishView(this.r.pos);
  }

  #within(read: () => void): Patch {
    const outer = this.patch;
    const depth = this.#depth;
    const scratch = scratchAt(depth);
    const patch = new Patch(this.r.bytes, this.r.pos, scratch);
    this.patch = patch;
    this.#depth = depth + 1;
    try {
      read();
    } finally {
      this.patch = outer;
      this.#depth = depth;
    }
    return patch;
  }

  /** Whether `bytes`, returned by {@linkcode RewriteContext.range}, are the input's own. */
  unchanged(bytes: Uint8Array): boolean {
    return bytes.buffer === this.r.bytes.buffer;
  }
}

/**
 * Writers lent to the ranges being rewritten, one per depth of nesting,
 * shared by every rewrite: a rewrite runs to its end without yielding, and
 * what it returns is copied out of them.
 */
const scratchWriters: Writer[] = [];
/** A scratch writer grown past this is dropped once it is lent again. */
const SCRATCH_KEPT = 1 << 16;

function scratchAt(depth: number): Writer {
  const w = scratchWriters[depth] ??= new Writer(1024);
  w.reset(1024, SCRATCH_KEPT);
  return w;
}

/** Writes index `to` in form `form`; a memarg keeps its alignment `align`. */
function encodeIndex(w: Writer, to: number, form: IndexForm, align: number): void {
  switch (form) {
    case "u32":
      w.u32(to);
      return;
    case "s33":
      w.signed(to);
      return;
    case "memArg": {
      // Memory 0 takes the plain form; any other, bit 6 and the index.
      const plain = align & 0x40 ? align - 0x40 : align;
      if (to === 0) {
        w.u32(plain);
      } else {
        w.u32(plain + 0x40);
        w.u32(to);
      }
      return;
    }
    default:
      unreachable(form, "index form");
  }
}
