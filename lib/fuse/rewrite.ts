/**
 * Renumbers every index of a core module: the first building block of
 * fused compilation (issue 10), which compiles a closed graph of instances
 * into one core module where each instance keeps its own functions,
 * tables, memories, globals, tags and segments, so that every index in
 * each instance's code must move into the fused index spaces.
 *
 * Function bodies are read instruction by instruction through the opcode
 * table (`lib/compile/opcodes.ts`), which tags each index immediate with
 * its space; so are constant expressions. Types, imports, functions,
 * tables, tags, globals, exports, the start function, element and data
 * segments and the `name` section are renumbered too. Bytes with no index
 * that moves are copied as they are: identity maps give the input back
 * byte for byte. An index that moves is written as canonical LEB128, a
 * body whose size changes gets its new size, and a memarg whose memory
 * becomes 0 (or stops being 0) takes the plain (or multi-memory) form.
 *
 * @module
 */

import { Writer } from "../binary/writer.ts";
import { readConstExpr, readInstructions, readValType } from "../compile/instructions.ts";
import { CompileError } from "../errors.ts";
import { SectionId } from "../ir.ts";
import { RewriteContext } from "./context.ts";
import { type IndexMaps, Remap } from "./maps.ts";
import { rewriteNames } from "./names.ts";
import { type CoreSection, readSections, writeSections } from "./sections.ts";
import { type ActiveSegment, rewriteData, rewriteElements } from "./segments.ts";

/** Options of {@linkcode rewriteModule} and {@linkcode rewriteSections}. */
export interface RewriteOptions {
  /**
   * Make active element and data segments passive, and report each (see
   * `ActiveSegment`) so that a generated start function applies them with
   * `segmentInitCode`. A data count section is added when the module has
   * data segments and none.
   */
  passiveSegments?: boolean;
}

/** A module rewritten: its bytes, and the active segments made passive. */
export interface RewrittenModule {
  /** The core module with every index renumbered. */
  readonly bytes: Uint8Array;
  /**
   * The active segments that were made passive, elements first, in the
   * order instantiation would apply them; empty without `passiveSegments`.
   */
  readonly segments: readonly ActiveSegment[];
}

/** Sections rewritten: those of the module, in order, and the active segments made passive. */
export interface RewrittenSections {
  /** The sections; one whose payload did not change keeps its `raw` bytes. */
  readonly sections: readonly CoreSection[];
  /** As {@linkcode RewrittenModule.segments}. */
  readonly segments: readonly ActiveSegment[];
}

/** Kinds of imports and exports (and the space each names). */
const EXTERN_SPACES = ["func", "table", "memory", "global", "tag"] as const;

/** The first byte of a table with an initializer expression (typed function references). */
const TABLE_WITH_INIT = 0x40;

/** Type section forms: recursion groups, subtypes, and the composite types. */
const TypeForm = {
  Rec: 0x4e,
  Sub: 0x50,
  SubFinal: 0x4f,
  Func: 0x60,
  Struct: 0x5f,
  Array: 0x5e,
} as const;

/**
 * Rewrites core module `bytes` with `maps`: every function, type, table,
 * memory, global, tag, data and element index in its code, constant
 * expressions, segments, imports, exports, start and `name` section moves
 * where its map says. The module keeps its layout: to fuse modules, take
 * its sections ({@linkcode rewriteSections}) instead.
 *
 * @param bytes A core module.
 * @param maps Where the indices of each space go; a space left out keeps its own.
 * @param options Whether to make active segments passive.
 * @returns The rewritten module, and the segments made passive.
 * @throws {CompileError} when `bytes` is malformed, holds an opcode V8 does
 * not accept, or an index its map does not cover; the error names the
 * offset in `bytes`.
 * @throws {TypeError} when a map is neither an array nor a function.
 * @throws {RangeError} when a map gives something other than a u32.
 *
 * @example
 * ```ts
 * import { rewriteModule } from "./rewrite.ts";
 * // (func $f call $f): function 0 calls itself.
 * const bytes = new Uint8Array([
 *   0, 97, 115, 109, 1, 0, 0, 0, 1, 4, 1, 0x60, 0, 0, 3, 2, 1, 0, 10, 6, 1, 4, 0, 0x10, 0, 0x0b,
 * ]);
 * // As if three functions were imported in front of it: it calls function 3.
 * const { bytes: moved } = rewriteModule(bytes, { func: (i) => i + 3 });
 * moved.at(-2); // 3
 * ```
 */
export function rewriteModule(
  bytes: Uint8Array,
  maps: IndexMaps,
  options: RewriteOptions = {},
): RewrittenModule {
  const { sections, segments } = rewriteSections(bytes, maps, options);
  return { bytes: writeSections(sections), segments };
}

/**
 * The sections of core module `bytes`, each rewritten as
 * {@linkcode rewriteModule} does; a section with nothing to change keeps
 * its bytes (`raw`).
 *
 * @param bytes A core module.
 * @param maps Where the indices of each space go.
 * @param options Whether to make active segments passive.
 * @returns The sections and the segments made passive.
 * @throws {CompileError} as {@linkcode rewriteModule} does.
 *
 * @example
 * ```ts
 * import { rewriteSections } from "./rewrite.ts";
 * // (start 0)
 * const bytes = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 8, 1, 0]);
 * rewriteSections(bytes, { func: [5] }).sections[0].payload; // Uint8Array [5]
 * ```
 */
export function rewriteSections(
  bytes: Uint8Array,
  maps: IndexMaps,
  options: RewriteOptions = {},
): RewrittenSections {
  const sections: CoreSection[] = [];
  const { segments, dataCountNeeded } = streamSections(bytes, maps, options, (section) => {
    // A section rewritten comes as a view of a scratch buffer: keep a copy.
    sections.push(section.offset < 0 ? { ...section, payload: section.payload.slice() } : section);
  });
  if (dataCountNeeded > 0) {
    // memory.init and data.drop need a data count section, before the code.
    const at = sections.findIndex((s) => s.id === SectionId.Code || s.id === SectionId.Data);
    const count = new Writer(5);
    count.u32(dataCountNeeded);
    sections.splice(at, 0, { id: SectionId.DataCount, payload: count.finish(), offset: -1 });
  }
  return { sections, segments };
}

/** What {@linkcode streamSections} reports once every section went to the sink. */
export interface StreamedSections {
  /** As {@linkcode RewrittenModule.segments}. */
  readonly segments: readonly ActiveSegment[];
  /**
   * With `passiveSegments`, the number of data segments when the module
   * has some, some were active and it has no data count section (which
   * `memory.init` needs); else 0.
   */
  readonly dataCountNeeded: number;
}

/**
 * Rewrites the sections of core module `bytes` as
 * {@linkcode rewriteSections} does, handing each to `sink` as soon as it is
 * rewritten, without adding a data count section. A section that changed
 * (its `offset` is -1) has a payload that the next section overwrites:
 * `sink` copies what it keeps, and rewrites nothing itself (rewrites share
 * their scratch buffers). Fusion streams every instance's sections into
 * the fused module this way, allocating nothing per section.
 *
 * @throws {CompileError} as {@linkcode rewriteModule} does.
 *
 * @example
 * ```ts
 * import { streamSections } from "./rewrite.ts";
 * // (start 0)
 * const bytes = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 8, 1, 0]);
 * streamSections(bytes, { func: [5] }, {}, (s) => console.log(s.id, s.payload)); // 8 Uint8Array [5]
 * ```
 */
export function streamSections(
  bytes: Uint8Array,
  maps: IndexMaps,
  options: RewriteOptions,
  sink: (section: CoreSection) => void,
): StreamedSections {
  const input = readSections(bytes);
  const cx = new RewriteContext(bytes, new Remap(maps));
  const passive = options.passiveSegments === true;
  const segments: ActiveSegment[] = [];
  let dataCount = false;
  let dataSegments = 0;
  for (const section of input) {
    if (section.id === SectionId.DataCount) dataCount = true;
    if (section.id === SectionId.Data && passive && !dataCount) {
      dataSegments = segmentCount(cx, section);
    }
    const { payload, actives } = rewriteSection(cx, section, passive);
    for (const a of actives) segments.push(a);
    sink(
      cx.unchanged(payload) ? section : { id: section.id, name: section.name, payload, offset: -1 },
    );
  }
  const needed = dataSegments > 0 && segments.some((s) => s.kind === "data");
  return { segments, dataCountNeeded: needed ? dataSegments : 0 };
}

/** How many segments the data section `section` holds. */
function segmentCount(cx: RewriteContext, section: CoreSection): number {
  const r = cx.r;
  r.pos = section.offset;
  r.end = section.offset + section.payload.length;
  return r.count();
}

/** Rewrites one section's payload: a view of the input when nothing in it moved. */
function rewriteSection(
  cx: RewriteContext,
  section: CoreSection,
  passive: boolean,
): { payload: Uint8Array; actives: ActiveSegment[] } {
  const r = cx.r;
  r.pos = section.offset;
  r.end = section.offset + section.payload.length;
  r.inSection = true;
  let actives: ActiveSegment[] = [];
  const payload = cx.transientRange(() => {
    const read = SECTION_READERS.get(section.id);
    if (read !== undefined) {
      actives = read(cx, passive) ?? [];
    } else if (section.id === SectionId.Custom) {
      rewriteCustom(cx, section);
    } else {
      const header = (section.raw?.length ?? 0) - section.payload.length;
      throw r.error(`unknown section id ${section.id}`, section.offset - header);
    }
    if (r.pos !== r.end) throw r.error("section size mismatch");
  });
  r.inSection = false;
  return { payload, actives };
}

/** The `name` section is renumbered (emptied if malformed); other custom sections are kept. */
function rewriteCustom(cx: RewriteContext, section: CoreSection): void {
  const r = cx.r;
  if (section.name !== "name") {
    r.pos = r.end;
    return;
  }
  r.skip(r.length()); // the section's name
  const start = r.pos;
  let names: Uint8Array;
  try {
    names = cx.transientRange(() => rewriteNames(cx));
  } catch (e) {
    if (!(e instanceof CompileError)) throw e;
    // A malformed name section never made the module invalid; emptied, it names nothing wrongly.
    names = new Uint8Array();
  }
  r.pos = r.end;
  if (cx.unchanged(names)) return;
  cx.patch.edit(start).bytes(names);
  cx.patch.resume(r.end);
}

/** Reads one section's vector, rewriting in place; element and data sections report segments. */
type SectionReader = (cx: RewriteContext, passive: boolean) => ActiveSegment[] | void;

/** Reads `count` entries, each with `entry`. */
function vector(cx: RewriteContext, entry: (cx: RewriteContext) => void): void {
  const n = cx.r.count();
  for (let i = 0; i < n; i++) entry(cx);
}

/** Reads limits: flags, minimum, and the maximum when flag 0x01 says there is one. */
function readLimits(cx: RewriteContext): void {
  const flags = cx.r.u8();
  cx.r.skipS64();
  if (flags & 0x01) cx.r.skipS64();
}

/** A table type: its reference type, then limits. */
function readTableType(cx: RewriteContext): void {
  readValType(cx.r, cx.visit);
  readLimits(cx);
}

/** A field of a struct or array type: a storage type and its mutability. */
function readFieldType(cx: RewriteContext): void {
  readValType(cx.r, cx.visit); // packed types (i8, i16) are single bytes too
  cx.r.u8();
}

/** A composite type: a function, struct or array type. */
function readCompositeType(cx: RewriteContext, at: number, form: number): void {
  const r = cx.r;
  switch (form) {
    case TypeForm.Func:
      for (let i = 0; i < 2; i++) vector(cx, () => readValType(r, cx.visit));
      return;
    case TypeForm.Struct:
      vector(cx, readFieldType);
      return;
    case TypeForm.Array:
      readFieldType(cx);
      return;
    default:
      throw r.error(`unknown type form 0x${form.toString(16)}`, at);
  }
}

/** A subtype: its supertypes, then a composite type; or a composite type alone. */
function readSubType(cx: RewriteContext): void {
  const r = cx.r;
  const at = r.pos;
  const form = r.u8();
  if (form === TypeForm.Sub || form === TypeForm.SubFinal) {
    vector(cx, () => cx.readIndex("type"));
    const composite = r.pos;
    readCompositeType(cx, composite, r.u8());
  } else {
    readCompositeType(cx, at, form);
  }
}

/** A type section entry: a recursion group of subtypes, or one subtype. */
function readTypeEntry(cx: RewriteContext): void {
  if (cx.r.peek() === TypeForm.Rec) {
    cx.r.u8();
    vector(cx, readSubType);
  } else {
    readSubType(cx);
  }
}

/** An import: two names, then a description whose type indices move. */
function readImport(cx: RewriteContext): void {
  const r = cx.r;
  r.skip(r.length());
  r.skip(r.length());
  const at = r.pos;
  const kind = r.u8();
  switch (EXTERN_SPACES[kind]) {
    case "func":
      cx.readIndex("type");
      return;
    case "table":
      readTableType(cx);
      return;
    case "memory":
      readLimits(cx);
      return;
    case "global":
      readValType(r, cx.visit);
      r.u8(); // mutability
      return;
    case "tag":
      r.u8(); // attribute
      cx.readIndex("type");
      return;
    default:
      throw r.error(`unknown import kind ${kind}`, at);
  }
}

/** A table: its type, possibly with an initializer expression first announced by 0x40 0x00. */
function readTable(cx: RewriteContext): void {
  const r = cx.r;
  if (r.peek() !== TABLE_WITH_INIT) {
    readTableType(cx);
    return;
  }
  r.u8();
  const at = r.pos;
  if (r.u8() !== 0) throw r.error("malformed table: expected 0x00 after 0x40", at);
  readTableType(cx);
  readConstExpr(r, cx.visit);
}

/** An export: its name, kind and the index it names. */
function readExport(cx: RewriteContext): void {
  const r = cx.r;
  r.skip(r.length());
  const at = r.pos;
  const kind = r.u8();
  const space = EXTERN_SPACES[kind];
  if (space === undefined) throw r.error(`unknown export kind ${kind}`, at);
  cx.readIndex(space);
}

/** A function body: its locals, then instructions up to the end of the body. */
function readBody(cx: RewriteContext): void {
  const r = cx.r;
  const groups = r.count();
  for (let i = 0; i < groups; i++) {
    r.u32();
    readValType(r, cx.visit);
  }
  readInstructions(r, cx.visit);
}

/** A code section entry: a body whose size is written again when the body changes. */
function readCode(cx: RewriteContext): void {
  const r = cx.r;
  const start = r.pos;
  const size = r.length();
  const end = r.pos + size;
  const outer = r.end;
  r.end = end;
  const body = cx.transientRange(() => readBody(cx));
  r.end = outer;
  if (cx.unchanged(body)) return;
  const w = cx.patch.edit(start);
  w.u32(body.length);
  w.bytes(body);
  cx.patch.resume(end);
}

/** How each known non-custom section is rewritten. */
const SECTION_READERS: ReadonlyMap<number, SectionReader> = new Map<number, SectionReader>([
  [SectionId.Type, (cx) => vector(cx, readTypeEntry)],
  [SectionId.Import, (cx) => vector(cx, readImport)],
  [SectionId.Function, (cx) => vector(cx, () => cx.readIndex("type"))],
  [SectionId.Table, (cx) => vector(cx, readTable)],
  [SectionId.Memory, (cx) => vector(cx, readLimits)],
  [SectionId.Tag, (cx) =>
    vector(cx, () => {
      cx.r.u8(); // attribute
      cx.readIndex("type");
    })],
  [SectionId.Global, (cx) =>
    vector(cx, () => {
      readValType(cx.r, cx.visit);
      cx.r.u8(); // mutability
      readConstExpr(cx.r, cx.visit);
    })],
  [SectionId.Export, (cx) => vector(cx, readExport)],
  [SectionId.Start, (cx) => void cx.readIndex("func")],
  [SectionId.Element, rewriteElements],
  [SectionId.DataCount, (cx) => void cx.r.u32()],
  [SectionId.Code, (cx) => vector(cx, readCode)],
  [SectionId.Data, rewriteData],
]);
