/**
 * Puts back the memory index wabt leaves out of data segments.
 *
 * An active data segment for a memory other than memory 0 has flags 2,
 * which promise a memory index before the offset. wabt's binary writer
 * writes that index only when its own options enable multi-memory, and the
 * JS build's `toBinary` passes it no features (WebAssembly/wabt#2518): the
 * flags say 2, the index is missing, and V8 reads the offset's first opcode
 * (`i32.const` is 0x41) as the index. Element segments are not affected:
 * their table index is written whatever the features.
 *
 * Which memory each segment is for is wabt's own answer: its text of the
 * module, after name resolution, says `(memory N)`, identifiers, imported
 * memories and a memory's inline `(data …)` all counted as wabt counted
 * them. Whether a wabt leaves the index out is learnt once, from a probe
 * module, so a wabt that writes it gets no second one; each output is then
 * read strictly in that form, and a segment that is not as expected is an
 * internal error rather than a binary with data in the wrong memory.
 *
 * @module
 */

import { Reader } from "../binary/reader.ts";
import { Writer } from "../binary/writer.ts";
import { skipConstExpr } from "../compile/instructions.ts";
import { CompileError, WatError } from "../errors.ts";
import { SectionId } from "../ir.ts";
import { readSExprs, type SList } from "./sexpr.ts";
import { isAtom, isList } from "./syntax.ts";

/** Whether a wabt writes the memory index of a data segment with flags 2, or leaves it out. */
export type DataIndexForm = "written" | "omitted";

/** The probe: one data segment for memory 1. */
export const DATA_INDEX_PROBE = "(module (memory 0) (memory 0) (data (memory 1) (i32.const 0)))";

/** The probe's data section payload: one segment, flags 2, then … */
const PROBE_WRITTEN = [1, 2, 1, 0x41, 0, 0x0b, 0]; // … memory 1, offset, no bytes.
const PROBE_OMITTED = [1, 2, 0x41, 0, 0x0b, 0]; // … offset, no bytes.

/** Segment flags: active in memory 0, passive, active with a memory index. */
const ACTIVE = 0;
const PASSIVE = 1;
const ACTIVE_INDEXED = 2;

/**
 * How the wabt that assembled `probe` (the binary of {@linkcode DATA_INDEX_PROBE})
 * writes a data segment's memory index.
 *
 * @throws {Error} when the probe's data section is neither form.
 *
 * @example
 * ```ts
 * import { dataIndexForm } from "./data_memory.ts";
 * const probe = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 11, 6, 1, 2, 0x41, 0, 0x0b, 0]);
 * dataIndexForm(probe); // "omitted"
 * ```
 */
export function dataIndexForm(probe: Uint8Array): DataIndexForm {
  const section = dataSection(probe);
  const payload = section === undefined ? [] : [...probe.subarray(section.payload, section.end)];
  const is = (expected: number[]) =>
    payload.length === expected.length && payload.every((b, i) => b === expected[i]);
  if (is(PROBE_WRITTEN)) return "written";
  if (is(PROBE_OMITTED)) return "omitted";
  throw new Error(
    `internal error: wabt writes a data segment for memory 1 in an unknown form (${
      payload.map((b) => b.toString(16).padStart(2, "0")).join(" ")
    })`,
  );
}

/**
 * `binary` (wabt's output) with the memory index of each data segment with
 * flags 2 in place. Unchanged, and neither callback called, when no segment
 * has flags 2; `form` says whether wabt wrote the indices, `text` is wabt's
 * text of the same module, which says which memory each segment is for.
 *
 * @throws {Error} an internal error when the segments do not match the text.
 *
 * @example
 * ```ts
 * import { repairDataMemories } from "./data_memory.ts";
 * const wabt = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 11, 6, 1, 2, 0x41, 8, 0x0b, 0]);
 * const text = "(module (memory 1) (memory 1) (data (;0;) (memory 1) (i32.const 8) \"\"))";
 * repairDataMemories(wabt, () => "omitted", () => text).subarray(8);
 * // Uint8Array [11, 7, 1, 2, 1, 0x41, 8, 0x0b, 0]
 * ```
 */
export function repairDataMemories(
  binary: Uint8Array,
  form: () => DataIndexForm,
  text: () => string,
): Uint8Array {
  const section = dataSection(binary);
  if (section === undefined) return binary;
  const payload = binary.subarray(section.payload, section.end);
  if (!hasIndexedSegment(payload)) return binary;
  const repaired = withIndices(payload, segmentMemories(text()), form());
  if (repaired === payload) return binary;
  const w = new Writer(binary.length + repaired.length - payload.length + 5);
  w.bytes(binary.subarray(0, section.start));
  w.u8(SectionId.Data);
  w.u32(repaired.length);
  w.bytes(repaired);
  w.bytes(binary.subarray(section.end));
  return w.finish();
}

/**
 * Where the data section of a core binary is: its id byte, its payload and
 * its end. `undefined` also when the sections do not read: the decoder
 * reports that.
 */
function dataSection(
  binary: Uint8Array,
): { start: number; payload: number; end: number } | undefined {
  const r = new Reader(binary);
  r.pos = 8; // magic and version
  try {
    while (r.pos < r.end) {
      const start = r.pos;
      const id = r.u8();
      const size = r.u32();
      const payload = r.pos;
      r.skip(size);
      if (id === SectionId.Data) return { start, payload, end: r.pos };
    }
  } catch (e) {
    if (!(e instanceof CompileError)) throw e;
  }
  return undefined;
}

/**
 * Whether some segment has flags 2. The segments before the first such one
 * read the same whether wabt writes indices or not; anything unreadable is
 * left alone, for the engine to report.
 */
function hasIndexedSegment(payload: Uint8Array): boolean {
  try {
    const r = new Reader(payload);
    for (let n = r.u32(); n > 0; n--) {
      const flags = r.u32();
      if (flags === ACTIVE_INDEXED) return true;
      if (flags === ACTIVE) skipConstExpr(r);
      else if (flags !== PASSIVE) return false;
      r.skip(r.u32());
    }
  } catch (e) {
    if (!(e instanceof CompileError)) throw e;
  }
  return false;
}

/**
 * The memory of each data segment in wabt's text of a module, in order:
 * its `(memory N)`, 0 for an active segment without one, `undefined` for a
 * passive segment (no offset: nothing but strings after the name).
 */
function segmentMemories(text: string): (number | undefined)[] {
  let forms;
  try {
    forms = readSExprs(text, "wabt.wat");
  } catch (e) {
    if (!(e instanceof WatError)) throw e;
    throw new Error(`internal error: wabt's text of the module does not read: ${e.reason}`);
  }
  const module = forms[0];
  if (!isList(module, "module")) throw new Error("internal error: wabt's text holds no module");
  const segments = module.items.filter((e): e is SList => isList(e, "data"));
  return segments.map((segment, i) => {
    const clause = segment.items.find((e) => isList(e, "memory")) as SList | undefined;
    if (clause === undefined) {
      return segment.items.some((e) => e.type === "list") ? 0 : undefined;
    }
    const index = clause.items[1];
    if (clause.items.length !== 2 || !isAtom(index, "number") || !/^\d{1,10}$/.test(index.text)) {
      throw new Error(
        `internal error: wabt's text gives data segment ${i} the memory ${
          text.slice(clause.start, clause.end)
        }`,
      );
    }
    return Number(index.text);
  });
}

/**
 * `payload` with the index `memories` gives written after the flags of each
 * segment with flags 2, where wabt left it out; `payload` itself when wabt
 * wrote them (each then checked against `memories`).
 */
function withIndices(
  payload: Uint8Array,
  memories: readonly (number | undefined)[],
  form: DataIndexForm,
): Uint8Array {
  const r = new Reader(payload);
  const w = new Writer(payload.length + 5 * memories.length);
  let copied = 0;
  const unexpected = (what: string) => new Error(`internal error: wabt's data ${what}`);
  try {
    const count = r.u32();
    if (count !== memories.length) {
      throw unexpected(`section has ${count} segments, its text ${memories.length}`);
    }
    for (let i = 0; i < count; i++) {
      const flags = r.u32();
      const memory = memories[i];
      const matches = flags === ACTIVE
        ? memory === 0
        : flags === PASSIVE
        ? memory === undefined
        : flags === ACTIVE_INDEXED && memory !== undefined;
      if (!matches) {
        const said = memory === undefined ? "passive" : `memory ${memory}`;
        throw unexpected(`segment ${i} has flags ${flags}, its text says ${said}`);
      }
      if (flags === ACTIVE_INDEXED) {
        if (form === "written") {
          const index = r.u32();
          if (index !== memory) {
            throw unexpected(`segment ${i} is for memory ${index}, its text says ${memory}`);
          }
        } else {
          w.bytes(payload.subarray(copied, r.pos));
          w.u32(memory!);
          copied = r.pos;
        }
      }
      if (flags !== PASSIVE) skipConstExpr(r);
      r.skip(r.u32());
    }
    if (r.pos !== payload.length) throw unexpected("section goes on after its last segment");
  } catch (e) {
    if (!(e instanceof CompileError)) throw e;
    throw new Error(`internal error: wabt's data section does not read: ${e.reason}`);
  }
  if (copied === 0) return payload;
  w.bytes(payload.subarray(copied));
  return w.finish();
}
