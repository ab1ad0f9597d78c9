/**
 * Section order rules, and whether a module uses module linking at all.
 *
 * @module
 */

import { isCoreKind, type ModuleIR, type Section, SectionId, unreachable } from "../ir.ts";

/** Names of sections, for messages. */
export const SECTION_NAMES: Readonly<Record<SectionId, string>> = {
  [SectionId.Custom]: "custom",
  [SectionId.Type]: "type",
  [SectionId.Import]: "import",
  [SectionId.Function]: "function",
  [SectionId.Table]: "table",
  [SectionId.Memory]: "memory",
  [SectionId.Global]: "global",
  [SectionId.Export]: "export",
  [SectionId.Start]: "start",
  [SectionId.Element]: "element",
  [SectionId.Code]: "code",
  [SectionId.Data]: "data",
  [SectionId.DataCount]: "data count",
  [SectionId.Tag]: "tag",
  [SectionId.Module]: "module",
  [SectionId.Instance]: "instance",
  [SectionId.Alias]: "alias",
};

/** The sections of the module-linking prelude, which precede every core section, in any order. */
type PreludeSectionId =
  | typeof SectionId.Type
  | typeof SectionId.Import
  | typeof SectionId.Module
  | typeof SectionId.Instance
  | typeof SectionId.Alias;

/** The core sections: those that follow the prelude, in a fixed order. */
type CoreSectionId = Exclude<Section["id"], PreludeSectionId | typeof SectionId.Custom>;

const PRELUDE: ReadonlySet<number> = new Set<PreludeSectionId>([
  SectionId.Type,
  SectionId.Import,
  SectionId.Module,
  SectionId.Instance,
  SectionId.Alias,
]);

// Position of each core section after the module-linking prelude. A record,
// so that a new core section must be given its place.
const CORE_RANK: Readonly<Record<CoreSectionId, number>> = {
  [SectionId.Function]: 1,
  [SectionId.Table]: 2,
  [SectionId.Memory]: 3,
  // The tag section (exception handling) sits between memories and globals.
  [SectionId.Tag]: 4,
  [SectionId.Global]: 5,
  [SectionId.Export]: 6,
  [SectionId.Start]: 7,
  [SectionId.Element]: 8,
  [SectionId.DataCount]: 9,
  [SectionId.Code]: 10,
  [SectionId.Data]: 11,
};

/** Whether section `id` is one of the module-linking prelude's: type, import, module, instance, alias. */
function isPreludeSection(id: Section["id"]): id is PreludeSectionId {
  return PRELUDE.has(id);
}

/**
 * Whether section `id` is a core section: function up to data, the sections
 * a core module holds after its types and imports.
 */
export function isCoreSection(id: Section["id"]): id is CoreSectionId {
  return id !== SectionId.Custom && !isPreludeSection(id);
}

/**
 * Whether a module uses any module-linking feature. A top-level module that
 * does not must behave exactly as core wasm: one type and one import
 * section at most, duplicate import names allowed. Tags are core: they do
 * not make a module use module linking.
 */
export function usesModuleLinking(module: ModuleIR): boolean {
  for (const s of module.sections) {
    switch (s.id) {
      case SectionId.Module:
      case SectionId.Instance:
      case SectionId.Alias:
        return true;
      case SectionId.Type:
        if (s.types.some((t) => t.form !== "func")) return true;
        break;
      case SectionId.Import:
        if (s.imports.some((i) => i.field === null || !isCoreKind(i.desc.kind))) {
          return true;
        }
        break;
      case SectionId.Export:
        if (s.exports.some((e) => !isCoreKind(e.kind))) return true;
        break;
      case SectionId.Custom:
      case SectionId.Function:
      case SectionId.Table:
      case SectionId.Memory:
      case SectionId.Tag:
      case SectionId.Global:
      case SectionId.Start:
      case SectionId.Element:
      case SectionId.Code:
      case SectionId.Data:
      case SectionId.DataCount:
        break;
      default:
        unreachable(s, "section");
    }
  }
  return false;
}

/**
 * Checks the order and repetition of sections; returns a message for the
 * first offending section, or null.
 */
export function sectionOrderError(
  module: ModuleIR,
  moduleLinking: boolean,
): { message: string; section: Section } | null {
  let rank = 0;
  let last: Section["id"] = SectionId.Custom;
  const seen = new Set<Section["id"]>();
  for (const s of module.sections) {
    if (s.id === SectionId.Custom) continue;
    const name = SECTION_NAMES[s.id];
    if (isPreludeSection(s.id)) {
      if (rank > 0) {
        return {
          message: `unexpected ${name} section after the ${
            SECTION_NAMES[last]
          } section: type, import, module, instance and alias sections must precede core sections`,
          section: s,
        };
      }
      if (!moduleLinking) {
        // Core wasm: at most one type section, then at most one import section.
        if (seen.has(s.id) || (s.id === SectionId.Type && seen.has(SectionId.Import))) {
          return {
            message:
              `unexpected ${name} section: out of order or repeated (junk after last section)`,
            section: s,
          };
        }
      }
    } else {
      const sectionRank = CORE_RANK[s.id];
      if (sectionRank <= rank) {
        return {
          message: sectionRank === rank
            ? `duplicate ${name} section (junk after last section)`
            : `unexpected ${name} section after the ${
              SECTION_NAMES[last]
            } section (junk after last section)`,
          section: s,
        };
      }
      rank = sectionRank;
    }
    seen.add(s.id);
    last = s.id;
  }
  return null;
}
