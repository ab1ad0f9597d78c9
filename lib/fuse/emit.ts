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
import { Writer } from "../binary/writer.ts";
import { type CoreKind, type Import, Kind, SectionId } from "../ir.ts";
import type { TypeTables } from "../types.ts";
import type { Layout } from "./layout.ts";
import type { PlanNode } from "./plan.ts";
import { rewriteSections } from "./rewrite.ts";
import { type CoreSection, readSections, writeSections } from "./sections.ts";
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
  const entries = new Map<number, Uint8Array[]>(MERGED.map((id) => [id, []]));
  // How many function bodies come before each instance's.
  const bodiesBefore: number[] = [];
  let bodies = 0;
  const start = new Writer();
  const names = new Map<number, string>();
  const declared: number[] = [];
  for (const node of nodes) {
    bodiesBefore.push(bodies);
    const info = node.info;
    if (info === null) continue;
    bodies += info.defined[Kind.Func];
    const { sections, segments } = rewriteSections(
      node.core!,
      layout.mapsOf(node),
      { passiveSegments: true },
    );
    for (const s of sections) {
      if (!REPLACED.has(s.id)) entries.get(s.id)!.push(s.payload);
    }
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
  entries.get(SectionId.Type)!.push(head.types);
  entries.get(SectionId.Import)!.push(head.imports);
  const startBody = start.finish();
  if (startBody.length > 0) {
    const startIndex = layout.importCount(Kind.Func) + layout.defined[Kind.Func];
    entries.get(SectionId.Type)!.push(vector([new Uint8Array([FUNC_TYPE, 0, 0])]));
    entries.get(SectionId.Function)!.push(vector([leb(head.typeCount)]));
    entries.get(SectionId.Code)!.push(vector([functionBody(startBody)]));
    entries.get(SectionId.Start)!.push(leb(startIndex));
    names.set(startIndex, "fused start");
  }
  entries.get(SectionId.Export)!.push(exportSection(exports));
  if (declared.length > 0) entries.get(SectionId.Element)!.push(declarative(declared));
  if (layout.datas > 0) entries.get(SectionId.DataCount)!.push(leb(layout.datas));
  const sections: CoreSection[] = [];
  for (const id of MERGED) {
    const payloads = entries.get(id)!;
    if (payloads.length === 0) continue;
    const payload = id === SectionId.Start || id === SectionId.DataCount
      ? payloads[0]
      : mergeVectors(payloads);
    sections.push({ id, payload, offset: -1 });
  }
  if (names.size > 0) sections.push(nameSection(names));
  const bytes = writeSections(sections);
  return { bytes, code: codeStarts(bytes, bodiesBefore) };
}

/** The byte offset in `bytes` of function body `n` for each `n` of `bodiesBefore` (or the section's end). */
function codeStarts(bytes: Uint8Array, bodiesBefore: readonly number[]): number[] {
  const code = readSections(bytes).find((s) => s.id === SectionId.Code);
  if (code === undefined) return bodiesBefore.map(() => 0);
  const r = new Reader(bytes);
  r.pos = code.offset;
  const count = r.count();
  const starts: number[] = [];
  for (let i = 0; i < count; i++) {
    starts.push(r.pos);
    r.skip(r.length());
  }
  starts.push(r.pos);
  return bodiesBefore.map((n) => starts[Math.min(n, count)]);
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

/** A vector section payload of `items`, each already encoded. */
function vector(items: readonly Uint8Array[]): Uint8Array {
  const w = new Writer();
  w.u32(items.length);
  for (const item of items) w.bytes(item);
  return w.finish();
}

/** Vector payloads joined: one count, every entry. */
function mergeVectors(payloads: readonly Uint8Array[]): Uint8Array {
  let count = 0;
  const bodies: Uint8Array[] = [];
  for (const p of payloads) {
    const r = new Reader(p);
    count += r.count();
    bodies.push(p.subarray(r.pos));
  }
  const w = new Writer();
  w.u32(count);
  for (const b of bodies) w.bytes(b);
  return w.finish();
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
