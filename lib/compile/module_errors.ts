/**
 * How the compiler reports what is wrong with one module: a `CompileError`
 * with the byte offset and the nested-module path.
 *
 * @module
 */

import { CompileError } from "../errors.ts";
import { TypeSizeError } from "../types.ts";

/** Reports the errors of one module, each with the module's path. */
export class ModuleErrors {
  /** Nested modules from the outermost inwards, e.g. `["module $app", "module 2"]`. */
  readonly path: readonly string[];

  /** Reports errors for the module at `path`. */
  constructor(path: readonly string[]) {
    this.path = path;
  }

  /** Throws the `CompileError` `message` at byte `offset`. */
  fail(message: string, offset?: number): never {
    throw new CompileError(message, { offset, path: this.path });
  }

  /**
   * Interns a type with `make`. A type too large or too deep is an error at
   * `at`: one offset, or the offset of a member (imports, then exports), to
   * blame the one that crossed the limit; `what` names the type then.
   */
  intern(
    make: () => number,
    at: number | undefined | ((member: number) => number | undefined),
    what?: string,
  ): number {
    try {
      return make();
    } catch (e) {
      if (!(e instanceof TypeSizeError)) throw e;
      if (typeof at === "function") this.fail(`${what}: ${e.message}`, at(e.member));
      this.fail(e.message, at);
    }
  }
}
