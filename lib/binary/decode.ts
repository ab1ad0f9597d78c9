/**
 * Decodes a module-linking binary (or a plain core module) into the IR.
 *
 * Decoding checks the binary format only: section order, repetition and
 * every index are left to the validator. Element, code, data and data-count
 * sections are kept as views into the input, never copied.
 *
 * Each section has one reader below, `read…Section`, and
 * {@linkcode readSection} picks it by id; the readers of the entries they
 * hold (types, imports, limits, …) follow them.
 *
 * @module
 */

import type { CompileError } from "../errors.ts";
import { WASM_HEADER, WASM_MAGIC } from "../encoding.ts";
import {
  type Alias,
  type AliasSection,
  type CustomSection,
  type EntityKind,
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
  isRefType,
  isValType,
  Kind,
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
import { MAX_MODULES, MAX_NESTING_DEPTH } from "../limits.ts";
import {
  AliasForm,
  InstanceForm,
  LimitsFlag,
  Mutability,
  SINGLE_LEVEL_IMPORT,
  TAG_EXCEPTION,
  TypeForm,
} from "./codes.ts";
import { Reader } from "./reader.ts";

/** The four bytes after the magic: version 1. */
const WASM_VERSION: readonly number[] = WASM_HEADER.slice(WASM_MAGIC.length);

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

/** The module being decoded, as its section readers see it. */
interface ModuleInProgress {
  /** How many modules enclose it. */
  readonly depth: number;
  /** What the whole binary has used so far of the limits that span modules. */
  readonly budget: Budget;
  /** The size of its module index space so far, so that nested modules can be named in errors. */
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

/** A vector: its count, then that many entries, each read by `entry`. */
function vector<T>(r: Reader, entry: (r: Reader) => T): T[] {
  const n = r.count();
  const items = alloc<T>(n);
  for (let i = 0; i < n; i++) items[i] = entry(r);
  return items;
}

function hex(byte: number): string {
  return "0x" + byte.toString(16).padStart(2, "0");
}

/** Decodes the module that fills all of `r`, nested `depth` modules deep. */
function decodeModule(r: Reader, depth: number, budget: Budget): ModuleIR {
  const moduleOffset = r.offset();
  if (!r.expect(WASM_MAGIC)) {
    throw r.error("magic header not detected", 0);
  }
  if (!r.expect(WASM_VERSION)) {
    throw r.error("unknown binary version", WASM_MAGIC.length);
  }
  const module: ModuleInProgress = { depth, budget, modules: 0 };
  const sections: Section[] = [];
  while (r.pos < r.end) {
    const start = r.pos;
    const id = r.u8();
    // The alias section has the highest id.
    if (id > SectionId.Alias) throw r.error(`malformed section id ${id}`, start);
    const size = r.length();
    const payloadEnd = r.pos + size;
    r.inSection = true;
    // Every id up to the alias section's has a section.
    const section = readSection(r, id as Section["id"], payloadEnd, module);
    r.inSection = false;
    // Structured sections are read like the reference interpreter does, not
    // clipped at their end, so a wrong size shows up here.
    if (r.pos !== payloadEnd) throw r.error("section size mismatch", r.pos);
    section.offset = r.offset(start);
    sections.push(section);
  }
  return { sections, offset: moduleOffset };
}

/** Reads the payload of a section `id` of `module` that ends at `end`, with that section's reader. */
function readSection(
  r: Reader,
  id: Section["id"],
  end: number,
  module: ModuleInProgress,
): Section {
  switch (id) {
    case SectionId.Custom:
      return readCustomSection(r, end);
    case SectionId.Type:
      return readTypeSection(r);
    case SectionId.Import:
      return readImportSection(r, module);
    case SectionId.Function:
      return readFunctionSection(r);
    case SectionId.Table:
      return readTableSection(r);
    case SectionId.Memory:
      return readMemorySection(r);
    case SectionId.Tag:
      return readTagSection(r);
    case SectionId.Global:
      return readGlobalSection(r);
    case SectionId.Export:
      return readExportSection(r);
    case SectionId.Start:
      return readStartSection(r);
    case SectionId.Element:
    case SectionId.Code:
    case SectionId.Data:
    case SectionId.DataCount:
      return readRawSection(r, id, end);
    case SectionId.Module:
      return readModuleSection(r, module);
    case SectionId.Instance:
      return readInstanceSection(r);
    case SectionId.Alias:
      return readAliasSection(r, module);
    default:
      return unreachable(id, "section id");
  }
}

// ---- sections ----------------------------------------------------------

/** A custom section: a name that must fit in the section, then any bytes up to `end`. */
function readCustomSection(r: Reader, end: number): CustomSection {
  const outerEnd = r.end;
  r.end = end;
  const name = r.name();
  r.end = outerEnd;
  const data = r.bytes.subarray(r.pos, end);
  r.pos = end;
  return { id: SectionId.Custom, name, data };
}

/** A type section: func, module and instance types. */
function readTypeSection(r: Reader): TypeSection {
  // A loop of its own, not vector(): the hot readers keep their entry call monomorphic.
  const n = r.count();
  const items = alloc<TypeDef>(n);
  for (let i = 0; i < n; i++) items[i] = typeDef(r);
  return { id: SectionId.Type, types: items };
}

/** An import section; counts the modules it imports into `module`'s module index space. */
function readImportSection(r: Reader, module: ModuleInProgress): ImportSection {
  const n = r.count();
  const imports = alloc<Import>(n);
  for (let i = 0; i < n; i++) {
    const imp = imports[i] = importEntry(r);
    if (imp.desc.kind === Kind.Module) module.modules++;
  }
  return { id: SectionId.Import, imports };
}

/** A function section: the type index of each local function. */
function readFunctionSection(r: Reader): FunctionSection {
  // A loop of its own, not vector(): the hot readers keep their entry call monomorphic.
  const n = r.count();
  const items = alloc<number>(n);
  for (let i = 0; i < n; i++) items[i] = r.u32();
  return { id: SectionId.Function, funcs: items };
}

/** A table section: table types. */
function readTableSection(r: Reader): TableSection {
  return { id: SectionId.Table, tables: vector(r, tableType) };
}

/** A memory section: memory types. */
function readMemorySection(r: Reader): MemorySection {
  return { id: SectionId.Memory, memories: vector(r, memoryType) };
}

/** A tag section: each tag's type, an attribute byte and a func type index. */
function readTagSection(r: Reader): TagSection {
  return { id: SectionId.Tag, tags: vector(r, tagType) };
}

/** A global section: each global's type and initializer. */
function readGlobalSection(r: Reader): GlobalSection {
  return { id: SectionId.Global, globals: vector(r, globalDef) };
}

/** An export section. */
function readExportSection(r: Reader): ExportSection {
  // A loop of its own, not vector(): the hot readers keep their entry call monomorphic.
  const n = r.count();
  const items = alloc<Export>(n);
  for (let i = 0; i < n; i++) items[i] = exportEntry(r);
  return { id: SectionId.Export, exports: items };
}

/** A start section: the start function's index. */
function readStartSection(r: Reader): StartSection {
  return { id: SectionId.Start, func: r.u32() };
}

/** An element, code, data or data-count section: its payload up to `end`, as a view. */
function readRawSection(r: Reader, id: RawSection["id"], end: number): RawSection {
  const data = r.bytes.subarray(r.pos, end);
  r.pos = end;
  return { id, data };
}

/** A module section: each nested module is decoded whole, in its own reader. */
function readModuleSection(r: Reader, module: ModuleInProgress): ModuleSection {
  // A loop of its own, not vector(): the hot readers keep their entry call monomorphic.
  const n = r.count();
  const items = alloc<ModuleIR>(n);
  for (let i = 0; i < n; i++) items[i] = nestedModule(r, module);
  return { id: SectionId.Module, modules: items };
}

/** An instance section. */
function readInstanceSection(r: Reader): InstanceSection {
  return { id: SectionId.Instance, instances: vector(r, instanceDef) };
}

/** An alias section; counts the modules it aliases into `module`'s module index space. */
function readAliasSection(r: Reader, module: ModuleInProgress): AliasSection {
  const aliases = vector(r, aliasEntry);
  for (const alias of aliases) if (aliasesModule(alias)) module.modules++;
  return { id: SectionId.Alias, aliases };
}

// ---- entries -----------------------------------------------------------

/** One module of a module section: its size, then the module, named by its index in `outer`. */
function nestedModule(r: Reader, outer: ModuleInProgress): ModuleIR {
  const size = r.length();
  if (outer.depth >= MAX_NESTING_DEPTH) {
    throw r.error(`modules nested more than ${MAX_NESTING_DEPTH} deep`);
  }
  if (++outer.budget.modules > MAX_MODULES) {
    throw r.error(`more than ${MAX_MODULES} modules in one binary`);
  }
  const inner = new Reader(
    r.bytes.subarray(r.pos, r.pos + size),
    r.offset(),
    [...r.path, `module ${outer.modules++}`],
  );
  const module = decodeModule(inner, outer.depth + 1, outer.budget);
  r.pos += size;
  return module;
}

function typeDef(r: Reader): TypeDef {
  const offset = r.offset();
  const start = r.pos;
  const form = r.u8();
  switch (form) {
    case TypeForm.Func: {
      const params = valTypes(r);
      return { form: "func", params, results: valTypes(r), offset };
    }
    case TypeForm.Module: {
      const imports = vector(r, importEntry);
      return { form: "module", imports, exports: exportTypes(r), offset };
    }
    case TypeForm.Instance:
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
  // A loop of its own, not vector(): the hot readers keep their entry call monomorphic.
  const n = r.count();
  const items = alloc<ValType>(n);
  for (let i = 0; i < n; i++) items[i] = valType(r);
  return items;
}

function valType(r: Reader): ValType {
  const type = r.u8();
  if (isValType(type)) return type;
  throw r.error(`malformed value type ${hex(type)}`, r.pos - 1);
}

function refType(r: Reader): ValType {
  const type = r.u8();
  if (isRefType(type)) return type;
  throw r.error(`malformed reference type ${hex(type)}`, r.pos - 1);
}

function exportTypes(r: Reader): ExportTypeDecl[] {
  return vector(r, (r) => {
    const name = r.name();
    return { name, desc: importDesc(r) };
  });
}

function importEntry(r: Reader): Import {
  const offset = r.offset();
  const module = r.name();
  let field: string | null = r.name();
  if (field === "" && r.peek() === SINGLE_LEVEL_IMPORT) {
    r.pos++;
    field = null;
  }
  return { module, field, desc: importDesc(r), offset };
}

function importDesc(r: Reader): ImportDesc {
  const at = r.pos;
  const kind = r.u8();
  switch (kind) {
    case Kind.Func:
      return { kind: Kind.Func, type: r.u32() };
    case Kind.Table:
      return { kind: Kind.Table, type: tableType(r) };
    case Kind.Memory:
      return { kind: Kind.Memory, type: memoryType(r) };
    case Kind.Global:
      return { kind: Kind.Global, type: globalType(r) };
    case Kind.Tag:
      return { kind: Kind.Tag, type: tagType(r) };
    case Kind.Module:
      return { kind: Kind.Module, type: r.u32() };
    case Kind.Instance:
      return { kind: Kind.Instance, type: r.u32() };
    default:
      throw r.error(`malformed import kind ${hex(kind)}`, at);
  }
}

function exportEntry(r: Reader): Export {
  const offset = r.offset();
  const name = r.name();
  const kind = entityKind(r, "export kind");
  return { name, kind, index: r.u32(), offset };
}

/** Every entity kind: a record, so that a kind added to `EntityKind` must be added here too. */
const ENTITY_KINDS: Readonly<Record<EntityKind, true>> = {
  [Kind.Func]: true,
  [Kind.Table]: true,
  [Kind.Memory]: true,
  [Kind.Global]: true,
  [Kind.Tag]: true,
  [Kind.Module]: true,
  [Kind.Instance]: true,
};

/** A kind byte of an export, an alias or an instantiate argument. */
function entityKind(r: Reader, what: string): EntityKind {
  const kind = r.u8();
  if (ENTITY_KINDS[kind as EntityKind] === true) return kind as EntityKind;
  throw r.error(`malformed ${what} ${hex(kind)}`, r.pos - 1);
}

/** The limits flags a table may have. */
const TABLE_FLAGS = LimitsFlag.HasMax;
/** The limits flags a memory may have. */
const MEMORY_FLAGS = LimitsFlag.HasMax | LimitsFlag.Shared | LimitsFlag.Memory64;

/** Limits flags are a 1-bit (tables) or 3-bit (memories) LEB128 integer. */
function badFlags(r: Reader, flags: number): CompileError {
  const why = flags & 0x80 ? "integer representation too long" : "integer too large";
  return r.error(`malformed limits flags ${hex(flags)}: ${why}`, r.pos - 1);
}

function tableType(r: Reader): TableType {
  const elem = refType(r);
  const flags = r.u8();
  if (flags & ~TABLE_FLAGS) throw badFlags(r, flags);
  const min = r.u32();
  return { elem, limits: flags & LimitsFlag.HasMax ? { min, max: r.u32() } : { min } };
}

function memoryType(r: Reader): MemoryType {
  const flags = r.u8();
  if (flags & ~MEMORY_FLAGS) throw badFlags(r, flags);
  const memory64 = (flags & LimitsFlag.Memory64) !== 0;
  const shared = (flags & LimitsFlag.Shared) !== 0;
  const min = memory64 ? r.u64() : r.u32();
  if (!(flags & LimitsFlag.HasMax)) return { limits: { min }, shared, memory64 };
  const max = memory64 ? r.u64() : r.u32();
  return { limits: { min, max }, shared, memory64 };
}

/** A tag type: the attribute byte, which must be 0 (an exception), then its func type index. */
function tagType(r: Reader): number {
  const attribute = r.u8();
  if (attribute !== TAG_EXCEPTION) {
    throw r.error(
      `invalid tag attributes ${hex(attribute)}: only ${TAG_EXCEPTION} (an exception) is defined`,
      r.pos - 1,
    );
  }
  return r.u32();
}

function globalType(r: Reader): GlobalType {
  const type = valType(r);
  const mutability = r.u8();
  if (mutability !== Mutability.Const && mutability !== Mutability.Var) {
    throw r.error(`malformed mutability ${hex(mutability)}`, r.pos - 1);
  }
  return { type, mutable: mutability === Mutability.Var };
}

function globalDef(r: Reader): GlobalDef {
  const type = globalType(r);
  return { type, init: constExpr(r) };
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
  const form = r.u8();
  switch (form) {
    case InstanceForm.Instantiate: {
      const module = r.u32();
      const args = vector(r, (r) => instanceItem(r, "instance argument kind"));
      return { form: "instantiate", module, args, offset };
    }
    case InstanceForm.Exports: {
      const exports = vector(r, (r) => instanceItem(r, "instance export kind"));
      return { form: "exports", exports, offset };
    }
    default:
      throw r.error(`malformed instance definition ${hex(form)}`, r.pos - 1);
  }
}

/**
 * An argument of an instantiation, or an export of an instance made of
 * items: a name, then a kind byte (`what` in errors) and an index.
 */
function instanceItem(r: Reader, what: string): InstanceArg {
  const name = r.name();
  const kind = entityKind(r, what);
  return { name, kind, index: r.u32() };
}

function aliasEntry(r: Reader): Alias {
  const offset = r.offset();
  const form = r.u8();
  if (form === AliasForm.InstanceExport) {
    const instance = r.u32();
    const kind = entityKind(r, "alias kind");
    return { form: "instanceExport", instance, kind, name: r.name(), offset };
  }
  if (form === AliasForm.Outer) {
    const depth = r.u32();
    const kind = r.u8();
    if (kind === Kind.Module) return { form: "outerModule", depth, index: r.u32(), offset };
    if (kind === Kind.Type) return { form: "outerType", depth, index: r.u32(), offset };
    throw r.error(`malformed outer alias kind ${hex(kind)}`, r.pos - 1);
  }
  throw r.error(`malformed alias ${hex(form)}`, r.pos - 1);
}

/** Whether `alias` adds a module to the module index space. */
function aliasesModule(alias: Alias): boolean {
  switch (alias.form) {
    case "instanceExport":
      return alias.kind === Kind.Module;
    case "outerModule":
      return true;
    case "outerType":
      return false;
    default:
      return unreachable(alias, "alias");
  }
}
