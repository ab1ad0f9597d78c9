/**
 * A content-addressed artifact cache on disk, for deploys that precompile:
 * the key of an input is a hash of its bytes and the artifact format
 * version, so a changed input or a new format never hits a stale entry.
 *
 * A cache directory is untrusted like the artifacts in it. An entry is
 * `<key>.mlk`, the artifact, and `<key>.id`, its identity record: the key
 * and the SHA-256 of the artifact, so an artifact copied or linked under
 * another key is refused rather than served for the wrong module. Before an
 * entry is read, it must be a regular file (symbolic links are followed to
 * one) within {@linkcode MAX_ARTIFACT_BYTES}; reads are bounded by the limit
 * even if the file grows, so a FIFO, a device or a huge sparse file costs
 * nothing. Every filesystem failure is an `ArtifactError` naming the path.
 *
 * Entries are written through a temporary file, locked while it is written,
 * and a rename, so a crash or two concurrent writers never leave half an
 * artifact; a temporary file whose writer died is removed by the next
 * writer.
 *
 * This file does not import the compiler: whoever may compile on a miss
 * passes a `compile` function (`mod.ts` does; `lib/loader.ts` need not).
 *
 * @module
 */

import { ArtifactError } from "../errors.ts";
import { isModule, Module } from "../runtime/module.ts";
import { ARTIFACT_VERSION, HEADER_SIZE, looksLikeArtifact } from "../artifact/format.ts";

/** File name ending of cache entries' artifacts. */
export const ARTIFACT_EXTENSION = ".mlk";

/** File name ending of cache entries' identity records. */
export const IDENTITY_EXTENSION = ".id";

import { MAX_ARTIFACT_BYTES } from "../limits.ts";
export { MAX_ARTIFACT_BYTES };

/** Largest identity record: one line of about 150 bytes. */
const MAX_IDENTITY_BYTES = 4096;

/**
 * A temporary file older than this whose lock cannot be tested (a
 * filesystem without locks) belongs to a dead writer: live ones rename
 * theirs within seconds.
 */
const STALE_TEMP_MS = 10 * 60 * 1000;

const encoder = new TextEncoder();

// ---------------------------------------------------------------------------
// Keys and paths

/**
 * The cache key of an input: hex SHA-256 of the format version and the
 * input bytes (a string counts as its UTF-8 bytes).
 *
 * Throws `ArtifactError` for an input that is neither a `Uint8Array` nor a
 * string, and for a string with a lone surrogate, which has no UTF-8 bytes
 * of its own (it would share the key of the text with U+FFFD instead).
 *
 * @param input The binary or text that is compiled.
 * @returns 64 lowercase hex digits; the artifact is `<key>.mlk` in the cache.
 *
 * @example
 * ```ts
 * import { cacheKey } from "@mlink/mlink";
 * const key = await cacheKey(await Deno.readFile("app.wasm"));
 * console.log(`.mlink-cache/${key}.mlk`);
 * ```
 */
export async function cacheKey(input: Uint8Array | string): Promise<string> {
  return await keyOf(inputBytes(input, "cacheKey"));
}

/** The cache key of these input bytes. */
async function keyOf(bytes: Uint8Array): Promise<string> {
  const prefix = encoder.encode(`mlink-artifact-${ARTIFACT_VERSION}\0`);
  const all = new Uint8Array(prefix.length + bytes.length);
  all.set(prefix);
  all.set(bytes, prefix.length);
  return hex(await crypto.subtle.digest("SHA-256", all));
}

/** The bytes of an input to compile, or an `ArtifactError` naming `caller` for anything else. */
function inputBytes(input: unknown, caller: string): Uint8Array {
  if (input instanceof Uint8Array) return input;
  if (typeof input !== "string") {
    throw new ArtifactError(
      `${caller}: the input must be a Uint8Array or a string, got ${typeName(input)}`,
    );
  }
  if (!input.isWellFormed()) {
    throw new ArtifactError(
      `${caller}: the input text has a lone surrogate (it is not well-formed Unicode)`,
    );
  }
  return encoder.encode(input);
}

/** A cache key: what `cacheKey` makes, so never a path. */
export const KEY = /^[0-9a-f]{64}$/;

/** Path of the file `name` directly inside `dir` (trailing slashes of `dir` dropped). */
export function inDirectory(dir: string, name: string): string {
  return `${dir.replace(/\/+$/, "")}/${name}`;
}

/** Path of the artifact for `key` in `cacheDir`. */
export function entryPath(cacheDir: string, key: string): string {
  return inDirectory(cacheDir, `${key}${ARTIFACT_EXTENSION}`);
}

/** Path of the identity record for `key` in `cacheDir`. */
export function identityPath(cacheDir: string, key: string): string {
  return inDirectory(cacheDir, `${key}${IDENTITY_EXTENSION}`);
}

// ---------------------------------------------------------------------------
// Filesystem errors and nodes

/** Plain reasons for Deno's filesystem errors, by class name. */
const REASONS: Record<string, string> = {
  NotFound: "no such file or directory",
  PermissionDenied: "permission denied",
  NotCapable: "not allowed by Deno's permissions",
  AlreadyExists: "it already exists",
  IsADirectory: "it is a directory",
  NotADirectory: "a component of the path is not a directory",
  FilesystemLoop: "too many levels of symbolic links",
  InvalidData: "invalid data",
  TimedOut: "timed out",
  Interrupted: "interrupted",
  WriteZero: "nothing could be written",
  UnexpectedEof: "unexpected end of file",
  Busy: "the resource is busy",
};

/**
 * The error a filesystem call's failure becomes: an `ArtifactError` naming
 * `path`, saying what was being done and why it failed in plain words (an
 * `ArtifactError` passes through).
 */
export function fileError(error: unknown, path: string, doing: string): ArtifactError {
  if (error instanceof ArtifactError) return error;
  return new ArtifactError(`cannot ${doing}: ${plainReason(error)}`, { source: path }, {
    cause: error,
  });
}

function plainReason(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const known = Object.hasOwn(REASONS, error.name) ? REASONS[error.name] : undefined;
  if (known !== undefined) return known;
  // "No space left on device (os error 28): write '/x'" → "no space left on device".
  const first = error.message.split("\n")[0].replace(/ \(os error \d+\).*$/, "")
    .replace(/: [a-z_]+ '.*$/, "");
  return first.charAt(0).toLowerCase() + first.slice(1);
}

/** What is at a path, symbolic links followed: nothing, a regular file, or something else. */
export type FileNode =
  | { kind: "absent" }
  | { kind: "file"; size: number }
  | { kind: "other"; what: string; directory: boolean };

/** `a FIFO`, `a directory`, …: what a node that is not a regular file is, for messages. */
function nodeKind(info: Deno.FileInfo): string {
  if (info.isDirectory) return "a directory";
  if (info.isSymlink) return "a symbolic link";
  if (info.isFifo) return "a FIFO";
  if (info.isCharDevice) return "a character device";
  if (info.isBlockDevice) return "a block device";
  if (info.isSocket) return "a socket";
  return "not a regular file";
}

/**
 * What is at `path`: `lstat` first, so that a symbolic link is only
 * followed to see what it points at (a broken link or a loop is "other").
 * Other failures (a parent that is not a directory, no permission) throw.
 */
export async function nodeAt(path: string): Promise<FileNode> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.lstat(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return { kind: "absent" };
    throw fileError(e, path, "read it");
  }
  if (info.isSymlink) {
    try {
      info = await Deno.stat(path);
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) {
        return { kind: "other", what: "a broken symbolic link", directory: false };
      }
      if (e instanceof Deno.errors.FilesystemLoop) {
        return { kind: "other", what: "a loop of symbolic links", directory: false };
      }
      throw fileError(e, path, "follow the symbolic link");
    }
  }
  return info.isFile
    ? { kind: "file", size: info.size }
    : { kind: "other", what: nodeKind(info), directory: info.isDirectory };
}

/** How {@linkcode readBounded} reads a file. */
export interface BoundedRead {
  /** The file in words, for messages: `the artifact`, `the manifest`. */
  what: string;
  /** Largest size read, in bytes. */
  limit: number;
  /** An artifact: a big one is refused from its header alone when that is wrong. */
  artifact?: boolean;
}

/**
 * Reads a whole file that must be a regular file of at most `limit` bytes:
 * `undefined` if it is absent, an `ArtifactError` naming it if it is
 * anything else or bigger (before reading), or if it grows past the limit
 * while being read (the read stops there).
 */
export async function readBounded(
  path: string,
  { what, limit, artifact = false }: BoundedRead,
): Promise<Uint8Array | undefined> {
  const node = await nodeAt(path);
  if (node.kind === "absent") return undefined;
  if (node.kind === "other") {
    throw new ArtifactError(`${what} is not a file (it is ${node.what})`, { source: path });
  }
  const tooBig = (size: number) =>
    new ArtifactError(`${what} is ${size} bytes, more than the limit of ${limit}`, {
      source: path,
    });
  if (node.size > limit) throw tooBig(node.size);
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { read: true });
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return undefined;
    throw fileError(e, path, `read ${what}`);
  }
  try {
    // It may have been replaced since it was looked at: look again, at what is open.
    const info = await file.stat();
    if (!info.isFile) {
      throw new ArtifactError(`${what} is not a file (it is ${nodeKind(info)})`, { source: path });
    }
    if (info.size > limit) throw tooBig(info.size);
    if (artifact && info.size > 64 * 1024) await checkHead(file, info.size, path);
    // One byte more than expected tells a file that grew; it may grow up to the limit.
    let buffer = new Uint8Array(Math.min(info.size, limit) + 1);
    let at = 0;
    for (;;) {
      if (at === buffer.length) {
        if (at > limit) throw tooBig(at);
        const bigger = new Uint8Array(Math.min(buffer.length * 2, limit + 1));
        bigger.set(buffer);
        buffer = bigger;
      }
      const n = await file.read(buffer.subarray(at));
      if (n === null) break;
      at += n;
    }
    return buffer.subarray(0, at);
  } catch (e) {
    throw fileError(e, path, `read ${what}`);
  } finally {
    file.close();
  }
}

/**
 * Refuses a big file that is no artifact, or whose header gives another
 * length, from its first bytes: a sparse file of zeros is not read whole.
 */
async function checkHead(file: Deno.FsFile, size: number, path: string): Promise<void> {
  const head = new Uint8Array(HEADER_SIZE);
  let at = 0;
  while (at < head.length) {
    const n = await file.read(head.subarray(at));
    if (n === null) break;
    at += n;
  }
  await file.seek(0, Deno.SeekMode.Start);
  if (!looksLikeArtifact(head)) {
    Module.deserialize(head.subarray(0, at), path); // throws the reader's own message
    throw new ArtifactError("not an mlink artifact", { source: path });
  }
  const length = HEADER_SIZE + new DataView(head.buffer).getUint32(12, true);
  if (at === HEADER_SIZE && length !== size) {
    throw new ArtifactError(
      `the artifact's header says ${length} bytes, the file has ${size}: it is corrupt`,
      { source: path },
    );
  }
}

// ---------------------------------------------------------------------------
// Writing

/**
 * Writes `bytes` as the file `path` through a uniquely named temporary file
 * in the same directory and a rename, so readers see the old file or the
 * whole new one, never a part. The rename replaces whatever non-directory
 * node is at `path` (a symbolic link itself, never what it points at), so
 * callers decide first what may be replaced. The temporary file is locked
 * while it exists, so {@linkcode removeStaleTemps} can tell a dead writer's.
 */
export async function replaceFile(path: string, bytes: Uint8Array): Promise<void> {
  // A cleaner may take a temporary file in the instant between its creation
  // and its lock: the rename then finds it gone, and the write starts over.
  for (let attempt = 1;; attempt++) {
    const temp = `${path}.${crypto.randomUUID()}.tmp`;
    let file: Deno.FsFile | undefined;
    try {
      file = await Deno.open(temp, { write: true, createNew: true });
      await file.lock(true).catch(() => {}); // a filesystem without locks: age tells
      await writeAll(file, bytes);
      await Deno.rename(temp, path);
      return;
    } catch (e) {
      await Deno.remove(temp).catch(() => {});
      if (!(e instanceof Deno.errors.NotFound && file !== undefined && attempt < 3)) {
        throw fileError(e, path, "write it");
      }
    } finally {
      file?.close();
    }
  }
}

async function writeAll(file: Deno.FsFile, bytes: Uint8Array): Promise<void> {
  for (let at = 0; at < bytes.length;) at += await file.write(bytes.subarray(at));
}

/**
 * Writes `bytes` to the file `path` atomically (a temporary file, then a
 * rename): readers see the old file or the whole new one. `path` must be
 * absent, a regular file, or a symbolic link to one (the file it points at
 * is replaced; the link stays). Anything else — a directory, a device, a
 * FIFO, a broken link — is an `ArtifactError` naming it, and is left alone;
 * so is any filesystem failure.
 *
 * @param path The file to write.
 * @param bytes Its new contents.
 *
 * @example
 * ```ts
 * import { writeFileAtomic } from "./cache.ts";
 * await writeFileAtomic("app.wasm", new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]));
 * ```
 */
export async function writeFileAtomic(path: string, bytes: Uint8Array): Promise<void> {
  await writeTo(path, bytes, false);
}

/**
 * Writes an output file, as the CLI's `-o FILE` does: atomically like
 * {@linkcode writeFileAtomic} when `path` is absent, a regular file or a
 * link to one; in place when it is a character device or a FIFO (or a link
 * to one), so `-o /dev/null` is a sink and never replaced by a file. A FIFO
 * waits for its reader, as with any program that writes to one. A
 * directory, a block device, a socket or a broken link is an
 * `ArtifactError`, and is left alone; so is any filesystem failure.
 *
 * @param path The file, device or FIFO to write.
 * @param bytes What to write.
 *
 * @example
 * ```ts
 * import { writeOutput } from "./cache.ts";
 * await writeOutput("/dev/null", new Uint8Array([1, 2, 3])); // /dev/null stays a device
 * ```
 */
export async function writeOutput(path: string, bytes: Uint8Array): Promise<void> {
  await writeTo(path, bytes, true);
}

async function writeTo(path: string, bytes: Uint8Array, sinks: boolean): Promise<void> {
  if (typeof path !== "string" || path === "") {
    throw new ArtifactError(`the output path must be a non-empty string, got ${typeName(path)}`);
  }
  if (!(bytes instanceof Uint8Array)) {
    throw new ArtifactError(
      `the bytes to write must be a Uint8Array, got ${typeName(bytes)}`,
      { source: path },
    );
  }
  let info: Deno.FileInfo | undefined;
  let isLink = false;
  try {
    info = await Deno.lstat(path);
    isLink = info.isSymlink;
    if (isLink) info = await Deno.stat(path);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw fileError(e, path, "write it");
    if (isLink) {
      throw new ArtifactError("cannot write: it is a broken symbolic link", { source: path });
    }
    info = undefined;
  }
  if (info === undefined || info.isFile) {
    let target = path;
    if (isLink) {
      try {
        target = await Deno.realPath(path);
      } catch (e) {
        throw fileError(e, path, "write it");
      }
    }
    await replaceFile(target, bytes);
    return;
  }
  const sink = info.isCharDevice === true || info.isFifo === true;
  if (!sink || !sinks) {
    throw new ArtifactError(`cannot write: it is ${nodeKind(info)}, not a regular file`, {
      source: path,
    });
  }
  let file: Deno.FsFile | undefined;
  try {
    file = await Deno.open(path, { write: true });
    await writeAll(file, bytes);
  } catch (e) {
    throw fileError(e, path, "write it");
  } finally {
    file?.close();
  }
}

/** Matches the temporary files {@linkcode replaceFile} makes. */
const TEMP = /\.[0-9a-f]{8}-(?:[0-9a-f]{4}-){3}[0-9a-f]{12}\.tmp$/;

/**
 * Removes from `dir` the temporary files of writers that died before their
 * rename: those nobody holds a lock on (or, on a filesystem without locks,
 * older than ten minutes). Best effort: a failure leaves the file.
 */
export async function removeStaleTemps(dir: string): Promise<void> {
  const names: string[] = [];
  try {
    for await (const entry of Deno.readDir(dir)) {
      if (entry.isFile && TEMP.test(entry.name)) names.push(entry.name);
    }
  } catch {
    return;
  }
  for (const name of names) {
    const path = inDirectory(dir, name);
    let file: Deno.FsFile | undefined;
    try {
      file = await Deno.open(path, { read: true });
      let unlocked: boolean;
      try {
        unlocked = await file.tryLock(true);
      } catch {
        const { mtime } = await file.stat();
        unlocked = mtime !== null && Date.now() - mtime.getTime() > STALE_TEMP_MS;
      }
      if (unlocked) await Deno.remove(path);
    } catch {
      // Gone already, or not ours to remove.
    } finally {
      file?.close();
    }
  }
}

// ---------------------------------------------------------------------------
// Entries

/** What a cache entry holds: nothing, something unusable (and why), or a checked artifact. */
export type EntryState =
  | { state: "absent" }
  | { state: "corrupt"; error: ArtifactError }
  | { state: "valid"; module: Module; bytes: number };

/**
 * Reads and checks the entry for `key` in `dir`: the artifact must be a
 * regular file within `limit` bytes (`expectedBytes` long, when a manifest
 * says so), a whole artifact (`Module.deserialize` checks it), and the one
 * its identity record names: this key, this length and this SHA-256.
 * Anything wrong with the entry makes it "corrupt", reading failures
 * included; only a directory that cannot be looked into (a file, no
 * permission) throws an `ArtifactError`.
 */
export async function readEntry(
  dir: string,
  key: string,
  { limit, expectedBytes }: { limit: number; expectedBytes?: number },
): Promise<EntryState> {
  const path = entryPath(dir, key);
  const corrupt = (reason: string): EntryState => ({
    state: "corrupt",
    error: new ArtifactError(reason, { source: path }),
  });
  const node = await nodeAt(path);
  if (node.kind === "absent") return { state: "absent" };
  if (node.kind === "other") return corrupt(`the artifact is not a file (it is ${node.what})`);
  if (expectedBytes !== undefined && node.size !== expectedBytes) {
    return corrupt(
      `the artifact has ${node.size} bytes, the manifest says ${expectedBytes}: it is corrupt or was replaced`,
    );
  }
  let bytes: Uint8Array | undefined;
  let module: Module;
  try {
    bytes = await readBounded(path, { what: "the artifact", limit, artifact: true });
    if (bytes === undefined) return { state: "absent" };
    module = Module.deserialize(bytes, path);
  } catch (e) {
    if (e instanceof ArtifactError) return { state: "corrupt", error: e };
    throw e;
  }
  const problem = await identityProblem(dir, key, bytes);
  return problem === undefined ? { state: "valid", module, bytes: bytes.length } : corrupt(problem);
}

/** The identity record's first words: what it is, and its version. */
const IDENTITY_TAG = "mlink-cache-entry 1";

/** The identity record of an artifact stored under `key`: one line of text. */
function identityRecord(key: string, digest: string, length: number): Uint8Array {
  return encoder.encode(`${IDENTITY_TAG} ${key} ${digest} ${length}\n`);
}

/**
 * Why `artifact`, stored under `key` in `dir`, is not the one the entry's
 * identity record names; `undefined` if it is.
 */
async function identityProblem(
  dir: string,
  key: string,
  artifact: Uint8Array,
): Promise<string | undefined> {
  const name = `${key}${IDENTITY_EXTENSION}`;
  let record: Uint8Array | undefined;
  try {
    record = await readBounded(identityPath(dir, key), {
      what: "the identity record",
      limit: MAX_IDENTITY_BYTES,
    });
  } catch (e) {
    if (e instanceof ArtifactError) return `its identity record ${name} is unusable: ${e.reason}`;
    throw e;
  }
  if (record === undefined) {
    return `it has no identity record (${name}) to tie it to its key: precompile again`;
  }
  const words = new TextDecoder().decode(record).split(" ");
  const [tag, version, recordKey, digest, length] = words;
  if (
    words.length !== 5 || `${tag} ${version}` !== IDENTITY_TAG || !KEY.test(recordKey) ||
    !KEY.test(digest) || !/^(?:0|[1-9][0-9]{0,15})\n$/.test(length)
  ) {
    return `its identity record ${name} is malformed`;
  }
  if (recordKey !== key) {
    return `it is the artifact of another input (its identity record names the key ${recordKey}): it was copied or linked under this key`;
  }
  if (Number(length) !== artifact.length || digest !== await sha256(artifact)) {
    return `it is not the artifact its identity record names (the length or SHA-256 differs): it was replaced, or copied from another entry`;
  }
  return undefined;
}

/**
 * Stores `artifact` as the entry for `key` in `dir` (created if missing):
 * the artifact, then its identity record, each replaced atomically, so a
 * reader between the two sees a mismatch (a corrupt entry), never a wrong
 * artifact. Whatever was in the entry's place is replaced, except a
 * directory, which is removed if empty and otherwise refused. Temporary
 * files of dead writers are removed first.
 */
export async function storeEntry(dir: string, key: string, artifact: Uint8Array): Promise<void> {
  await makeDirectory(dir);
  await removeStaleTemps(dir);
  const path = entryPath(dir, key);
  const record = identityRecord(key, await sha256(artifact), artifact.length);
  for (const [file, bytes] of [[path, artifact], [identityPath(dir, key), record]] as const) {
    const node = await nodeAt(file);
    if (node.kind === "other" && node.directory) {
      try {
        await Deno.remove(file);
      } catch (e) {
        throw new ArtifactError(
          `cannot replace it: it is a directory (${plainReason(e)}); remove it`,
          { source: file },
          { cause: e },
        );
      }
    }
    await replaceFile(file, bytes);
  }
}

/** Creates `dir` and its parents if missing; an `ArtifactError` if it is something else. */
export async function makeDirectory(dir: string): Promise<void> {
  try {
    await Deno.mkdir(dir, { recursive: true });
  } catch (e) {
    const node = await nodeAt(dir).catch(() => undefined);
    const why = node?.kind === "file"
      ? "it is a file, not a directory"
      : node?.kind === "other" && !node.directory
      ? `it is ${node.what}, not a directory`
      : plainReason(e);
    throw new ArtifactError(`cannot use it as the cache directory: ${why}`, { source: dir }, {
      cause: e,
    });
  }
}

async function sha256(bytes: Uint8Array): Promise<string> {
  // WebCrypto reads no shared memory: such bytes are copied first.
  const own = bytes.buffer instanceof ArrayBuffer
    ? bytes as Uint8Array<ArrayBuffer>
    : bytes.slice();
  return hex(await crypto.subtle.digest("SHA-256", own));
}

function hex(digest: ArrayBuffer): string {
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

// ---------------------------------------------------------------------------
// Options

/** `null`, `undefined`, `an array`, `a number`, …: what a value is, for messages. */
export function typeName(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  const type = typeof value;
  return type === "object" ? "an object" : /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

/** `options` as a record, or an `ArtifactError` naming `caller`. */
export function optionsRecord(options: unknown, caller: string): Record<string, unknown> {
  if (typeof options !== "object" || options === null || Array.isArray(options)) {
    throw new ArtifactError(`${caller}: options must be an object, got ${typeName(options)}`);
  }
  return options as Record<string, unknown>;
}

/** A directory option: a non-empty string. */
export function directoryOption(value: unknown, caller: string, name: string): string {
  if (typeof value !== "string" || value === "") {
    throw new ArtifactError(
      `${caller}: ${name} must be a non-empty string, got ${typeName(value)}`,
    );
  }
  return value;
}

/** A size limit option: a positive safe integer, or `fallback` when absent. */
export function limitOption(
  value: unknown,
  caller: string,
  name: string,
  fallback: number,
): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 1) {
    throw new ArtifactError(
      `${caller}: ${name} must be a positive integer, got ${
        typeof value === "number" ? value : typeName(value)
      }`,
    );
  }
  return value;
}

/** A callback option: a function, or `undefined`. */
export function functionOption<F>(value: unknown, caller: string, name: string): F | undefined {
  if (value !== undefined && typeof value !== "function") {
    throw new ArtifactError(`${caller}: ${name} must be a function, got ${typeName(value)}`);
  }
  return value as F | undefined;
}

// ---------------------------------------------------------------------------
// loadCached

/**
 * Options of {@linkcode loadCached} (`loadFromCache` in `lib/loader.ts`).
 *
 * @example
 * ```ts
 * import { loadFromCache, type LoadFromCacheOptions } from "@mlink/mlink/loader";
 * const options: LoadFromCacheOptions = {
 *   cacheDir: ".mlink-cache",
 *   maxArtifactBytes: 64 << 20, // refuse entries over 64 MiB
 * };
 * const { module } = await loadFromCache(await Deno.readFile("app.wasm"), options);
 * ```
 */
export interface LoadFromCacheOptions {
  /** The cache directory (created if missing when something is stored). */
  cacheDir: string;
  /**
   * Compiles the input on a miss or a corrupt entry. Without it, a miss or
   * a corrupt entry is an `ArtifactError`: the loader alone cannot compile.
   */
  compile?: (input: Uint8Array | string) => Promise<Module>;
  /**
   * Told about a corrupt entry before it is replaced (default:
   * `console.warn`). Without `compile` nothing is replaced, and a corrupt
   * entry is an `ArtifactError` instead.
   */
  onCorrupt?: (path: string, error: ArtifactError) => void;
  /** Largest artifact read from the cache, in bytes (default 1 GiB); a bigger one is corrupt. */
  maxArtifactBytes?: number;
}

/** How {@linkcode loadCached} got its module: found, compiled, or compiled in place of a corrupt entry. */
export type CacheOutcome = "hit" | "miss" | "replaced";

/**
 * Returns the Module for `input` from the cache when a valid entry is
 * there; otherwise compiles it (when `compile` is given), stores the
 * artifact and returns the module. A corrupt entry — not a regular file,
 * too big, damaged, or the artifact of another input — is reported, never
 * used, and replaced. Without `compile` (the loader's `loadFromCache`), a
 * miss or a corrupt entry is an `ArtifactError` that says which.
 *
 * Throws `ArtifactError` for an input that is not a `Uint8Array` or a
 * string, for bad options, and for a cache directory it cannot read or
 * write (a file, no permission), naming the path.
 *
 * @param input The binary or text the artifact was made from.
 * @param options The cache directory, and the compiler if any.
 * @returns The module, how it was got, and the entry's path.
 *
 * @example
 * ```ts
 * import { instantiate, loadFromCache } from "@mlink/mlink/loader";
 * // After `cli.ts precompile app.wasm --out .mlink-cache`:
 * const { module } = await loadFromCache(await Deno.readFile("app.wasm"), {
 *   cacheDir: ".mlink-cache",
 * });
 * const instance = await instantiate(module);
 * ```
 */
export async function loadFromCache(
  input: Uint8Array | string,
  options: LoadFromCacheOptions,
): Promise<{ module: Module; outcome: CacheOutcome; path: string }> {
  return await loadThroughCache(input, options, "loadFromCache");
}

/** {@linkcode loadFromCache}, with errors naming `caller`: the public function the user called. */
export async function loadThroughCache(
  input: Uint8Array | string,
  options: LoadFromCacheOptions,
  caller: string,
): Promise<{ module: Module; outcome: CacheOutcome; path: string }> {
  const record = optionsRecord(options, caller);
  const cacheDir = directoryOption(record.cacheDir, caller, "cacheDir");
  const compile = functionOption<LoadFromCacheOptions["compile"]>(
    record.compile,
    caller,
    "compile",
  );
  const onCorrupt = functionOption<LoadFromCacheOptions["onCorrupt"]>(
    record.onCorrupt,
    caller,
    "onCorrupt",
  ) ?? warnCorrupt;
  const limit = limitOption(
    record.maxArtifactBytes,
    caller,
    "maxArtifactBytes",
    MAX_ARTIFACT_BYTES,
  );
  const key = await keyOf(inputBytes(input, caller));
  const path = entryPath(cacheDir, key);
  const entry = await readEntry(cacheDir, key, { limit });
  if (entry.state === "valid") return { module: entry.module, outcome: "hit", path };
  if (compile === undefined) {
    throw entry.state === "absent"
      ? new ArtifactError(
        "not in the cache, and no compiler was given: precompile it with `cli.ts precompile`, or use loadCached from mod.ts",
        { source: path },
      )
      : new ArtifactError(
        `the cache entry is unusable (${entry.error.reason}); the loader cannot compile a replacement: precompile again, or use loadCached from mod.ts`,
        { source: path },
        { cause: entry.error },
      );
  }
  if (entry.state === "corrupt") onCorrupt(path, entry.error);
  const module = await compile(input);
  if (!isModule(module)) {
    throw new ArtifactError(`${caller}: compile returned ${typeName(module)}, not a Module`);
  }
  await storeEntry(cacheDir, key, module.serialize());
  return { module, outcome: entry.state === "corrupt" ? "replaced" : "miss", path };
}

function warnCorrupt(path: string, error: ArtifactError): void {
  console.warn(
    `mlink: corrupt cache entry ${path}: ${error.reason}; compiling it again to replace it`,
  );
}
