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

function parseArg(
  text: string,
  type: string,
  position: number,
): number | bigint {
  const bad = () =>
    new InvokeError(
      `argument ${position + 1} (${type}): cannot read ${JSON.stringify(text)}`,
    );
  switch (type) {
    case "i32": {
      const n = Number(text);
      if (!Number.isInteger(n) || n < -(2 ** 31) || n >= 2 ** 32) throw bad();
      return n | 0;
    }
    case "i64":
      try {
        return BigInt.asIntN(64, BigInt(text));
      } catch {
        throw bad();
      }
    case "f32":
    case "f64": {
      const lower = text.toLowerCase();
      if (lower === "nan") return NaN;
      if (lower === "inf" || lower === "+inf") return Infinity;
      if (lower === "-inf") return -Infinity;
      const n = Number(text);
      if (Number.isNaN(n) || text.trim() === "") throw bad();
      return n;
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
