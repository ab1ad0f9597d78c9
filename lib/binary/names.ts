/**
 * Reads a module's own name from its `name` custom section, so that errors
 * can say `module $child` rather than a number.
 *
 * @module
 */

import { Writer } from "./writer.ts";
import type { CustomSection, ModuleIR } from "../ir.ts";

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

function readU32(data: Uint8Array, at: { pos: number }): number {
  let result = 0;
  for (let shift = 0; shift < 35; shift += 7) {
    const byte = data[at.pos++];
    if (byte === undefined) return -1;
    result += (byte & 0x7f) * 2 ** shift;
    if ((byte & 0x80) === 0) return result;
  }
  return -1;
}

/**
 * The module name of the `name` section's module subsection, or undefined
 * when there is none or it is malformed (custom sections never make a
 * module invalid).
 */
export function moduleNameOf(module: ModuleIR): string | undefined {
  for (const s of module.sections) {
    if (s.id !== 0 || s.name !== "name") continue;
    const at = { pos: 0 };
    while (at.pos < s.data.length) {
      const id = s.data[at.pos++];
      const size = readU32(s.data, at);
      if (size < 0 || at.pos + size > s.data.length) return undefined;
      if (id === 0) {
        const inner = { pos: at.pos };
        const length = readU32(s.data, inner);
        if (length < 0 || inner.pos + length > at.pos + size) return undefined;
        try {
          return utf8.decode(s.data.subarray(inner.pos, inner.pos + length));
        } catch {
          return undefined;
        }
      }
      at.pos += size;
    }
  }
  return undefined;
}

/** A `name` custom section holding only the module name subsection. */
export function nameSection(name: string): CustomSection {
  const sub = new Writer();
  sub.name(name);
  const body = sub.finish();
  const w = new Writer();
  w.u8(0);
  w.u32(body.length);
  w.bytes(body);
  return { id: 0, name: "name", data: w.finish() };
}
