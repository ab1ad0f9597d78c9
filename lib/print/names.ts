/**
 * The names a module's `name` section gives, as far as the text can give
 * them back: the module's name and its functions' names, which the text
 * front-end writes from `$id` and `(@name "…")` (see `lib/binary/names.ts`).
 *
 * @module
 */

import { FUNCTION_NAMES_SUBSECTION, MODULE_NAME_SUBSECTION } from "../binary/codes.ts";
import { Reader } from "../binary/reader.ts";
import { moduleNameOf, namesOf } from "../binary/names.ts";
import { CompileError } from "../errors.ts";
import { type CustomSection, type ModuleIR, SectionId } from "../ir.ts";

/** A module's names, and the custom sections the text does not give back. */
export interface ModuleNames {
  /** The module's name, if it has one. */
  module?: string;
  /** Function names by function index. */
  funcs: ReadonlyMap<number, string>;
  /** Custom sections other than a `name` section the text writes exactly as it is. */
  lost: CustomSection[];
}

/**
 * The names of `ir`. When its last section is a `name` section that the
 * text front-end would write for the same names, function names are given
 * too; otherwise only the module's name is, and every custom section is
 * lost.
 */
export function moduleNames(ir: ModuleIR): ModuleNames {
  const customs = ir.sections.filter((s): s is CustomSection => s.id === SectionId.Custom);
  const last = ir.sections[ir.sections.length - 1];
  if (last?.id === SectionId.Custom && last.name === "name") {
    const read = readNames(last.data);
    if (read !== undefined) {
      const again = namesOf(read.module, read.funcs);
      if (again !== undefined && sameBytes(again.data, last.data)) {
        return { ...read, lost: customs.filter((s) => s !== last) };
      }
    }
  }
  return { module: moduleNameOf(ir), funcs: new Map(), lost: customs };
}

/** The module and function names of a `name` section's payload, when it holds nothing else. */
function readNames(data: Uint8Array): { module?: string; funcs: Map<number, string> } | undefined {
  const r = new Reader(data);
  let module: string | undefined;
  const funcs = new Map<number, string>();
  try {
    while (r.pos < r.end) {
      const id = r.u8();
      const size = r.length();
      const end = r.pos + size;
      if (id === MODULE_NAME_SUBSECTION) {
        module = r.name();
      } else if (id === FUNCTION_NAMES_SUBSECTION) {
        const n = r.count();
        for (let i = 0; i < n; i++) {
          const index = r.u32();
          funcs.set(index, r.name());
        }
      } else {
        return undefined;
      }
      if (r.pos !== end) return undefined;
    }
  } catch (e) {
    if (e instanceof CompileError) return undefined;
    throw e;
  }
  return { module, funcs };
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
