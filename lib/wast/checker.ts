/**
 * Exact calls for floats and vectors. JS numbers cannot carry NaN payloads
 * and v128 values cannot cross into JS at all, so a call whose parameters or
 * results include f32, f64 or v128 runs inside a small generated core
 * module (compiled through mlink like everything else): it imports the
 * function, pushes the arguments as wasm constants written as the script
 * wrote them, calls it, and stores every result's bits in its memory, next
 * to the bits of the expected constants, which wabt parsed from the
 * script's own text. {@linkcode checkedCall} then compares bits, and NaN
 * classes (`nan:canonical`, `nan:arithmetic`) by their bit patterns.
 *
 * @module
 */

import { compile } from "../api.ts";
import { instantiateSync } from "../runtime/instantiate.ts";
import type { SList } from "../text/sexpr.ts";
import { atomText } from "./forms.ts";
import { constantType } from "./values.ts";

const SIZE: Readonly<Record<string, number>> = { i32: 4, i64: 8, f32: 4, f64: 8, v128: 16 };
const EXPECTED_AT = 1024;

/** A result pattern: bytes to compare, or NaN classes by lane. */
interface Pattern {
  type: string;
  /** Per lane (one lane for scalars): a NaN class, or null for exact bits. */
  lanes: (string | null)[];
  laneType: string;
}

/** `nan:canonical` and `nan:arithmetic` are classes; `nan:0x…` is an exact value. */
function isNanClass(text: string): boolean {
  return text === "nan:canonical" || text === "nan:arithmetic";
}

function patternOf(e: SList): Pattern {
  const type = constantType(e);
  if (type === "v128") {
    const shape = atomText(e.items[1]);
    const laneType = shape.slice(0, 3);
    const lanes = e.items.slice(2).map((lane) =>
      isNanClass(atomText(lane)) ? atomText(lane) : null
    );
    return { type, lanes, laneType };
  }
  const value = atomText(e.items[1]);
  return { type, lanes: [isNanClass(value) ? value : null], laneType: type };
}

function storeOp(type: string): string {
  return type === "i32" || type === "i64" || type === "f32" || type === "f64" || type === "v128"
    ? `${type}.store`
    : "";
}

/** WAT that stores the expected constant `e` at `at`, lane by lane where NaN classes leave gaps. */
function storeExpected(e: SList, text: string, at: number): string {
  const pattern = patternOf(e);
  if (pattern.lanes.every((nanClass) => nanClass === null)) {
    return `(${storeOp(pattern.type)} offset=${at} (i32.const 0) ${text.slice(e.start, e.end)})`;
  }
  if (pattern.type !== "v128") return ""; // a scalar NaN class: nothing concrete to store
  const laneSize = 16 / pattern.lanes.length;
  const lanes = e.items.slice(2);
  const laneType = pattern.laneType;
  let out = "";
  pattern.lanes.forEach((nanClass, k) => {
    if (nanClass !== null) return;
    const lane = atomText(lanes[k]);
    const offset = at + k * laneSize;
    if (laneType === "f32" || laneType === "f64") {
      out += `(${laneType}.store offset=${offset} (i32.const 0) (${laneType}.const ${lane}))`;
    } else if (laneSize === 8) {
      out += `(i64.store offset=${offset} (i32.const 0) (i64.const ${lane}))`;
    } else {
      const op = laneSize === 1 ? "i32.store8" : laneSize === 2 ? "i32.store16" : "i32.store";
      out += `(${op} offset=${offset} (i32.const 0) (i32.const ${lane}))`;
    }
  });
  return out;
}

/** Whether `bits`, a float of `width` bits, is a NaN of class `nanClass`. */
function inNanClass(bits: bigint, width: number, nanClass: string): boolean {
  const exponentBits = width === 32 ? 8n : 11n;
  const fractionBits = width === 32 ? 23n : 52n;
  const exponent = (bits >> fractionBits) & ((1n << exponentBits) - 1n);
  const fraction = bits & ((1n << fractionBits) - 1n);
  const quiet = 1n << (fractionBits - 1n);
  if (exponent !== (1n << exponentBits) - 1n || fraction === 0n) return false; // not a NaN
  return nanClass === "nan:canonical" ? fraction === quiet : (fraction & quiet) !== 0n;
}

function readBits(bytes: Uint8Array, at: number, size: number): bigint {
  let bits = 0n;
  for (let i = size - 1; i >= 0; i--) bits = (bits << 8n) | BigInt(bytes[at + i]);
  return bits;
}

function hex(bytes: Uint8Array, at: number, size: number): string {
  return "0x" + readBits(bytes, at, size).toString(16).padStart(size * 2, "0");
}

/**
 * Calls `fn` (of type `params → results`) with the script's argument
 * constants and, when `expected` is given, compares every result exactly.
 * Returns a description of the first mismatch, or `null` when every result
 * matches (or none was expected). A trap inside `fn` propagates as
 * `WebAssembly.RuntimeError`.
 */
export async function checkedCall(
  fn: unknown,
  params: readonly string[],
  results: readonly string[],
  args: readonly SList[],
  expected: readonly SList[] | undefined,
  text: string,
): Promise<string | null> {
  const locals = results.map((t, i) => `(local $r${i} ${t})`).join(" ");
  const sets = results.map((_, i) => `local.set $r${results.length - 1 - i}`).join(" ");
  const stores = results.map((t, i) =>
    `(${storeOp(t)} offset=${16 * i} (i32.const 0) (local.get $r${i}))`
  )
    .join(" ");
  const expects = (expected ?? []).map((e, i) => storeExpected(e, text, EXPECTED_AT + 16 * i)).join(
    " ",
  );
  const wat = `(module
  (import "t" "f" (func $f (param ${params.join(" ")}) (result ${results.join(" ")})))
  (memory (export "m") 1)
  (func (export "run") ${locals}
    ${args.map((a) => text.slice(a.start, a.end)).join(" ")}
    call $f ${sets} ${stores})
  (func (export "expect") ${expects}))`;
  const instance = instantiateSync(await compile(wat, { filename: "checker.wat" }), {
    t: { f: fn },
  });
  const exports = instance.exports as Record<string, () => void>;
  exports.run();
  if (expected === undefined) return null;
  exports.expect();
  const bytes = new Uint8Array((instance.exports.m as WebAssembly.Memory).buffer);
  if (expected.length !== results.length) {
    return `expected ${expected.length} results, the function has ${results.length}`;
  }
  for (let i = 0; i < results.length; i++) {
    const pattern = patternOf(expected[i]);
    const laneSize = SIZE[results[i]] / pattern.lanes.length;
    for (let k = 0; k < pattern.lanes.length; k++) {
      const at = 16 * i + k * laneSize;
      const got = readBits(bytes, at, laneSize);
      const nanClass = pattern.lanes[k];
      const ok = nanClass !== null
        ? inNanClass(got, laneSize * 8, nanClass)
        : got === readBits(bytes, EXPECTED_AT + at, laneSize);
      if (!ok) {
        return `result ${i}${pattern.lanes.length > 1 ? ` lane ${k}` : ""}: expected ${
          nanClass ?? hex(bytes, EXPECTED_AT + at, laneSize)
        }, got ${hex(bytes, at, laneSize)}`;
      }
    }
  }
  return null;
}
