/**
 * `mlink link`: one module-linking binary from a main module and the
 * modules it imports.
 *
 * @module
 */

import { parseWat } from "../api.ts";
import { baseName } from "../file_reader.ts";
import { unreachable } from "../ir.ts";
import { link, type LinkInput, parseModuleSpec } from "../link.ts";
import { readInput } from "./input.ts";
import type { Args, ArgsSpec } from "./args.ts";
import { UsageError } from "./usage.ts";

/** What `mlink link` was asked to do. */
export interface LinkRequest {
  main: string;
  modules: { name: string; path: string }[];
  output: string;
}

/** `link`'s arguments: `MAIN [--module NAME=FILE]… -o OUT`, options in any order. */
export const LINK_ARGS: ArgsSpec = {
  command: "link",
  options: {
    "--module": { value: true, repeatable: true },
    "--output": { value: true, aliases: ["-o"], required: "link needs -o OUT" },
  },
  operands: { name: "MAIN", min: 1, max: 1, missing: "link needs MAIN" },
};

/** The request that `link`'s arguments make. */
export function linkRequest(args: Args): LinkRequest {
  const modules = args.values("--module").map((spec) => {
    try {
      return parseModuleSpec(spec);
    } catch (e) {
      throw new UsageError(`--module ${spec}: ${(e as Error).message}`);
    }
  });
  return { main: args.operands[0], modules, output: args.value("--output")! };
}

/** A binary for `link`: a binary as it is, text parsed; an artifact cannot be linked. */
async function linkInput(name: string, path: string): Promise<LinkInput> {
  const input = await readInput(path);
  switch (input.kind) {
    case "binary":
      return { name, bytes: input.bytes };
    case "text":
      return { name, bytes: await parseWat(input.text, { filename: path }) };
    case "artifact":
      throw new UsageError(`${path} is an artifact: link takes binaries or text`);
    default:
      return unreachable(input, "input");
  }
}

/** Links the inputs of `request` and returns the output binary. */
export async function linkFiles(request: LinkRequest): Promise<Uint8Array> {
  const main = await linkInput(baseName(request.main), request.main);
  const modules = await Promise.all(request.modules.map((m) => linkInput(m.name, m.path)));
  return link(main, modules);
}
