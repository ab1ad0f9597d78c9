/**
 * The core part of a module as text, by wabt's disassembler. For a module
 * that uses module linking, wabt is given the core module the text
 * front-end would give it: the module's whole type index space (module and
 * instance types stand in as a func type, so indices line up), one import
 * per imported or aliased func, table, memory, global and tag in index
 * order, then the module's own core sections. Its output's definitions are
 * then the module's core fields, with the same numeric indices.
 *
 * @module
 */

import { encode } from "../binary/encode.ts";
import { isCoreSection } from "../compile/order.ts";
import { CompileError, WatError } from "../errors.ts";
import {
  type CoreKind,
  type Import,
  type ImportDesc,
  isCoreKind,
  Kind,
  type ModuleIR,
  type Section,
  SectionId,
  type TypeDef,
  unreachable,
  ValType,
} from "../ir.ts";
import { readSExprs, type SExpr, type SList } from "../text/sexpr.ts";
import type { Disassembler } from "./disassemble.ts";
import { nameAnnotationText, signatureText } from "./types.ts";

/** A field of wabt's output: its head keyword and its text. */
export interface CoreField {
  head: string;
  text: string;
}

/** Fields that wabt writes for what the module-linking text writes itself. */
const WRITTEN_BY_US: ReadonlySet<string> = new Set(["type", "import", "export"]);

/** What {@linkcode coreFields} needs besides the module. */
export interface CoreFieldsOptions {
  /** The module's type index space, outer type aliases resolved (`undefined` where one cannot be). */
  typeSpace: readonly (TypeDef | undefined)[];
  /** The type indices of the types wabt added when the module was assembled, if any. */
  implicit?: { from: number; to: number };
  /** Function names by function index. */
  funcNames: ReadonlyMap<number, string>;
  disassemble: Disassembler;
}

/**
 * The core fields of `ir`, a module that uses module linking: its
 * definitions, segments and start, without types, imports and exports.
 * Type uses of types in `implicit` are rewritten as inline signatures, so
 * that wabt adds those types again, as it did when the module was
 * assembled.
 */
export function coreFields(ir: ModuleIR, options: CoreFieldsOptions): CoreField[] {
  const { typeSpace, implicit, funcNames, disassemble } = options;
  const text = disassemble(encode(coreModule(ir, typeSpace)));
  return fieldsOf(text)
    .filter((f) => !WRITTEN_BY_US.has(f.head))
    .map((f) => {
      const edits = nameEdits(f, funcNames);
      if (implicit !== undefined) edits.push(...typeUseEdits(f, typeSpace, implicit));
      return { head: f.head, text: edited(f, edits) };
    });
}

/**
 * Every field of `ir`, a core module that uses no module linking, as wabt
 * writes it, with the names of `funcNames` written as `(@name "…")`.
 */
export function wholeModuleFields(
  ir: ModuleIR,
  funcNames: ReadonlyMap<number, string>,
  disassemble: Disassembler,
): CoreField[] {
  const sections = ir.sections.filter((s) => s.id !== SectionId.Custom);
  return fieldsOf(disassemble(encode({ sections }))).map((f) => ({
    head: f.head,
    text: edited(f, nameEdits(f, funcNames)),
  }));
}

/** A replacement of the text from `start` to `end`, offsets in the disassembly. */
interface Edit {
  start: number;
  end: number;
  text: string;
}

/** The text of `field` with `edits` made. */
function edited(field: ReadField, edits: Edit[]): string {
  edits.sort((a, b) => b.start - a.start);
  let text = field.text;
  for (const e of edits) {
    const start = e.start - field.start;
    const end = e.end - field.start;
    // A dropped list takes the space before it along.
    const from = e.text === "" && text[start - 1] === " " ? start - 1 : start;
    text = text.slice(0, from) + e.text + text.slice(end);
  }
  return text;
}

/**
 * `(@name "…")` after `(func (;N;)` for a function `funcNames` names: a
 * definition, or (in a whole core module) an import.
 */
function nameEdits(field: ReadField, funcNames: ReadonlyMap<number, string>): Edit[] {
  if (funcNames.size === 0) return [];
  let func: SList | undefined;
  if (field.head === "func") func = field.list;
  else if (field.head === "import") {
    const desc = field.list.items[field.list.items.length - 1];
    if (desc?.type === "list" && desc.items[0]?.type === "atom" && desc.items[0].text === "func") {
      func = desc;
    }
  }
  if (func === undefined) return [];
  // wabt writes the index as a comment right after the keyword: `(func (;3;)`.
  const after = func.items[0].end;
  const m = /^ \(;(\d+);\)/.exec(field.text.slice(after - field.start));
  const name = m === null ? undefined : funcNames.get(Number(m[1]));
  if (name === undefined) return [];
  const at = after + m![0].length;
  return [{ start: at, end: at, text: ` ${nameAnnotationText(name)}` }];
}

/** Whether section `id` holds core definitions, segments or the start function: a core section but exports. */
export function isCoreDefinitionSection(id: Section["id"]): boolean {
  return isCoreSection(id) && id !== SectionId.Export;
}

/** The core module wabt disassembles for `ir`. */
function coreModule(ir: ModuleIR, typeSpace: readonly (TypeDef | undefined)[]): ModuleIR {
  const types: TypeDef[] = typeSpace.map((t) =>
    t?.form === "func" ? t : { form: "func", params: [], results: [] }
  );
  // Imported items keep their types; aliased ones get stand-ins, which wabt
  // needs only to read the module (the printed text declares none of them).
  const anyFunc = types.length;
  types.push({ form: "func", params: [], results: [] });
  const funcType = (index: number) => index < anyFunc ? index : anyFunc;
  const imports: Import[] = [];
  for (const s of ir.sections) {
    if (s.id === SectionId.Import) {
      for (const imp of s.imports) {
        if (!isCoreKind(imp.desc.kind)) continue;
        const desc = imp.desc.kind === Kind.Func || imp.desc.kind === Kind.Tag
          ? { kind: imp.desc.kind, type: funcType(imp.desc.type) }
          : imp.desc;
        imports.push({ module: "", field: "", desc });
      }
    } else if (s.id === SectionId.Alias) {
      for (const a of s.aliases) {
        if (a.form === "instanceExport" && isCoreKind(a.kind)) {
          imports.push({ module: "", field: "", desc: standIn(a.kind, anyFunc) });
        }
      }
    }
  }
  const sections: Section[] = [{ id: SectionId.Type, types }];
  if (imports.length > 0) sections.push({ id: SectionId.Import, imports });
  for (const s of ir.sections) if (isCoreDefinitionSection(s.id)) sections.push(s);
  return { sections };
}

/** A description of an aliased item of `kind`, good enough for reading the module. */
function standIn(kind: CoreKind, funcType: number): ImportDesc {
  switch (kind) {
    case Kind.Func:
    case Kind.Tag:
      return { kind, type: funcType };
    case Kind.Table:
      return { kind, type: { elem: ValType.FuncRef, limits: { min: 0 } } };
    case Kind.Memory:
      return { kind, type: { limits: { min: 0 }, shared: false, memory64: false } };
    case Kind.Global:
      return { kind, type: { type: ValType.I32, mutable: false } };
    default:
      return unreachable(kind, "core kind");
  }
}

/** A field of the disassembly, with the list it was read as. */
interface ReadField extends CoreField {
  list: SList;
  /** Offset of the field in the disassembly. */
  start: number;
}

/** The top-level fields of wabt's `(module …)`, each as its own text. */
function fieldsOf(text: string): ReadField[] {
  let forms: SExpr[];
  try {
    forms = readSExprs(text, "disassembly.wat");
  } catch (e) {
    // wabt prints what it cannot make sense of in an invalid module as `<…>`.
    if (!(e instanceof WatError)) throw e;
    throw new CompileError(
      `the core code cannot be printed: wabt's text of it is malformed (${
        e.message.split("\n")[0]
      })`,
    );
  }
  const [module] = forms;
  if (module?.type !== "list") {
    throw new CompileError("the core code cannot be printed: wabt wrote no module");
  }
  const fields: ReadField[] = [];
  for (const item of module.items.slice(1)) {
    if (item.type !== "list" || item.items[0]?.type !== "atom") continue;
    fields.push({
      head: item.items[0].text,
      text: text.slice(item.start, item.end),
      list: item,
      start: item.start,
    });
  }
  return fields;
}

/**
 * The edits that rewrite the type uses `(type N)` of `field` whose N is in
 * `implicit`: a func's or tag's own (its first item, which wabt follows
 * with the inline signature) is dropped, an instruction's becomes the
 * inline signature.
 */
function typeUseEdits(
  field: ReadField,
  typeSpace: readonly (TypeDef | undefined)[],
  implicit: { from: number; to: number },
): Edit[] {
  const edits: Edit[] = [];
  const own = field.list.items[1];
  // An explicit stack: instructions are flat, but a constant expression may nest.
  const stack: SList[] = [field.list];
  while (stack.length > 0) {
    for (const item of stack.pop()!.items) {
      if (item.type !== "list") continue;
      const index = typeUseIndex(item);
      if (index === undefined) {
        stack.push(item);
        continue;
      }
      if (index < implicit.from || index >= implicit.to) continue;
      const type = typeSpace[index];
      const signature = type?.form === "func" ? signatureText(type).trimStart() : "";
      edits.push({ start: item.start, end: item.end, text: item === own ? "" : signature });
    }
  }
  return edits;
}

/** N, when `e` is the type use `(type N)`. */
function typeUseIndex(e: SExpr): number | undefined {
  if (e.type !== "list" || e.items.length !== 2) return undefined;
  const [head, index] = e.items;
  if (head.type !== "atom" || head.text !== "type") return undefined;
  if (index.type !== "atom" || index.kind !== "number") return undefined;
  return Number(index.text);
}
