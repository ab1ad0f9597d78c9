/**
 * Precompiles a tree of `.wasm`/`.wat` files into a content-addressed
 * artifact cache with a manifest, for deploys.
 *
 * Each input is handled on its own: one that cannot be read or compiled is
 * a failed entry, and the others go on. The manifest is updated under a
 * lock (`manifest.lock`, an advisory lock the system releases when its
 * holder dies), so concurrent runs into one directory each add their
 * entries and lose none. An update drops the entries of sources that failed
 * in the run, and of sources that no longer exist under a directory the run
 * walked: a deploy never finds an artifact for a source that is gone or
 * broken.
 *
 * @module
 */

import { ARTIFACT_VERSION } from "../artifact/format.ts";
import { typeName } from "../errors.ts";
import { textFileUtf8 } from "../encoding.ts";
import { ArtifactError } from "../errors.ts";
import { MAX_ARTIFACT_BYTES, MAX_MANIFEST_BYTES } from "../limits.ts";
import { isModule, type Module } from "../runtime/module.ts";
import { cacheKey } from "./cache.ts";
import { readEntry, storeEntry } from "./cache_entry.ts";
import {
  fileError,
  type FileNode,
  inDirectory,
  makeDirectory,
  nodeAt,
  readBounded,
  removeStaleTemps,
  replaceFile,
} from "./files.ts";
import { type Manifest, type ManifestEntry, manifestPath, readManifest } from "./manifest.ts";
import { directoryOption, functionOption, limitOption, optionsRecord } from "./options.ts";

/** One input's fate. */
export interface PrecompileEntry {
  /** The source path, as given or found. */
  source: string;
  /** Its cache key; empty when the source could not be read. */
  key: string;
  /** Compiled, found valid, compiled in place of an unusable entry, or failed. */
  status: "compiled" | "present" | "replaced" | "failed";
  /** The artifact's length. */
  bytes?: number;
  /** Why it failed. */
  error?: string;
  /** Why the entry it replaced was unusable. */
  replaced?: string;
}

/** Options of {@linkcode precompile}. */
export interface PrecompileOptions {
  /** The cache directory (created if missing). */
  outDir: string;
  /** The compiler: the loader has none of its own. */
  compile: (input: Uint8Array | string, filename: string) => Promise<Module>;
  /** Called after each input, with how many are done of how many. */
  onProgress?: (done: number, total: number, entry: PrecompileEntry) => void;
  /** Largest source and artifact read, in bytes (default 1 GiB). */
  maxArtifactBytes?: number;
  /** Largest `manifest.json` read to merge with, in bytes (default 8 MiB). */
  maxManifestBytes?: number;
}

/** File name of the manifest's lock in a cache directory. */
const LOCK_FILE = "manifest.lock";

/** How long a run waits for another's manifest update before it gives up. */
const LOCK_TIMEOUT_MS = 60_000;

const INPUT = /\.(wasm|wat)$/;

/** What {@linkcode findInputs} found under some paths. */
interface FoundInputs {
  /** Every `.wasm`/`.wat` file named or found, sorted. */
  inputs: string[];
  /** Paths named or found that cannot be read as inputs, each with why. */
  failed: PrecompileEntry[];
  /** The directories read whole: a manifest entry under one that is gone is stale. */
  directories: string[];
}

/**
 * Every `.wasm`/`.wat` file named or found (recursively) under the given
 * paths. Named paths are followed if they are symbolic links; in a walk,
 * links to files are followed and links to directories are not, so a loop
 * of links cannot make it endless. A named path that is missing or neither
 * a file nor a directory, an input that is not a regular file, and a
 * directory that cannot be read are failed entries; the walk goes on.
 */
async function findInputs(paths: readonly string[]): Promise<FoundInputs> {
  const found = new Set<string>();
  const failed = new Map<string, PrecompileEntry>();
  const directories: string[] = [];
  const fail = (source: string, error: string) => {
    failed.set(source, { source, key: "", status: "failed", error });
  };
  // A path named, or named like an input in a walked directory.
  const examine = async (path: string, named: boolean): Promise<void> => {
    let node: FileNode;
    try {
      node = await nodeAt(path);
    } catch (e) {
      fail(path, reasonOf(e));
      return;
    }
    if (node.kind === "file") found.add(path);
    else if (node.kind === "absent") fail(path, "no such file or directory");
    else if (!node.directory) fail(path, `it is ${node.what}, not a file`);
    else if (named) await walk(path);
    // Otherwise a link to a directory, met in a walk: not followed.
  };
  const walk = async (dir: string): Promise<void> => {
    const files: string[] = [];
    const subdirectories: string[] = [];
    try {
      for await (const entry of Deno.readDir(dir)) {
        if (entry.isDirectory) subdirectories.push(inDirectory(dir, entry.name));
        else if (INPUT.test(entry.name)) files.push(inDirectory(dir, entry.name));
      }
    } catch (e) {
      fail(dir, reasonOf(fileError(e, dir, "read the directory")));
      return;
    }
    directories.push(dir);
    for (const file of files) await examine(file, false);
    for (const subdirectory of subdirectories) await walk(subdirectory);
  };
  for (const path of paths) await examine(path, true);
  return {
    inputs: [...found].sort(),
    failed: [...failed.values()].sort((a, b) => compare(a.source, b.source)),
    directories,
  };
}

/**
 * Compiles each input into `outDir` unless a valid artifact for its exact
 * bytes is already there, then updates `manifest.json` under the lock:
 * this run's entries added, its failed sources and the vanished sources
 * under its directories dropped, the rest kept. Written atomically.
 *
 * Throws `ArtifactError` for bad arguments, an `outDir` that cannot be a
 * directory, and a manifest that cannot be updated (locked for a minute,
 * over the size limit, not replaceable); an input that fails is a `failed`
 * entry instead.
 */
export async function precompile(
  paths: readonly string[],
  options: PrecompileOptions,
): Promise<PrecompileEntry[]> {
  const caller = "precompile";
  if (!Array.isArray(paths) || !paths.every((p) => typeof p === "string" && p !== "")) {
    throw new ArtifactError(
      `${caller}: paths must be an array of non-empty strings, got ${typeName(paths)}`,
    );
  }
  const given = optionsRecord(options, caller);
  const outDir = directoryOption(given.outDir, caller, "outDir");
  const compile = functionOption<PrecompileOptions["compile"]>(given.compile, caller, "compile");
  if (compile === undefined) throw new ArtifactError(`${caller}: compile must be a function`);
  const onProgress = functionOption<PrecompileOptions["onProgress"]>(
    given.onProgress,
    caller,
    "onProgress",
  );
  const limit = limitOption(given.maxArtifactBytes, caller, "maxArtifactBytes", MAX_ARTIFACT_BYTES);
  const manifestLimit = limitOption(
    given.maxManifestBytes,
    caller,
    "maxManifestBytes",
    MAX_MANIFEST_BYTES,
  );

  await makeDirectory(outDir);
  await removeStaleTemps(outDir);
  const { inputs, failed, directories } = await findInputs(paths);
  const total = inputs.length + failed.length;
  const results: PrecompileEntry[] = [];
  const report = (entry: PrecompileEntry) => {
    results.push(entry);
    onProgress?.(results.length, total, entry);
  };
  for (const entry of failed) report(entry);
  for (const source of inputs) report(await precompileOne(source, outDir, compile, limit));
  await updateManifest(outDir, results, directories, manifestLimit);
  return results.sort((a, b) => compare(a.source, b.source));
}

/** One input: never throws, a failure is a `failed` entry. */
async function precompileOne(
  source: string,
  outDir: string,
  compile: PrecompileOptions["compile"],
  limit: number,
): Promise<PrecompileEntry> {
  let key = "";
  try {
    const raw = await readBounded(source, { what: "the source", limit });
    if (raw === undefined) throw new ArtifactError("no such file or directory", { source });
    let input: Uint8Array | string = raw;
    if (source.endsWith(".wat")) {
      try {
        input = textFileUtf8.decode(raw);
      } catch {
        throw new ArtifactError("the source is not UTF-8 text", { source });
      }
    }
    key = await cacheKey(raw);
    const existing = await readEntry(outDir, key, { limit });
    if (existing.state === "valid") {
      return { source, key, status: "present", bytes: existing.bytes };
    }
    const module = await compile(input, source);
    if (!isModule(module)) {
      throw new ArtifactError(`compile returned ${typeName(module)}, not a Module`);
    }
    const artifact = module.serialize();
    await storeEntry(outDir, key, artifact);
    return existing.state === "corrupt"
      ? { source, key, status: "replaced", bytes: artifact.length, replaced: existing.error.reason }
      : { source, key, status: "compiled", bytes: artifact.length };
  } catch (e) {
    return { source, key, status: "failed", error: reasonOf(e) };
  }
}

/** An error in words, without the source path the entry already names. */
function reasonOf(error: unknown): string {
  if (error instanceof ArtifactError) return error.reason;
  return error instanceof Error ? error.message : String(error);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Merges this run into `outDir/manifest.json` under the manifest lock. A
 * manifest that is damaged (or not a file) is started afresh; one over the
 * size limit is an error, since it is more likely big than damaged.
 */
async function updateManifest(
  outDir: string,
  results: readonly PrecompileEntry[],
  directories: readonly string[],
  limit: number,
): Promise<void> {
  const path = manifestPath(outDir);
  await withLock(inDirectory(outDir, LOCK_FILE), async () => {
    const node = await nodeAt(path);
    if (node.kind === "file" && node.size > limit) {
      throw new ArtifactError(
        `the manifest is ${node.size} bytes, more than the limit of ${limit}: raise maxManifestBytes`,
        { source: path },
      );
    }
    let entries: Record<string, ManifestEntry> = Object.create(null);
    try {
      entries = (await readManifest(outDir, limit)).entries;
    } catch (e) {
      if (!(e instanceof ArtifactError)) throw e;
      // No manifest yet, or a damaged one: this run's entries start it again.
    }
    const seen = new Set<string>();
    for (const result of results) {
      seen.add(result.source);
      if (result.status === "failed") delete entries[result.source];
      else entries[result.source] = { key: result.key, bytes: result.bytes ?? 0 };
    }
    for (const directory of directories) {
      const prefix = inDirectory(directory, "");
      for (const source of Object.keys(entries)) {
        if (source.startsWith(prefix) && !seen.has(source) && await isGone(source)) {
          delete entries[source];
        }
      }
    }
    const sorted: Manifest = {
      format: ARTIFACT_VERSION,
      entries: Object.fromEntries(Object.entries(entries).sort(([a], [b]) => compare(a, b))),
    };
    await replaceFile(path, new TextEncoder().encode(JSON.stringify(sorted, null, 2) + "\n"));
  });
}

/** Whether nothing is at `path` any more (a missing parent counts). */
async function isGone(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return false;
  } catch (e) {
    return e instanceof Deno.errors.NotFound || e instanceof Deno.errors.NotADirectory;
  }
}

/**
 * Runs `body` holding an exclusive advisory lock on the file `path`
 * (created empty if missing, and never removed: removing a lock file lets
 * two holders in). The system releases the lock of a process that dies, so
 * no lock goes stale; waiting gives up after a minute with an
 * `ArtifactError`. On a filesystem without locks, `body` runs unlocked.
 */
async function withLock(path: string, body: () => Promise<void>): Promise<void> {
  const node = await nodeAt(path);
  if (node.kind === "other") {
    throw new ArtifactError(
      `the manifest lock is not a file (it is ${node.what}); remove it`,
      { source: path },
    );
  }
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { write: true, create: true });
  } catch (e) {
    throw fileError(e, path, "open the manifest lock");
  }
  try {
    const deadline = Date.now() + LOCK_TIMEOUT_MS;
    let locked = false;
    for (let wait = 5; !locked; wait = Math.min(wait * 2, 200)) {
      try {
        locked = await file.tryLock(true);
      } catch {
        break; // no locks here
      }
      if (locked) break;
      if (Date.now() > deadline) {
        throw new ArtifactError(
          `another process has held the manifest lock for ${
            LOCK_TIMEOUT_MS / 1000
          } s: is a precompile stuck?`,
          { source: path },
        );
      }
      await new Promise((resolve) => setTimeout(resolve, wait + Math.random() * wait));
    }
    try {
      await body();
    } finally {
      if (locked) await file.unlock().catch(() => {});
    }
  } finally {
    file.close();
  }
}
