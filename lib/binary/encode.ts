/**
 * Encodes the IR as a module-linking binary: the inverse of `decode`.
 *
 * Sections are written in the order of `module.sections`, every integer as
 * canonical LEB128, raw sections and constant expressions byte for byte, so
 * `encode(decode(bytes))` reproduces any binary whose integers are canonical.
 * Offsets in the IR are ignored. The encoder trusts the IR: it does not
 * validate it.
 *
 * @module
 */

import {
  type Alias,
  type ExportTypeDecl,
  type Import,
  type ImportDesc,
  type InstanceDef,
  Kind,
  type Limits,
  type MemoryType,
  type ModuleIR,
  type Section,
  type TableType,
  type TypeDef,
  unreachable,
  type ValType,
} from "../ir.ts";
import { Writer } from "./writer.ts";

/**
 * Encodes `module` (and its nested modules) as a binary.
 *
 * @example
 * ```ts
 * import { encode } from "./encode.ts";
 * encode({ sections: [{ id: 8, func: 0 }] });
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

/** A first guess at the size, so that big raw sections do not make the buffer regrow. */
function estimate(module: ModuleIR): number {
  let size = 64;
  for (const s of module.sections) {
    if (s.id === 0 || (s.id >= 9 && s.id <= 12)) size += (s as { data: Uint8Array }).data.length;
    else if (s.id === 14) { for (const m of s.modules) size += estimate(m); }
    size += 16;
  }
  return size;
}

const HEADER = new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);

function writeModule(w: Writer, module: ModuleIR): void {
  w.bytes(HEADER);
  for (const section of module.sections) {
    w.u8(section.id);
    if (section.id >= 9 && section.id <= 12) {
      // Raw payloads have a known size: no need to move them afterwards.
      w.sizedBytes((section as { data: Uint8Array }).data);
      continue;
    }
    const mark = w.startSized();
    writePayload(w, section);
    w.endSized(mark);
  }
}

function writePayload(w: Writer, s: Section): void {
  switch (s.id) {
    case 0:
      w.name(s.name);
      w.bytes(s.data);
      return;
    case 1:
      w.u32(s.types.length);
      for (const t of s.types) writeTypeDef(w, t);
      return;
    case 2:
      w.u32(s.imports.length);
      for (const imp of s.imports) writeImport(w, imp);
      return;
    case 3:
      w.u32(s.funcs.length);
      for (const f of s.funcs) w.u32(f);
      return;
    case 4:
      w.u32(s.tables.length);
      for (const t of s.tables) writeTableType(w, t);
      return;
    case 5:
      w.u32(s.memories.length);
      for (const m of s.memories) writeMemoryType(w, m);
      return;
    case 6:
      w.u32(s.globals.length);
      for (const g of s.globals) {
        w.u8(g.type.type);
        w.u8(g.type.mutable ? 1 : 0);
        w.bytes(g.init);
      }
      return;
    case 7:
      w.u32(s.exports.length);
      for (const e of s.exports) {
        w.name(e.name);
        w.u8(e.kind);
        w.u32(e.index);
      }
      return;
    case 8:
      w.u32(s.func);
      return;
    case 14:
      w.u32(s.modules.length);
      for (const m of s.modules) {
        const mark = w.startSized();
        writeModule(w, m);
        w.endSized(mark);
      }
      return;
    case 15:
      w.u32(s.instances.length);
      for (const i of s.instances) writeInstance(w, i);
      return;
    case 16:
      w.u32(s.aliases.length);
      for (const a of s.aliases) writeAlias(w, a);
      return;
    default:
      // Raw sections are written by writeModule.
      throw new TypeError(`cannot encode section id ${(s as Section).id}`);
  }
}

function writeTypeDef(w: Writer, t: TypeDef): void {
  switch (t.form) {
    case "func":
      w.u8(0x60);
      writeValTypes(w, t.params);
      writeValTypes(w, t.results);
      return;
    case "module":
      w.u8(0x61);
      w.u32(t.imports.length);
      for (const imp of t.imports) writeImport(w, imp);
      writeExportTypes(w, t.exports);
      return;
    case "instance":
      w.u8(0x62);
      writeExportTypes(w, t.exports);
      return;
  }
}

function writeValTypes(w: Writer, types: ValType[]): void {
  w.u32(types.length);
  for (const t of types) w.u8(t);
}

function writeExportTypes(w: Writer, exports: ExportTypeDecl[]): void {
  w.u32(exports.length);
  for (const e of exports) {
    w.name(e.name);
    writeImportDesc(w, e.desc);
  }
}

function writeImport(w: Writer, imp: Import): void {
  w.name(imp.module);
  if (imp.field === null) {
    // A single-level import: empty field name, then the 0xff marker.
    w.u8(0);
    w.u8(0xff);
  } else {
    w.name(imp.field);
  }
  writeImportDesc(w, imp.desc);
}

function writeImportDesc(w: Writer, d: ImportDesc): void {
  w.u8(d.kind);
  switch (d.kind) {
    case 1:
      writeTableType(w, d.type);
      return;
    case 2:
      writeMemoryType(w, d.type);
      return;
    case 3:
      w.u8(d.type.type);
      w.u8(d.type.mutable ? 1 : 0);
      return;
    default:
      w.u32(d.type);
  }
}

function writeTableType(w: Writer, t: TableType): void {
  w.u8(t.elem);
  writeLimits(w, t.limits, 0, false);
}

function writeMemoryType(w: Writer, m: MemoryType): void {
  const flags = (m.shared ? 2 : 0) | (m.memory64 ? 4 : 0);
  writeLimits(w, m.limits, flags, m.memory64);
}

function writeLimits(w: Writer, limits: Limits, flags: number, wide: boolean): void {
  // `max: undefined` (as builders write it) means no maximum.
  const max = limits.max;
  w.u8(flags | (max !== undefined ? 1 : 0));
  if (wide) {
    w.u64(limits.min);
    if (max !== undefined) w.u64(max);
  } else {
    w.u32(limits.min);
    if (max !== undefined) w.u32(max);
  }
}

function writeInstance(w: Writer, i: InstanceDef): void {
  w.u8(0);
  w.u32(i.module);
  w.u32(i.args.length);
  for (const a of i.args) {
    w.name(a.name);
    w.u8(a.kind);
    w.u32(a.index);
  }
}

function writeAlias(w: Writer, a: Alias): void {
  switch (a.form) {
    case "instanceExport":
      w.u8(0);
      w.u32(a.instance);
      w.u8(a.kind);
      w.name(a.name);
      return;
    case "outerModule":
    case "outerType":
      w.u8(1);
      w.u32(a.depth);
      w.u8(a.form === "outerModule" ? Kind.Module : Kind.Type);
      w.u32(a.index);
      return;
    default:
      unreachable(a, "alias");
  }
}
