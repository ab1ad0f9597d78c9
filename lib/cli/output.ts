/**
 * Writes a command's output: `-` is standard output, and anything else goes
 * through `writeOutput` of `lib/deploy/files.ts`: a file written
 * atomically, a device or FIFO written in place, never replaced.
 *
 * @module
 */

import { writeAll, writeOutput as writeOutputFile } from "../deploy/files.ts";
import { ArtifactError } from "../errors.ts";
import { fileErrorReason } from "./input.ts";

/** An output the CLI could not write; printed as one line. */
export class OutputError extends Error {
  /** Makes the error. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "OutputError";
  }
}

/** The output path that means standard output. */
export const STDOUT = "-";

/**
 * Writes `bytes` to `path`, or to standard output when `path` is `-`.
 *
 * @throws {OutputError} saying which path and why, naming no temporary file.
 */
export async function writeOutput(path: string, bytes: Uint8Array): Promise<void> {
  try {
    if (path === STDOUT) await writeAll(Deno.stdout, bytes);
    else await writeOutputFile(path, bytes);
  } catch (e) {
    // The writer's own errors name the path already.
    if (e instanceof ArtifactError) throw new OutputError(e.message, { cause: e });
    const where = path === STDOUT ? "standard output" : path;
    throw new OutputError(`cannot write ${where}: ${fileErrorReason(e)}`, { cause: e });
  }
}
