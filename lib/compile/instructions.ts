/**
 * Reads core instructions in a function body or a constant expression, one
 * at a time, by the opcode table (`opcodes.ts`): past their immediates, and
 * optionally telling a visitor where each index immediate sits and which
 * index space it names. Stepping over instructions tells which one a byte
 * offset falls in, for error messages; the visitor is how the fusion
 * rewriter (`lib/fuse/`) renumbers indices. Nothing here validates (V8
 * does).
 *
 * @module
 */

import type { Reader } from "../binary/reader.ts";
import { unreachable } from "../ir.ts";
import { type Immediate, type IndexSpace, Opcode, opcodes, readOpcode } from "./opcodes.ts";

/**
 * How an index is encoded: a u32, a non-negative s33 (a type index in a
 * block type or heap type), or a memarg's memory index (absent, and so 0,
 * unless bit 6 of the alignment field is set).
 */
export type IndexForm = "u32" | "s33" | "memArg";

/**
 * Told of each index an instruction, value type or constant expression
 * holds: its space and value, the bytes `[start, end)` that encode it, how,
 * and for a memarg its alignment field (the bytes then span the alignment
 * and the memory index, not the offset after them).
 */
export type IndexVisitor = (
  space: IndexSpace,
  value: number,
  start: number,
  end: number,
  form: IndexForm,
  align: number,
) => void;

/** Reference types followed by a heap type: `(ref null ht)` and `(ref ht)`. */
const REF_NULL = 0x63;
const REF = 0x64;

/**
 * Reads a signed LEB128 integer of up to 64 bits as a number: exact for
 * type indices, approximate beyond 2^53, which only invalid modules hold.
 */
function signed(r: Reader): number {
  const start = r.pos;
  const first = r.peek();
  if (first >= 0 && first < 0x80) {
    r.pos++;
    return first & 0x40 ? first - 0x80 : first;
  }
  r.skipS64();
  const bytes = r.bytes;
  let value = 0;
  let scale = 1;
  for (let p = start; p < r.pos; p++) {
    value += (bytes[p] & 0x7f) * scale;
    scale *= 128;
  }
  return bytes[r.pos - 1] & 0x40 ? value - scale : value;
}

/**
 * Reads a heap type: an abstract one (a negative s33) or a type index.
 *
 * @example
 * ```ts
 * import { Reader } from "../binary/reader.ts";
 * import { readHeapType } from "./instructions.ts";
 * const seen: number[] = [];
 * readHeapType(new Reader(new Uint8Array([0x05])), (_space, value) => seen.push(value));
 * seen; // [5]
 * ```
 */
export function readHeapType(r: Reader, visit?: IndexVisitor): void {
  const start = r.pos;
  const value = signed(r);
  if (value >= 0 && visit !== undefined) visit("type", value, start, r.pos, "s33", 0);
}

/**
 * Reads a value type: one byte, or a typed reference and its heap type,
 * whose type index `visit` is told of.
 *
 * @example
 * ```ts
 * import { Reader } from "../binary/reader.ts";
 * import { readValType } from "./instructions.ts";
 * const r = new Reader(new Uint8Array([0x63, 0x02])); // (ref null 2)
 * readValType(r, (space, value) => console.log(space, value)); // type 2
 * r.pos; // 2
 * ```
 */
export function readValType(r: Reader, visit?: IndexVisitor): void {
  const b = r.u8();
  if (b === REF_NULL || b === REF) readHeapType(r, visit);
}

/**
 * Skips a value type: one byte, or a typed reference and its heap type.
 *
 * @example
 * ```ts
 * import { Reader } from "../binary/reader.ts";
 * import { skipValType } from "./instructions.ts";
 * const r = new Reader(new Uint8Array([0x7f]));
 * skipValType(r); // i32
 * r.pos; // 1
 * ```
 */
export function skipValType(r: Reader): void {
  readValType(r);
}

/** Reads a block type: empty (0x40), a value type, or a type index (a non-negative s33). */
function readBlockType(r: Reader, visit: IndexVisitor | undefined): void {
  const b = r.peek();
  // One byte in 0x40–0x7f is a negative s33: the empty type or a value type.
  if (b >= 0x40 && b < 0x80) readValType(r, visit);
  else readHeapType(r, visit);
}

/** Reads a memarg: alignment (bit 6 says a memory index follows), then the offset. */
function readMemArg(r: Reader, visit: IndexVisitor | undefined): void {
  const start = r.pos;
  const align = r.u32();
  const memory = align & 0x40 ? r.u32() : 0;
  if (visit !== undefined) visit("memory", memory, start, r.pos, "memArg", align);
  r.skipS64(); // the offset: a u64 with memory64
}

/** Reads a u32 index of `space`. */
function readIndex(r: Reader, space: IndexSpace, visit: IndexVisitor | undefined): void {
  const start = r.pos;
  const value = r.u32();
  if (visit !== undefined) visit(space, value, start, r.pos, "u32", 0);
}

/** Reads the catch clauses of a `try_table` after its block type. */
function readCatches(r: Reader, visit: IndexVisitor | undefined): void {
  const n = r.u32();
  for (let i = 0; i < n; i++) {
    const at = r.pos;
    const kind = r.u8();
    // catch and catch_ref (0, 1) name a tag before the label; catch_all and catch_all_ref (2, 3) do not.
    if (kind > 3) throw r.error(`unknown catch kind ${kind}`, at);
    if (kind < 2) readIndex(r, "tag", visit);
    r.u32();
  }
}

/** Reads the immediate `what` of an instruction. */
function readImmediate(r: Reader, what: Immediate, visit: IndexVisitor | undefined): void {
  switch (what) {
    case "func":
    case "type":
    case "table":
    case "memory":
    case "global":
    case "tag":
    case "data":
    case "elem":
      readIndex(r, what, visit);
      return;
    case "local":
    case "label":
    case "u32":
      r.u32();
      return;
    case "byte":
      r.skip(1);
      return;
    case "i32":
      r.s32();
      return;
    case "i64":
      r.skipS64();
      return;
    case "f32":
      r.skip(4);
      return;
    case "f64":
      r.skip(8);
      return;
    case "v128":
      r.skip(16);
      return;
    case "blockType":
      readBlockType(r, visit);
      return;
    case "brTable": {
      // The labels, then the default one.
      const n = r.u32();
      for (let i = 0; i <= n; i++) r.u32();
      return;
    }
    case "memArg":
      readMemArg(r, visit);
      return;
    case "valTypes": {
      const n = r.u32();
      for (let i = 0; i < n; i++) readValType(r, visit);
      return;
    }
    case "heapType":
      readHeapType(r, visit);
      return;
    case "tryTable":
      readBlockType(r, visit);
      readCatches(r, visit);
      return;
    default:
      unreachable(what, "immediate");
  }
}

/**
 * Reads one instruction and returns its first byte, the opcode (or its
 * prefix), telling `visit` of each index it holds.
 *
 * @throws {CompileError} on an unknown opcode or a truncated immediate.
 *
 * @example
 * ```ts
 * import { Reader } from "../binary/reader.ts";
 * import { readInstruction } from "./instructions.ts";
 * const r = new Reader(new Uint8Array([0x10, 0x07])); // call 7
 * readInstruction(r, (space, value, start, end) => console.log(space, value, start, end)); // func 7 1 2
 * ```
 */
export function readInstruction(r: Reader, visit?: IndexVisitor): number {
  const op = r.peek();
  const immediates = readOpcode(r);
  for (let i = 0; i < immediates.length; i++) readImmediate(r, immediates[i], visit);
  return op;
}

/** How {@linkcode readInstructions} steps over a single-byte opcode that holds no index. */
const Step = { Slow: 0, Bare: 1, Leb: 2, Signed32: 3, Signed64: 4, Four: 5, Eight: 6 } as const;

let plainSteps: Uint8Array | undefined;

/** The step of each single-byte opcode, from the opcode table (made on first use). */
function stepsOf(): Uint8Array {
  if (plainSteps !== undefined) return plainSteps;
  const steps = new Uint8Array(0x100);
  const one: Partial<Record<Immediate, number>> = {
    local: Step.Leb,
    label: Step.Leb,
    u32: Step.Leb,
    i32: Step.Signed32,
    i64: Step.Signed64,
    f32: Step.Four,
    f64: Step.Eight,
  };
  for (const { prefix, code, immediates } of opcodes()) {
    if (prefix !== undefined) continue;
    if (immediates.length === 0) steps[code] = Step.Bare;
    else if (immediates.length === 1) steps[code] = one[immediates[0]] ?? Step.Slow;
  }
  return plainSteps = steps;
}

/**
 * Reads instructions up to the reader's `end` (a function body's), telling
 * `visit` of each index, as {@linkcode readInstruction} one by one does.
 * Most instructions hold no index (locals, constants, arithmetic): those
 * are stepped over without the general immediate reader, which is most of
 * the time a rewrite of a module's code takes.
 *
 * @throws {CompileError} on an unknown opcode or a truncated immediate.
 *
 * @example
 * ```ts
 * import { Reader } from "../binary/reader.ts";
 * import { readInstructions } from "./instructions.ts";
 * const r = new Reader(new Uint8Array([0x20, 0x00, 0x10, 0x03, 0x0b])); // local.get 0, call 3, end
 * readInstructions(r, (space, value) => console.log(space, value)); // func 3
 * ```
 */
export function readInstructions(r: Reader, visit?: IndexVisitor): void {
  const steps = stepsOf();
  const bytes = r.bytes;
  while (r.pos < r.end) {
    const step = steps[bytes[r.pos]];
    if (step === Step.Slow) {
      readInstruction(r, visit);
      continue;
    }
    r.pos++; // the opcode
    if (step === Step.Leb) r.u32();
    else if (step === Step.Signed32) r.s32();
    else if (step === Step.Signed64) r.skipS64();
    else if (step === Step.Four) r.skip(4);
    else if (step === Step.Eight) r.skip(8);
  }
}

/**
 * Reads one instruction and returns its first byte, the opcode (or its
 * prefix). Throws the reader's `CompileError` on an unknown opcode or a
 * truncated immediate.
 *
 * @example
 * ```ts
 * import { Reader } from "../binary/reader.ts";
 * import { skipInstruction } from "./instructions.ts";
 * const r = new Reader(new Uint8Array([0x41, 0x80, 0x01, 0x1a]));
 * skipInstruction(r); // 0x41 (i32.const 128)
 * r.pos; // 3
 * ```
 */
export function skipInstruction(r: Reader): number {
  return readInstruction(r);
}

/**
 * Reads a constant expression (a global's initializer, a segment's offset
 * or element): instructions up to and including its `end`, telling `visit`
 * of each index they hold.
 *
 * @example
 * ```ts
 * import { Reader } from "../binary/reader.ts";
 * import { readConstExpr } from "./instructions.ts";
 * const r = new Reader(new Uint8Array([0x23, 0x01, 0x0b])); // global.get 1
 * readConstExpr(r, (space, value) => console.log(space, value)); // global 1
 * ```
 */
export function readConstExpr(r: Reader, visit?: IndexVisitor): void {
  while (readInstruction(r, visit) !== Opcode.End) {
    // Constant expressions hold no blocks: the first `end` is theirs.
  }
}

/**
 * Skips a constant expression (a global's initializer, a segment's offset
 * or element): instructions up to and including its `end`.
 *
 * @example
 * ```ts
 * import { Reader } from "../binary/reader.ts";
 * import { skipConstExpr } from "./instructions.ts";
 * const r = new Reader(new Uint8Array([0x41, 0x05, 0x0b, 0x00]));
 * skipConstExpr(r);
 * r.pos; // 3
 * ```
 */
export function skipConstExpr(r: Reader): void {
  readConstExpr(r);
}
