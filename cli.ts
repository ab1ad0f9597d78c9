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

import denoJson from "./deno.json" with { type: "json" };
import { compile, LinkToolError, parseWat } from "./mod.ts";
import { fileErrorReason, InputError, loadModule, readInput, readText } from "./lib/cli/input.ts";
import { baseName, directoryOf, fileReader } from "./lib/file_reader.ts";
import { LINK_ARGS, linkFiles, linkRequest } from "./lib/cli/link.ts";
import { buildEsm } from "./lib/deploy/esm.ts";
import { declarations, selfTypesComment } from "./lib/deploy/types.ts";
import { RUN_ARGS, runProgram, runRequest } from "./lib/cli/run.ts";
import { UsageError } from "./lib/cli/usage.ts";
import { type Args, type ArgsSpec, readArgs } from "./lib/cli/args.ts";
import { OutputError, STDOUT, writeOutput } from "./lib/cli/output.ts";
import { formatInspection, inspectModule } from "./lib/cli/inspect.ts";
import { validateFiles } from "./lib/cli/validate.ts";
import { printFile } from "./lib/cli/print.ts";
import { precompile, type PrecompileEntry } from "./lib/deploy/precompile.ts";
import { DEFAULT_COMMAND_TIMEOUT_MS, ScriptRunner } from "./lib/wast/runner.ts";

interface Command {
  summary: string;
  usage: string;
  /** What the command accepts; every other word is a usage error. */
  args: ArgsSpec;
  run(args: Args): Promise<number>;
}

/** A command that takes one FILE, and `flags`. */
function fileArgs(command: string, flags: string[]): ArgsSpec {
  return {
    command,
    options: Object.fromEntries(flags.map((f) => [f, { value: false }])),
    operands: { name: "FILE", min: 1, max: 1, missing: `${command} needs a FILE` },
  };
}

/** A command that takes FILE and `-o OUT`, and `flags`. */
function fileToFileArgs(command: string, flags: string[]): ArgsSpec {
  const missing = `${command} needs FILE and -o OUT`;
  return {
    command,
    options: {
      "--output": { value: true, aliases: ["-o"], required: missing },
      ...Object.fromEntries(flags.map((f) => [f, { value: false }])),
    },
    operands: { name: "FILE", min: 1, max: 1, missing },
  };
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
  --no-fuse             compile FILE and the preloads without fusion: one
                        core instance per instance (not for artifacts)
  --                    end of options

Examples:
  mlink run --dir data::/data --env K=V prog.wasm /data/in.txt
  mlink run --invoke add math.wat 1 2`,
    args: RUN_ARGS,
    run: async (args) => await runProgram(runRequest(args)),
  },
  parse: {
    summary: "convert module-linking text to a binary",
    usage: `mlink parse FILE.wat -o OUT.wasm

Parses module-linking text and writes the module-linking binary; -o -
writes it to standard output. FILE must be UTF-8 text (a binary or an
artifact is refused).`,
    args: fileToFileArgs("parse", []),
    async run(args) {
      const [file] = args.operands;
      const out = args.value("--output")!;
      const input = await readInput(file);
      if (input.kind !== "text") {
        throw new InputError(`${file} is a WebAssembly ${input.kind} already: parse takes text`);
      }
      const bytes = await parseWat(input.text, {
        filename: file,
        readFile: fileReader(directoryOf(file)),
      });
      await writeOutput(out, bytes);
      if (out !== STDOUT) console.log(`wrote ${out} (${bytes.length} bytes)`);
      return 0;
    },
  },
  compile: {
    summary: "compile a binary or text into a portable artifact, or a self-contained ES module",
    usage: `mlink compile FILE [--no-fuse] -o OUT.mlk
mlink compile FILE --esm [--no-fuse] -o OUT.js

Compiles FILE (module-linking binary or text; with --esm also an artifact)
and writes its artifact, which \`run\`, \`Module.deserialize\` and
lib/loader.ts load without compiling again.

With --esm, writes one self-contained ES module instead: the artifact
embedded and the loader bundled in (by \`deno bundle\`), importing nothing,
runnable with no permissions and importable by URL. It exports \`module\`,
\`instantiate(imports?, options?)\` and \`instantiateSync\`. Its typed
bindings are written beside it (OUT.d.ts) and found by Deno through the
module's @ts-self-types comment.

By default a module whose instance graph is known when it is compiled is
fused into one core module (see docs/fusion.md; \`inspect\` tells whether it
was, and why not); --no-fuse compiles it without fusion, one core instance
per instance, and the artifact keeps it so. FILE must then be a binary or
text.

-o - writes the artifact to standard output (not with --esm, which writes
two files).`,
    args: fileToFileArgs("compile", ["--esm", "--no-fuse"]),
    async run(args) {
      const [file] = args.operands;
      const out = args.value("--output")!;
      const esm = args.flag("--esm");
      if (esm && out === STDOUT) {
        throw new UsageError("compile --esm writes OUT.js and OUT.d.ts: -o needs a file name");
      }
      const module = await loadModule(file, { fuse: !args.flag("--no-fuse") });
      const artifact = module.serialize();
      if (!esm) {
        await writeOutput(out, artifact);
        if (out !== STDOUT) console.log(`wrote ${out} (${artifact.length} bytes)`);
        return 0;
      }
      const source = baseName(file);
      const typesPath = out.replace(/(\.m?js)?$/, ".d.ts");
      const code = selfTypesComment(`./${baseName(typesPath)}`) + "\n" +
        await buildEsm(artifact, { source });
      const types = declarations(module, { form: "esm", name: source });
      const encoder = new TextEncoder();
      await writeOutput(typesPath, encoder.encode(types));
      await writeOutput(out, encoder.encode(code));
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
    args: fileArgs("types", ["--esm"]),
    async run(args) {
      const [file] = args.operands;
      const module = await loadModule(file);
      console.log(
        declarations(module, { form: args.flag("--esm") ? "esm" : "module", name: baseName(file) }),
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
mismatches are errors naming both modules and the field. -o - writes OUT
to standard output.

Example:
  mlink link main.wasm --module greeter=greeter.wasm -o app.wasm
  mlink run app.wasm`,
    args: LINK_ARGS,
    async run(args) {
      const request = linkRequest(args);
      const started = performance.now();
      const bytes = await linkFiles(request);
      await writeOutput(request.output, bytes);
      if (request.output === STDOUT) return 0;
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
    usage: `mlink inspect FILE [--json] [--no-fuse]

FILE is a module-linking binary, text or artifact (detected by content).
Prints each module with its imports, exports, initializers and core size;
--json prints the same tree as JSON.

The top-level module also says whether it was fused into one core module:
"fused: N instances into one core module (B bytes)" and the paths of those
instances in the order they are created (the last is the module itself),
or "not fused: REASON". An artifact tells how it was compiled. --no-fuse
compiles a binary or text without fusion, as \`compile --no-fuse\` does.`,
    args: fileArgs("inspect", ["--json", "--no-fuse"]),
    async run(args) {
      const [file] = args.operands;
      const tree = inspectModule(await loadModule(file, { fuse: !args.flag("--no-fuse") }));
      console.log(
        args.flag("--json") ? JSON.stringify(tree, null, 2) : formatInspection(tree),
      );
      return 0;
    },
  },
  validate: {
    summary: "check that binaries or texts compile, without instantiating them",
    usage: `mlink validate FILE…

Compiles each FILE (a module-linking or core binary, or text; detected by
content) as compile and run do: decoding, module-linking validation and
V8's validation of every core module, but no instantiation, so nothing
runs and no import is needed. Prints nothing and exits 0 when every FILE
is valid. Otherwise prints one error per FILE that is not, with where:
"FILE:line:col: …" with the offending line for text, and for a binary
"FILE: module $app > module $child: … (at byte offset 0x1c)" (a
module-linking error in text has the byte offset of the binary that
\`mlink parse\` writes for it); exits 1. A FILE that cannot be read is a
one-line error too, and the other files are still validated. An artifact
is an error: it is not a module to validate (its modules were validated
when it was compiled, and loading it verifies it).`,
    args: {
      command: "validate",
      options: {},
      operands: { name: "FILE…", min: 1, max: Infinity, missing: "validate needs FILE…" },
    },
    async run(args) {
      return await validateFiles(args.operands) > 0 ? 1 : 0;
    },
  },
  print: {
    summary: "print a binary as module-linking text that parses back to the same binary",
    usage: `mlink print FILE [-o OUT.wat]

Prints FILE, a module-linking or core binary, as text: nested modules,
imports, types, instances, aliases and exports with numeric indices (and
index comments), each module's core part as wabt prints it. \`mlink parse\`
turns the text back into the same bytes, for every binary laid out as
parse lays binaries out (every one parse writes, and every core module
wabt writes); of other binaries the text keeps the meaning, and what it
cannot say (a custom section other than names, core code nested deeper than
parse reads) is a ";; note:" in it.
Text is printed as the binary it parses to. An artifact cannot be printed:
it holds the core modules a binary was split into, not the binary.

Writes to standard output, or with -o to OUT.`,
    args: {
      command: "print",
      options: { "--output": { value: true, aliases: ["-o"] } },
      operands: { name: "FILE", min: 1, max: 1, missing: "print needs a FILE" },
    },
    async run(args) {
      const [file] = args.operands;
      const out = args.value("--output") ?? STDOUT;
      const text = new TextEncoder().encode(await printFile(file));
      await writeOutput(out, text);
      if (out !== STDOUT) console.log(`wrote ${out} (${text.length} bytes)`);
      return 0;
    },
  },
  wast: {
    summary: "run WebAssembly scripts (.wast) through mlink",
    usage: `mlink wast FILE… [--filter SUBSTRING] [--verbose] [--messages] [--timeout MS]
           [--no-fuse]

Runs each script: modules go through mlink's pipeline (text → binary →
compile → instantiate). Prints one line per failure (file:line, command,
expected vs got), a summary per file, and finally "N passed, N failed".
A malformed command (wrong operands, an argument of the wrong type) is a
failure too. --filter runs only files whose path contains SUBSTRING;
--verbose prints every command, and whether each module it defines was
fused into one core module; --messages also checks expected error texts
against our messages.

--timeout MS limits every command to MS milliseconds (default ${DEFAULT_COMMAND_TIMEOUT_MS}).
The scripts run in a worker; a command that takes longer fails with
"timed out after MS ms", and its script goes on in a fresh worker that first
replays the commands before it. --timeout 0 runs the scripts in this
process, a little faster but with no limit: a script that loops for ever hangs.

--no-fuse compiles every module without fusion (one core instance per
instance), to compare with the default, fused compilation.
Exits non-zero if anything failed.`,
    args: {
      command: "wast",
      options: {
        "--filter": { value: true },
        "--verbose": { value: false },
        "--messages": { value: false },
        "--timeout": { value: true },
        "--no-fuse": { value: false },
      },
      operands: { name: "FILE…", min: 1, max: Infinity, missing: "wast needs FILE…" },
    },
    async run(args) {
      const filter = args.value("--filter");
      const verbose = args.flag("--verbose");
      const timeout = args.value("--timeout");
      const timeoutMs = timeout === undefined ? DEFAULT_COMMAND_TIMEOUT_MS : readTimeout(timeout);
      const files = args.operands.filter((f) => filter === undefined || f.includes(filter));
      if (files.length === 0) throw new UsageError(`no FILE matches --filter ${filter}`);
      // Every script is read before any runs, so a missing one stops nothing halfway.
      const scripts = await Promise.all(files.map(readText));
      let passed = 0;
      let failed = 0;
      using runner = new ScriptRunner({
        matchMessages: args.flag("--messages"),
        timeoutMs: timeoutMs === 0 ? undefined : timeoutMs,
        fuse: !args.flag("--no-fuse"),
        onCommand(r) {
          if (!r.ok) console.log(`${r.file}:${r.line}: ${r.command}: ${r.message}`);
          else if (verbose) {
            const fused = r.fused === undefined ? "" : r.fused ? " (fused)" : " (not fused)";
            console.log(`${r.file}:${r.line}: ${r.command}: ok${fused}`);
          }
        },
      });
      for (const [i, file] of files.entries()) {
        const result = await runner.run(scripts[i], file);
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
    args: {
      command: "precompile",
      options: { "--out": { value: true, required: "precompile needs PATH… and --out DIR" } },
      operands: {
        name: "PATH…",
        min: 1,
        max: Infinity,
        missing: "precompile needs PATH… and --out DIR",
      },
    },
    async run(args) {
      const paths = args.operands;
      const outDir = args.value("--out")!;
      for (const path of paths) await checkReadable(path);
      await checkDirectory(outDir);
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

/** `--timeout`'s milliseconds: a whole number, 0 for no limit. */
function readTimeout(text: string): number {
  const ms = /^\d+$/.test(text) ? Number(text) : NaN;
  // setTimeout's largest delay.
  if (!(ms <= 2 ** 31 - 1)) {
    throw new UsageError(`--timeout ${text}: expected milliseconds, 0 to ${2 ** 31 - 1}`);
  }
  return ms;
}

/** Fails with `cannot read PATH: reason` unless `path` exists and can be listed or read. */
async function checkReadable(path: string): Promise<void> {
  try {
    await Deno.stat(path);
  } catch (e) {
    throw new InputError(`cannot read ${path}: ${fileErrorReason(e)}`, { cause: e });
  }
}

/** Fails with `cannot write DIR: not a directory` if `dir` exists and is something else. */
async function checkDirectory(dir: string): Promise<void> {
  const info = await Deno.stat(dir).catch(() => undefined);
  if (info !== undefined && !info.isDirectory) {
    throw new OutputError(`cannot write ${dir}: not a directory`);
  }
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
  return `mlink ${VERSION} — a WebAssembly runtime for the module-linking proposal

Usage: deno run -A cli.ts COMMAND [OPTIONS] FILE…

Commands:
${lines.join("\n")}
  help        show this help, or \`help COMMAND\` for one command

Every command also takes --help; --version prints mlink's version.`;
}

const VERSION: string = denoJson.version;

/** `help [COMMAND]`'s arguments. */
const HELP_ARGS: ArgsSpec = {
  command: "help",
  options: {},
  operands: { name: "COMMAND", min: 0, max: 1, missing: "" },
};

/** The command called `name`: own properties only, so `constructor` is no command. */
function commandNamed(name: string): Command | undefined {
  return Object.hasOwn(commands, name) ? commands[name] : undefined;
}

/** Prints a usage error in one line, with where to look, and returns exit code 2. */
function usageError(message: string, helpCommand: string): number {
  console.error(`error: ${message} (see: mlink ${helpCommand})`);
  return 2;
}

/** An error of Deno's filesystem API, whose message would name files (temporary ones too). */
function isFileSystemError(e: unknown): boolean {
  return Object.values(Deno.errors).some((type) => e instanceof type);
}

async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "help" || name === "--help" || name === "-h") {
    let topic: string | undefined;
    try {
      topic = readArgs(rest, HELP_ARGS).operands[0];
    } catch (e) {
      if (e instanceof UsageError) return usageError(e.message, "help");
      throw e;
    }
    if (topic === undefined) {
      console.log(help());
      return 0;
    }
    const command = commandNamed(topic);
    if (command === undefined) {
      return usageError(`unknown command ${JSON.stringify(topic)}`, "help");
    }
    console.log(command.usage);
    return 0;
  }
  if (name === "--version" || name === "-V") {
    if (rest.length > 0) return usageError(`unexpected argument ${rest[0]}`, "help");
    console.log(`mlink ${VERSION}`);
    return 0;
  }
  const command = commandNamed(name);
  if (command === undefined) {
    const what = name.startsWith("-") ? `option ${name}` : `command ${JSON.stringify(name)}`;
    return usageError(`unknown ${what}`, "help");
  }
  try {
    const args = readArgs(rest, command.args);
    if (args.help) {
      console.log(command.usage);
      return 0;
    }
    return await command.run(args);
  } catch (e) {
    if (e instanceof UsageError) return usageError(e.message, `${name} --help`);
    if (e instanceof InputError || e instanceof OutputError || e instanceof LinkToolError) {
      console.error(`error: ${e.message}`);
      return 1;
    }
    if (isFileSystemError(e)) {
      console.error(`error: ${fileErrorReason(e)}`);
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
