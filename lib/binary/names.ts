/**
 * Reads a module's own name from its `name` custom section, so that errors
 * can say `module $child` rather than a number, and writes that section.
 *
 * @module
 */

import { CompileError } from "../errors.ts";
import { type CustomSection, type ModuleIR, SectionId } from "../ir.ts";
import { FUNCTION_NAMES_SUBSECTION, MODULE_NAME_SUBSECTION } from "./codes.ts";
import { Reader } from "./reader.ts";
import { Writer } from "./writer.ts";

/**
 * The module name of the `name` section's module subsection, or undefined
 * when there is none or it is malformed (custom sections never make a
 * module invalid, so this never throws for one).
 *
 * @example
 * ```ts
 * import { moduleNameOf, nameSection } from "./names.ts";
 * moduleNameOf({ sections: [nameSection("child")] }); // "child"
 * moduleNameOf({ sections: [] }); // undefined
 * ```
 */
export function moduleNameOf(module: ModuleIR): string | undefined {
  for (const s of module.sections) {
    if (s.id !== SectionId.Custom || s.name !== "name") continue;
    try {
      const name = readModuleName(s.data);
      if (name !== undefined) return name;
    } catch (e) {
      if (e instanceof CompileError) return undefined;
      throw e;
    }
  }
  return undefined;
}

/**
 * The module name subsection's name in the payload of a `name` section, or
 * undefined when it has none.
 *
 * @throws {CompileError} when the subsections up to it are malformed.
 */
function readModuleName(data: Uint8Array): string | undefined {
  const r = new Reader(data);
  while (r.pos < r.end) {
    const id = r.u8();
    const size = r.length();
    if (id === MODULE_NAME_SUBSECTION) {
      // The name must fit in its subsection.
      r.end = r.pos + size;
      return r.name();
    }
    r.skip(size);
  }
  return undefined;
}

/**
 * A `name` custom section holding only the module name subsection.
 *
 * @example
 * ```ts
 * import { nameSection } from "./names.ts";
 * nameSection("a").data; // Uint8Array [0, 2, 1, 97]
 * ```
 */
export function nameSection(name: string): CustomSection {
  return namesOf(name, new Map())!;
}

/**
 * The `name` custom section of a module named `module` (if named) whose
 * functions `funcs` names, by function index; undefined when there is
 * nothing to name. With a module name alone it is {@linkcode nameSection}'s.
 *
 * @example
 * ```ts
 * import { namesOf } from "./names.ts";
 * namesOf("m", new Map([[0, "f"]]))?.data; // Uint8Array [0, 2, 1, 109, 1, 4, 1, 0, 1, 102]
 * namesOf(undefined, new Map()); // undefined
 * ```
 */
export function namesOf(
  module: string | undefined,
  funcs: ReadonlyMap<number, string>,
): CustomSection | undefined {
  if (module === undefined && funcs.size === 0) return undefined;
  const w = new Writer();
  if (module !== undefined) {
    const subsection = new Writer();
    subsection.name(module);
    w.u8(MODULE_NAME_SUBSECTION);
    w.sizedBytes(subsection.finish());
  }
  if (funcs.size > 0) {
    const names = new Writer();
    const indices = [...funcs.keys()].sort((a, b) => a - b);
    names.u32(indices.length);
    for (const index of indices) {
      names.u32(index);
      names.name(funcs.get(index)!);
    }
    w.u8(FUNCTION_NAMES_SUBSECTION);
    w.sizedBytes(names.finish());
  }
  return { id: SectionId.Custom, name: "name", data: w.finish() };
}
