/**
 * Names the modules nested in a linked module, so that errors and `inspect`
 * say `module $greeter` rather than a number.
 *
 * @module
 */

import { Reader } from "../binary/reader.ts";
import { moduleNameOf, nameSection } from "../binary/names.ts";
import { CompileError } from "../errors.ts";
import { type ModuleIR, SectionId } from "../ir.ts";

/**
 * `module` with `name` as the module name of its `name` section. A module
 * that already has that name is returned as it is; otherwise only the name
 * section changes (added at the end, or its module subsection replaced,
 * other subsections kept), so every other byte is reproduced.
 */
export function withModuleName(module: ModuleIR, name: string): ModuleIR {
  if (moduleNameOf(module) === name) return module;
  const fresh = nameSection(name);
  const at = module.sections.findIndex((s) => s.id === SectionId.Custom && s.name === "name");
  if (at < 0) return { sections: [...module.sections, fresh] };
  const old = module.sections[at] as typeof fresh;
  const sections = module.sections.slice();
  sections[at] = { ...fresh, data: concat([fresh.data, ...otherSubsections(old.data)]) };
  return { sections };
}

/** The id of the name section's module name subsection. */
const MODULE_NAME_SUBSECTION = 0;

/**
 * The subsections of a name section other than the module name, as raw
 * bytes; none when the section is malformed (custom sections never make a
 * module invalid, so a malformed one is simply replaced).
 */
function otherSubsections(data: Uint8Array): Uint8Array[] {
  const parts: Uint8Array[] = [];
  const reader = new Reader(data);
  try {
    while (reader.pos < reader.end) {
      const start = reader.pos;
      const id = reader.u8();
      reader.skip(reader.length());
      if (id !== MODULE_NAME_SUBSECTION) parts.push(data.subarray(start, reader.pos));
    }
  } catch (e) {
    if (!(e instanceof CompileError)) throw e;
    return [];
  }
  return parts;
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
