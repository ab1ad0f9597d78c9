/**
 * A core module as its sections: read in place (views, no copies) and
 * written back, a section that was not changed byte for byte as it was.
 *
 * @module
 */

import { Reader } from "../binary/reader.ts";
import { Writer } from "../binary/writer.ts";
import { WASM_HEADER, WASM_MAGIC } from "../encoding.ts";
import { SectionId } from "../ir.ts";

/** The version field of a core module: 1. */
const CORE_VERSION = [0x01, 0x00, 0x00, 0x00];

/** One section of a core module. */
export interface CoreSection {
  /** The section id ({@linkcode SectionId}). */
  readonly id: number;
  /** For a custom section, its name. */
  readonly name?: string;
  /** The payload; a custom section's starts with its name. */
  readonly payload: Uint8Array;
  /** Offset of the payload in the module it was read from, for errors; -1 for a new section. */
  readonly offset: number;
  /** The section as read, id and size included, while its payload is unchanged. */
  readonly raw?: Uint8Array;
}

/**
 * The sections of core module `bytes`, in order.
 *
 * @throws {CompileError} when `bytes` is not a core module's header
 * followed by well-formed section headers.
 *
 * @example
 * ```ts
 * import { readSections } from "./sections.ts";
 * const bytes = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 8, 1, 0]); // (start 0)
 * readSections(bytes).map((s) => [s.id, s.payload.length]); // [[8, 1]]
 * ```
 */
export function readSections(bytes: Uint8Array): CoreSection[] {
  const r = new Reader(bytes);
  if (!r.expect(WASM_MAGIC)) throw r.error("magic header not detected", 0);
  if (!r.expect(CORE_VERSION)) throw r.error("not a core module: unknown binary version", 4);
  const sections: CoreSection[] = [];
  while (r.pos < r.end) {
    const start = r.pos;
    const id = r.u8();
    const size = r.length();
    const offset = r.pos;
    const payload = r.view(size);
    let name: string | undefined;
    if (id === SectionId.Custom) {
      const names = new Reader(payload, offset);
      name = names.name();
    }
    sections.push({ id, name, payload, offset, raw: bytes.subarray(start, r.pos) });
  }
  return sections;
}

/**
 * A core module of `sections`, in the order given: a section's `raw` bytes
 * when it has them, else its id, size and payload.
 *
 * @example
 * ```ts
 * import { readSections, writeSections } from "./sections.ts";
 * const bytes = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 8, 1, 0]);
 * writeSections(readSections(bytes)); // the same bytes
 * ```
 */
export function writeSections(sections: readonly CoreSection[]): Uint8Array {
  let size = 8;
  for (const s of sections) size += s.raw?.length ?? s.payload.length + 6;
  const w = new Writer(size);
  w.bytes(new Uint8Array(WASM_HEADER));
  for (const s of sections) {
    if (s.raw !== undefined) {
      w.bytes(s.raw);
    } else {
      w.u8(s.id);
      w.sizedBytes(s.payload);
    }
  }
  return w.finish();
}
