/**
 * What fusion reads of one core module before it moves it: how many items
 * of each kind it imports and defines, what it exports, its start
 * function, its segment counts and its function names.
 *
 * @module
 */

import { Reader } from "../binary/reader.ts";
import { readValType } from "../compile/instructions.ts";
import { type CoreKind, Kind, SectionId } from "../ir.ts";
import { NotFusable } from "./not_fusable.ts";
import { type CoreSection, readSections } from "./sections.ts";

/** Counts by core kind: `Kind.Func` … `Kind.Tag`. */
export type KindCounts = [number, number, number, number, number];

/** A core module as fusion sees it. */
export interface CoreInfo {
  /** Its sections, read in place. */
  readonly sections: readonly CoreSection[];
  /** The kind of each import, in order. */
  readonly importKinds: readonly CoreKind[];
  /** Imports by kind. */
  readonly imported: KindCounts;
  /** Definitions by kind. */
  readonly defined: KindCounts;
  /** Entries of the type section. */
  readonly types: number;
  readonly elems: number;
  readonly datas: number;
  /** Exports by name: their kind and index. */
  readonly exports: ReadonlyMap<string, { readonly kind: CoreKind; readonly index: number }>;
  /** The start function, if any. */
  readonly start: number | undefined;
  /** Function names of the `name` section, by index. */
  readonly funcNames: ReadonlyMap<number, string>;
}

/** Sections whose entries define items of a core kind. */
const DEFINING: ReadonlyMap<number, CoreKind> = new Map<number, CoreKind>([
  [SectionId.Function, Kind.Func],
  [SectionId.Table, Kind.Table],
  [SectionId.Memory, Kind.Memory],
  [SectionId.Global, Kind.Global],
  [SectionId.Tag, Kind.Tag],
]);

const FUNCTION_NAMES = 1;
const FUNC_TYPE = 0x60;

/**
 * Reads what fusion needs of core module `bytes`, which the compiler made
 * and V8 accepted.
 *
 * @throws {CompileError} when `bytes` is malformed.
 */
export function readCoreInfo(bytes: Uint8Array): CoreInfo {
  const sections = readSections(bytes);
  const importKinds: CoreKind[] = [];
  const imported: KindCounts = [0, 0, 0, 0, 0];
  const defined: KindCounts = [0, 0, 0, 0, 0];
  const exports = new Map<string, { kind: CoreKind; index: number }>();
  let types = 0, elems = 0, datas = 0;
  let start: number | undefined;
  let funcNames: ReadonlyMap<number, string> = new Map();
  for (const s of sections) {
    const r = new Reader(s.payload, s.offset);
    const kind = DEFINING.get(s.id);
    if (kind !== undefined) {
      defined[kind] = r.count();
      continue;
    }
    switch (s.id) {
      case SectionId.Type:
        types = countFuncTypes(r);
        break;
      case SectionId.Import:
        readImports(r, importKinds, imported);
        break;
      case SectionId.Export:
        for (let n = r.count(); n > 0; n--) {
          const name = r.name();
          const kind = r.u8() as CoreKind;
          exports.set(name, { kind, index: r.u32() });
        }
        break;
      case SectionId.Start:
        start = r.u32();
        break;
      case SectionId.Element:
        elems = r.count();
        break;
      case SectionId.Data:
        datas = r.count();
        break;
      case SectionId.Custom:
        if (s.name === "name") funcNames = readFunctionNames(r);
        break;
    }
  }
  return {
    sections,
    importKinds,
    imported,
    defined,
    types,
    elems,
    datas,
    exports,
    start,
    funcNames,
  };
}

/**
 * The types of a type section, every one a plain function type: fusion
 * offsets type indices by these counts, which recursion groups would break.
 */
function countFuncTypes(r: Reader): number {
  const n = r.count();
  for (let i = 0; i < n; i++) {
    if (r.u8() !== FUNC_TYPE) {
      throw new NotFusable("a core module has types other than function types");
    }
    for (let v = r.count(); v > 0; v--) readValType(r);
    for (let v = r.count(); v > 0; v--) readValType(r);
  }
  return n;
}

/** Reads an import section: each import's kind, its description skipped. */
function readImports(r: Reader, kinds: CoreKind[], counts: KindCounts): void {
  for (let n = r.count(); n > 0; n--) {
    r.skip(r.length());
    r.skip(r.length());
    const kind = r.u8() as CoreKind;
    kinds.push(kind);
    counts[kind]++;
    switch (kind) {
      case Kind.Func:
        r.u32();
        break;
      case Kind.Table:
        readValType(r);
        skipLimits(r);
        break;
      case Kind.Memory:
        skipLimits(r);
        break;
      case Kind.Global:
        readValType(r);
        r.u8();
        break;
      case Kind.Tag:
        r.u8();
        r.u32();
        break;
    }
  }
}

function skipLimits(r: Reader): void {
  const flags = r.u8();
  r.skipS64();
  if (flags & 0x01) r.skipS64();
}

/** The function names of a `name` section's payload (after its name); empty if malformed. */
function readFunctionNames(r: Reader): Map<number, string> {
  const names = new Map<number, string>();
  try {
    r.skip(r.length());
    while (r.pos < r.end) {
      const id = r.u8();
      const size = r.length();
      const end = r.pos + size;
      if (id === FUNCTION_NAMES) {
        for (let n = r.count(); n > 0; n--) {
          const index = r.u32();
          names.set(index, r.name());
        }
      }
      r.pos = end;
    }
  } catch {
    // A malformed name section never made a module invalid: it names nothing.
    names.clear();
  }
  return names;
}
