/**
 * The deploy tools' file operations, for directories that are untrusted
 * like the artifacts in them: what is at a path (symbolic links followed
 * only to look), bounded reads of regular files, atomic writes through a
 * locked temporary file and a rename, and the removal of temporary files
 * whose writer died. Every filesystem failure is an `ArtifactError` naming
 * the path and saying why in plain words.
 *
 * @module
 */

import { typeName } from "../errors.ts";
import { ArtifactError } from "../errors.ts";
import { readWholeFile } from "../file_reader.ts";

/**
 * A temporary file older than this whose lock cannot be tested (a
 * filesystem without locks) belongs to a dead writer: live ones rename
 * theirs within seconds.
 */
const STALE_TEMP_MS = 10 * 60 * 1000;

/** Path of the file `name` directly inside `dir` (trailing slashes of `dir` dropped). */
export function inDirectory(dir: string, name: string): string {
  return `${dir.replace(/\/+$/, "")}/${name}`;
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

/** Why a filesystem call failed, in plain words and naming no path. */
export function plainReason(error: unknown): string {
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

// ---------------------------------------------------------------------------
// Reading

/** How {@linkcode readBounded} reads a file. */
export interface BoundedRead {
  /** The file in words, for messages: `the artifact`, `the manifest`. */
  what: string;
  /** Largest size read, in bytes. */
  limit: number;
  /**
   * Looks at the open file of `size` bytes before it is read whole, to
   * refuse it from its first bytes; it must leave the file at offset 0.
   */
  beforeRead?: (file: Deno.FsFile, size: number) => Promise<void>;
}

/**
 * Reads a whole file that must be a regular file of at most `limit` bytes:
 * `undefined` if it is absent, an `ArtifactError` naming it if it is
 * anything else or bigger (before reading), or if it grows past the limit
 * while being read (the read stops there).
 */
export async function readBounded(
  path: string,
  { what, limit, beforeRead }: BoundedRead,
): Promise<Uint8Array | undefined> {
  const node = await nodeAt(path);
  if (node.kind === "absent") return undefined;
  const notFile = (it: string) =>
    new ArtifactError(`${what} is not a file (it is ${it})`, { source: path });
  const tooBig = (size: number) =>
    new ArtifactError(`${what} is ${size} bytes, more than the limit of ${limit}`, {
      source: path,
    });
  if (node.kind === "other") throw notFile(node.what);
  if (node.size > limit) throw tooBig(node.size);
  try {
    // It may have been replaced since it was looked at: the read looks again, at what is open.
    return await readWholeFile(path, {
      limit,
      notFile: (info) => notFile(nodeKind(info)),
      tooBig,
      beforeRead,
    });
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return undefined;
    throw fileError(e, path, `read ${what}`);
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

/** Writes all of `bytes` to `to` (a file, standard output), however little each write takes. */
export async function writeAll(
  to: { write(bytes: Uint8Array): Promise<number> },
  bytes: Uint8Array,
): Promise<void> {
  for (let at = 0; at < bytes.length;) at += await to.write(bytes.subarray(at));
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
 * import { writeFileAtomic } from "./files.ts";
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
 * import { writeOutput } from "./files.ts";
 * await writeOutput("/dev/null", new Uint8Array([1, 2, 3])); // /dev/null stays a device
 * ```
 */
export async function writeOutput(path: string, bytes: Uint8Array): Promise<void> {
  await writeTo(path, bytes, true);
}

/** {@linkcode writeFileAtomic}, or with `sinks` {@linkcode writeOutput}. */
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
  const target = await outputTarget(path);
  if (target.kind === "file") {
    await replaceFile(target.path, bytes);
    return;
  }
  const { info } = target;
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

/**
 * Where a write to `path` goes: a regular file to replace (`path` itself
 * when it is absent or a file, the file it links to when it is a link), or
 * some other node, for the caller to judge. A broken link and a failure to
 * look are `ArtifactError`s.
 */
async function outputTarget(
  path: string,
): Promise<{ kind: "file"; path: string } | { kind: "other"; info: Deno.FileInfo }> {
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
  if (info !== undefined && !info.isFile) return { kind: "other", info };
  if (!isLink) return { kind: "file", path };
  try {
    return { kind: "file", path: await Deno.realPath(path) };
  } catch (e) {
    throw fileError(e, path, "write it");
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
