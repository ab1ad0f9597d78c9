/**
 * Element and data segments renumbered: their table or memory, their
 * offset expressions, their functions and element expressions. Active
 * segments can also be made passive, each reported with its offset and
 * target so that a generated start function applies it (see
 * {@linkcode segmentInitCode}): a fused module holds several instances'
 * segments, and applies each instance's just before that instance starts.
 *
 * @module
 */

import { Writer } from "../binary/writer.ts";
import { readConstExpr, readValType } from "../compile/instructions.ts";
import { Opcode } from "../compile/opcodes.ts";
import type { RewriteContext } from "./context.ts";

/** An active segment made passive: what applying it at instantiation takes. */
export interface ActiveSegment {
  /** An element segment (applied with `table.init`) or a data segment (`memory.init`). */
  readonly kind: "elem" | "data";
  /** The segment's index, renumbered. */
  readonly segment: number;
  /** The table or memory it is applied to, renumbered. */
  readonly target: number;
  /** The offset: a constant expression, renumbered, with its final `end`. */
  readonly offset: Uint8Array;
  /** How many elements or bytes it holds. */
  readonly length: number;
}

/** The passive forms of segment flags: element indices or expressions, and data. */
const ELEM_PASSIVE_FUNCS = 1;
const ELEM_PASSIVE_EXPRS = 5;
const DATA_ACTIVE = 0;
const DATA_PASSIVE = 1;
const DATA_ACTIVE_EXPLICIT = 2;
/** Element flag bits: passive or declarative; an explicit table (or declarative); expressions. */
const ELEM_NOT_ACTIVE = 0x01;
const ELEM_EXPLICIT = 0x02;
const ELEM_EXPRS = 0x04;
/** The element kind `func`, and the reference type `funcref`, of segments that leave them implicit. */
const ELEM_KIND_FUNC = 0x00;
const FUNCREF = 0x70;

/**
 * Rewrites the element section's segments in place (the reader at the
 * section's vector, edits into the context's patch), and returns the
 * active segments made passive when `passive` says so.
 */
export function rewriteElements(cx: RewriteContext, passive: boolean): ActiveSegment[] {
  const r = cx.r;
  const actives: ActiveSegment[] = [];
  const n = r.count();
  for (let k = 0; k < n; k++) {
    const start = r.pos;
    const flags = r.u32();
    if (flags > 7) throw r.error(`unknown element segment flags ${flags}`, start);
    const active = (flags & ELEM_NOT_ACTIVE) === 0;
    const explicit = (flags & ELEM_EXPLICIT) !== 0;
    const exprs = (flags & ELEM_EXPRS) !== 0;
    let table = 0;
    let tableAt = start;
    if (active && explicit) {
      tableAt = r.pos;
      table = r.u32();
    }
    const offset = active ? cx.range(() => readConstExpr(r, cx.visit)) : undefined;
    // The element kind or reference type, except in the forms that leave it implicit (0 and 4).
    const type = flags & 0x03
      ? cx.range(() => (exprs ? readValType(r, cx.visit) : r.u8()))
      : undefined;
    let length = 0;
    const items = cx.range(() => {
      length = r.count();
      for (let i = 0; i < length; i++) {
        if (exprs) readConstExpr(r, cx.visit);
        else cx.readIndex("func");
      }
    });
    const end = r.pos;
    if (!active) {
      if (cx.unchanged(type!) && cx.unchanged(items)) continue;
      const w = cx.patch.edit(start);
      w.u32(flags);
      w.bytes(type!);
      w.bytes(items);
      cx.patch.resume(end);
      continue;
    }
    const to = cx.index("table", table, tableAt);
    const implicitType = exprs ? FUNCREF : ELEM_KIND_FUNC;
    if (passive) {
      actives.push({
        kind: "elem",
        segment: cx.index("elem", k, start),
        target: to,
        offset: offset!,
        length,
      });
      const w = cx.patch.edit(start);
      w.u32(exprs ? ELEM_PASSIVE_EXPRS : ELEM_PASSIVE_FUNCS);
      if (type !== undefined) w.bytes(type);
      else w.u8(implicitType);
      w.bytes(items);
      cx.patch.resume(end);
      continue;
    }
    const same = to === table && cx.unchanged(offset!) && cx.unchanged(items) &&
      (type === undefined || cx.unchanged(type));
    if (same) continue;
    // Table 0 may stay implicit; any other needs the explicit form.
    const w = cx.patch.edit(start);
    const explicitNow = explicit || to !== 0;
    w.u32((exprs ? ELEM_EXPRS : 0) | (explicitNow ? ELEM_EXPLICIT : 0));
    if (explicitNow) w.u32(to);
    w.bytes(offset!);
    if (explicitNow) {
      if (type !== undefined) w.bytes(type);
      else w.u8(implicitType);
    }
    w.bytes(items);
    cx.patch.resume(end);
  }
  return actives;
}

/**
 * Rewrites the data section's segments in place (the reader at the
 * section's vector, edits into the context's patch), and returns the
 * active segments made passive when `passive` says so.
 */
export function rewriteData(cx: RewriteContext, passive: boolean): ActiveSegment[] {
  const r = cx.r;
  const actives: ActiveSegment[] = [];
  const n = r.count();
  for (let k = 0; k < n; k++) {
    const start = r.pos;
    const flags = r.u32();
    if (flags > DATA_ACTIVE_EXPLICIT) throw r.error(`unknown data segment flags ${flags}`, start);
    let memory = 0;
    let memoryAt = start;
    if (flags === DATA_ACTIVE_EXPLICIT) {
      memoryAt = r.pos;
      memory = r.u32();
    }
    const offset = flags === DATA_PASSIVE ? undefined : cx.range(() => readConstExpr(r, cx.visit));
    const dataAt = r.pos;
    const length = r.length();
    r.skip(length);
    const end = r.pos;
    if (offset === undefined) continue;
    const to = cx.index("memory", memory, memoryAt);
    const data = r.bytes.subarray(dataAt, end);
    if (passive) {
      actives.push({
        kind: "data",
        segment: cx.index("data", k, start),
        target: to,
        offset,
        length,
      });
      const w = cx.patch.edit(start);
      w.u32(DATA_PASSIVE);
      w.bytes(data);
      cx.patch.resume(end);
      continue;
    }
    if (to === memory && cx.unchanged(offset)) continue;
    // Memory 0 may stay implicit; any other needs the explicit form.
    const w = cx.patch.edit(start);
    if (flags === DATA_ACTIVE_EXPLICIT || to !== 0) {
      w.u32(DATA_ACTIVE_EXPLICIT);
      w.u32(to);
    } else {
      w.u32(DATA_ACTIVE);
    }
    w.bytes(offset);
    w.bytes(data);
    cx.patch.resume(end);
  }
  return actives;
}

/** `0xfc` sub-opcodes of the bulk instructions that apply and drop segments. */
const MEMORY_INIT = 0x08;
const DATA_DROP = 0x09;
const TABLE_INIT = 0x0c;
const ELEM_DROP = 0x0d;
const I32_CONST = 0x41;

/**
 * The instructions that apply `segments`, in order, as instantiation
 * applies active segments: for each, its offset, then `i32.const 0`,
 * `i32.const length`, `table.init` or `memory.init`, and `elem.drop` or
 * `data.drop`. Out of bounds, it traps as instantiation would, after the
 * segments before it were applied. A module using them needs a data count
 * section when it has data segments.
 *
 * @param segments The segments, elements before data as instantiation orders them.
 * @returns The instructions, with no final `end`.
 *
 * @example
 * ```ts
 * import { segmentInitCode } from "./segments.ts";
 * segmentInitCode([{ kind: "data", segment: 0, target: 1, offset: new Uint8Array([0x41, 0x08, 0x0b]), length: 2 }]);
 * // i32.const 8, i32.const 0, i32.const 2, memory.init 0 1, data.drop 0
 * ```
 */
export function segmentInitCode(segments: readonly ActiveSegment[]): Uint8Array {
  const w = new Writer();
  for (const s of segments) {
    if (s.offset.at(-1) !== Opcode.End) throw new RangeError("a segment offset must end with end");
    w.bytes(s.offset.subarray(0, -1));
    w.u8(I32_CONST);
    w.u8(0);
    w.u8(I32_CONST);
    w.signed(s.length | 0);
    w.u8(Opcode.PrefixMisc);
    if (s.kind === "elem") {
      w.u32(TABLE_INIT);
      w.u32(s.segment);
      w.u32(s.target);
      w.u8(Opcode.PrefixMisc);
      w.u32(ELEM_DROP);
    } else {
      w.u32(MEMORY_INIT);
      w.u32(s.segment);
      w.u32(s.target);
      w.u8(Opcode.PrefixMisc);
      w.u32(DATA_DROP);
    }
    w.u32(s.segment);
  }
  return w.finish();
}
