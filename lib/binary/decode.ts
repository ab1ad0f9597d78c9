/**
 * Decodes a module-linking binary (or a plain core module) into the IR.
 *
 * Decoding checks the binary format only: section order, repetition and
 * every index are left to the validator. Element, code, data and data-count
 * sections are kept as views into the input, never copied.
 *
 * @module
 */

import type { CompileError } from "../errors.ts";
import {
  type Alias,
  type EntityKind,
  type Export,
  type ExportTypeDecl,
  type GlobalDef,
  type GlobalType,
  type Import,
  type ImportDesc,
  type InstanceArg,
  type InstanceDef,
  Kind,
  type MemoryType,
  type ModuleIR,
  type Section,
  type TableType,
  type TypeDef,
  type ValType,
} from "../ir.ts";
import { MAX_MODULES, MAX_NESTING_DEPTH } from "../limits.ts";
import { Reader } from "./reader.ts";

const TAGS = "tags (exception handling) are not supported";

/**
 * Decodes `bytes` into a {@linkcode ModuleIR}, nested modules included.
 * Offsets in the result and in errors are byte offsets in `bytes`.
 *
 * @throws {CompileError} when the binary is malformed.
 *
 * @example
 * ```ts
 * import { decode } from "./decode.ts";
 * const ir = decode(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]));
 * ir.sections.length; // 0
 * ```
 */
export function decode(bytes: Uint8Array): ModuleIR {
  return decodeModule(new Reader(bytes), 0, { modules: 1 });
}

/** What the whole binary has used so far of the limits that span modules. */
interface Budget {
  /** Modules decoded or started, the outermost included. */
  modules: number;
}

/**
 * An array for `n` entries. Small ones get their exact size up front (pushing
 * onto `[]` reserves room for 17); big ones grow by appending, because V8
 * makes `new Array(n)` slow for very large `n`.
 */
function alloc<T>(n: number): T[] {
  return n <= 1024 ? new Array<T>(n) : [];
}

function hex(byte: number): string {
  return "0x" + byte.toString(16).padStart(2, "0");
}

/** Decodes the module that fills all of `r`, nested `depth` modules deep. */
function decodeModule(r: Reader, depth: number, budget: Budget): ModuleIR {
  const moduleOffset = r.offset();
  const magic = r.view(4);
  if (magic[0] !== 0 || magic[1] !== 0x61 || magic[2] !== 0x73 || magic[3] !== 0x6d) {
    throw r.error("magic header not detected", 0);
  }
  const version = r.view(4);
  if (version[0] !== 1 || version[1] !== 0 || version[2] !== 0 || version[3] !== 0) {
    throw r.error("unknown binary version", 4);
  }
  // Counts the module index space, so nested modules can be named in errors.
  const state = { modules: 0 };
  const sections: Section[] = [];
  while (r.pos < r.end) {
    const start = r.pos;
    const id = r.u8();
    if (id > 16) throw r.error(`malformed section id ${id}`, start);
    if (id === 13) throw r.error(`malformed section id 13: ${TAGS}`, start);
    const size = r.length();
    const payloadEnd = r.pos + size;
    r.inSection = true;
    const section = decodeSection(r, id, payloadEnd, depth, state, budget);
    r.inSection = false;
    // Structured sections are read like the reference interpreter does, not
    // clipped at their end, so a wrong size shows up here.
    if (r.pos !== payloadEnd) throw r.error("section size mismatch", r.pos);
    section.offset = r.offset(start);
    sections.push(section);
  }
  return { sections, offset: moduleOffset };
}

function decodeSection(
  r: Reader,
  id: number,
  payloadEnd: number,
  depth: number,
  state: { modules: number },
  budget: Budget,
): Section {
  switch (id) {
    case 0: {
      // A custom section's name must fit in the section.
      const end = r.end;
      r.end = payloadEnd;
      const name = r.name();
      r.end = end;
      const data = r.bytes.subarray(r.pos, payloadEnd);
      r.pos = payloadEnd;
      return { id: 0, name, data };
    }
    case 1: {
      const n = r.count();
      const types = alloc<TypeDef>(n);
      for (let i = 0; i < n; i++) types[i] = typeDef(r);
      return { id: 1, types };
    }
    case 2: {
      const n = r.count();
      const imports = alloc<Import>(n);
      for (let i = 0; i < n; i++) {
        const imp = importEntry(r);
        if (imp.desc.kind === 5) state.modules++;
        imports[i] = imp;
      }
      return { id: 2, imports };
    }
    case 3: {
      const n = r.count();
      const funcs = alloc<number>(n);
      for (let i = 0; i < n; i++) funcs[i] = r.u32();
      return { id: 3, funcs };
    }
    case 4: {
      const n = r.count();
      const tables = alloc<TableType>(n);
      for (let i = 0; i < n; i++) tables[i] = tableType(r);
      return { id: 4, tables };
    }
    case 5: {
      const n = r.count();
      const memories = alloc<MemoryType>(n);
      for (let i = 0; i < n; i++) memories[i] = memoryType(r);
      return { id: 5, memories };
    }
    case 6: {
      const n = r.count();
      const globals = alloc<GlobalDef>(n);
      for (let i = 0; i < n; i++) {
        const type = globalType(r);
        globals[i] = { type, init: constExpr(r) };
      }
      return { id: 6, globals };
    }
    case 7: {
      const n = r.count();
      const exports = alloc<Export>(n);
      for (let i = 0; i < n; i++) {
        const offset = r.offset();
        const name = r.name();
        const kind = entityKind(r, "export kind");
        exports[i] = { name, kind, index: r.u32(), offset };
      }
      return { id: 7, exports };
    }
    case 8:
      return { id: 8, func: r.u32() };
    case 9:
    case 10:
    case 11:
    case 12: {
      const data = r.bytes.subarray(r.pos, payloadEnd);
      r.pos = payloadEnd;
      return { id, data };
    }
    case 14: {
      const n = r.count();
      const modules = alloc<ModuleIR>(n);
      for (let i = 0; i < n; i++) {
        const size = r.length();
        if (depth >= MAX_NESTING_DEPTH) {
          throw r.error(`modules nested more than ${MAX_NESTING_DEPTH} deep`);
        }
        if (++budget.modules > MAX_MODULES) {
          throw r.error(`more than ${MAX_MODULES} modules in one binary`);
        }
        const inner = new Reader(
          r.bytes.subarray(r.pos, r.pos + size),
          r.offset(),
          [...r.path, `module ${state.modules++}`],
        );
        modules[i] = decodeModule(inner, depth + 1, budget);
        r.pos += size;
      }
      return { id: 14, modules };
    }
    case 15: {
      const n = r.count();
      const instances = alloc<InstanceDef>(n);
      for (let i = 0; i < n; i++) instances[i] = instanceDef(r);
      return { id: 15, instances };
    }
    default: {
      // id 16: the caller has rejected everything else.
      const n = r.count();
      const aliases = alloc<Alias>(n);
      for (let i = 0; i < n; i++) {
        const alias = aliasEntry(r);
        const module = alias.form === "instanceExport"
          ? alias.kind === Kind.Module
          : alias.form === "outerModule";
        if (module) state.modules++;
        aliases[i] = alias;
      }
      return { id: 16, aliases };
    }
  }
}

function typeDef(r: Reader): TypeDef {
  const offset = r.offset();
  const start = r.pos;
  const form = r.u8();
  switch (form) {
    case 0x60: {
      const params = valTypes(r);
      return { form: "func", params, results: valTypes(r), offset };
    }
    case 0x61: {
      const n = r.count();
      const imports = alloc<Import>(n);
      for (let i = 0; i < n; i++) imports[i] = importEntry(r);
      return { form: "module", imports, exports: exportTypes(r), offset };
    }
    case 0x62:
      return { form: "instance", exports: exportTypes(r), offset };
    default:
      // The form is a signed LEB128 byte: a continuation bit makes it too long.
      throw r.error(
        `malformed type form ${hex(form)}${form & 0x80 ? ": integer representation too long" : ""}`,
        start,
      );
  }
}

function valTypes(r: Reader): ValType[] {
  const n = r.count();
  const types = alloc<ValType>(n);
  for (let i = 0; i < n; i++) types[i] = valType(r);
  return types;
}

function valType(r: Reader): ValType {
  const t = r.u8();
  // 0x7f i32, 0x7e i64, 0x7d f32, 0x7c f64, 0x7b v128, 0x70 funcref, 0x6f externref.
  if ((t >= 0x7b && t <= 0x7f) || t === 0x70 || t === 0x6f) return t;
  throw r.error(`malformed value type ${hex(t)}`, r.pos - 1);
}

function refType(r: Reader): ValType {
  const t = r.u8();
  if (t === 0x70 || t === 0x6f) return t;
  throw r.error(`malformed reference type ${hex(t)}`, r.pos - 1);
}

function exportTypes(r: Reader): ExportTypeDecl[] {
  const n = r.count();
  const exports = alloc<ExportTypeDecl>(n);
  for (let i = 0; i < n; i++) {
    const name = r.name();
    exports[i] = { name, desc: importDesc(r) };
  }
  return exports;
}

function importEntry(r: Reader): Import {
  const offset = r.offset();
  const module = r.name();
  let field: string | null = r.name();
  if (field === "" && r.peek() === 0xff) {
    r.pos++;
    field = null;
  }
  return { module, field, desc: importDesc(r), offset };
}

function importDesc(r: Reader): ImportDesc {
  const at = r.pos;
  const kind = r.u8();
  switch (kind) {
    case 0:
      return { kind: 0, type: r.u32() };
    case 1:
      return { kind: 1, type: tableType(r) };
    case 2:
      return { kind: 2, type: memoryType(r) };
    case 3:
      return { kind: 3, type: globalType(r) };
    case 4:
      throw r.error(`malformed import kind 0x04: ${TAGS}`, at);
    case 5:
      return { kind: 5, type: r.u32() };
    case 6:
      return { kind: 6, type: r.u32() };
    default:
      throw r.error(`malformed import kind ${hex(kind)}`, at);
  }
}

/** A kind byte of an export, an alias or an instantiate argument. */
function entityKind(r: Reader, what: string): EntityKind {
  const kind = r.u8();
  if (kind <= 3 || kind === 5 || kind === 6) return kind as EntityKind;
  const why = kind === 4 ? `: ${TAGS}` : "";
  throw r.error(`malformed ${what} ${hex(kind)}${why}`, r.pos - 1);
}

/** Limits flags are a 1-bit (tables) or 3-bit (memories) LEB128 integer. */
function badFlags(r: Reader, flags: number): CompileError {
  const why = flags & 0x80 ? "integer representation too long" : "integer too large";
  return r.error(`malformed limits flags ${hex(flags)}: ${why}`, r.pos - 1);
}

function tableType(r: Reader): TableType {
  const elem = refType(r);
  const flags = r.u8();
  if (flags > 1) throw badFlags(r, flags);
  const min = r.u32();
  return { elem, limits: flags ? { min, max: r.u32() } : { min } };
}

function memoryType(r: Reader): MemoryType {
  const flags = r.u8();
  if (flags > 7) throw badFlags(r, flags);
  const memory64 = (flags & 4) !== 0;
  const shared = (flags & 2) !== 0;
  const min = memory64 ? r.u64() : r.u32();
  if (!(flags & 1)) return { limits: { min }, shared, memory64 };
  const max = memory64 ? r.u64() : r.u32();
  return { limits: { min, max }, shared, memory64 };
}

function globalType(r: Reader): GlobalType {
  const type = valType(r);
  const m = r.u8();
  if (m > 1) throw r.error(`malformed mutability ${hex(m)}`, r.pos - 1);
  return { type, mutable: m === 1 };
}

/** A constant expression, `end` included, as a view into the input. */
function constExpr(r: Reader): Uint8Array {
  const start = r.pos;
  for (;;) {
    const at = r.pos;
    const op = r.u8();
    switch (op) {
      case 0x0b: // end
        return r.bytes.subarray(start, r.pos);
      case 0x41: // i32.const
        r.s32();
        break;
      case 0x42: // i64.const
        r.skipS64();
        break;
      case 0x43: // f32.const
        r.skip(4);
        break;
      case 0x44: // f64.const
        r.skip(8);
        break;
      case 0xfd: // v128.const is the only prefixed constant instruction
        if (r.u32() !== 12) throw r.error("constant expression required", at);
        r.skip(16);
        break;
      case 0xd0: // ref.null
        refType(r);
        break;
      case 0xd2: // ref.func
      case 0x23: // global.get
        r.u32();
        break;
      case 0x6a: // i32.add, sub, mul and i64.add, sub, mul (extended-const)
      case 0x6b:
      case 0x6c:
      case 0x7c:
      case 0x7d:
      case 0x7e:
        break;
      default:
        throw r.error("constant expression required", at);
    }
  }
}

function instanceDef(r: Reader): InstanceDef {
  const offset = r.offset();
  const tag = r.u8();
  if (tag !== 0) throw r.error(`malformed instance definition ${hex(tag)}`, r.pos - 1);
  const module = r.u32();
  const n = r.count();
  const args = alloc<InstanceArg>(n);
  for (let i = 0; i < n; i++) {
    const name = r.name();
    const kind = entityKind(r, "instance argument kind");
    args[i] = { name, kind, index: r.u32() };
  }
  return { module, args, offset };
}

function aliasEntry(r: Reader): Alias {
  const offset = r.offset();
  const form = r.u8();
  if (form === 0) {
    const instance = r.u32();
    const kind = entityKind(r, "alias kind");
    return { form: "instanceExport", instance, kind, name: r.name(), offset };
  }
  if (form === 1) {
    const depth = r.u32();
    const kind = r.u8();
    if (kind === Kind.Module) return { form: "outerModule", depth, index: r.u32(), offset };
    if (kind === Kind.Type) return { form: "outerType", depth, index: r.u32(), offset };
    throw r.error(`malformed outer alias kind ${hex(kind)}`, r.pos - 1);
  }
  throw r.error(`malformed alias ${hex(form)}`, r.pos - 1);
}
