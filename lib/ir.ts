/**
 * The module-linking IR: what the binary decoder produces, what the encoder
 * and the text front-end write, and what the compiler reads.
 *
 * It mirrors the binary format section by section, in binary order, so that
 * `encode(decode(bytes))` can reproduce `bytes`. Module-linking sections and
 * the core sections whose contents give entity types are decoded into
 * structures; element, code, data and data-count sections stay raw bytes,
 * because the compiler copies them byte for byte into the core module.
 *
 * @module
 */

/** Entity kinds, by their binary encoding: import/export descriptors, aliases and instantiate arguments. */
export const Kind = {
  Func: 0,
  Table: 1,
  Memory: 2,
  Global: 3,
  Tag: 4,
  Module: 5,
  Instance: 6,
  Type: 7,
} as const;

/** One of the {@linkcode Kind} values. */
export type Kind = typeof Kind[keyof typeof Kind];

/** The kinds an entity (a thing in an index space other than types) can have. */
export type EntityKind =
  | typeof Kind.Func
  | typeof Kind.Table
  | typeof Kind.Memory
  | typeof Kind.Global
  | typeof Kind.Tag
  | typeof Kind.Module
  | typeof Kind.Instance;

/** The kinds a core module imports and exports: what V8 sees. */
export type CoreKind =
  | typeof Kind.Func
  | typeof Kind.Table
  | typeof Kind.Memory
  | typeof Kind.Global
  | typeof Kind.Tag;

/** The kinds of a core module's index spaces, in binary order. */
export const CORE_KINDS: readonly CoreKind[] = [
  Kind.Func,
  Kind.Table,
  Kind.Memory,
  Kind.Global,
  Kind.Tag,
];

/** The entity kinds, in binary order. */
export const ENTITY_KINDS: readonly EntityKind[] = [...CORE_KINDS, Kind.Module, Kind.Instance];

/** Whether `kind` is one a core module imports and exports. */
export function isCoreKind(kind: EntityKind): kind is CoreKind {
  return kind <= Kind.Tag;
}

/** The word used for each kind in the text format and in messages. */
export const KIND_NAMES: Readonly<Record<Kind, string>> = {
  [Kind.Func]: "func",
  [Kind.Table]: "table",
  [Kind.Memory]: "memory",
  [Kind.Global]: "global",
  [Kind.Tag]: "tag",
  [Kind.Module]: "module",
  [Kind.Instance]: "instance",
  [Kind.Type]: "type",
};

/** The text-format word for a kind, e.g. `func`; `kind N` for a number that is none. */
export function kindName(kind: number): string {
  return (KIND_NAMES as Readonly<Record<number, string>>)[kind] ?? `kind ${kind}`;
}

/** `word` with its indefinite article, for messages: `a func`, `an instance`. */
export function withArticle(word: string): string {
  return (/^[aeiou]/.test(word) ? "an " : "a ") + word;
}

/** Core value types, by their binary encoding. */
export const ValType = {
  I32: 0x7f,
  I64: 0x7e,
  F32: 0x7d,
  F64: 0x7c,
  V128: 0x7b,
  FuncRef: 0x70,
  ExternRef: 0x6f,
  /** A caught exception (exception handling's `try_table`/`throw_ref`). */
  ExnRef: 0x69,
} as const;

/** A value type: one of the {@linkcode ValType} bytes. */
export type ValType = number;

/** Each value type's text-format word, by its binary encoding: the one value-type table. */
export const VALTYPE_NAMES: ReadonlyMap<ValType, string> = new Map<ValType, string>([
  [ValType.I32, "i32"],
  [ValType.I64, "i64"],
  [ValType.F32, "f32"],
  [ValType.F64, "f64"],
  [ValType.V128, "v128"],
  [ValType.FuncRef, "funcref"],
  [ValType.ExternRef, "externref"],
  [ValType.ExnRef, "exnref"],
]);

/** Each value type's binary encoding, by its text-format word. */
export const VALTYPE_BYTES: ReadonlyMap<string, ValType> = new Map(
  [...VALTYPE_NAMES].map(([byte, word]) => [word, byte]),
);

/** Whether `byte` encodes a value type. */
export function isValType(byte: number): byte is ValType {
  return VALTYPE_NAMES.has(byte);
}

/** Whether `type` is a reference type: what a table holds. */
export function isRefType(type: ValType): boolean {
  return type === ValType.FuncRef || type === ValType.ExternRef || type === ValType.ExnRef;
}

/**
 * For the `default` of a switch that handles every variant: `value` has type
 * `never` there, so a variant added later is a type error until handled.
 */
export function unreachable(value: never, what = "value"): never {
  throw new Error(`internal error: unexpected ${what} ${JSON.stringify(value)}`);
}

/** Section ids of the module-linking binary format. */
export const SectionId = {
  Custom: 0,
  Type: 1,
  Import: 2,
  Function: 3,
  Table: 4,
  Memory: 5,
  Global: 6,
  Export: 7,
  Start: 8,
  Element: 9,
  Code: 10,
  Data: 11,
  DataCount: 12,
  Tag: 13,
  Module: 14,
  Instance: 15,
  Alias: 16,
} as const;

/** One of the {@linkcode SectionId} values. */
export type SectionId = typeof SectionId[keyof typeof SectionId];

/** Table or memory limits. `max` is absent when the limits have no maximum. */
export interface Limits {
  min: number;
  max?: number;
}

/** A table type: element reference type and limits. */
export interface TableType {
  elem: ValType;
  limits: Limits;
}

/** A memory type. `memory64` memories use 64-bit indices; `shared` ones need a maximum. */
export interface MemoryType {
  limits: Limits;
  shared: boolean;
  memory64: boolean;
}

/** A global type. */
export interface GlobalType {
  type: ValType;
  mutable: boolean;
}

/**
 * What an import (or an export in a module/instance type) describes.
 * For func, module and instance the `type` is an index into the enclosing
 * module's type index space; for the others it is the type itself.
 */
export type ImportDesc =
  | { kind: typeof Kind.Func; type: number }
  | { kind: typeof Kind.Table; type: TableType }
  | { kind: typeof Kind.Memory; type: MemoryType }
  | { kind: typeof Kind.Global; type: GlobalType }
  | { kind: typeof Kind.Tag; type: number }
  | { kind: typeof Kind.Module; type: number }
  | { kind: typeof Kind.Instance; type: number };

/** An export inside a module or instance type: a name and what it describes. */
export interface ExportTypeDecl {
  name: string;
  desc: ImportDesc;
}

/**
 * An import. `field` is `null` for a single-level import (written in binary
 * as an empty second name followed by `0xff`).
 */
export interface Import {
  module: string;
  field: string | null;
  desc: ImportDesc;
  /** Byte offset of the import in the outermost binary, when decoded. */
  offset?: number;
}

/** A function type (`0x60`). */
export interface FuncTypeDef {
  form: "func";
  params: ValType[];
  results: ValType[];
}

/** A module type (`0x61`): the imports it needs and the exports it gives. */
export interface ModuleTypeDef {
  form: "module";
  imports: Import[];
  exports: ExportTypeDecl[];
}

/** An instance type (`0x62`): the exports an instance has. */
export interface InstanceTypeDef {
  form: "instance";
  exports: ExportTypeDecl[];
}

/** An entry of a type section. */
export type TypeDef = (FuncTypeDef | ModuleTypeDef | InstanceTypeDef) & {
  /** Byte offset in the outermost binary, when decoded. */
  offset?: number;
};

/** One named argument of an `instantiate`: `kind` and `index` name an item of the instantiating module. */
export interface InstanceArg {
  name: string;
  kind: EntityKind;
  index: number;
}

/** An instance definition: `(instantiate module args…)`. */
export interface InstantiateDef {
  form: "instantiate";
  module: number;
  args: InstanceArg[];
  offset?: number;
}

/**
 * An instance made of items of this module: `(instance (export "f" (func $f)) …)`.
 * An extension of the 2021 proposal from its later drafts, encoded as form `0x01`.
 */
export interface ExportsInstanceDef {
  form: "exports";
  exports: InstanceArg[];
  offset?: number;
}

/** An entry of an instance section. */
export type InstanceDef = InstantiateDef | ExportsInstanceDef;

/** An alias of export `name` of preceding instance `instance`. */
export interface InstanceExportAlias {
  form: "instanceExport";
  instance: number;
  kind: EntityKind;
  name: string;
  offset?: number;
}

/** An alias of module `index` of the module `depth` levels out (binary kind 5). */
export interface OuterModuleAlias {
  form: "outerModule";
  depth: number;
  index: number;
  offset?: number;
}

/** An alias of type `index` of the module `depth` levels out (binary kind 7). */
export interface OuterTypeAlias {
  form: "outerType";
  depth: number;
  index: number;
  offset?: number;
}

/** An alias: an export of a preceding instance, or a module or type of an enclosing module. */
export type Alias = InstanceExportAlias | OuterModuleAlias | OuterTypeAlias;

/** An export of a module: kinds 5 and 6 export modules and instances. */
export interface Export {
  name: string;
  kind: EntityKind;
  index: number;
  offset?: number;
}

/** A global definition: its type and its constant initializer expression, `end` (0x0b) included. */
export interface GlobalDef {
  type: GlobalType;
  init: Uint8Array;
}

/** Where a section starts: byte offset of its id byte in the outermost binary. */
interface Located {
  offset?: number;
}

/** A custom section: its name and the bytes after the name. */
export interface CustomSection extends Located {
  id: typeof SectionId.Custom;
  name: string;
  data: Uint8Array;
}

/** A type section. */
export interface TypeSection extends Located {
  id: typeof SectionId.Type;
  types: TypeDef[];
}

/** An import section. */
export interface ImportSection extends Located {
  id: typeof SectionId.Import;
  imports: Import[];
}

/** A function section: the type index of each locally defined function. */
export interface FunctionSection extends Located {
  id: typeof SectionId.Function;
  funcs: number[];
}

/** A table section. */
export interface TableSection extends Located {
  id: typeof SectionId.Table;
  tables: TableType[];
}

/** A memory section. */
export interface MemorySection extends Located {
  id: typeof SectionId.Memory;
  memories: MemoryType[];
}

/** A global section. */
export interface GlobalSection extends Located {
  id: typeof SectionId.Global;
  globals: GlobalDef[];
}

/** An export section. */
export interface ExportSection extends Located {
  id: typeof SectionId.Export;
  exports: Export[];
}

/** A start section. */
export interface StartSection extends Located {
  id: typeof SectionId.Start;
  func: number;
}

/** Element, code, data and data-count sections, kept as their raw payload. */
export interface RawSection extends Located {
  id:
    | typeof SectionId.Element
    | typeof SectionId.Code
    | typeof SectionId.Data
    | typeof SectionId.DataCount;
  data: Uint8Array;
}

/**
 * A tag section (exception handling): the type index of each tag, a func
 * type with no results. Every tag has attribute 0, an exception.
 */
export interface TagSection extends Located {
  id: typeof SectionId.Tag;
  tags: number[];
}

/** A module section: nested modules, each complete with its own header. */
export interface ModuleSection extends Located {
  id: typeof SectionId.Module;
  modules: ModuleIR[];
}

/** An instance section. */
export interface InstanceSection extends Located {
  id: typeof SectionId.Instance;
  instances: InstanceDef[];
}

/** An alias section. */
export interface AliasSection extends Located {
  id: typeof SectionId.Alias;
  aliases: Alias[];
}

/** Any section. */
export type Section =
  | CustomSection
  | TypeSection
  | ImportSection
  | FunctionSection
  | TableSection
  | MemorySection
  | TagSection
  | GlobalSection
  | ExportSection
  | StartSection
  | RawSection
  | ModuleSection
  | InstanceSection
  | AliasSection;

/** A module: its sections in binary order. */
export interface ModuleIR {
  sections: Section[];
  /** Byte offset of the module's header (`\0asm`) in the outermost binary, when decoded. */
  offset?: number;
}
