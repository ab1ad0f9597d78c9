/**
 * `mlink link`: one module-linking binary from a main module and the
 * modules it imports.
 *
 * @module
 */

import { parseWat } from "../api.ts";
import { link, type LinkInput, parseModuleSpec } from "../link.ts";
import { readInput } from "./input.ts";
import { UsageError } from "./usage.ts";

/** What `mlink link` was asked to do. */
export interface LinkRequest {
  main: string;
  modules: { name: string; path: string }[];
  output: string;
}

/** Reads `link`'s arguments: `MAIN [--module NAME=FILE]… -o OUT`, options in any order. */
export function parseLinkArgs(argv: readonly string[]): LinkRequest {
  let main: string | undefined;
  let output: string | undefined;
  const modules: LinkRequest["modules"] = [];
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i];
    const eq = word.startsWith("--") ? word.indexOf("=") : -1;
    const name = eq > 0 ? word.slice(0, eq) : word;
    if (!name.startsWith("-") || name === "-") {
      if (main !== undefined) {
        throw new UsageError(`unexpected argument ${word}: link takes one MAIN`);
      }
      main = word;
      continue;
    }
    if (!["--module", "-o", "--output"].includes(name)) {
      throw new UsageError(`unknown option ${word}`);
    }
    let value: string;
    if (eq > 0) value = word.slice(eq + 1);
    else if (i + 1 < argv.length) value = argv[++i];
    else throw new UsageError(`${name} needs a value`);
    if (name === "--module") {
      try {
        modules.push(parseModuleSpec(value));
      } catch (e) {
        throw new UsageError(`--module ${value}: ${(e as Error).message}`);
      }
    } else if (output !== undefined) {
      throw new UsageError("-o is given twice");
    } else {
      output = value;
    }
  }
  if (main === undefined) throw new UsageError("link needs MAIN");
  if (output === undefined) throw new UsageError("link needs -o OUT");
  return { main, modules, output };
}

/** A binary for `link`: a binary as it is, text parsed; an artifact cannot be linked. */
async function linkInput(name: string, path: string): Promise<LinkInput> {
  const input = await readInput(path);
  switch (input.kind) {
    case "binary":
      return { name, bytes: input.bytes };
    case "text":
      return {
        name,
        bytes: await parseWat(new TextDecoder().decode(input.bytes), { filename: path }),
      };
    case "artifact":
      throw new UsageError(`${path} is an artifact: link takes binaries or text`);
  }
}

/** Links the inputs of `request` and returns the output binary. */
export async function linkFiles(request: LinkRequest): Promise<Uint8Array> {
  const main = await linkInput(request.main.split(/[\\/]/).pop()!, request.main);
  const modules = await Promise.all(request.modules.map((m) => linkInput(m.name, m.path)));
  return link(main, modules);
}
