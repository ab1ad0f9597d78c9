/**
 * The error of `link`: the inputs cannot be linked into one module.
 *
 * @module
 */

/** What went wrong, as a name a program can branch on. */
export type LinkToolErrorCode =
  /** An input is not a `{ name, bytes }` pair. */
  | "input"
  /** A `NAME=FILE` argument is malformed. */
  | "spec"
  /** A module name is empty or not a valid Unicode string. */
  | "name"
  /** Two linked modules have the same name. */
  | "duplicate"
  /** Linked modules import each other in a cycle. */
  | "cycle"
  /** An import names a field the linked module does not export. */
  | "missing-export"
  /** An import and the export meant to satisfy it differ in kind or type. */
  | "mismatch"
  /** Two modules import the same outside name with different types. */
  | "conflict"
  /** A linked module exports `_initialize`, but not as a `(func)`. */
  | "reactor";

/**
 * Thrown by `link` and `parseModuleSpec` when the inputs cannot be linked.
 * Malformed or invalid input binaries are a `CompileError` instead, whose
 * path starts with the input they came from.
 *
 * @example
 * ```ts
 * import { LinkToolError, parseModuleSpec } from "../link.ts";
 * try {
 *   parseModuleSpec("greeter.wasm");
 * } catch (e) {
 *   if (e instanceof LinkToolError) console.log(e.code); // "spec"
 * }
 * ```
 */
export class LinkToolError extends Error {
  /** What went wrong. */
  readonly code: LinkToolErrorCode;
  /** The message (the same, for one constructor shape with the other errors). */
  readonly reason: string;

  /** Makes an error of the kind `what.code`. */
  constructor(reason: string, what: { code: LinkToolErrorCode }, options?: ErrorOptions) {
    super(reason, options);
    this.name = "LinkToolError";
    this.code = what.code;
    this.reason = reason;
  }
}
