/**
 * Wrong command-line usage, shared by the CLI's commands.
 *
 * @module
 */

/** Wrong command-line usage: printed with the command's usage text, exit code 2. */
export class UsageError extends Error {
  /** Makes the error. */
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}
