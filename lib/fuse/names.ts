/**
 * The `name` section renumbered, so that V8's stack traces and `inspect`
 * name the functions of a rewritten module: every subsection keyed by an
 * index (functions, locals and labels by function, types, tables,
 * memories, globals, segments, fields by type, tags), each map sorted
 * again by its new indices. An entry whose index the maps do not cover is
 * left out; other subsections are kept as they are.
 *
 * @module
 */

import type { IndexSpace } from "../compile/opcodes.ts";
import type { RewriteContext } from "./context.ts";

/**
 * The index space that keys each subsection of the extended name section;
 * `indirect` maps hold a name map (locals, labels, fields) per key.
 */
const SUBSECTIONS: ReadonlyMap<number, { space: IndexSpace; indirect: boolean }> = new Map([
  [1, { space: "func", indirect: false }], // function names
  [2, { space: "func", indirect: true }], // local names
  [3, { space: "func", indirect: true }], // label names
  [4, { space: "type", indirect: false }],
  [5, { space: "table", indirect: false }],
  [6, { space: "memory", indirect: false }],
  [7, { space: "global", indirect: false }],
  [8, { space: "elem", indirect: false }],
  [9, { space: "data", indirect: false }],
  [10, { space: "type", indirect: true }], // field names
  [11, { space: "tag", indirect: false }],
]);

/** One entry of a name map: its index, where it goes, and its value's bytes. */
interface NameEntry {
  readonly to: number;
  readonly value: Uint8Array;
}

/**
 * Rewrites the subsections of a `name` section in place (the reader after
 * the section's name, edits into the context's patch).
 *
 * @throws {CompileError} when the section is malformed.
 */
export function rewriteNames(cx: RewriteContext): void {
  const r = cx.r;
  while (r.pos < r.end) {
    const start = r.pos;
    const id = r.u8();
    const size = r.length();
    const end = r.pos + size;
    const keyed = SUBSECTIONS.get(id);
    if (keyed === undefined || cx.remap.keeps(keyed.space)) {
      r.skip(size);
      continue;
    }
    const outer = r.end;
    r.end = end;
    const entries = readNameMap(cx, keyed.space, keyed.indirect);
    if (r.pos !== end) throw r.error("name subsection size mismatch");
    r.end = outer;
    if (entries === undefined) continue;
    const w = cx.patch.edit(start);
    w.u8(id);
    const mark = w.startSized();
    w.u32(entries.length);
    for (const e of entries) {
      w.u32(e.to);
      w.bytes(e.value);
    }
    w.endSized(mark);
    cx.patch.resume(end);
  }
}

/**
 * Reads a name map keyed by `space`, each value a name or (`indirect`) a
 * name map; returns its entries renumbered and sorted, or `undefined` when
 * no index moved.
 */
function readNameMap(
  cx: RewriteContext,
  space: IndexSpace,
  indirect: boolean,
): NameEntry[] | undefined {
  const r = cx.r;
  const n = r.count();
  const entries: NameEntry[] = [];
  let moved = false;
  for (let i = 0; i < n; i++) {
    const from = r.u32();
    const at = r.pos;
    if (indirect) readInnerMap(cx);
    else r.skip(r.length());
    const to = cx.remap.of(space, from);
    if (to !== from) moved = true;
    if (to !== undefined) entries.push({ to, value: r.bytes.subarray(at, r.pos) });
  }
  if (!moved) return undefined;
  return entries.sort((a, b) => a.to - b.to);
}

/** Skips an inner name map (locals, labels, fields): their indices never move. */
function readInnerMap(cx: RewriteContext): void {
  const r = cx.r;
  const n = r.count();
  for (let i = 0; i < n; i++) {
    r.u32();
    r.skip(r.length());
  }
}
