/**
 * What lowering one module takes and gives: the module form, the context
 * every module of one text shares, and the lowered result. Kept apart from
 * the lowering itself, which `resolve.ts`, `core.ts` and `embed.ts` share
 * without importing each other in a circle.
 *
 * @module
 */

import type { ModuleIR } from "../ir.ts";
import type { SAtom, SExpr, SList, SourceFile } from "./sexpr.ts";
import type { ModuleShape } from "./shapes.ts";
import { nameAnnotation } from "./annotations.ts";
import { isAtom } from "./syntax.ts";
import type { CoreAssembler } from "./wabt.ts";

/** A module to lower: its fields, identifier and where it starts. */
export interface ModuleForm {
  /** The module's identifier, if it has one. */
  id?: SAtom;
  /** Its fields, or for `(module binary …)` and `(module quote …)` the keyword and strings. */
  fields: readonly SExpr[];
  /** Offset of the `(module` (0 for a file of bare fields). */
  origin: number;
  /** Offset of its end. */
  end: number;
  /** The `(module …)` list, when the module is written as one: its annotations are the module's. */
  list?: SList;
}

/** Files read for `(file …)` forms, by the offset of their path string. */
export type ReadFiles = ReadonlyMap<number, Uint8Array>;

/** What lowering needs besides the module. */
export interface LowerContext {
  /** The text, where errors are reported. */
  file: SourceFile;
  /** The core assembler; needed only when some module has core definitions. */
  assemble?: CoreAssembler;
  /** Files read for nested `(module (file …))` forms, by the offset of their path. */
  files?: ReadFiles;
  /** Modules lowered so far, embedded ones included, against `MAX_MODULES`. */
  modules: { count: number };
}

/** A lowered module and its shape, as its parent sees it. */
export interface Lowered {
  /** The module's IR, nested modules included. */
  ir: ModuleIR;
  /** Its imports and exports, as its parent instantiates and aliases them. */
  type: ModuleShape;
}

/**
 * The name of the module of `form` for its name section: that of its
 * `(@name "…")` annotation, or else its identifier without the `$`.
 *
 * @example
 * ```ts
 * import { moduleFormOf, moduleName } from "./lowering.ts";
 * import { readSExprs, SourceFile, type SList } from "./sexpr.ts";
 * const text = '(module $m (@name "my module"))';
 * const [list] = readSExprs(text);
 * moduleName(moduleFormOf(list as SList), new SourceFile(text, "x.wat")); // "my module"
 * ```
 */
export function moduleName(form: ModuleForm, file: SourceFile): string | undefined {
  return nameAnnotation(form.list, file) ?? form.id?.text.slice(1);
}

/**
 * The module form of a `(module $id? field*)` list.
 *
 * @example
 * ```ts
 * import { moduleFormOf } from "./lowering.ts";
 * import { readSExprs, type SList } from "./sexpr.ts";
 * const [list] = readSExprs("(module $m (func))");
 * moduleFormOf(list as SList).id?.text; // "$m"
 * ```
 */
export function moduleFormOf(list: SList): ModuleForm {
  const id = isAtom(list.items[1], "id") ? list.items[1] : undefined;
  return { id, fields: list.items.slice(id ? 2 : 1), origin: list.start, end: list.end, list };
}
