/**
 * The core part of a module, compiled by wabt. For a module that uses
 * module linking, wabt is given a plain core module: a one-line header
 * declaring the module's whole type index space (module and instance types
 * as a placeholder func type, so indices line up) and one import per
 * imported or aliased func/table/memory/global, in index order, followed by
 * the module's own core fields (inline exports dropped, inline aliases
 * replaced by identifiers the header declares). Its sections are then
 * spliced after the module-linking ones.
 *
 * @module
 */

import { decode } from "../binary/decode.ts";
import { CompileError } from "../errors.ts";
import type { ModuleIR, Section, TypeDef } from "../ir.ts";
import { nameSection } from "../binary/names.ts";
import { type Edit, MappedText, offsetOfLineColumn } from "./coretext.ts";
import type { Field } from "./fields.ts";
import { checkCoreNesting } from "./nesting.ts";
import type { Lowered, ModuleForm } from "./resolve.ts";
import type { Scope } from "./scope.ts";
import {
  coreModuleType,
  type EntType,
  globalText,
  memoryText,
  sigText,
  tableText,
} from "./types.ts";
import type { CoreCompiler } from "./wabt.ts";

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
  /** Function, table, memory and global sections (before the export section). */
  before: Section[];
  /** Start, element, data count, code and data sections (after the export section). */
  after: Section[];
  /** Types of the local funcs, tables, memories and globals, by kind. */
  locals: EntType[][];
}

const KIND_WORDS = ["func", "table", "memory", "global"];

/** Compiles the core fields of a module-linking module. */
export function compileCore(
  scope: Scope,
  form: ModuleForm,
  fields: readonly Field[],
  edits: ReadonlyMap<Field, Edit[]>,
  compile: CoreCompiler,
): CoreOutput {
  const core = fields.filter((f) => f.tag === "local" || f.tag === "core");
  checkCoreNesting(core.map((f) => f.list), scope.file);
  const text = new MappedText(scope.file.source);
  text.generated("(module", form.origin);
  for (const t of scope.types) {
    const id = t.hid !== undefined ? ` ${t.hid}` : "";
    const func = t.shape.form === "func" ? `(func${sigText(t.shape.sig)})` : PLACEHOLDER_FUNC;
    text.generated(` (type${id} ${func})`, t.origin);
  }
  for (let kind = 0; kind < 4; kind++) {
    for (const e of scope.spaces[kind]) {
      const id = e.hid !== undefined ? ` ${e.hid}` : "";
      text.generated(
        ` (import "" "" (${KIND_WORDS[kind]}${id}${typeText(scope, e.type)}))`,
        e.origin,
      );
    }
  }
  for (const f of core) {
    // Inline exports are ours to write; they precede any sugar in the field.
    const all: Edit[] = f.exportLists.map((l) => ({ start: l.start, end: l.end, text: " " }));
    for (const e of edits.get(f) ?? []) all.push(e);
    text.generated("\n", f.list.start);
    text.copyEdited(f.list.start, f.list.end, all);
  }
  text.generated(")", Math.max(form.origin, form.end - 1));

  const ir = run(scope, text, compile, form);
  const declared = scope.types.length;
  const out: CoreOutput = { extraTypes: [], before: [], after: [], locals: [[], [], [], []] };
  let types: TypeDef[] = [];
  for (const s of ir.sections) {
    switch (s.id) {
      case 1:
        if (s.types.length < declared) {
          throw scope.file.error(form.origin, "internal error: wabt dropped declared types");
        }
        types = s.types;
        out.extraTypes = s.types.slice(declared);
        break;
      case 3:
        for (const t of s.funcs) {
          const def = types[t];
          const sig = def?.form === "func"
            ? { params: def.params, results: def.results }
            : { params: [], results: [] };
          out.locals[0].push({ kind: 0, sig });
        }
        out.before.push(s);
        break;
      case 4:
        for (const table of s.tables) out.locals[1].push({ kind: 1, table });
        out.before.push(s);
        break;
      case 5:
        for (const memory of s.memories) out.locals[2].push({ kind: 2, memory });
        out.before.push(s);
        break;
      case 6:
        for (const g of s.globals) out.locals[3].push({ kind: 3, global: g.type });
        out.before.push(s);
        break;
      case 8:
      case 9:
      case 10:
      case 11:
      case 12:
        out.after.push(s);
        break;
    }
  }
  return out;
}

/** The text of an imported or aliased item's type, after its identifier. */
function typeText(scope: Scope, type: EntType): string {
  switch (type.kind) {
    case 0: {
      const index = scope.findFuncType(type.sig);
      return index !== undefined ? ` (type ${index})` : sigText(type.sig);
    }
    case 1:
      return tableText(type.table);
    case 2:
      return memoryText(type.memory);
    case 3:
      return globalText(type.global);
    default:
      return "";
  }
}

/** Compiles a module without module-linking syntax entirely with wabt. */
export function compileCoreOnly(
  scope: Scope,
  form: ModuleForm,
  fields: readonly Field[],
  compile: CoreCompiler,
): Lowered {
  checkCoreNesting(fields.map((f) => f.list), scope.file);
  const text = new MappedText(scope.file.source);
  text.generated("(module", form.origin);
  for (const f of fields) {
    text.generated("\n", f.list.start);
    text.copy(f.list.start, f.list.end);
  }
  text.generated(")", Math.max(form.origin, form.end - 1));
  const ir = run(scope, text, compile, form);
  const sections: Section[] = ir.sections.filter((s) => s.id !== 0);
  if (form.id !== undefined) sections.push(nameSection(form.id.text.slice(1)));
  return { ir: { sections }, type: coreModuleType(ir) };
}

/** Runs wabt on `text`; its errors become errors at the original position. */
function run(scope: Scope, text: MappedText, compile: CoreCompiler, form: ModuleForm): ModuleIR {
  const source = text.text();
  const result = compile(source);
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
