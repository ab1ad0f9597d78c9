/**
 * Section order rules, and whether a module uses module linking at all.
 *
 * @module
 */

import type { ModuleIR, Section } from "../ir.ts";

/** Names of sections, for messages. */
export const SECTION_NAMES: Readonly<Record<number, string>> = {
  0: "custom",
  1: "type",
  2: "import",
  3: "function",
  4: "table",
  5: "memory",
  6: "global",
  7: "export",
  8: "start",
  9: "element",
  10: "code",
  11: "data",
  12: "data count",
  13: "tag",
  14: "module",
  15: "instance",
  16: "alias",
};

// Position of each core section after the module-linking prelude.
const CORE_RANK: Readonly<Record<number, number>> = {
  3: 1,
  4: 2,
  5: 3,
  6: 4,
  7: 5,
  8: 6,
  9: 7,
  12: 8,
  10: 9,
  11: 10,
};

const PRELUDE = new Set([1, 2, 14, 15, 16]);

/**
 * Whether a module uses any module-linking feature. A module that does not
 * must behave exactly as core wasm: one type and one import section at most,
 * duplicate import names allowed.
 */
export function usesModuleLinking(module: ModuleIR): boolean {
  for (const s of module.sections) {
    switch (s.id) {
      case 14:
      case 15:
      case 16:
        return true;
      case 1:
        if (s.types.some((t) => t.form !== "func")) return true;
        break;
      case 2:
        if (s.imports.some((i) => i.field === null || i.desc.kind >= 5)) {
          return true;
        }
        break;
      case 7:
        if (s.exports.some((e) => e.kind >= 5)) return true;
        break;
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
  let last = 0;
  const seen = new Set<number>();
  for (const s of module.sections) {
    if (s.id === 0) continue;
    const name = SECTION_NAMES[s.id];
    if (PRELUDE.has(s.id)) {
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
        if (seen.has(s.id) || (s.id === 1 && seen.has(2))) {
          return {
            message:
              `unexpected ${name} section: out of order or repeated (junk after last section)`,
            section: s,
          };
        }
      }
    } else {
      const r = CORE_RANK[s.id];
      if (r <= rank) {
        return {
          message: r === rank
            ? `duplicate ${name} section (junk after last section)`
            : `unexpected ${name} section after the ${
              SECTION_NAMES[last]
            } section (junk after last section)`,
          section: s,
        };
      }
      rank = r;
    }
    seen.add(s.id);
    last = s.id;
  }
  return null;
}
