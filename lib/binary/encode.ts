/**
 * Encodes the IR as a module-linking binary: the inverse of `decode`.
 *
 * Sections are written in the order of `module.sections`, every integer as
 * canonical LEB128, raw sections and constant expressions byte for byte, so
 * `encode(decode(bytes))` reproduces any binary whose integers are canonical.
 * Offsets in the IR are ignored. The encoder trusts the IR: it does not
 * validate it.
 *
 * Each section has one writer below, `write…Section`, and
 * {@linkcode writePayload} picks it by id.
 *
 * @module
 */

import { WASM_HEADER } from "../encoding.ts";
import {
  type Alias,
  type AliasSection,
  type CustomSection,
  type Export,
  type ExportSection,
  type ExportTypeDecl,
  type FunctionSection,
  type GlobalDef,
  type GlobalSection,
  type GlobalType,
  type Import,
  type ImportDesc,
  type ImportSection,
  type InstanceArg,
  type InstanceDef,
  type InstanceSection,
  Kind,
  type Limits,
  type MemorySection,
  type MemoryType,
  type ModuleIR,
  type ModuleSection,
  type RawSection,
  type Section,
  SectionId,
  type StartSection,
  type TableSection,
  type TableType,
  type TagSection,
  type TypeDef,
  type TypeSection,
  unreachable,
  type ValType,
} from "../ir.ts";
import {
  AliasForm,
  InstanceForm,
  LimitsFlag,
  Mutability,
  SINGLE_LEVEL_IMPORT,
  TAG_EXCEPTION,
  TypeForm,
} from "./codes.ts";
import { Writer } from "./writer.ts";

/**
 * Encodes `module` (and its nested modules) as a binary.
 *
 * @example
 * ```ts
 * import { encode } from "./encode.ts";
 * import { SectionId } from "../ir.ts";
 * encode({ sections: [{ id: SectionId.Start, func: 0 }] });
 * // Uint8Array [0, 97, 115, 109, 1, 0, 0, 0, 8, 1, 0]
 * ```
 */
export function encode(module: ModuleIR): Uint8Array {
  // One scratch buffer serves every call (encoding never re-enters itself):
  // compiling a blob encodes a core module per nested module, and a fresh
  // buffer for each cost more than the encoding.
  const w = scratch ??= new Writer(4096);
  w.reset(estimate(module), SCRATCH_LIMIT);
  writeModule(w, module);
  return w.finish();
}

const SCRATCH_LIMIT = 1 << 20;
let scratch: Writer | undefined;

/** Whether `section` is kept as its raw payload: element, code, data or data count. */
function isRawSection(section: Section): section is RawSection {
  switch (section.id) {
    case SectionId.Element:
    case SectionId.Code:
    case SectionId.Data:
    case SectionId.DataCount:
      return true;
    case SectionId.Custom:
    case SectionId.Type:
    case SectionId.Import:
    case SectionId.Function:
    case SectionId.Table:
    case SectionId.Memory:
    case SectionId.Tag:
    case SectionId.Global:
    case SectionId.Export:
    case SectionId.Start:
    case SectionId.Module:
    case SectionId.Instance:
    case SectionId.Alias:
      return false;
    default:
      return unreachable(section, "section");
  }
}

/** A first guess at the size, so that big raw sections do not make the buffer regrow. */
function estimate(module: ModuleIR): number {
  let size = 64;
  for (const s of module.sections) {
    if (s.id === SectionId.Custom || isRawSection(s)) size += s.data.length;
    else if (s.id === SectionId.Module) { for (const m of s.modules) size += estimate(m); }
    size += 16;
  }
  return size;
}

const HEADER = new Uint8Array(WASM_HEADER);

function writeModule(w: Writer, module: ModuleIR): void {
  w.bytes(HEADER);
  for (const section of module.sections) {
    w.u8(section.id);
    if (isRawSection(section)) {
      // Raw payloads have a known size: no need to move them afterwards.
      w.sizedBytes(section.data);
      continue;
    }
    const mark = w.startSized();
    writePayload(w, section);
    w.endSized(mark);
  }
}

/** Writes the payload of a structured section with that section's writer. */
function writePayload(w: Writer, s: Exclude<Section, RawSection>): void {
  switch (s.id) {
    case SectionId.Custom:
      return writeCustomSection(w, s);
    case SectionId.Type:
      return writeTypeSection(w, s);
    case SectionId.Import:
      return writeImportSection(w, s);
    case SectionId.Function:
      return writeFunctionSection(w, s);
    case SectionId.Table:
      return writeTableSection(w, s);
    case SectionId.Memory:
      return writeMemorySection(w, s);
    case SectionId.Tag:
      return writeTagSection(w, s);
    case SectionId.Global:
      return writeGlobalSection(w, s);
    case SectionId.Export:
      return writeExportSection(w, s);
    case SectionId.Start:
      return writeStartSection(w, s);
    case SectionId.Module:
      return writeModuleSection(w, s);
    case SectionId.Instance:
      return writeInstanceSection(w, s);
    case SectionId.Alias:
      return writeAliasSection(w, s);
    default:
      return unreachable(s, "section");
  }
}

/** A vector: its count, then each item written by `item`. */
function writeVector<T>(w: Writer, items: readonly T[], item: (w: Writer, value: T) => void): void {
  w.u32(items.length);
  for (const value of items) item(w, value);
}

// ---- sections ----------------------------------------------------------

function writeCustomSection(w: Writer, s: CustomSection): void {
  w.name(s.name);
  w.bytes(s.data);
}

function writeTypeSection(w: Writer, s: TypeSection): void {
  writeVector(w, s.types, writeTypeDef);
}

function writeImportSection(w: Writer, s: ImportSection): void {
  writeVector(w, s.imports, writeImport);
}

function writeFunctionSection(w: Writer, s: FunctionSection): void {
  writeVector(w, s.funcs, (w, typeIndex) => w.u32(typeIndex));
}

function writeTableSection(w: Writer, s: TableSection): void {
  writeVector(w, s.tables, writeTableType);
}

function writeMemorySection(w: Writer, s: MemorySection): void {
  writeVector(w, s.memories, writeMemoryType);
}

function writeTagSection(w: Writer, s: TagSection): void {
  writeVector(w, s.tags, writeTagType);
}

function writeGlobalSection(w: Writer, s: GlobalSection): void {
  writeVector(w, s.globals, writeGlobalDef);
}

function writeExportSection(w: Writer, s: ExportSection): void {
  writeVector(w, s.exports, writeExport);
}

function writeStartSection(w: Writer, s: StartSection): void {
  w.u32(s.func);
}

/** Nested modules, each complete with its header and preceded by its size. */
function writeModuleSection(w: Writer, s: ModuleSection): void {
  writeVector(w, s.modules, (w, module) => {
    const mark = w.startSized();
    writeModule(w, module);
    w.endSized(mark);
  });
}

function writeInstanceSection(w: Writer, s: InstanceSection): void {
  writeVector(w, s.instances, writeInstance);
}

function writeAliasSection(w: Writer, s: AliasSection): void {
  writeVector(w, s.aliases, writeAlias);
}

// ---- entries -----------------------------------------------------------

function writeTypeDef(w: Writer, t: TypeDef): void {
  switch (t.form) {
    case "func":
      w.u8(TypeForm.Func);
      writeValTypes(w, t.params);
      writeValTypes(w, t.results);
      return;
    case "module":
      w.u8(TypeForm.Module);
      writeVector(w, t.imports, writeImport);
      writeExportTypes(w, t.exports);
      return;
    case "instance":
      w.u8(TypeForm.Instance);
      writeExportTypes(w, t.exports);
      return;
    default:
      unreachable(t, "type form");
  }
}

function writeValTypes(w: Writer, types: readonly ValType[]): void {
  writeVector(w, types, (w, type) => w.u8(type));
}

function writeExportTypes(w: Writer, exports: readonly ExportTypeDecl[]): void {
  writeVector(w, exports, (w, e) => {
    w.name(e.name);
    writeImportDesc(w, e.desc);
  });
}

function writeImport(w: Writer, imp: Import): void {
  w.name(imp.module);
  if (imp.field === null) {
    // A single-level import: an empty field name, then the marker.
    w.u8(0);
    w.u8(SINGLE_LEVEL_IMPORT);
  } else {
    w.name(imp.field);
  }
  writeImportDesc(w, imp.desc);
}

function writeImportDesc(w: Writer, d: ImportDesc): void {
  w.u8(d.kind);
  switch (d.kind) {
    case Kind.Func:
    case Kind.Module:
    case Kind.Instance:
      w.u32(d.type);
      return;
    case Kind.Table:
      writeTableType(w, d.type);
      return;
    case Kind.Memory:
      writeMemoryType(w, d.type);
      return;
    case Kind.Global:
      writeGlobalType(w, d.type);
      return;
    case Kind.Tag:
      writeTagType(w, d.type);
      return;
    default:
      unreachable(d, "import descriptor");
  }
}

function writeExport(w: Writer, e: Export): void {
  w.name(e.name);
  w.u8(e.kind);
  w.u32(e.index);
}

function writeTableType(w: Writer, t: TableType): void {
  w.u8(t.elem);
  writeLimits(w, t.limits, 0, false);
}

function writeMemoryType(w: Writer, m: MemoryType): void {
  const flags = (m.shared ? LimitsFlag.Shared : 0) | (m.memory64 ? LimitsFlag.Memory64 : 0);
  writeLimits(w, m.limits, flags, m.memory64);
}

function writeLimits(w: Writer, limits: Limits, flags: number, wide: boolean): void {
  // `max: undefined` (as builders write it) means no maximum.
  const max = limits.max;
  w.u8(flags | (max !== undefined ? LimitsFlag.HasMax : 0));
  if (wide) {
    w.u64(limits.min);
    if (max !== undefined) w.u64(max);
  } else {
    w.u32(limits.min);
    if (max !== undefined) w.u32(max);
  }
}

/** A tag type: the exception attribute, then the func type index. */
function writeTagType(w: Writer, typeIndex: number): void {
  w.u8(TAG_EXCEPTION);
  w.u32(typeIndex);
}

function writeGlobalType(w: Writer, g: GlobalType): void {
  w.u8(g.type);
  w.u8(g.mutable ? Mutability.Var : Mutability.Const);
}

function writeGlobalDef(w: Writer, g: GlobalDef): void {
  writeGlobalType(w, g.type);
  w.bytes(g.init);
}

function writeInstance(w: Writer, i: InstanceDef): void {
  switch (i.form) {
    case "instantiate":
      w.u8(InstanceForm.Instantiate);
      w.u32(i.module);
      writeVector(w, i.args, writeInstanceItem);
      return;
    case "exports":
      w.u8(InstanceForm.Exports);
      writeVector(w, i.exports, writeInstanceItem);
      return;
    default:
      unreachable(i, "instance definition");
  }
}

/** An instantiate argument or an export of an instance made of items: name, kind, index. */
function writeInstanceItem(w: Writer, a: InstanceArg): void {
  w.name(a.name);
  w.u8(a.kind);
  w.u32(a.index);
}

function writeAlias(w: Writer, a: Alias): void {
  switch (a.form) {
    case "instanceExport":
      w.u8(AliasForm.InstanceExport);
      w.u32(a.instance);
      w.u8(a.kind);
      w.name(a.name);
      return;
    case "outerModule":
      writeOuterAlias(w, a.depth, Kind.Module, a.index);
      return;
    case "outerType":
      writeOuterAlias(w, a.depth, Kind.Type, a.index);
      return;
    default:
      unreachable(a, "alias");
  }
}

function writeOuterAlias(
  w: Writer,
  depth: number,
  kind: typeof Kind.Module | typeof Kind.Type,
  index: number,
): void {
  w.u8(AliasForm.Outer);
  w.u32(depth);
  w.u8(kind);
  w.u32(index);
}
