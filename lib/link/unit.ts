/**
 * One input of `link`, decoded and compiled on its own: its IR (to nest as
 * it is) and, from the compiler, its imports as written and its module type.
 *
 * @module
 */

import { decode } from "../binary/decode.ts";
import type { CompiledBlob, CompiledImport } from "../compiled.ts";
import { compileModuleIR } from "../compile/mod.ts";
import { CompileError } from "../errors.ts";
import { Kind, type ModuleIR } from "../ir.ts";
import type { EntityType, ModuleType, NamedType, TypeTables } from "../types.ts";

/** An input of `link`, validated and described. */
export interface LinkUnit {
  /** How messages name it: the main input's name, or `module NAME`. */
  readonly label: string;
  /** The name other modules import it by; `null` for the main module. */
  readonly name: string | null;
  /** Its decoded binary, nested into the output as it is. */
  readonly ir: ModuleIR;
  /** The types its compiled description refers to. */
  readonly tables: TypeTables;
  /** Its imports as written (two-level ones one by one). */
  readonly imports: readonly CompiledImport[];
  /** Its module type: imports by single name (two-level ones grouped), exports. */
  readonly type: ModuleType;
  /** Its module type as an entity type of `tables`. */
  readonly entity: EntityType;
}

/**
 * Decodes and compiles `bytes` (no V8: core validation happens when the
 * linked output is compiled). A `CompileError` gets `label` in front of its path.
 */
export function loadUnit(bytes: Uint8Array, label: string, name: string | null): LinkUnit {
  let ir: ModuleIR;
  let blob: CompiledBlob;
  try {
    ir = decode(bytes);
    blob = compileModuleIR(ir);
  } catch (e) {
    if (!(e instanceof CompileError)) throw e;
    throw new CompileError(e.reason, { offset: e.offset, path: [label, ...e.path] }, { cause: e });
  }
  const root = blob.modules[blob.root];
  return {
    label,
    name,
    ir,
    tables: blob.types,
    imports: root.imports,
    type: blob.types.modules[root.type],
    entity: { kind: Kind.Module, type: root.type },
  };
}

/** The export `name` of the unit's instances, if it has one. */
export function exportOf(unit: LinkUnit, name: string): EntityType | undefined {
  return unit.type.exports.find((e) => e.name === name)?.type;
}

/** A list of names for messages, cut short after `max`. */
export function nameList(items: readonly NamedType[], max = 8): string {
  const names = items.slice(0, max).map((e) => JSON.stringify(e.name)).join(", ");
  return items.length > max ? `${names}, … (${items.length} in all)` : names;
}
