/**
 * The manifest of a precompiled cache directory (`manifest.json`, written by
 * `precompile`), and loading an artifact through it by its source's name,
 * for deploys that ship the cache without the sources. The manifest is
 * untrusted like the artifacts: its size, shape and keys are checked before
 * use, and a key can only name a file directly inside the directory.
 *
 * @module
 */

import { ARTIFACT_VERSION } from "../artifact/format.ts";
import { typeName } from "../errors.ts";
import { textFileUtf8 } from "../encoding.ts";
import { ArtifactError } from "../errors.ts";
import { MAX_ARTIFACT_BYTES, MAX_MANIFEST_BYTES } from "../limits.ts";
import type { Module } from "../runtime/module.ts";
import { entryPath, KEY, readEntry } from "./cache_entry.ts";
import { inDirectory, readBounded } from "./files.ts";
import { compileAll } from "./load.ts";
import { isRecord, limitOption, optionsRecord } from "./options.ts";

/** File name of the manifest in a cache directory. */
const MANIFEST_FILE = "manifest.json";

/** One source in the manifest: its cache key and the size of its artifact. */
export interface ManifestEntry {
  /** The cache key: hex SHA-256 of the format version and the source bytes. */
  key: string;
  /** Length of the artifact file in bytes. */
  bytes: number;
}

/** The manifest written beside the artifacts: source path → cache key. */
export interface Manifest {
  /** The artifact format version of every entry. */
  format: number;
  /** Entries by source path, as it was given to (or found by) `precompile`. */
  entries: Record<string, ManifestEntry>;
}

/**
 * Options of {@linkcode loadFromManifest}.
 *
 * @example
 * ```ts
 * import { loadFromManifest } from "@mlink/mlink/loader";
 * // A deploy of some 200,000 artifacts needs a bigger manifest.
 * const module = await loadFromManifest("cache", "app.wasm", { maxManifestBytes: 64 << 20 });
 * ```
 */
export interface LoadFromManifestOptions {
  /** Largest `manifest.json` to read, in bytes (default 8 MiB). */
  maxManifestBytes?: number;
  /** Largest artifact to read, in bytes (default 1 GiB). */
  maxArtifactBytes?: number;
}

/** Path of the manifest in `dir`. */
export function manifestPath(dir: string): string {
  return inDirectory(dir, MANIFEST_FILE);
}

/** How many sources an error message lists before it says how many more. */
const LISTED = 8;

/**
 * Loads the artifact that `precompile` made from the source `name`, found
 * through `dir/manifest.json`: no source bytes needed. `name` is the source
 * path exactly as the manifest has it (`wasm/app.wasm`), or its last path
 * segments when exactly one source ends with them (`app.wasm`,
 * `sub/app.wasm`). The manifest and the artifact must be regular files (or
 * links to them) within their size limits; the artifact's size is checked
 * against the manifest, its header and checksum as by `loadArtifact`, and
 * its identity record must name its key and its bytes, so an artifact
 * copied under another key is refused. Then its core modules are compiled.
 *
 * Throws `ArtifactError`, naming the file, for: a missing, oversized or
 * malformed manifest, a manifest of another format, a key that is not a
 * cache key (so never a path like `../x`), a name that matches no source or
 * several (the message lists what the manifest has), a missing or corrupt
 * artifact, any filesystem failure, and bad arguments.
 *
 * @param dir The cache directory, as given to `precompile` as `outDir`.
 * @param name The source path, or its last segments.
 * @param options The manifest and artifact size limits.
 * @returns The module, its core modules compiled.
 *
 * @example
 * ```ts
 * import { instantiate, loadFromManifest } from "@mlink/mlink/loader";
 * // After `cli.ts precompile wasm/ --out .mlink-cache`:
 * const module = await loadFromManifest(".mlink-cache", "app.wasm");
 * const instance = await instantiate(module);
 * ```
 */
export async function loadFromManifest(
  dir: string,
  name: string,
  options: LoadFromManifestOptions = {},
): Promise<Module> {
  const caller = "loadFromManifest";
  if (typeof dir !== "string" || dir === "") {
    throw new ArtifactError(
      `${caller}: the cache directory must be a non-empty string, got ${typeName(dir)}`,
    );
  }
  if (typeof name !== "string") {
    throw new ArtifactError(
      `expected the name of a source, got ${typeName(name)}`,
      { source: manifestPath(dir) },
    );
  }
  const given = optionsRecord(options, caller);
  const manifest = await readManifest(
    dir,
    limitOption(given.maxManifestBytes, caller, "maxManifestBytes", MAX_MANIFEST_BYTES),
  );
  const artifactLimit = limitOption(
    given.maxArtifactBytes,
    caller,
    "maxArtifactBytes",
    MAX_ARTIFACT_BYTES,
  );
  const source = findSource(manifest, name, manifestPath(dir));
  const { key, bytes } = manifest.entries[source];
  const entry = await readEntry(dir, key, { limit: artifactLimit, expectedBytes: bytes });
  if (entry.state === "absent") {
    throw new ArtifactError(
      `the manifest maps ${
        JSON.stringify(source)
      } to this artifact, which is missing: precompile again`,
      { source: entryPath(dir, key) },
    );
  }
  if (entry.state === "corrupt") throw entry.error;
  return await compileAll(entry.module);
}

/**
 * Reads and checks `dir/manifest.json`: at most `limit` bytes, UTF-8 JSON,
 * this format version, and entries of a cache key and a size each.
 */
export async function readManifest(dir: string, limit: number): Promise<Manifest> {
  const path = manifestPath(dir);
  const fail = (reason: string) => new ArtifactError(reason, { source: path });
  const text = await readText(path, limit);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new ArtifactError(`the manifest is not JSON: ${(e as Error).message}`, { source: path }, {
      cause: e,
    });
  }
  if (!isRecord(json)) throw fail("the manifest is not a JSON object");
  if (typeof json.format !== "number") throw fail("the manifest has no format version");
  if (json.format !== ARTIFACT_VERSION) {
    throw fail(
      `manifest format ${json.format}, this loader reads ${ARTIFACT_VERSION}: precompile again with this version`,
    );
  }
  if (!isRecord(json.entries)) throw fail(`the manifest's "entries" is not an object`);
  const entries: Record<string, ManifestEntry> = Object.create(null);
  for (const [source, entry] of Object.entries(json.entries)) {
    if (!isRecord(entry) || typeof entry.key !== "string" || !isSize(entry.bytes)) {
      throw fail(
        `the manifest entry ${JSON.stringify(source)} is not { "key": string, "bytes": number }`,
      );
    }
    if (!KEY.test(entry.key)) {
      throw fail(
        `the manifest entry ${JSON.stringify(source)} has the key ${
          JSON.stringify(entry.key.slice(0, 80))
        }${entry.key.length > 80 ? "…" : ""}, which is not a cache key (64 hex digits)`,
      );
    }
    entries[source] = { key: entry.key, bytes: entry.bytes };
  }
  return { format: json.format, entries };
}

/** The manifest's source for `name`: the same path, or the only one that ends with it. */
function findSource(manifest: Manifest, name: string, path: string): string {
  const sources = Object.keys(manifest.entries);
  if (Object.hasOwn(manifest.entries, name)) return name;
  const matches = name === "" ? [] : sources.filter((s) => s.endsWith(`/${name}`));
  if (matches.length === 1) return matches[0];
  if (matches.length > 1) {
    throw new ArtifactError(
      `${JSON.stringify(name)} matches ${matches.length} sources in the manifest: ${
        listed(matches)
      }; give more of the path`,
      { source: path },
    );
  }
  throw new ArtifactError(
    sources.length === 0
      ? `no source ${JSON.stringify(name)}: the manifest is empty`
      : `no source ${JSON.stringify(name)} in the manifest; it has ${listed(sources)}`,
    { source: path },
  );
}

/** `"a", "b", … and 3 more`. */
function listed(sources: readonly string[]): string {
  const shown = sources.slice(0, LISTED).map((s) => JSON.stringify(s)).join(", ");
  return sources.length > LISTED ? `${shown} … and ${sources.length - LISTED} more` : shown;
}

/** The file at `path` as UTF-8 text: a regular file of at most `limit` bytes. */
async function readText(path: string, limit: number): Promise<string> {
  const bytes = await readBounded(path, { what: "the manifest", limit });
  if (bytes === undefined) {
    throw new ArtifactError(
      "no manifest here: precompile into this directory first (`cli.ts precompile … --out DIR`)",
      { source: path },
    );
  }
  try {
    return textFileUtf8.decode(bytes);
  } catch (e) {
    throw new ArtifactError("the manifest is not UTF-8 text", { source: path }, { cause: e });
  }
}

function isSize(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0;
}
