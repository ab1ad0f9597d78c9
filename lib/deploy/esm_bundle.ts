/**
 * Runs Deno's own bundler (`deno bundle`, esbuild underneath) on one
 * generated entry module and returns the single minified ES module it makes. Used by
 * {@linkcode buildEsm} and by `dist/build.ts`; nothing here runs at import.
 *
 * @module
 */

/**
 * The bundler failed: the entry or a module it imports could not be
 * fetched or parsed, or `deno bundle` could not be started. `stderr` holds
 * what the bundler printed.
 *
 * @example
 * ```ts
 * import { bundle, BundleError } from "./esm_bundle.ts";
 * try {
 *   await bundle(`import "./no-such-module.js";`);
 * } catch (e) {
 *   if (e instanceof BundleError) console.log(e.stderr);
 * }
 * ```
 */
export class BundleError extends Error {
  /** The message without the bundler's output. */
  readonly reason: string;
  /** What `deno bundle` wrote to stderr (`""` if it did not run). */
  readonly stderr: string;

  /** Makes an error; the message gets `where.stderr`, the bundler's output, added. */
  constructor(reason: string, where: { stderr?: string } = {}, options?: ErrorOptions) {
    const stderr = where.stderr ?? "";
    super(stderr === "" ? reason : `${reason}:\n${stderr}`, options);
    this.name = "BundleError";
    this.reason = reason;
    this.stderr = stderr;
  }
}

/** Options of {@linkcode bundle}. */
export interface BundleOptions {
  /**
   * Hosts (`host` or `host:port`) the bundler may fetch remote modules from,
   * beyond Deno's default list.
   */
  allowImport?: readonly string[];
}

/**
 * Bundles an entry module, given as source text, and every module it
 * imports into one minified ES module, and returns its text. The entry
 * imports by absolute URL (`file:` or `http(s):`). The output imports
 * nothing and is the same bytes for the same inputs and the same Deno.
 * Needs `--allow-run`, `--allow-read` and `--allow-write` (a temporary
 * directory, removed afterwards). Throws {@linkcode BundleError} with the
 * bundler's stderr when bundling fails.
 *
 * @param entry The entry module's source text (JavaScript).
 * @param options Remote hosts the bundler may import from.
 * @returns The bundled module's source text.
 *
 * @example
 * ```ts
 * import { bundle } from "./esm_bundle.ts";
 * const loader = new URL("../loader.ts", import.meta.url);
 * const text = await bundle(`export { deserialize } from ${JSON.stringify(loader.href)};`);
 * ```
 */
export async function bundle(entry: string, options: BundleOptions = {}): Promise<string> {
  const hosts = options.allowImport ?? [];
  const dir = await Deno.makeTempDir({ prefix: "mlink-bundle-" });
  try {
    // Relative to the working directory: no file path to turn into a URL.
    await Deno.writeTextFile(`${dir}/entry.js`, entry);
    const args = [
      "bundle",
      "--quiet",
      "--minify",
      // Nothing in the loader is Deno-specific: the output runs in browsers,
      // workers and Node too, and esbuild keeps it free of platform shims.
      "--platform=browser",
      "--format=esm",
      // Neither a deno.json nor a lockfile around the caller may change what
      // is bundled, and a remote import must not be written into a lockfile.
      "--no-config",
      "--no-lock",
      ...(hosts.length > 0 ? [`--allow-import=${hosts.join(",")}`] : []),
      "--output",
      "out.js",
      "entry.js",
    ];
    let result: Deno.CommandOutput;
    try {
      result = await new Deno.Command(Deno.execPath(), {
        args,
        cwd: dir,
        env: { NO_COLOR: "1", RUST_BACKTRACE: "0" },
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).output();
    } catch (e) {
      throw new BundleError(
        `could not run \`deno bundle\`: ${e instanceof Error ? e.message : String(e)}`,
        {},
        { cause: e },
      );
    }
    const stderr = new TextDecoder().decode(result.stderr).trim();
    if (!result.success) {
      throw new BundleError(`deno bundle failed with exit code ${result.code}`, { stderr });
    }
    try {
      return await Deno.readTextFile(`${dir}/out.js`);
    } catch (e) {
      throw new BundleError("deno bundle succeeded but wrote no output", { stderr }, {
        cause: e,
      });
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
