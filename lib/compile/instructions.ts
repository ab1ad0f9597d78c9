/**
 * Steps over core instructions in a function body or a constant
 * expression, one at a time: enough to tell which instruction a byte
 * offset falls in, for error messages. It does not validate (V8 does) and
 * knows the instructions of the features mlink enables in V8: the MVP,
 * sign extension, saturating truncation, bulk memory, reference types,
 * multi-value, SIMD, tail calls, threads, multi-memory, memory64 and
 * exception handling.
 *
 * @module
 */

import type { Reader } from "../binary/reader.ts";
import { unreachable } from "../ir.ts";

/** The opcodes whose place in the block structure the text front-end checks, and the prefixes. */
export const Opcode = {
  Block: 0x02,
  Loop: 0x03,
  If: 0x04,
  Else: 0x05,
  Try: 0x06,
  Catch: 0x07,
  End: 0x0b,
  Delegate: 0x18,
  CatchAll: 0x19,
  TryTable: 0x1f,
  /** Saturating truncation, bulk memory and table instructions. */
  PrefixMisc: 0xfc,
  /** SIMD. */
  PrefixSimd: 0xfd,
  /** Atomics. */
  PrefixAtomic: 0xfe,
} as const;

/** What follows an opcode. */
type Immediates =
  | "none"
  | "index" // one u32: a local, global, function, label, table, memory, tag or type
  | "index2" // two u32s: call_indirect's type and table
  | "blockType"
  | "brTable"
  | "memArg"
  | "i32"
  | "i64"
  | "f32"
  | "f64"
  | "valTypes" // select's result types
  | "heapType" // ref.null
  | "tryTable";

/** The immediates of each single-byte opcode; an opcode not here is unknown. */
const SINGLE: ReadonlyMap<number, Immediates> = new Map<number, Immediates>([
  [0x00, "none"], // unreachable
  [0x01, "none"], // nop
  [0x02, "blockType"], // block
  [0x03, "blockType"], // loop
  [0x04, "blockType"], // if
  [0x05, "none"], // else
  [0x06, "blockType"], // try
  [0x07, "index"], // catch
  [0x08, "index"], // throw
  [0x09, "index"], // rethrow
  [0x0a, "none"], // throw_ref
  [0x0b, "none"], // end
  [0x0c, "index"], // br
  [0x0d, "index"], // br_if
  [0x0e, "brTable"],
  [0x0f, "none"], // return
  [0x10, "index"], // call
  [0x11, "index2"], // call_indirect
  [0x12, "index"], // return_call
  [0x13, "index2"], // return_call_indirect
  [0x14, "index"], // call_ref
  [0x15, "index"], // return_call_ref
  [0x18, "index"], // delegate
  [0x19, "none"], // catch_all
  [0x1a, "none"], // drop
  [0x1b, "none"], // select
  [0x1c, "valTypes"], // select t*
  [0x1f, "tryTable"],
  [0x20, "index"], // local.get
  [0x21, "index"], // local.set
  [0x22, "index"], // local.tee
  [0x23, "index"], // global.get
  [0x24, "index"], // global.set
  [0x25, "index"], // table.get
  [0x26, "index"], // table.set
  [0x3f, "index"], // memory.size
  [0x40, "index"], // memory.grow
  [0x41, "i32"],
  [0x42, "i64"],
  [0x43, "f32"],
  [0x44, "f64"],
  [0xd0, "heapType"], // ref.null
  [0xd1, "none"], // ref.is_null
  [0xd2, "index"], // ref.func
]);

// Loads and stores, 0x28 (i32.load) to 0x3e (i64.store32), take a memarg;
// numeric instructions, 0x45 (i32.eqz) to 0xc4 (i64.extend32_s), nothing.
const LOADS_STORES = [0x28, 0x3e];
const NUMERIC = [0x45, 0xc4];

/** How many u32 indices follow each 0xfc sub-opcode (0–7 are the saturating truncations). */
const MISC_INDICES: readonly number[] = [
  ...[0, 0, 0, 0, 0, 0, 0, 0],
  2, // memory.init: data, memory
  1, // data.drop
  2, // memory.copy: two memories
  1, // memory.fill
  2, // table.init: element segment, table
  1, // elem.drop
  2, // table.copy: two tables
  1, // table.grow
  1, // table.size
  1, // table.fill
];

/** The last SIMD sub-opcode: the relaxed SIMD instructions end at 0x113. */
const LAST_SIMD = 0x113;

/** Whether `b`, a single byte below 0x80, is a reference type followed by a heap type (`(ref null? ht)`). */
function isRefWithHeapType(b: number): boolean {
  return b === 0x63 || b === 0x64;
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
  if (isRefWithHeapType(r.u8())) r.skipS64();
}

/** Skips a block type: empty (0x40), a value type, or a type index (a non-negative s33). */
function skipBlockType(r: Reader): void {
  const b = r.peek();
  // One byte in 0x40–0x7f is a negative s33: the empty type or a value type.
  if (b >= 0x40 && b < 0x80) skipValType(r);
  else r.skipS64();
}

/** Skips a memarg: alignment (bit 6 says a memory index follows), then the offset. */
function skipMemArg(r: Reader): void {
  const align = r.u32();
  if (align & 0x40) r.u32();
  r.skipS64();
}

/** Skips the immediates `what` of an instruction. */
function skipImmediates(r: Reader, what: Immediates): void {
  switch (what) {
    case "none":
      return;
    case "index":
      r.u32();
      return;
    case "index2":
      r.u32();
      r.u32();
      return;
    case "blockType":
      skipBlockType(r);
      return;
    case "brTable": {
      // The labels, then the default one.
      const n = r.u32();
      for (let i = 0; i <= n; i++) r.u32();
      return;
    }
    case "memArg":
      skipMemArg(r);
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
    case "valTypes": {
      const n = r.u32();
      for (let i = 0; i < n; i++) skipValType(r);
      return;
    }
    case "heapType":
      r.skipS64();
      return;
    case "tryTable": {
      skipBlockType(r);
      const n = r.u32();
      for (let i = 0; i < n; i++) {
        // catch and catch_ref (0, 1) name a tag before the label.
        if (r.u8() < 2) r.u32();
        r.u32();
      }
      return;
    }
    default:
      unreachable(what, "immediates");
  }
}

/** Skips the sub-opcode and immediates of a 0xfc instruction. */
function skipMisc(r: Reader, start: number): void {
  const sub = r.u32();
  const indices = MISC_INDICES[sub];
  if (indices === undefined) throw r.error(`unknown opcode 0xfc ${sub}`, start);
  for (let i = 0; i < indices; i++) r.u32();
}

/** Skips the sub-opcode and immediates of a SIMD (0xfd) instruction. */
function skipSimd(r: Reader, start: number): void {
  const sub = r.u32();
  if (sub <= 0x0b || sub === 0x5c || sub === 0x5d) {
    skipMemArg(r); // v128.load…, v128.store, v128.load32_zero, v128.load64_zero
  } else if (sub === 0x0c || sub === 0x0d) {
    r.skip(16); // v128.const, i8x16.shuffle
  } else if (sub >= 0x15 && sub <= 0x22) {
    r.skip(1); // extract_lane, replace_lane
  } else if (sub >= 0x54 && sub <= 0x5b) {
    skipMemArg(r); // v128.load*_lane, v128.store*_lane
    r.skip(1);
  } else if (sub > LAST_SIMD) {
    throw r.error(`unknown opcode 0xfd ${sub}`, start);
  }
}

/** Skips the sub-opcode and immediates of an atomic (0xfe) instruction. */
function skipAtomic(r: Reader, start: number): void {
  const sub = r.u32();
  if (sub === 0x03) r.skip(1); // atomic.fence
  else if (sub <= 0x02 || (sub >= 0x10 && sub <= 0x4e)) skipMemArg(r);
  else throw r.error(`unknown opcode 0xfe ${sub}`, start);
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
  const start = r.pos;
  const op = r.u8();
  const single = SINGLE.get(op);
  if (single !== undefined) {
    skipImmediates(r, single);
  } else if (op >= LOADS_STORES[0] && op <= LOADS_STORES[1]) {
    skipMemArg(r);
  } else if (op >= NUMERIC[0] && op <= NUMERIC[1]) {
    // No immediates.
  } else if (op === Opcode.PrefixMisc) {
    skipMisc(r, start);
  } else if (op === Opcode.PrefixSimd) {
    skipSimd(r, start);
  } else if (op === Opcode.PrefixAtomic) {
    skipAtomic(r, start);
  } else {
    throw r.error(`unknown opcode 0x${op.toString(16)}`, start);
  }
  return op;
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
  while (skipInstruction(r) !== Opcode.End) {
    // Constant expressions hold no blocks: the first `end` is theirs.
  }
}
