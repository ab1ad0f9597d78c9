/**
 * `mlink validate FILE…`: compiles each file without instantiating it and
 * says what is wrong with each one that does not compile, where.
 *
 * @module
 */

import { type CompileError, WatError } from "../errors.ts";
import { directoryOf, fileReader } from "../file_reader.ts";
import { unreachable } from "../ir.ts";
import { validate, type ValidationResult } from "../validate.ts";
import { type Input, InputError, readInput } from "./input.ts";

/**
 * Validates every file in order and prints one error per file that is not
 * valid (or cannot be read) to standard error; prints nothing for valid
 * ones.
 *
 * @returns How many files failed.
 */
export async function validateFiles(paths: readonly string[]): Promise<number> {
  let failed = 0;
  for (const path of paths) {
    const problem = await validateFile(path);
    if (problem === undefined) continue;
    console.error(`error: ${problem}`);
    failed++;
  }
  return failed;
}

/** What is wrong with the file at `path`, in one message that starts with where; undefined when valid. */
async function validateFile(path: string): Promise<string | undefined> {
  let input: Input;
  try {
    input = await readInput(path);
  } catch (e) {
    if (e instanceof InputError) return e.message;
    throw e;
  }
  const result = await validateInput(input);
  return result.valid ? undefined : describe(path, input.kind, result.error);
}

function validateInput(input: Input): Promise<ValidationResult> {
  switch (input.kind) {
    case "binary":
    case "artifact":
      return validate(input.bytes);
    case "text":
      return validate(input.text, {
        filename: input.path,
        readFile: fileReader(directoryOf(input.path)),
      });
    default:
      return unreachable(input, "input");
  }
}

/**
 * An error with its location: `file:line:col: reason` (with the offending
 * line) for text, `FILE: module $a > module $b: reason (at byte offset
 * 0x1c)` for a binary. A module-linking error in text that parses has its
 * byte offset in the binary the text lowers to, which `mlink parse` writes.
 */
function describe(
  path: string,
  kind: Input["kind"],
  error: CompileError | WatError,
): string {
  // Text errors, and V8's errors in text's core code, start with `file:line:col:`.
  if (error instanceof WatError || error.text !== undefined) return error.message;
  const where = error.path.length > 0 ? `${error.path.join(" > ")}: ` : "";
  let at = "";
  if (error.offset !== undefined) {
    at = ` (at byte offset 0x${error.offset.toString(16)}${
      kind === "text" ? " of the binary that `mlink parse` writes for it" : ""
    })`;
  }
  return `${path}: ${where}${error.reason}${at}`;
}
