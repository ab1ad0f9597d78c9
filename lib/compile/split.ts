/**
 * Builds the core wasm module of one module-linking module: what V8
 * compiles. Imported and aliased funcs, tables, memories and globals become
 * core imports in index order (named `""`/`"0"`, `"1"`, … so the runtime can
 * pass one array as the import object); module and instance types become a
 * placeholder func type so that type indices line up; the module's own
 * definitions and code are copied as they are.
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
  /** How many funcs, tables, memories and globals are imported or aliased, by kind. */
  readonly importedCounts: Readonly<Record<CoreKind, number>>;
}

// Sections that define or initialize something of the module's own.
const DEFINING: ReadonlySet<number> = new Set([
  SectionId.Function,
  SectionId.Table,
  SectionId.Memory,
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
  // only aliased functions use.
  const coreTypeOf = new Map<number, number>();
  parts.typeSlots.forEach((slot, i) => {
    if (slot.form === "func" && !coreTypeOf.has(slot.index)) {
      coreTypeOf.set(slot.index, i);
    }
  });
  const imports: Import[] = parts.coreImports.map((type, i) => {
    const field = String(i);
    if (type.kind !== Kind.Func) return { module: "", field, desc: type };
    let index = coreTypeOf.get(type.type);
    if (index === undefined) {
      index = funcTypes.push(types.funcs[type.type]) - 1;
      coreTypeOf.set(type.type, index);
    }
    return { module: "", field, desc: { kind: Kind.Func, type: index } };
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
  // Custom sections among the core ones are kept; those of the prelude are not.
  let inCore = false;
  for (const s of ir.sections) {
    if (isCoreSection(s.id)) inCore = true;
    if (s.id === SectionId.Export) {
      sections.push(localExports(s, parts.importedCounts));
    } else if (isCoreSection(s.id) || (s.id === SectionId.Custom && inCore)) {
      sections.push(s);
    }
  }
  return encode({ sections });
}

/** The exports that a core instance gives: locally defined funcs, tables, memories, globals. */
function localExports(
  s: ExportSection,
  importedCounts: Readonly<Record<CoreKind, number>>,
): ExportSection {
  return {
    id: SectionId.Export,
    exports: s.exports.filter((e) => isCoreKind(e.kind) && e.index >= importedCounts[e.kind]),
  };
}
