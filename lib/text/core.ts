/**
 * The core part of a module, assembled by wabt. For a module that uses
 * module linking, wabt is given a plain core module: a one-line header
 * declaring the module's whole type index space (module and instance types
 * as a placeholder func type, so indices line up) and one import per
 * imported or aliased func/table/memory/global/tag, in index order, followed
 * by the module's own core fields (inline exports dropped, inline aliases
 * replaced by identifiers the header declares, annotations blanked). Its
 * sections are then spliced after the module-linking ones.
 *
 * @module
 */

import { decode } from "../binary/decode.ts";
import { CompileError } from "../errors.ts";
import {
  type CoreKind,
  type GlobalType,
  Kind,
  KIND_NAMES,
  type MemoryType,
  type ModuleIR,
  type Section,
  SectionId,
  type TableType,
  type TypeDef,
  unreachable,
  type ValType,
  VALTYPE_NAMES,
} from "../ir.ts";
import type { FuncType } from "../types.ts";
import { fieldName, mayHoldAnnotations, withAnnotationBlanks } from "./annotations.ts";
import { type Edit, MappedText, offsetOfLineColumn } from "./coretext.ts";
import type { Field } from "./fields.ts";
import { CORE_KINDS, perCoreKind } from "./kinds.ts";
import { type Lowered, type ModuleForm, moduleName } from "./lowering.ts";
import { namesOf } from "../binary/names.ts";
import { checkCoreNesting } from "./nesting.ts";
import type { Scope } from "./scope.ts";
import {
  type CoreEntityShape,
  coreModuleShape,
  type EntityShape,
  type TypeShape,
} from "./shapes.ts";
import type { CoreAssembler } from "./wabt.ts";

/**
 * Stands in for module and instance types in the header, so that type
 * indices line up; chosen so that no real function is likely to match it.
 */
export const PLACEHOLDER_FUNC =
  "(func (param i64 f32 f64 i32 i64 f32 f64 i32) (result i32 f64 f32 i64))";

/** What wabt's output contributes to a module-linking module. */
export interface CoreOutput {
  /** Types wabt added after the declared ones (inline signatures, block types). */
  extraTypes: TypeDef[];
  /** Function, table, memory, tag and global sections (before the export section), in that order. */
  before: Section[];
  /** Start, element, data count, code and data sections (after the export section). */
  after: Section[];
  /** Shapes of the local funcs, tables, memories, globals and tags, by kind. */
  locals: Record<CoreKind, CoreEntityShape[]>;
}

/** The output of a module without core definitions: wabt is not run. */
export function noCoreOutput(): CoreOutput {
  return { extraTypes: [], before: [], after: [], locals: perCoreKind(() => []) };
}

/** Assembles the core fields of a module-linking module. */
export function assembleCoreFields(
  scope: Scope,
  form: ModuleForm,
  fields: readonly Field[],
  edits: ReadonlyMap<Field, Edit[]>,
  assemble: CoreAssembler,
): CoreOutput {
  const core = fields.filter((f) => f.tag === "local" || f.tag === "core");
  checkCoreNesting(core.map((f) => f.list), scope.file);
  const text = new MappedText(scope.file.source);
  text.generated("(module", form.origin);
  writeHeader(scope, text);
  const annotated = mayHoldAnnotations(scope.file);
  for (const f of core) {
    // Inline exports are ours to write; they precede any sugar in the field.
    const own: Edit[] = f.exportLists.map((l) => ({ start: l.start, end: l.end, text: " " }));
    for (const e of edits.get(f) ?? []) own.push(e);
    text.generated("\n", f.list.start);
    text.copyEdited(f.list.start, f.list.end, withAnnotationBlanks(f.list, own, annotated));
  }
  text.generated(")", Math.max(form.origin, form.end - 1));
  const ir = assembleText(scope, text, assemble, form);
  return splitOutput(scope, form, ir);
}

/** Declares the module's type index space, then imports its funcs, tables, memories, globals and tags. */
function writeHeader(scope: Scope, text: MappedText): void {
  for (const t of scope.types) {
    const id = t.coreId !== undefined ? ` ${t.coreId}` : "";
    text.generated(` (type${id} ${typeDefText(t.shape)})`, t.origin);
  }
  for (const kind of CORE_KINDS) {
    for (const e of scope.spaces[kind]) {
      const id = e.coreId !== undefined ? ` ${e.coreId}` : "";
      text.generated(
        ` (import "" "" (${KIND_NAMES[kind]}${id}${importTypeText(scope, e.type)}))`,
        e.origin,
      );
    }
  }
}

/** Sorts the sections wabt wrote into what goes where, and the shapes of the local definitions. */
function splitOutput(scope: Scope, form: ModuleForm, ir: ModuleIR): CoreOutput {
  const declared = scope.types.length;
  const out = noCoreOutput();
  let types: TypeDef[] = [];
  for (const s of ir.sections) {
    switch (s.id) {
      case SectionId.Type:
        if (s.types.length < declared) {
          throw scope.file.error(form.origin, "internal error: wabt dropped declared types");
        }
        types = s.types;
        out.extraTypes = s.types.slice(declared);
        break;
      case SectionId.Function:
        for (const t of s.funcs) {
          const def = types[t];
          const func = def?.form === "func"
            ? { params: def.params, results: def.results }
            : { params: [], results: [] };
          out.locals[Kind.Func].push({ kind: Kind.Func, func });
        }
        out.before.push(s);
        break;
      case SectionId.Table:
        for (const table of s.tables) out.locals[Kind.Table].push({ kind: Kind.Table, table });
        out.before.push(s);
        break;
      case SectionId.Memory:
        for (const memory of s.memories) {
          out.locals[Kind.Memory].push({ kind: Kind.Memory, memory });
        }
        out.before.push(s);
        break;
      case SectionId.Global:
        for (const g of s.globals) {
          out.locals[Kind.Global].push({ kind: Kind.Global, global: g.type });
        }
        out.before.push(s);
        break;
      case SectionId.Tag:
        for (const t of s.tags) {
          const def = types[t];
          const tag = def?.form === "func"
            ? { params: def.params, results: def.results }
            : { params: [], results: [] };
          out.locals[Kind.Tag].push({ kind: Kind.Tag, tag });
        }
        out.before.push(s);
        break;
      case SectionId.Start:
      case SectionId.Element:
      case SectionId.Code:
      case SectionId.Data:
      case SectionId.DataCount:
        out.after.push(s);
        break;
    }
  }
  return out;
}

/** Assembles a module without module-linking syntax entirely with wabt. */
export function assembleCoreModule(
  scope: Scope,
  form: ModuleForm,
  fields: readonly Field[],
  assemble: CoreAssembler,
): Lowered {
  checkCoreNesting(fields.map((f) => f.list), scope.file);
  const text = new MappedText(scope.file.source);
  text.generated("(module", form.origin);
  const annotated = mayHoldAnnotations(scope.file);
  for (const f of fields) {
    text.generated("\n", f.list.start);
    text.copyEdited(f.list.start, f.list.end, withAnnotationBlanks(f.list, [], annotated));
  }
  text.generated(")", Math.max(form.origin, form.end - 1));
  const ir = assembleText(scope, text, assemble, form);
  const sections: Section[] = ir.sections.filter((s) => s.id !== SectionId.Custom);
  const names = namesOf(moduleName(form, scope.file), coreFuncNames(scope, fields));
  if (names !== undefined) sections.push(names);
  return { ir: { sections }, type: coreModuleShape(ir) };
}

/**
 * The names `(@name "…")` annotations give the functions of a plain core
 * module, by index: imported functions first, in order, then local ones.
 */
function coreFuncNames(scope: Scope, fields: readonly Field[]): Map<number, string> {
  const names = new Map<number, string>();
  const funcs = fields.filter((f) => f.kind === Kind.Func);
  const imports = funcs.filter((f) => f.tag !== "local");
  const locals = funcs.filter((f) => f.tag === "local");
  const name = (f: Field, index: number) => {
    const value = fieldName(f, scope.file);
    if (value !== undefined) names.set(index, value);
  };
  imports.forEach((f, i) => name(f, i));
  for (const f of locals) name(f, imports.length + f.local!);
  return names;
}

/** Runs wabt on `text`; its errors become errors at the original position. */
function assembleText(
  scope: Scope,
  text: MappedText,
  assemble: CoreAssembler,
  form: ModuleForm,
): ModuleIR {
  const source = text.text();
  const result = assemble(source);
  if (!(result instanceof Uint8Array)) {
    const at = offsetOfLineColumn(source, result.line, result.byteColumn);
    throw scope.file.error(text.originOf(at), result.message);
  }
  try {
    return decode(result);
  } catch (e) {
    if (!(e instanceof CompileError)) throw e;
    throw scope.file.error(
      form.origin,
      `internal error: wabt's output does not decode: ${e.message}`,
    );
  }
}

// ---- types as core text ---------------------------------------------------

/** The definition of a type in the header: module and instance types stand in as the placeholder. */
function typeDefText(shape: TypeShape): string {
  switch (shape.form) {
    case "func":
      return `(func${funcTypeText(shape.func)})`;
    case "module":
    case "instance":
      return PLACEHOLDER_FUNC;
    default:
      return unreachable(shape, "type form");
  }
}

/** The text of an imported or aliased item's type, after its identifier. */
function importTypeText(scope: Scope, type: EntityShape): string {
  switch (type.kind) {
    case Kind.Func: {
      const index = scope.findFuncType(type.func);
      return index !== undefined ? ` (type ${index})` : funcTypeText(type.func);
    }
    case Kind.Table:
      return tableText(type.table);
    case Kind.Memory:
      return memoryText(type.memory);
    case Kind.Global:
      return globalText(type.global);
    case Kind.Tag: {
      const index = scope.findFuncType(type.tag);
      return index !== undefined ? ` (type ${index})` : funcTypeText(type.tag);
    }
    case Kind.Module:
    case Kind.Instance:
      return "";
    default:
      return unreachable(type, "entity kind");
  }
}

function valTypesText(types: readonly ValType[]): string {
  return types.map((t) => VALTYPE_NAMES.get(t) ?? "i32").join(" ");
}

/** The text of a function type: ` (param …) (result …)`, each part only when not empty. */
function funcTypeText(type: FuncType): string {
  let text = "";
  if (type.params.length > 0) text += ` (param ${valTypesText(type.params)})`;
  if (type.results.length > 0) text += ` (result ${valTypesText(type.results)})`;
  return text;
}

/** The text of a table type after the identifier: ` 1 10 funcref`. */
function tableText(t: TableType): string {
  const max = t.limits.max !== undefined ? ` ${t.limits.max}` : "";
  return ` ${t.limits.min}${max} ${VALTYPE_NAMES.get(t.elem) ?? "funcref"}`;
}

/** The text of a memory type after the identifier: ` i64 1 2 shared`. */
function memoryText(m: MemoryType): string {
  const max = m.limits.max !== undefined ? ` ${m.limits.max}` : "";
  return `${m.memory64 ? " i64" : ""} ${m.limits.min}${max}${m.shared ? " shared" : ""}`;
}

/** The text of a global type after the identifier: ` (mut i32)`. */
function globalText(g: GlobalType): string {
  const t = VALTYPE_NAMES.get(g.type) ?? "i32";
  return g.mutable ? ` (mut ${t})` : ` ${t}`;
}
