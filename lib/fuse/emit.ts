/**
 * Writes the fused core module: each instance's core module rewritten
 * into the fused index spaces (`rewrite.ts`), its sections' entries
 * concatenated, the host imports in front, the exports the fused module
 * needs, and a generated start function that does what instantiating each
 * instance in turn would: apply its element segments, then its data
 * segments (dropping each), then call its start function.
 *
 * @module
 */

import { encode } from "../binary/encode.ts";
import { Reader } from "../binary/reader.ts";
import { u32Size, Writer } from "../binary/writer.ts";
import { WASM_HEADER } from "../encoding.ts";
import { type CoreKind, type Import, Kind, SectionId } from "../ir.ts";
import type { TypeTables } from "../types.ts";
import type { Layout } from "./layout.ts";
import type { PlanNode } from "./plan.ts";
import { streamSections } from "./rewrite.ts";
import { type CoreSection, readSections } from "./sections.ts";
import { segmentInitCode } from "./segments.ts";

/** An export of the fused core: a name for item `index` (fused) of `kind`. */
export interface CoreExport {
  readonly name: string;
  readonly kind: CoreKind;
  readonly index: number;
}

/** Sections whose entries are concatenated, in the order a core module has them. */
const MERGED = [
  SectionId.Type,
  SectionId.Import,
  SectionId.Function,
  SectionId.Table,
  SectionId.Memory,
  SectionId.Tag,
  SectionId.Global,
  SectionId.Export,
  SectionId.Start,
  SectionId.Element,
  SectionId.DataCount,
  SectionId.Code,
  SectionId.Data,
] as const;

/** Sections of an instance's core module that the fused one makes afresh. */
const REPLACED: ReadonlySet<number> = new Set([
  SectionId.Import,
  SectionId.Export,
  SectionId.Start,
  SectionId.DataCount,
  SectionId.Custom,
]);

const CALL = 0x10;
const END = 0x0b;
const FUNC_TYPE = 0x60;
/** Element segment flags 3: declarative, with function indices. */
const DECLARATIVE_FUNCS = 3;

/**
 * The fused core module of `nodes`, laid out by `layout` (sealed),
 * exporting `exports`; `types` are the blob's, for the host imports' types.
 *
 * @throws {CompileError} when an instance's core module cannot be rewritten.
 */
export function emitFusedCore(
  nodes: readonly PlanNode[],
  layout: Layout,
  exports: readonly CoreExport[],
  types: TypeTables,
): { bytes: Uint8Array; code: number[] } {
  const arena = new SectionArena();
  // How many code ranges (one per instance with code) come before each instance's.
  const codeRangesBefore: number[] = [];
  const start = new Writer();
  const names = new Map<number, string>();
  const declared: number[] = [];
  const keep = (section: CoreSection) => {
    if (!REPLACED.has(section.id)) arena.addVector(section.id, section.payload);
  };
  try {
    for (const node of nodes) {
      codeRangesBefore.push(arena.rangeCount(SectionId.Code));
      const info = node.info;
      if (info === null) continue;
      const { segments } = streamSections(
        node.core!,
        layout.mapsOf(node),
        { passiveSegments: true },
        keep,
      );
      start.bytes(segmentInitCode(segments));
      if (info.start !== undefined) {
        start.u8(CALL);
        start.u32(layout.indexOf(node, Kind.Func, info.start));
      }
      for (const [index, name] of info.funcNames) {
        if (index < info.imported[Kind.Func]) continue;
        const to = layout.indexOf(node, Kind.Func, index);
        names.set(to, name);
      }
      // Exports declared functions for ref.func; the fused core keeps few of them.
      for (const e of info.exports.values()) {
        if (e.kind === Kind.Func) declared.push(layout.indexOf(node, Kind.Func, e.index));
      }
    }
    const head = importsAndTypes(layout, types);
    arena.addVector(SectionId.Type, head.types);
    arena.addVector(SectionId.Import, head.imports);
    const startBody = start.finish();
    if (startBody.length > 0) {
      const startIndex = layout.importCount(Kind.Func) + layout.defined[Kind.Func];
      arena.addEntry(SectionId.Type, new Uint8Array([FUNC_TYPE, 0, 0]));
      arena.addEntry(SectionId.Function, leb(head.typeCount));
      arena.addEntry(SectionId.Code, functionBody(startBody));
      arena.addRaw(SectionId.Start, leb(startIndex));
      names.set(startIndex, "fused start");
    }
    arena.addVector(SectionId.Export, exportSection(exports));
    if (declared.length > 0) arena.addVector(SectionId.Element, declarative(declared));
    if (layout.datas > 0) arena.addRaw(SectionId.DataCount, leb(layout.datas));
    return arena.write(names.size > 0 ? nameSection(names) : undefined, codeRangesBefore);
  } finally {
    arena.release();
  }
}

/** A scratch arena grown past this size is let go after use rather than kept for the next. */
const ARENA_KEPT = 1 << 20;
/** The arena between two fusions (a fusion runs to its end without yielding). */
let sharedArena: Writer | undefined;

/**
 * The entries of the fused module's sections, gathered in one scratch
 * buffer as they come (instance by instance), then written out in section
 * order: each section's count, then its entries' byte ranges. Nothing is
 * allocated per instance or per section.
 */
class SectionArena {
  readonly #w: Writer;
  /** By section id: the `[start, end)` pairs of its ranges in the arena. */
  readonly #ranges = new Map<number, number[]>(MERGED.map((id) => [id, []]));
  /** By section id: how many vector entries its ranges hold. */
  readonly #counts = new Map<number, number>(MERGED.map((id) => [id, 0]));

  constructor() {
    this.#w = sharedArena ?? new Writer(1 << 14);
    sharedArena = undefined; // lent out until released
    this.#w.pos = 0;
  }

  /** Gives the scratch buffer back for the next fusion, unless it grew too large to keep. */
  release(): void {
    if (this.#w.capacity <= ARENA_KEPT) sharedArena = this.#w;
  }

  /** How many ranges section `id` has so far. */
  rangeCount(id: number): number {
    return this.#ranges.get(id)!.length / 2;
  }

  /** The entries of vector payload `payload` (its count, then entries), appended to section `id`. */
  addVector(id: number, payload: Uint8Array): void {
    const r = new Reader(payload);
    const count = r.count();
    this.#counts.set(id, this.#counts.get(id)! + count);
    this.#add(id, payload, r.pos);
  }

  /** One vector entry, already encoded, appended to section `id`. */
  addEntry(id: number, entry: Uint8Array): void {
    this.#counts.set(id, this.#counts.get(id)! + 1);
    this.#add(id, entry, 0);
  }

  /** The whole payload of a section that is no vector (start, data count). */
  addRaw(id: number, payload: Uint8Array): void {
    this.#add(id, payload, 0);
  }

  #add(id: number, bytes: Uint8Array, from: number): void {
    const w = this.#w;
    const start = w.pos;
    w.bytes(from === 0 ? bytes : bytes.subarray(from));
    this.#ranges.get(id)!.push(start, w.pos);
  }

  /**
   * The module: its sections in order, then `custom`; and, for each `n` of
   * `codeRangesBefore`, the byte offset of code range `n` (the code
   * section's end past the last; 0 without code).
   */
  write(
    custom: CoreSection | undefined,
    codeRangesBefore: readonly number[],
  ): { bytes: Uint8Array; code: number[] } {
    const arena = this.#w.view();
    const sizes = new Map<number, number>();
    let total = WASM_HEADER.length;
    for (const id of MERGED) {
      const ranges = this.#ranges.get(id)!;
      if (ranges.length === 0) continue;
      let size = isVector(id) ? u32Size(this.#counts.get(id)!) : 0;
      for (let k = 0; k < ranges.length; k += 2) size += ranges[k + 1] - ranges[k];
      sizes.set(id, size);
      total += 1 + u32Size(size) + size;
    }
    if (custom !== undefined) total += 1 + u32Size(custom.payload.length) + custom.payload.length;
    const w = new Writer(total);
    w.bytes(new Uint8Array(WASM_HEADER));
    const codeStarts: number[] = [];
    for (const id of MERGED) {
      const size = sizes.get(id);
      if (size === undefined) continue;
      w.u8(id);
      w.u32(size);
      if (isVector(id)) w.u32(this.#counts.get(id)!);
      const ranges = this.#ranges.get(id)!;
      for (let k = 0; k < ranges.length; k += 2) {
        if (id === SectionId.Code) codeStarts.push(w.pos);
        w.bytes(arena.subarray(ranges[k], ranges[k + 1]));
      }
      if (id === SectionId.Code) codeStarts.push(w.pos);
    }
    if (custom !== undefined) {
      w.u8(custom.id);
      w.sizedBytes(custom.payload);
    }
    const code = codeRangesBefore.map((n) => (codeStarts.length === 0 ? 0 : codeStarts[n]));
    return { bytes: w.finish(), code };
  }
}

/** Whether section `id` is a vector of entries: all merged sections but start and data count. */
function isVector(id: number): boolean {
  return id !== SectionId.Start && id !== SectionId.DataCount;
}

/**
 * The type section entries for the host imports' function and tag types
 * (after every instance's types), and the import section: `"" "0"`, `"" "1"`, …
 */
function importsAndTypes(
  layout: Layout,
  types: TypeTables,
): { types: Uint8Array; imports: Uint8Array; typeCount: number } {
  const funcTypes: number[] = [];
  const fusedType = new Map<number, number>();
  const typeOf = (func: number) => {
    let index = fusedType.get(func);
    if (index === undefined) {
      index = layout.types + funcTypes.push(func) - 1;
      fusedType.set(func, index);
    }
    return index;
  };
  const imports: Import[] = layout.imports.map(({ sym }, i) => {
    const field = String(i);
    const t = sym.type;
    switch (t.kind) {
      case Kind.Func:
      case Kind.Tag:
        return { module: "", field, desc: { kind: t.kind, type: typeOf(t.type) } };
      case Kind.Table:
      case Kind.Memory:
      case Kind.Global:
        return { module: "", field, desc: t };
      default:
        throw new Error(`fusion: a core import of kind ${t.kind}`);
    }
  });
  const module = encode({
    sections: [
      {
        id: SectionId.Type,
        types: funcTypes.map((f) => ({
          form: "func" as const,
          params: [...types.funcs[f].params],
          results: [...types.funcs[f].results],
        })),
      },
      { id: SectionId.Import, imports },
    ],
  });
  const [typeSection, importSection] = readSections(module);
  return {
    types: typeSection.payload,
    imports: importSection.payload,
    typeCount: layout.types + funcTypes.length,
  };
}

function leb(value: number): Uint8Array {
  const w = new Writer(5);
  w.u32(value);
  return w.finish();
}

/** A code entry: no locals, `code`, `end`. */
function functionBody(code: Uint8Array): Uint8Array {
  const body = new Writer(code.length + 2);
  body.u8(0);
  body.bytes(code);
  body.u8(END);
  const w = new Writer(code.length + 8);
  w.sizedBytes(body.finish());
  return w.finish();
}

function exportSection(exports: readonly CoreExport[]): Uint8Array {
  const w = new Writer();
  w.u32(exports.length);
  for (const e of exports) {
    w.name(e.name);
    w.u8(e.kind);
    w.u32(e.index);
  }
  return w.finish();
}

/** One declarative element segment declaring `funcs`, so `ref.func` may name them. */
function declarative(funcs: readonly number[]): Uint8Array {
  const w = new Writer();
  w.u32(1);
  w.u32(DECLARATIVE_FUNCS);
  w.u8(0); // element kind: func
  const unique = [...new Set(funcs)];
  w.u32(unique.length);
  for (const f of unique) w.u32(f);
  return w.finish();
}

/** A `name` section with function names. */
function nameSection(names: ReadonlyMap<number, string>): CoreSection {
  const subsection = new Writer();
  const indices = [...names.keys()].sort((a, b) => a - b);
  subsection.u32(indices.length);
  for (const i of indices) {
    subsection.u32(i);
    subsection.name(names.get(i)!);
  }
  const w = new Writer();
  w.name("name");
  w.u8(1);
  w.sizedBytes(subsection.finish());
  return { id: SectionId.Custom, name: "name", payload: w.finish(), offset: -1 };
}
