/**
 * Editing core modules in tests of the fusion rewriter: what a fuser does
 * around it, in miniature. `shiftModule` moves every index of a module up
 * by `n` and puts `n` dummy items in front of each index space (imports,
 * types, passive segments), so that the module behaves as before with its
 * indices all changed; `addInitFunction` applies active segments made
 * passive from a generated start function.
 */

import { Reader } from "../../lib/binary/reader.ts";
import { Writer } from "../../lib/binary/writer.ts";
import { readValType } from "../../lib/compile/instructions.ts";
import {
  type ActiveSegment,
  type CoreSection,
  type IndexMaps,
  rewriteSections,
  segmentInitCode,
  writeSections,
} from "../../lib/fuse/mod.ts";
import { SectionId } from "../../lib/ir.ts";

/** Where the non-custom sections go, by id: the binary format's order. */
const RANK: Record<number, number> = {
  [SectionId.Type]: 1,
  [SectionId.Import]: 2,
  [SectionId.Function]: 3,
  [SectionId.Table]: 4,
  [SectionId.Memory]: 5,
  [SectionId.Tag]: 6,
  [SectionId.Global]: 7,
  [SectionId.Export]: 8,
  [SectionId.Start]: 9,
  [SectionId.Element]: 10,
  [SectionId.DataCount]: 11,
  [SectionId.Code]: 12,
  [SectionId.Data]: 13,
};

/** A vector's count and the bytes of its entries. */
export function vectorOf(payload: Uint8Array | undefined): { count: number; entries: Uint8Array } {
  if (payload === undefined) return { count: 0, entries: new Uint8Array() };
  const r = new Reader(payload);
  const count = r.u32();
  return { count, entries: payload.subarray(r.pos) };
}

/** A vector of `count` entries, whose bytes are `parts` in order. */
export function vector(count: number, ...parts: Uint8Array[]): Uint8Array {
  const w = new Writer();
  w.u32(count);
  for (const p of parts) w.bytes(p);
  return w.finish();
}

/** The payload of the section `id`, if there is one. */
export function payloadOf(sections: readonly CoreSection[], id: number): Uint8Array | undefined {
  return sections.find((s) => s.id === id)?.payload;
}

/** Replaces (or adds, in its place) section `id` with `payload`. */
export function putSection(sections: CoreSection[], id: number, payload: Uint8Array): void {
  const section: CoreSection = { id, payload, offset: -1 };
  const at = sections.findIndex((s) => s.id === id);
  if (at >= 0) {
    sections[at] = section;
    return;
  }
  const after = sections.findIndex((s) => s.id !== SectionId.Custom && RANK[s.id] > RANK[id]);
  sections.splice(after < 0 ? sections.length : after, 0, section);
}

/** Prepends `count` entries (`entries`) to the vector of section `id`, adding the section if need be. */
function prepend(sections: CoreSection[], id: number, count: number, entries: Uint8Array): void {
  const old = vectorOf(payloadOf(sections, id));
  putSection(sections, id, vector(old.count + count, entries, old.entries));
}

/** Appends one entry to the vector of section `id`, adding the section if need be; returns its index in it. */
function append(sections: CoreSection[], id: number, entry: Uint8Array): number {
  const old = vectorOf(payloadOf(sections, id));
  putSection(sections, id, vector(old.count + 1, old.entries, entry));
  return old.count;
}

/** How many imports of kind `kind` (0 func … 4 tag) the import section holds. */
export function importCount(sections: readonly CoreSection[], kind: number): number {
  const payload = payloadOf(sections, SectionId.Import);
  if (payload === undefined) return 0;
  const r = new Reader(payload);
  let found = 0;
  const n = r.u32();
  for (let i = 0; i < n; i++) {
    r.skip(r.u32());
    r.skip(r.u32());
    const k = r.u8();
    if (k === kind) found++;
    if (k === 0) r.u32();
    else if (k === 1 || k === 2) {
      if (k === 1) readValType(r);
      const flags = r.u8();
      r.skipS64();
      if (flags & 1) r.skipS64();
    } else if (k === 3) {
      readValType(r);
      r.u8();
    } else {
      r.u8();
      r.u32();
    }
  }
  return found;
}

/** Where the dummy imports come from: a module name, and a field per kind (no tags if `tag` is left out). */
export interface Dummies {
  module: string;
  func: string;
  table: string;
  memory: string;
  global: string;
  tag?: string;
}

/** Dummies a test provides itself: see {@linkcode dummyImports}. */
export const DUMMIES: Dummies = {
  module: "dummy",
  func: "f",
  table: "t",
  memory: "m",
  global: "g",
  tag: "e",
};

/** `WebAssembly.Tag`, which Deno's types leave out. */
const Tag = (WebAssembly as unknown as {
  Tag: new (type: { parameters: string[] }) => WebAssembly.ImportValue;
}).Tag;

/** The import object for {@linkcode DUMMIES}. */
export function dummyImports(): WebAssembly.Imports {
  return {
    dummy: {
      f: () => {},
      t: new WebAssembly.Table({ element: "anyfunc", initial: 0 }),
      m: new WebAssembly.Memory({ initial: 0 }),
      g: new WebAssembly.Global({ value: "i32" }, 0),
      e: new Tag({ parameters: [] }),
    },
  };
}

function name(text: string): Uint8Array {
  const w = new Writer();
  w.name(text);
  return w.finish();
}

/** What {@linkcode shiftModule} made: the module, the maps it used, and the segments made passive. */
export interface Shifted {
  bytes: Uint8Array;
  maps: IndexMaps;
  segments: readonly ActiveSegment[];
}

/**
 * Module `bytes` with every index moved up by `n`: `n` dummy types, imported
 * functions, tables, memories, globals and tags (of `dummies`), and passive
 * element and data segments, come first. With `passive`, active segments
 * become passive and a generated start function applies them.
 */
export function shiftModule(
  bytes: Uint8Array,
  n: number,
  options: { dummies?: Dummies; passive?: boolean } = {},
): Shifted {
  const dummies = options.dummies ?? DUMMIES;
  const has = (id: number) => readIds(bytes).has(id);
  const up = (i: number) => i + n;
  const maps: IndexMaps = {
    func: up,
    type: up,
    table: up,
    memory: up,
    global: up,
    tag: dummies.tag === undefined ? undefined : up,
    elem: has(SectionId.Element) ? up : undefined,
    data: has(SectionId.Data) ? up : undefined,
  };
  const rewritten = rewriteSections(bytes, maps, { passiveSegments: options.passive });
  const sections = [...rewritten.sections];
  const repeat = (entry: number[]) => new Uint8Array(Array.from({ length: n }, () => entry).flat());
  prepend(sections, SectionId.Type, n, repeat([0x60, 0, 0]));
  const imports: number[] = [];
  const kinds: [number, string | undefined, number[]][] = [
    [0, dummies.func, [0]],
    [1, dummies.table, [0x70, 0, 0]],
    [2, dummies.memory, [0, 0]],
    [3, dummies.global, [0x7f, 0]],
    [4, dummies.tag, [0, 0]],
  ];
  let count = 0;
  for (const [kind, field, desc] of kinds) {
    if (field === undefined) continue;
    for (let i = 0; i < n; i++) {
      imports.push(...name(dummies.module), ...name(field), kind, ...desc);
      count++;
    }
  }
  prepend(sections, SectionId.Import, count, new Uint8Array(imports));
  if (maps.elem !== undefined) prepend(sections, SectionId.Element, n, repeat([1, 0, 0]));
  if (maps.data !== undefined) {
    prepend(sections, SectionId.Data, n, repeat([1, 0]));
    const dataCount = payloadOf(sections, SectionId.DataCount);
    if (dataCount !== undefined) {
      putSection(sections, SectionId.DataCount, vector(new Reader(dataCount).u32() + n));
    }
  }
  if (options.passive && rewritten.segments.length > 0) {
    addInitFunction(sections, rewritten.segments);
  }
  return { bytes: writeSections(sections), maps, segments: rewritten.segments };
}

/**
 * Adds a function that applies `segments` and then calls the start
 * function (if any), and makes it the start function.
 */
export function addInitFunction(sections: CoreSection[], segments: readonly ActiveSegment[]): void {
  const type = append(sections, SectionId.Type, new Uint8Array([0x60, 0, 0]));
  const w = new Writer();
  w.u32(type);
  const local = append(sections, SectionId.Function, w.finish());
  const index = importCount(sections, 0) + local;
  const body = new Writer();
  body.u8(0); // no locals
  body.bytes(segmentInitCode(segments));
  const start = payloadOf(sections, SectionId.Start);
  if (start !== undefined) {
    body.u8(0x10); // call
    body.bytes(start);
  }
  body.u8(0x0b);
  const entry = new Writer();
  entry.sizedBytes(body.finish());
  append(sections, SectionId.Code, entry.finish());
  const startIndex = new Writer();
  startIndex.u32(index);
  putSection(sections, SectionId.Start, startIndex.finish());
}

/** The ids of the sections of core module `bytes`. */
function readIds(bytes: Uint8Array): Set<number> {
  const r = new Reader(bytes);
  r.pos = 8;
  const ids = new Set<number>();
  while (r.pos < r.end) {
    ids.add(r.u8());
    r.skip(r.u32());
  }
  return ids;
}
