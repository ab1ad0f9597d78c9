/**
 * Builds the core wasm module of one module-linking module: what V8
 * compiles. Imported and aliased funcs, tables, memories, globals and tags
 * become core imports in index order (named `""`/`"0"`, `"1"`, … so the
 * runtime can pass one array as the import object); module and instance
 * types become a placeholder func type so that type indices line up; the
 * module's own definitions and code (the tag section included) are copied
 * as they are.
 *
 * @module
 */

import { encode } from "../binary/encode.ts";
import {
  type CoreKind,
  type ExportSection,
  type Import,
  isCoreKind,
  Kind,
  type ModuleIR,
  type Section,
  SectionId,
  unreachable,
} from "../ir.ts";
import type { CoreEntityType, TypeTables } from "../types.ts";
import { isCoreSection } from "./order.ts";
import type { TypeSlot } from "./spaces.ts";

/** What the split needs to know about a validated module. */
export interface CoreParts {
  readonly ir: ModuleIR;
  readonly types: TypeTables;
  /** The module's type index space. */
  readonly typeSlots: readonly TypeSlot[];
  /** Imported and aliased core entities, in binary order. */
  readonly coreImports: readonly CoreEntityType[];
  /** How many funcs, tables, memories, globals and tags are imported or aliased, by kind. */
  readonly importedCounts: Readonly<Record<CoreKind, number>>;
}

// Sections that define or initialize something of the module's own.
const DEFINING: ReadonlySet<number> = new Set([
  SectionId.Function,
  SectionId.Table,
  SectionId.Memory,
  SectionId.Tag,
  SectionId.Global,
  SectionId.Start,
  SectionId.Element,
  SectionId.Code,
  SectionId.Data,
]);

/**
 * The core wasm bytes, or `null` when the module neither defines anything a
 * core instance would hold nor imports a core entity (whose type V8 should
 * check at link time: a host value's type is not known before).
 */
export function buildCoreModule(parts: CoreParts): Uint8Array | null {
  const { ir, types } = parts;
  const needed = ir.sections.some((s) =>
    DEFINING.has(s.id) ||
    (s.id === SectionId.Import && s.imports.some((i) => isCoreKind(i.desc.kind)))
  );
  if (!needed) return null;

  const funcTypes = parts.typeSlots.map((slot) =>
    slot.form === "func" ? types.funcs[slot.index] : { params: [], results: [] }
  );
  // Core type index of each func type of the tables, appending the ones that
  // only aliased functions and tags use.
  const coreTypeOf = new Map<number, number>();
  parts.typeSlots.forEach((slot, i) => {
    if (slot.form === "func" && !coreTypeOf.has(slot.index)) {
      coreTypeOf.set(slot.index, i);
    }
  });
  const coreType = (func: number): number => {
    let index = coreTypeOf.get(func);
    if (index === undefined) {
      index = funcTypes.push(types.funcs[func]) - 1;
      coreTypeOf.set(func, index);
    }
    return index;
  };
  const imports: Import[] = parts.coreImports.map((type, i) => {
    const field = String(i);
    switch (type.kind) {
      case Kind.Func:
      case Kind.Tag:
        // Funcs and tags name a type of the core module's type section.
        return { module: "", field, desc: { kind: type.kind, type: coreType(type.type) } };
      case Kind.Table:
      case Kind.Memory:
      case Kind.Global:
        return { module: "", field, desc: type };
      default:
        return unreachable(type, "core entity type");
    }
  });

  const sections: Section[] = [];
  if (funcTypes.length > 0) {
    sections.push({
      id: SectionId.Type,
      types: funcTypes.map((f) => ({
        form: "func",
        params: [...f.params],
        results: [...f.results],
      })),
    });
  }
  if (imports.length > 0) sections.push({ id: SectionId.Import, imports });
  for (const s of copiedSections(ir)) {
    sections.push(s.id === SectionId.Export ? localExports(s, parts.importedCounts) : s);
  }
  return encode({ sections });
}

/**
 * The sections of `ir` that its core module keeps, in order: the core
 * sections, and the custom sections among them (those of the prelude are
 * not). The export section is kept with its local exports only.
 */
export function copiedSections(ir: ModuleIR): Section[] {
  const copied: Section[] = [];
  let inCore = false;
  for (const s of ir.sections) {
    if (isCoreSection(s.id)) inCore = true;
    if (isCoreSection(s.id) || (s.id === SectionId.Custom && inCore)) copied.push(s);
  }
  return copied;
}

/** The exports that a core instance gives: locally defined funcs, tables, memories, globals, tags. */
function localExports(
  s: ExportSection,
  importedCounts: Readonly<Record<CoreKind, number>>,
): ExportSection {
  return {
    id: SectionId.Export,
    exports: s.exports.filter((e) => isCoreKind(e.kind) && e.index >= importedCounts[e.kind]),
  };
}
