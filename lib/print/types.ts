/**
 * Types and import descriptions as module-linking text, every type use
 * written as a numeric `(type N)` so that the text front-end generates no
 * type of its own when it reads them back.
 *
 * @module
 */

import {
  type ExportTypeDecl,
  type FuncTypeDef,
  type GlobalType,
  type Import,
  type ImportDesc,
  Kind,
  KIND_NAMES,
  type Limits,
  type MemoryType,
  type TableType,
  type TypeDef,
  unreachable,
  type ValType,
  VALTYPE_NAMES,
} from "../ir.ts";
import { quoted } from "./strings.ts";

/** A value type's keyword; a byte that is none stays visible as a comment. */
export function valTypeText(type: ValType): string {
  return VALTYPE_NAMES.get(type) ?? `(;0x${type.toString(16)};)`;
}

/** ` (param …) (result …)`, each part only when not empty. */
export function signatureText(type: Pick<FuncTypeDef, "params" | "results">): string {
  let text = "";
  if (type.params.length > 0) text += ` (param ${type.params.map(valTypeText).join(" ")})`;
  if (type.results.length > 0) text += ` (result ${type.results.map(valTypeText).join(" ")})`;
  return text;
}

function limitsText(limits: Limits): string {
  return limits.max === undefined ? `${limits.min}` : `${limits.min} ${limits.max}`;
}

/** `1 10 funcref`. */
export function tableTypeText(t: TableType): string {
  return `${limitsText(t.limits)} ${valTypeText(t.elem)}`;
}

/** `i64 1 2 shared`. */
export function memoryTypeText(m: MemoryType): string {
  return `${m.memory64 ? "i64 " : ""}${limitsText(m.limits)}${m.shared ? " shared" : ""}`;
}

/** `i32` or `(mut i32)`. */
export function globalTypeText(g: GlobalType): string {
  return g.mutable ? `(mut ${valTypeText(g.type)})` : valTypeText(g.type);
}

/**
 * An import or export description: `(func (;3;) (type 0))`, `(memory 1)`,
 * `(instance (type 2))`. `comment` follows the kind (an index comment).
 */
export function descText(desc: ImportDesc, comment = ""): string {
  const head = `${KIND_NAMES[desc.kind]}${comment}`;
  switch (desc.kind) {
    case Kind.Func:
    case Kind.Tag:
    case Kind.Module:
    case Kind.Instance:
      return `(${head} (type ${desc.type}))`;
    case Kind.Table:
      return `(${head} ${tableTypeText(desc.type)})`;
    case Kind.Memory:
      return `(${head} ${memoryTypeText(desc.type)})`;
    case Kind.Global:
      return `(${head} ${globalTypeText(desc.type)})`;
    default:
      return unreachable(desc, "import description");
  }
}

/** `(import "a" "b" desc)`, or `(import "a" desc)` for a single-level import. */
export function importText(imp: Import, comment = ""): string {
  const field = imp.field === null ? "" : ` ${quoted(imp.field)}`;
  return `(import ${quoted(imp.module)}${field} ${descText(imp.desc, comment)})`;
}

function exportDeclText(e: ExportTypeDecl): string {
  return `(export ${quoted(e.name)} ${descText(e.desc)})`;
}

/** A type definition: `(func …)`, `(module (import …)* (export …)*)` or `(instance (export …)*)`. */
export function typeDefText(def: TypeDef): string {
  switch (def.form) {
    case "func":
      return `(func${signatureText(def)})`;
    case "module": {
      const decls = [...def.imports.map((i) => importText(i)), ...def.exports.map(exportDeclText)];
      return `(module${decls.map((d) => ` ${d}`).join("")})`;
    }
    case "instance":
      return `(instance${def.exports.map((e) => ` ${exportDeclText(e)}`).join("")})`;
    default:
      return unreachable(def, "type form");
  }
}

/** `(@name "…")`: how the text gives a module or a function a name that the name section holds. */
export function nameAnnotationText(name: string): string {
  return `(@name ${quoted(name)})`;
}
