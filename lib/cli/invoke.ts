/**
 * Calls an exported function with arguments given as text, for the CLI.
 *
 * @module
 */

import { LinkError } from "../errors.ts";
import type { Instance } from "../runtime/instance.ts";
import type { Module } from "../runtime/module.ts";

/** A bad `--invoke` request: no such export, wrong argument count or syntax. */
export class InvokeError extends Error {
  /** Makes the error. */
  constructor(message: string) {
    super(message);
    this.name = "InvokeError";
  }
}

const INTEGER = /^[+-]?(?:\d+|0x[0-9a-f]+)$/i;
const FLOAT_WORDS = /^[+-]?(?:inf|infinity|nan)$/i;

/** Integer ranges: signed minimum to unsigned maximum, as the text format's literals. */
const RANGE = {
  i32: [-(2n ** 31n), 2n ** 32n - 1n],
  i64: [-(2n ** 63n), 2n ** 64n - 1n],
} as const;

/**
 * One argument read by its parameter type. Integers are decimal or hex,
 * signed or unsigned, and must fit; floats must be numbers that round to a
 * finite value of their type, or `inf`/`nan` spelled out.
 */
function parseArg(text: string, type: string, position: number): number | bigint {
  const fail = (why: string) =>
    new InvokeError(`argument ${position + 1} (${type}): ${JSON.stringify(text)} ${why}`);
  switch (type) {
    case "i32":
    case "i64": {
      if (!INTEGER.test(text)) throw fail("is not an integer");
      const negative = text.startsWith("-");
      const magnitude = BigInt(text.replace(/^[+-]/, ""));
      const value = negative ? -magnitude : magnitude;
      const [min, max] = RANGE[type];
      if (value < min || value > max) throw fail(`is out of range for ${type}`);
      return type === "i32" ? Number(BigInt.asIntN(32, value)) : BigInt.asIntN(64, value);
    }
    case "f32":
    case "f64": {
      if (FLOAT_WORDS.test(text)) {
        if (/nan/i.test(text)) return NaN;
        return text.startsWith("-") ? -Infinity : Infinity;
      }
      // Number() reads "" and blanks as 0, and words like "Infinity": only a literal will do.
      if (!/^[+-]?\.?\d/.test(text) || /\s/.test(text)) throw fail("is not a number");
      const n = Number(text);
      if (Number.isNaN(n)) throw fail("is not a number");
      const value = type === "f32" ? Math.fround(n) : n;
      if (!Number.isFinite(value)) throw fail(`is out of range for ${type}`);
      return value;
    }
    default:
      throw new InvokeError(
        `argument ${position + 1}: ${type} arguments cannot be given on the command line`,
      );
  }
}

/** Calls export `name` of `instance` with `args` parsed by the function's parameter types. */
export function invokeExport(
  module: Module,
  instance: Instance,
  name: string,
  args: readonly string[],
): unknown {
  const descriptor = module.exports().find((e) => e.name === name);
  if (descriptor === undefined) {
    const names = module.exports().filter((e) => e.kind === "func").map((e) => e.name);
    throw new InvokeError(
      `no export ${JSON.stringify(name)}; exported functions: ${
        names.length ? names.join(", ") : "none"
      }`,
    );
  }
  if (descriptor.kind !== "func") {
    throw new InvokeError(
      `export ${JSON.stringify(name)} is a ${descriptor.kind}, not a func`,
    );
  }
  const params = descriptor.params!;
  if (params.length !== args.length) {
    throw new InvokeError(
      `${name} takes ${params.length} argument(s) ${descriptor.type}, got ${args.length}`,
    );
  }
  const fn = instance.exports[name];
  if (typeof fn !== "function") {
    throw new LinkError(`export ${JSON.stringify(name)} is not callable`);
  }
  return fn(...args.map((a, i) => parseArg(a, params[i], i)));
}

/** Prints a result the way the text format writes values. */
export function formatResult(value: unknown): string {
  if (value === undefined) return "(no result)";
  if (Array.isArray(value)) return value.map(formatResult).join(" ");
  if (typeof value === "bigint") return value.toString();
  if (typeof value === "number" && Object.is(value, -0)) return "-0";
  return String(value);
}
