/**
 * The mlink command line.
 *
 *     deno run -A cli.ts run app.wat --invoke main 1 2
 *     deno run -A cli.ts parse app.wat -o app.wasm
 *
 * `deno run -A cli.ts help` lists every command.
 *
 * @module
 */

import { parseArgs } from "@std/cli/parse-args";
import { compile, LinkToolError, parseWat } from "./mod.ts";
import { InputError, loadModule } from "./lib/cli/input.ts";
import { directoryOf, fileReader } from "./lib/file_reader.ts";
import { linkFiles, parseLinkArgs } from "./lib/cli/link.ts";
import { buildEsm } from "./lib/deploy/esm.ts";
import { declarations, selfTypesComment } from "./lib/deploy/types.ts";
import { parseRunArgs, runProgram } from "./lib/cli/run.ts";
import { UsageError } from "./lib/cli/usage.ts";
import { formatInspection, inspectModule } from "./lib/cli/inspect.ts";
import { precompile, type PrecompileEntry } from "./lib/artifact/precompile.ts";
import { writeFileAtomic } from "./lib/artifact/cache.ts";
import { runScript } from "./lib/wast/runner.ts";

interface Command {
  summary: string;
  usage: string;
  strings?: string[];
  booleans?: string[];
  run?(args: ReturnType<typeof parseArgs>): Promise<number>;
  /** Commands that read their own arguments (`run` passes words after FILE on as they are). */
  runRaw?(argv: string[]): Promise<number>;
}

const commands: Record<string, Command> = {
  run: {
    summary: "run a WASI command, or instantiate a module and call an export",
    usage: `mlink run [OPTIONS] FILE [ARGS…]

FILE is a module-linking binary, text or artifact (detected by content).
A module that exports _start is a WASI command: it runs with ARGS as its
arguments (argv[0] is FILE's base name) and wasi_snapshot_preview1 provided,
and mlink exits with its exit code (134 after a trap, whose message goes to
stderr). A reactor's _initialize is called right after instantiation.
Without _start, the module is instantiated and its exports are listed, or
with --invoke one export is called with ARGS read by its parameter types.

Options (before FILE):
  --dir HOST[::GUEST]   preopen directory HOST, seen by the program as GUEST
                        (default: HOST); repeatable
  --env NAME=VALUE      set an environment variable of the program; repeatable
  --preload NAME=FILE   satisfy the top-level import NAME with an instance of
                        FILE (with WASI; a reactor is initialized), or with
                        FILE's module itself where NAME is a module import
  --invoke NAME         call export NAME with ARGS (i32, i64, f32, f64) and
                        print the result
  --                    end of options

Examples:
  mlink run --dir data::/data --env K=V prog.wasm /data/in.txt
  mlink run --invoke add math.wat 1 2`,
    runRaw: async (argv) => await runProgram(parseRunArgs(argv)),
  },
  parse: {
    summary: "convert module-linking text to a binary",
    usage: `mlink parse FILE.wat -o OUT.wasm

Parses module-linking text and writes the module-linking binary.`,
    strings: ["o", "output"],
    async run(args) {
      const [file] = args._.map(String);
      const out = (args.o ?? args.output) as string | undefined;
      if (file === undefined || out === undefined) {
        throw new UsageError("parse needs FILE and -o OUT");
      }
      const text = await Deno.readTextFile(file);
      const bytes = await parseWat(text, {
        filename: file,
        readFile: fileReader(directoryOf(file)),
      });
      await writeFileAtomic(out, bytes);
      console.log(`wrote ${out} (${bytes.length} bytes)`);
      return 0;
    },
  },
  compile: {
    summary: "compile a binary or text into a portable artifact, or a self-contained ES module",
    usage: `mlink compile FILE -o OUT.mlk
mlink compile FILE --esm -o OUT.js

Compiles FILE (module-linking binary or text; with --esm also an artifact)
and writes its artifact, which \`run\`, \`Module.deserialize\` and
lib/loader.ts load without compiling again.

With --esm, writes one self-contained ES module instead: the artifact
embedded and the loader bundled in (by \`deno bundle\`), importing nothing,
runnable with no permissions and importable by URL. It exports \`module\`,
\`instantiate(imports?, options?)\` and \`instantiateSync\`. Its typed
bindings are written beside it (OUT.d.ts) and found by Deno through the
module's @ts-self-types comment.`,
    strings: ["o", "output"],
    booleans: ["esm"],
    async run(args) {
      const [file, ...extra] = args._.map(String);
      const out = (args.o ?? args.output) as string | undefined;
      if (file === undefined || out === undefined) {
        throw new UsageError("compile needs FILE and -o OUT");
      }
      if (extra.length > 0) throw new UsageError(`unexpected argument ${extra[0]}`);
      const module = await loadModule(file);
      const artifact = module.serialize();
      if (!args.esm) {
        await writeFileAtomic(out, artifact);
        console.log(`wrote ${out} (${artifact.length} bytes)`);
        return 0;
      }
      const source = basename(file);
      const typesPath = out.replace(/(\.m?js)?$/, ".d.ts");
      const code = selfTypesComment(`./${basename(typesPath)}`) + "\n" +
        await buildEsm(artifact, { source });
      const types = declarations(module, { form: "esm", name: source });
      const encoder = new TextEncoder();
      await writeFileAtomic(typesPath, encoder.encode(types));
      await writeFileAtomic(out, encoder.encode(code));
      console.log(
        `wrote ${out} (${code.length} bytes: a ${artifact.length}-byte artifact and the loader) and ${typesPath}`,
      );
      return 0;
    },
  },
  types: {
    summary: "print TypeScript declarations of a module's exports and imports",
    usage: `mlink types FILE [--esm]

Prints TypeScript declarations for FILE (binary, text or artifact): an
\`Exports\` interface (i32/f32/f64 as number, i64 as bigint, several results
as a tuple, memories/tables/globals as WebAssembly types, nested instances
as typed objects, modules as Module) and the \`Imports\` type of
instantiate's imports. --esm prints the .d.ts of \`compile --esm\`'s module.`,
    booleans: ["esm"],
    async run(args) {
      const [file, ...extra] = args._.map(String);
      if (file === undefined) throw new UsageError("types needs a FILE");
      if (extra.length > 0) throw new UsageError(`unexpected argument ${extra[0]}`);
      const module = await loadModule(file);
      console.log(
        declarations(module, { form: args.esm ? "esm" : "module", name: basename(file) }),
      );
      return 0;
    },
  },
  link: {
    summary: "link a main module and the modules it imports into one module-linking binary",
    usage: `mlink link MAIN [--module NAME=FILE]… -o OUT.wasm

Nests MAIN and every --module FILE (core or module-linking binaries, or
text) in one module-linking binary. Each linked module is instantiated once,
in dependency order; an import whose module name is NAME is satisfied by
that instance (a reactor is initialized first, by OUT itself). Every other
import (wasi_snapshot_preview1, env, …) becomes an import of OUT, one per
name; OUT exports what MAIN exports. Cycles, missing exports and type
mismatches are errors naming both modules and the field.

Example:
  mlink link main.wasm --module greeter=greeter.wasm -o app.wasm
  mlink run app.wasm`,
    async runRaw(argv) {
      const request = parseLinkArgs(argv);
      const started = performance.now();
      const bytes = await linkFiles(request);
      await writeFileAtomic(request.output, bytes);
      const ms = (performance.now() - started).toFixed(1);
      console.log(
        `wrote ${request.output} (${bytes.length} bytes, ${
          request.modules.length + 1
        } modules, ${ms} ms)`,
      );
      return 0;
    },
  },
  inspect: {
    summary: "show the tree of nested modules, imports, exports and initializers",
    usage: `mlink inspect FILE [--json]

FILE is a module-linking binary, text or artifact (detected by content).
Prints each module with its imports, exports, initializers and core size;
--json prints the same tree as JSON.`,
    booleans: ["json"],
    async run(args) {
      const [file] = args._.map(String);
      if (file === undefined) throw new UsageError("inspect needs a FILE");
      const tree = inspectModule(await loadModule(file));
      console.log(
        args.json ? JSON.stringify(tree, null, 2) : formatInspection(tree),
      );
      return 0;
    },
  },
  wast: {
    summary: "run WebAssembly scripts (.wast) through mlink",
    usage: `mlink wast FILE… [--filter SUBSTRING] [--verbose] [--messages]

Runs each script: modules go through mlink's pipeline (text → binary →
compile → instantiate). Prints one line per failure (file:line, command,
expected vs got), a summary per file, and finally "N passed, N failed".
--filter runs only files whose path contains SUBSTRING; --verbose prints every
command; --messages also checks expected error texts against our messages.
Exits non-zero if anything failed.`,
    strings: ["filter"],
    booleans: ["verbose", "messages"],
    async run(args) {
      const files = args._.map(String).filter((f: string) =>
        !args.filter || f.includes(String(args.filter))
      );
      if (files.length === 0) throw new UsageError("wast needs FILE…");
      let passed = 0;
      let failed = 0;
      for (const file of files) {
        const result = await runScript(await Deno.readTextFile(file), file, {
          matchMessages: Boolean(args.messages),
          onCommand(r) {
            if (!r.ok) console.log(`${r.file}:${r.line}: ${r.command}: ${r.message}`);
            else if (args.verbose) console.log(`${r.file}:${r.line}: ${r.command}: ok`);
          },
        });
        console.log(`${file}: ${result.passed} passed, ${result.failed} failed`);
        passed += result.passed;
        failed += result.failed;
      }
      console.log(`${passed} passed, ${failed} failed`);
      return failed > 0 ? 1 : 0;
    },
  },
  precompile: {
    summary: "compile every .wasm/.wat under some paths into an artifact cache",
    usage: `mlink precompile PATH… --out DIR

Finds .wasm and .wat files (recursively in directories), compiles each into
DIR/<key>.mlk where the key hashes the input's bytes and the artifact format
version, skips entries already present and valid, replaces corrupt ones, and
writes DIR/manifest.json (source → key). Files are written atomically.`,
    strings: ["out"],
    async run(args) {
      const paths = args._.map(String);
      const outDir = args.out as string | undefined;
      if (paths.length === 0 || outDir === undefined) {
        throw new UsageError("precompile needs PATH… and --out DIR");
      }
      const results = await precompile(paths, {
        outDir,
        compile: (input, filename) => compile(input, { filename }),
        onProgress: progressReporter(),
      });
      const count = (s: PrecompileEntry["status"]) => results.filter((r) => r.status === s).length;
      console.log(
        `${results.length} input(s): ${count("compiled")} compiled, ${
          count("present")
        } already present, ${count("replaced")} replaced, ${count("failed")} failed`,
      );
      return count("failed") > 0 ? 1 : 0;
    },
  },
};

/** The last component of a path. */
function basename(path: string): string {
  return path.split(/[\\/]/).pop()!;
}

/** A progress line that redraws itself on a terminal and prints plain lines otherwise. */
function progressReporter(): (
  done: number,
  total: number,
  entry: PrecompileEntry,
) => void {
  const terminal = Deno.stderr.isTerminal();
  const encoder = new TextEncoder();
  return (done, total, entry) => {
    const note = entry.status === "failed"
      ? `FAILED ${entry.source}: ${entry.error}`
      : `${entry.status} ${entry.source}`;
    if (!terminal || entry.status === "failed") {
      console.error(`[${done}/${total}] ${note}`);
      return;
    }
    const width = 30;
    const filled = Math.round((done / total) * width);
    const bar = `[${"#".repeat(filled)}${
      " ".repeat(width - filled)
    }] ${done}/${total} ${entry.source}`;
    Deno.stderr.writeSync(
      encoder.encode(`\r\x1b[2K${bar}${done === total ? "\n" : ""}`),
    );
  };
}

function help(): string {
  const lines = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(12)}${c.summary}`);
  return `mlink — a WebAssembly runtime for the module-linking proposal

Usage: deno run -A cli.ts COMMAND [OPTIONS] FILE…

Commands:
${lines.join("\n")}
  help        show this help, or \`help COMMAND\` for one command

Every command takes --help.`;
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (
    name === undefined || name === "help" || name === "--help" || name === "-h"
  ) {
    const topic = rest[0] && commands[rest[0]];
    console.log(topic ? topic.usage : help());
    return 0;
  }
  const command = commands[name];
  if (command === undefined) {
    console.error(
      `error: unknown command ${JSON.stringify(name)}\n\n${help()}`,
    );
    return 2;
  }
  if (command.runRaw !== undefined && (rest[0] === "--help" || rest[0] === "-h")) {
    console.log(command.usage);
    return 0;
  }
  const args = command.runRaw === undefined
    ? parseArgs(rest, {
      string: command.strings ?? [],
      boolean: ["help", ...(command.booleans ?? [])],
    })
    : undefined;
  if (args?.help) {
    console.log(command.usage);
    return 0;
  }
  try {
    return args === undefined ? await command.runRaw!(rest) : await command.run!(args);
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`error: ${e.message}\n\n${command.usage}`);
      return 2;
    }
    if (e instanceof InputError || e instanceof LinkToolError) {
      console.error(`error: ${e.message}`);
      return 1;
    }
    const error = e as Error;
    console.error(
      `error: ${error.name === "Error" ? "" : `${error.name}: `}${error.message}`,
    );
    return 1;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
