/**
 * Validation without instantiation: is this binary or text a module that
 * `compile` accepts? The answer is a value, not an exception, and it is
 * `compile`'s own answer (the same decoder, validator and V8 compilation),
 * so the two cannot disagree. The script runner's `assert_invalid` asks it
 * too.
 *
 * @module
 */

import { bytesOf, checkOptions, compile, type CompileOptions, compileSync } from "./api.ts";
import { detectContent } from "./content.ts";
import { CompileError, WatError } from "./errors.ts";

/**
 * What {@linkcode validate} found: a valid module, or the error that
 * `compile` would throw for it, with its location: a `CompileError` has the
 * byte offset and the path of nested modules (for text, an error V8 finds in
 * core code starts with `file:line:col:` instead), a `WatError` has
 * `file:line:col`.
 *
 * @example
 * ```ts
 * import { validate, type ValidationResult } from "@mlink/mlink";
 * const result: ValidationResult = await validate(`(module (func (result i32)))`);
 * if (!result.valid) console.log(result.error.message); // input.wat:1:27: invalid core module: …
 * ```
 */
export type ValidationResult =
  | { readonly valid: true }
  | { readonly valid: false; readonly error: CompileError | WatError };

/** Options of {@linkcode validate}: those of `compile`, for text. */
export type ValidateOptions = CompileOptions;

const VALID: ValidationResult = Object.freeze({ valid: true });

/**
 * Validates a module-linking binary, or its text format, as `compile` would:
 * decoding, module-linking validation (index spaces, types, instantiation
 * arguments, aliases, nested modules) and V8's validation of every core
 * module. Nothing is instantiated, so no start function runs and no import
 * is needed.
 *
 * Bytes are told apart by content, as `compile` does. An mlink artifact is
 * not a module to validate (its modules were validated when it was
 * compiled, and loading it verifies it): the result is invalid, with a
 * `CompileError` saying so. Bytes that are neither a binary, an artifact nor
 * text are invalid too.
 *
 * @param source A binary (`Uint8Array`, `ArrayBuffer` or any view), or text.
 * @param options For text: the file name used in errors, and the reader of
 * nested `(file …)` modules.
 * @returns `{ valid: true }`, or `{ valid: false, error }` with the
 * `CompileError` or `WatError` (text only) that `compile` would throw.
 * @throws {CompileError} only for a misuse: a `source` that is neither bytes
 * nor a string, a detached buffer, or malformed options.
 *
 * @example
 * ```ts
 * import { validate } from "@mlink/mlink";
 * const ok = await validate(`(module (module $child) (instance (instantiate $child)))`);
 * console.log(ok.valid); // true
 * const bad = await validate(`(module (instance (instantiate 0)))`, { filename: "app.wat" });
 * if (!bad.valid) console.log(bad.error.message); // app.wat:1:32: unknown module 0 …
 * ```
 */
export async function validate(
  source: Uint8Array | ArrayBuffer | ArrayBufferView | string,
  options?: ValidateOptions,
): Promise<ValidationResult> {
  const bytes = typeof source === "string" ? undefined : bytesOf(source, "validate");
  checkOptions(options, (message) => new CompileError(`validate: ${message}`));
  if (bytes !== undefined) {
    const refused = notAModule(bytes, "text");
    if (refused !== undefined) return refused;
  }
  try {
    await compile(source, options);
    return VALID;
  } catch (e) {
    return invalid(e);
  }
}

/**
 * Synchronous {@linkcode validate} of a binary, as `compileSync` would judge
 * it. Bytes that are text are invalid, with a `CompileError` saying that
 * text needs the asynchronous `validate`.
 *
 * @param source A module-linking (or core) WebAssembly binary.
 * @returns `{ valid: true }`, or `{ valid: false, error }` with the
 * `CompileError` that `compileSync` would throw.
 * @throws {CompileError} only when `source` is not bytes, or is a detached buffer.
 *
 * @example
 * ```ts
 * import { validateSync } from "@mlink/mlink";
 * // A header of binary version 2.
 * const result = validateSync(new Uint8Array([0, 97, 115, 109, 2, 0, 0, 0]));
 * if (!result.valid) console.log(result.error.message); // unknown binary version (at byte offset 0x4)
 * ```
 */
export function validateSync(
  source: Uint8Array | ArrayBuffer | ArrayBufferView,
): ValidationResult {
  if (typeof source === "string") {
    throw new CompileError("validateSync expects bytes, got a string: text needs validate()");
  }
  const refused = notAModule(
    bytesOf(source, "validateSync", "a Uint8Array or an ArrayBuffer"),
    "binary",
  );
  if (refused !== undefined) return refused;
  try {
    compileSync(source);
    return VALID;
  } catch (e) {
    return invalid(e);
  }
}

/** The result for an error of `compile`: invalid for its typed errors; anything else is rethrown. */
function invalid(e: unknown): ValidationResult {
  if (e instanceof CompileError || e instanceof WatError) return { valid: false, error: e };
  throw e;
}

/**
 * The result for bytes that are no module to compile: an artifact, or (for
 * the synchronous form, which takes binaries only) text.
 */
function notAModule(bytes: Uint8Array, takes: "text" | "binary"): ValidationResult | undefined {
  const content = detectContent(bytes);
  if (content.kind === "artifact") {
    return {
      valid: false,
      error: new CompileError(
        "this is an mlink artifact, not a WebAssembly binary or text: an artifact is not " +
          "validated, it was compiled from a valid module and is verified when loaded " +
          "(Module.deserialize())",
      ),
    };
  }
  if (content.kind === "text" && takes === "binary") {
    return {
      valid: false,
      error: new CompileError(
        "this is WebAssembly text: validateSync takes binaries, text needs the asynchronous validate()",
      ),
    };
  }
  return undefined;
}
