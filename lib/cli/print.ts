/**
 * `mlink print FILE`: a binary as text that `mlink parse` turns back into
 * the same binary.
 *
 * @module
 */

import { parseWat } from "../api.ts";
import { CompileError } from "../errors.ts";
import { directoryOf, fileReader } from "../file_reader.ts";
import { unreachable } from "../ir.ts";
import { printWat } from "../print/mod.ts";
import { InputError, readInput } from "./input.ts";

/**
 * The text of the file at `path`: a binary printed, or text parsed and
 * printed (as the binary it parses to). An artifact cannot be printed.
 *
 * @throws {InputError} naming the file, for an artifact, bytes that are no
 * module, or a binary that does not decode (with its byte offset).
 * @throws {WatError} for text that does not parse.
 */
export async function printFile(path: string): Promise<string> {
  const input = await readInput(path);
  let bytes: Uint8Array;
  switch (input.kind) {
    case "binary":
      bytes = input.bytes;
      break;
    case "text":
      bytes = await parseWat(input.text, {
        filename: path,
        readFile: fileReader(directoryOf(path)),
      });
      break;
    case "artifact":
      throw new InputError(
        `${path} is an mlink artifact: it holds the core modules a binary was split into, not ` +
          "the binary, so it cannot be printed; print the binary or text it was compiled from",
      );
    default:
      return unreachable(input, "input");
  }
  try {
    return await printWat(bytes);
  } catch (e) {
    if (e instanceof CompileError) throw new InputError(`${path}: ${e.message}`, { cause: e });
    throw e;
  }
}
