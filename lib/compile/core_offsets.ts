/**
 * Where V8's errors point in the binary that was compiled. V8 validates the
 * core module split out of each (nested) module (`split.ts`) and reports
 * byte offsets in it (`… @+33`); this maps such an offset back to the
 * module-linking binary.
 *
 * The core module's sections are those of the module, in order, after a
 * generated type and import section. Element, code, data and data-count
 * sections are copied byte for byte, so an offset in them maps exactly.
 * The other copied sections are re-encoded: an offset maps to the same
 * entry of the original section, exactly when the entry's bytes are the
 * same. An offset in the generated import section maps to the import or
 * alias the core import stands for, and one in the generated type section
 * to the module's first type section.
 *
 * Post hoc, on error paths only: nothing here runs when compiling succeeds.
 *
 * @module
 */

import { decode } from "../binary/decode.ts";
import { Reader } from "../binary/reader.ts";
import { CompileError } from "../errors.ts";
import { isCoreKind, Kind, type ModuleIR, SectionId } from "../ir.ts";
import { skipConstExpr, skipInstruction, skipValType } from "./instructions.ts";
import { Opcode } from "./opcodes.ts";
import { copiedSections } from "./split.ts";

/** V8's offset at the end of its messages: ` @+33`. */
const CORE_OFFSET = /\s*@\+(\d+)$/;

/** Bytes of the `\0asm` header and version that begin every module. */
const HEADER_SIZE = 8;

/** The module V8 rejected: the binary compiled, and which of its modules. */
export interface CoreSource {
  /** The module-linking binary that was compiled. */
  readonly source: Uint8Array;
  /** The core module split out of module `module`, as V8 was given it. */
  readonly core: Uint8Array;
  /** The module's index in the compiled blob: (nested) modules in pre-order. */
  readonly module: number;
}

/** A function body that an offset falls in. */
export interface FuncSite {
  readonly kind: "func";
  /** Which local function: the ordinal of its body in the code section. */
  readonly index: number;
  /** Which of its instructions, counted from 0, when the offset is in one (not in the locals). */
  readonly instruction?: number;
  /** The first byte of each instruction of the body, its final `end` included, when all decode. */
  readonly opcodes?: readonly number[];
}

/**
 * An entry of the table, memory, global, element or data section that an
 * offset falls in, or the start section (index 0).
 */
export interface EntrySite {
  readonly kind: "table" | "memory" | "global" | "elem" | "data" | "start";
  /** The entry's ordinal in its section. */
  readonly index: number;
}

/** Where a V8 error points in the binary that was compiled. */
export interface CoreErrorSite {
  /** Byte offset in the binary. */
  readonly offset: number;
  /** How to reach the module: its ordinal among its parent's nested modules, outermost first. */
  readonly route: readonly number[];
  /** What the offset falls in, when that is a function body or an entry the text can name. */
  readonly item?: FuncSite | EntrySite;
}

/**
 * The offset in its core module that a V8 message ends with (`… @+33`), if any.
 *
 * @example
 * ```ts
 * import { coreOffsetOf } from "./core_offsets.ts";
 * coreOffsetOf("invalid core module: WebAssembly.Module(): Compiling function #0 failed: … @+33"); // 33
 * ```
 */
export function coreOffsetOf(reason: string): number | undefined {
  const m = CORE_OFFSET.exec(reason);
  return m === null ? undefined : Number(m[1]);
}

/**
 * A V8 message without its offset in the core module, which would mislead
 * once the error carries the offset in the binary.
 *
 * @example
 * ```ts
 * import { withoutCoreOffset } from "./core_offsets.ts";
 * withoutCoreOffset("WebAssembly.Module(): … found local.get of type i64 @+33"); // "WebAssembly.Module(): … found local.get of type i64"
 * ```
 */
export function withoutCoreOffset(reason: string): string {
  return reason.replace(CORE_OFFSET, "");
}

/**
 * Where `error`, V8's rejection of the core module of `where.module`,
 * points in `where.source`; `undefined` when it carries no offset or when
 * the offset cannot be mapped. Never throws.
 *
 * @example
 * ```ts
 * import { CompileError } from "../errors.ts";
 * import { locateCoreError } from "./core_offsets.ts";
 * // A core module whose code section holds one body: i32.add on an empty stack.
 * const bytes = new Uint8Array([
 *   0, 97, 115, 109, 1, 0, 0, 0, 1, 4, 1, 96, 0, 0, 3, 2, 1, 0, 10, 5, 1, 3, 0, 0x6a, 11,
 * ]);
 * const error = new CompileError("invalid core module: … @+23");
 * locateCoreError(error, { source: bytes, core: bytes, module: 0 })?.offset; // 23
 * ```
 */
export function locateCoreError(error: CompileError, where: CoreSource): CoreErrorSite | undefined {
  const at = coreOffsetOf(error.reason);
  if (at === undefined) return undefined;
  try {
    return locateCoreOffset(where, at);
  } catch {
    // Bytes that do not read as expected: the caller keeps V8's offset.
    return undefined;
  }
}

/**
 * `error` pointing at `site`: V8's reason without its core offset, the
 * offset in the binary, the same path and cause.
 *
 * @example
 * ```ts
 * import { CompileError } from "../errors.ts";
 * import { relocatedError } from "./core_offsets.ts";
 * const e = relocatedError(new CompileError("invalid core module: … @+23"), { offset: 77, route: [] });
 * e.message; // "invalid core module: … (at byte offset 0x4d)"
 * ```
 */
export function relocatedError(error: CompileError, site: CoreErrorSite): CompileError {
  return new CompileError(
    withoutCoreOffset(error.reason),
    { offset: site.offset, path: error.path },
    { cause: error.cause },
  );
}

// ---- sections ----------------------------------------------------------

/** A section's bytes: its id byte, its payload, its end. */
interface Span {
  readonly id: number;
  readonly start: number;
  readonly payload: number;
  readonly end: number;
}

/** The section that starts at `start` in `bytes`. */
function spanAt(bytes: Uint8Array, start: number): Span {
  const r = new Reader(bytes);
  r.pos = start;
  const id = r.u8();
  const size = r.u32();
  return { id, start, payload: r.pos, end: Math.min(r.pos + size, bytes.length) };
}

/** Every section of the core module `bytes`. */
function spansOf(bytes: Uint8Array): Span[] {
  const spans: Span[] = [];
  for (let at = HEADER_SIZE; at < bytes.length;) {
    const span = spanAt(bytes, at);
    spans.push(span);
    at = span.end;
  }
  return spans;
}

/** Whether the core module's section `id` is generated rather than copied (see `split.ts`). */
function isGenerated(id: number): boolean {
  return id === SectionId.Type || id === SectionId.Import;
}

/** Sections copied byte for byte. */
function isRaw(id: number): boolean {
  return id === SectionId.Element || id === SectionId.Code || id === SectionId.Data ||
    id === SectionId.DataCount;
}

/** A module met walking the tree: its parent, and its ordinal among the parent's nested modules. */
interface Visit {
  readonly ir: ModuleIR;
  readonly parent?: Visit;
  readonly ordinal: number;
}

/** The module with pre-order index `index` in `root` (the compiler's numbering), and its route. */
function moduleAt(root: ModuleIR, index: number): { ir: ModuleIR; route: number[] } | undefined {
  // An explicit stack, children pushed last first so that they pop in order.
  const stack: Visit[] = [{ ir: root, ordinal: 0 }];
  for (let next = 0; stack.length > 0; next++) {
    const visit = stack.pop()!;
    if (next === index) {
      const route: number[] = [];
      for (let v: Visit | undefined = visit; v?.parent !== undefined; v = v.parent) {
        route.unshift(v.ordinal);
      }
      return { ir: visit.ir, route };
    }
    const children = visit.ir.sections.flatMap((s) => s.id === SectionId.Module ? s.modules : []);
    for (let c = children.length - 1; c >= 0; c--) {
      stack.push({ ir: children[c], parent: visit, ordinal: c });
    }
  }
  return undefined;
}

/** Whether `a[from, to)` and `b[from2, …)` hold the same bytes. */
function sameBytes(a: Uint8Array, from: number, to: number, b: Uint8Array, from2: number): boolean {
  if (from2 + (to - from) > b.length) return false;
  for (let i = 0; i < to - from; i++) {
    if (a[from + i] !== b[from2 + i]) return false;
  }
  return true;
}

/**
 * Maps offset `at` of `where.core` to `where.source`, after checking that
 * the core module is that module's: the same copied sections, raw ones
 * with the same bytes. Throws when bytes do not read as expected.
 */
function locateCoreOffset(where: CoreSource, at: number): CoreErrorSite | undefined {
  const { source, core } = where;
  const found = moduleAt(decode(source), where.module);
  if (found === undefined || found.ir.offset === undefined) return undefined;
  const { ir, route } = found;
  const moduleOffset = found.ir.offset;
  const spans = spansOf(core);
  const copied = copiedSections(ir);
  const coreCopied = spans.filter((s) => !isGenerated(s.id));
  // The core module must be the one of this module: the same sections,
  // raw ones with the same bytes.
  if (coreCopied.length !== copied.length) return undefined;
  const originals: Span[] = [];
  for (let i = 0; i < copied.length; i++) {
    const c = coreCopied[i];
    const s = copied[i];
    if (s.id !== c.id || s.offset === undefined) return undefined;
    const original = spanAt(source, s.offset);
    if (isRaw(s.id) && !sameBytes(core, c.payload, c.end, source, original.payload)) {
      return undefined;
    }
    originals.push(original);
  }
  if (at < HEADER_SIZE) return { offset: moduleOffset + at, route };
  const span = spans.find((s) => at >= s.start && at < s.end);
  if (span === undefined) {
    // Past the last section: "… is absent", say. The module's end, then.
    const last = originals.at(-1);
    return { offset: last !== undefined ? last.end : moduleOffset + HEADER_SIZE, route };
  }
  if (isGenerated(span.id)) return { offset: generatedOffset(ir, core, span, at), route };
  const original = originals[coreCopied.indexOf(span)];
  return { ...mapCopied(core, span, source, original, at), route };
}

/** Maps `at`, in copied section `span` of `core`, to `original`, the same section in `source`. */
function mapCopied(
  core: Uint8Array,
  span: Span,
  source: Uint8Array,
  original: Span,
  at: number,
): { offset: number; item?: FuncSite | EntrySite } {
  if (at < span.payload) return { offset: original.start };
  if (isRaw(span.id)) {
    const offset = original.payload + (at - span.payload);
    return { offset, item: rawItem(source, original, offset) };
  }
  const coreEntries = entriesOf(core, span);
  const k = coreEntries?.findIndex((e) => at >= e.start && at < e.end) ?? -1;
  if (coreEntries === undefined || k < 0) {
    // No entries (start), or the offset is in the count.
    const same = sameBytes(core, span.payload, span.end, source, original.payload) &&
      span.end - span.payload === original.end - original.payload;
    const item = span.id === SectionId.Start ? { kind: "start" as const, index: 0 } : undefined;
    return { offset: same ? original.payload + (at - span.payload) : original.start, item };
  }
  const entry = coreEntries[k];
  const originalEntries = entriesOf(source, original) ?? [];
  // The core module exports only the module's local core items: match exports by name.
  const match = span.id === SectionId.Export
    ? originalEntries.find((e) => e.key === entry.key)
    : originalEntries[k];
  const kind = ENTRY_KINDS.get(span.id);
  const item = kind !== undefined ? { kind, index: k } : undefined;
  if (match === undefined) return { offset: original.start, item };
  const same = match.end - match.start === entry.end - entry.start &&
    sameBytes(core, entry.start, entry.end, source, match.start);
  return { offset: same ? match.start + (at - entry.start) : match.start, item };
}

/** The sections whose entries the text front-end can find, by the item kind it knows them as. */
const ENTRY_KINDS: ReadonlyMap<number, EntrySite["kind"]> = new Map<number, EntrySite["kind"]>([
  [SectionId.Table, "table"],
  [SectionId.Memory, "memory"],
  [SectionId.Global, "global"],
]);

/** What an offset in raw section `span` of `source` falls in: a function body, or a segment. */
function rawItem(source: Uint8Array, span: Span, at: number): FuncSite | EntrySite | undefined {
  const entries = entriesOf(source, span);
  const k = entries?.findIndex((e) => at >= e.start && at < e.end) ?? -1;
  if (entries === undefined || k < 0) return undefined;
  switch (span.id) {
    case SectionId.Code:
      return funcSite(source, entries[k], k, at);
    case SectionId.Element:
      return { kind: "elem", index: k };
    case SectionId.Data:
      return { kind: "data", index: k };
    default:
      return undefined;
  }
}

/** Which instruction of body `index`, at `entry` in `source`, `at` falls in. */
function funcSite(source: Uint8Array, entry: Entry, index: number, at: number): FuncSite {
  try {
    const r = new Reader(source);
    r.pos = entry.start;
    r.end = entry.end;
    r.u32(); // the body's size
    const groups = r.u32();
    for (let i = 0; i < groups; i++) {
      r.u32();
      skipValType(r);
    }
    if (at < r.pos) return { kind: "func", index };
    const opcodes: number[] = [];
    let instruction: number | undefined;
    while (r.pos < r.end) {
      const start = r.pos;
      opcodes.push(skipInstruction(r));
      if (at >= start && at < r.pos) instruction = opcodes.length - 1;
    }
    if (opcodes.at(-1) !== Opcode.End) return { kind: "func", index };
    return { kind: "func", index, instruction, opcodes };
  } catch {
    // An instruction this does not know: the body, then.
    return { kind: "func", index };
  }
}

/** An offset in the generated type or import section: the type section, or the import or alias behind it. */
function generatedOffset(ir: ModuleIR, core: Uint8Array, span: Span, at: number): number {
  const first = ir.sections.find((s) => s.id === span.id)?.offset ?? ir.offset!;
  if (span.id !== SectionId.Import) return first;
  const entries = entriesOf(core, span) ?? [];
  const k = entries.findIndex((e) => at >= e.start && at < e.end);
  // Core imports are the imported and aliased core items, in binary order.
  const origins: (number | undefined)[] = [];
  for (const s of ir.sections) {
    if (s.id === SectionId.Import) {
      for (const i of s.imports) if (isCoreKind(i.desc.kind)) origins.push(i.offset);
    } else if (s.id === SectionId.Alias) {
      for (const a of s.aliases) {
        if (a.form === "instanceExport" && isCoreKind(a.kind)) origins.push(a.offset);
      }
    }
  }
  if (k < 0 || origins.length !== entries.length) return first;
  return origins[k] ?? first;
}

// ---- entries -----------------------------------------------------------

/** An entry of a section's vector; `key` is an export's name. */
interface Entry {
  readonly start: number;
  readonly end: number;
  readonly key?: string;
}

/** The entries of section `span` of `bytes`, or `undefined` for a section that is no vector. */
function entriesOf(bytes: Uint8Array, span: Span): Entry[] | undefined {
  const skip = ENTRY_READERS.get(span.id);
  if (skip === undefined) return undefined;
  const r = new Reader(bytes);
  r.pos = span.payload;
  r.end = span.end;
  const n = r.u32();
  const entries: Entry[] = [];
  for (let i = 0; i < n; i++) {
    const start = r.pos;
    const key = skip(r);
    entries.push({ start, end: r.pos, key });
  }
  return entries;
}

/** Skips limits: flags, minimum, and the maximum if flag 0x01 says there is one. */
function skipLimits(r: Reader): void {
  const flags = r.u8();
  r.skipS64();
  if (flags & 0x01) r.skipS64();
}

/** Skips a name. */
function skipName(r: Reader): void {
  r.skip(r.u32());
}

/** Reads past one entry of a section; returns its key, if it has one. */
type EntryReader = (r: Reader) => string | undefined;

/** How to read past one entry of each core section that is a vector. */
const ENTRY_READERS: ReadonlyMap<number, EntryReader> = new Map<number, EntryReader>([
  [SectionId.Type, (r) => {
    r.u8(); // 0x60
    for (let n = 0; n < 2; n++) {
      const count = r.u32();
      for (let i = 0; i < count; i++) skipValType(r);
    }
    return undefined;
  }],
  [SectionId.Import, (r) => {
    skipName(r);
    skipName(r);
    skipImportDesc(r);
    return undefined;
  }],
  [SectionId.Function, (r) => {
    r.u32(); // type
    return undefined;
  }],
  [SectionId.Table, (r) => {
    skipValType(r);
    skipLimits(r);
    return undefined;
  }],
  [SectionId.Memory, (r) => {
    skipLimits(r);
    return undefined;
  }],
  [SectionId.Tag, (r) => {
    r.u8(); // attribute
    r.u32(); // type
    return undefined;
  }],
  [SectionId.Global, (r) => {
    skipValType(r);
    r.u8(); // mutability
    skipConstExpr(r);
    return undefined;
  }],
  [SectionId.Export, (r) => {
    const name = r.name();
    r.u8();
    r.u32();
    return name;
  }],
  [SectionId.Element, (r) => {
    skipElementSegment(r);
    return undefined;
  }],
  [SectionId.Code, (r) => {
    r.skip(r.u32());
    return undefined;
  }],
  [SectionId.Data, (r) => {
    const flags = r.u32();
    if (flags === 2) r.u32(); // memory
    if (flags !== 1) skipConstExpr(r); // offset of an active segment
    skipName(r); // the bytes, a vector like a name
    return undefined;
  }],
]);

/** Skips a core import's description, by its kind byte. */
function skipImportDesc(r: Reader): void {
  const kind = r.u8();
  switch (kind) {
    case Kind.Func:
      r.u32();
      return;
    case Kind.Table:
      skipValType(r);
      skipLimits(r);
      return;
    case Kind.Memory:
      skipLimits(r);
      return;
    case Kind.Global:
      skipValType(r);
      r.u8(); // mutability
      return;
    case Kind.Tag:
      r.u8(); // attribute
      r.u32();
      return;
    default:
      throw r.error(`unknown import kind ${kind}`);
  }
}

/**
 * Skips an element segment. Bit 0 of its flags: passive or declarative
 * (else active); bit 1: with a table index (active) or declarative
 * (passive); bit 2: elements are expressions rather than function indices.
 */
function skipElementSegment(r: Reader): void {
  const flags = r.u32();
  const active = (flags & 0x01) === 0;
  if (active && (flags & 0x02)) r.u32(); // table
  if (active) skipConstExpr(r);
  // An element kind (0x00) or reference type, except in the oldest form.
  if (flags & 0x03) skipValType(r);
  const n = r.u32();
  for (let i = 0; i < n; i++) {
    if (flags & 0x04) skipConstExpr(r);
    else r.u32();
  }
}
