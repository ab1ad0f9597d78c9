/**
 * A file reader for Deno, to pass as the `readFile` option of `parseWat`
 * and `compile`: it reads the files that nested modules written
 * `(module $m (file "m.wasm"))` name, relative to a base directory, and says
 * why a file cannot be read in words fit for an error message. The text
 * front-end itself never touches the file system.
 *
 * Here too is the one rule every bounded read follows ({@linkcode readWholeFile}):
 * the deploy tools' cache reads build on it with their own errors.
 *
 * @example
 * ```ts
 * import { directoryOf, fileReader, parseWat } from "@mlink/mlink";
 * const path = "app.wat";
 * const text = `(module (module $lib binary "\\00asm\\01\\00\\00\\00"))`;
 * await parseWat(text, { filename: path, readFile: fileReader(directoryOf(path)) });
 * ```
 *
 * @module
 */

import { MAX_INPUT_BYTES } from "./limits.ts";

/**
 * A reader that resolves paths against `baseDir` (absolute paths are taken
 * as they are) and reads them with {@linkcode readRegularFile}.
 *
 * @param baseDir The directory relative paths start from, usually the text file's.
 * @returns A reader that rejects with `cannot read <path>: <why>`, the path as written.
 *
 * @example
 * ```ts
 * import { fileReader } from "@mlink/mlink";
 * const read = fileReader(Deno.cwd());
 * await read("no-such-file.wasm").catch((e) => e.message);
 * // "cannot read no-such-file.wasm: No such file or directory"
 * ```
 */
export function fileReader(baseDir: string): (path: string) => Promise<Uint8Array> {
  return async (path) => {
    try {
      return await readRegularFile(resolveFile(baseDir, path));
    } catch (e) {
      throw new Error(`cannot read ${path}: ${reasonOf(e)}`, { cause: e });
    }
  };
}

/** How {@linkcode readRegularFile} refuses what it will not read: plain reasons. */
const INPUT_FILE: WholeFileRead = {
  limit: MAX_INPUT_BYTES,
  notFile: (info) => new Error(info.isDirectory ? "it is a directory" : "not a regular file"),
  tooBig: (size) => new Error(`it is larger than ${MAX_INPUT_BYTES} bytes (${size})`),
};

/**
 * Reads a whole regular file (symbolic links followed) of at most
 * {@linkcode MAX_INPUT_BYTES}. Anything else, a directory, FIFO or device,
 * is refused before it is opened: reading `/dev/zero` would never end, and
 * opening a FIFO blocks until someone writes to it.
 *
 * @param path The file to read.
 * @returns Its bytes.
 * @throws Deno's filesystem errors, or an `Error` whose message is the reason
 * (`it is a directory`, `not a regular file`, `it is larger than …`).
 *
 * @example
 * ```ts
 * import { readRegularFile } from "./file_reader.ts";
 * await readRegularFile("/dev/zero").catch((e) => e.message); // "not a regular file"
 * ```
 */
export async function readRegularFile(path: string): Promise<Uint8Array> {
  refuseUnfit(await Deno.stat(path), INPUT_FILE);
  return await readWholeFile(path, INPUT_FILE);
}

/**
 * What {@linkcode readWholeFile} will read, and the caller's own errors for
 * what it will not.
 *
 * @example
 * ```ts
 * import type { WholeFileRead } from "./file_reader.ts";
 * const small: WholeFileRead = {
 *   limit: 4096,
 *   notFile: () => new Error("not a regular file"),
 *   tooBig: (size) => new Error(`${size} bytes is too many`),
 * };
 * ```
 */
export interface WholeFileRead {
  /** Largest size read, in bytes. */
  readonly limit: number;
  /** The error for a node that is not a regular file: a directory, a FIFO, a device. */
  notFile(info: Deno.FileInfo): Error;
  /** The error for a file found to have `size` bytes, more than the limit. */
  tooBig(size: number): Error;
  /**
   * Looks at the open file of `size` bytes before it is read whole, to
   * refuse it from its first bytes; it must leave the file at offset 0.
   */
  beforeRead?(file: Deno.FsFile, size: number): Promise<void>;
}

/**
 * Opens `path` and reads it whole: the one rule of every bounded read. What
 * is open must be a regular file within the limit (checked again on the
 * open file, in case the path changed since the caller looked), and the
 * read stops once it passes the limit, so a file that grows while it is
 * read costs no more than the limit. Refusals are the caller's errors;
 * Deno's filesystem errors pass through.
 *
 * @param path The file to read.
 * @param read The limit and the errors for what is refused.
 * @returns Its bytes.
 *
 * @example
 * ```ts
 * import { readWholeFile } from "./file_reader.ts";
 * const bytes = await readWholeFile("deno.json", {
 *   limit: 1 << 20,
 *   notFile: () => new Error("not a regular file"),
 *   tooBig: (size) => new Error(`it has ${size} bytes`),
 * });
 * ```
 */
export async function readWholeFile(path: string, read: WholeFileRead): Promise<Uint8Array> {
  using file = await Deno.open(path, { read: true });
  const info = await file.stat();
  refuseUnfit(info, read);
  await read.beforeRead?.(file, info.size);
  const { limit } = read;
  // One byte more than expected tells a file that grew; it may grow up to the limit.
  let buffer = new Uint8Array(Math.min(info.size, limit) + 1);
  let length = 0;
  for (;;) {
    if (length === buffer.length) {
      if (length > limit) throw read.tooBig(length);
      const bigger = new Uint8Array(Math.min(buffer.length * 2, limit + 1));
      bigger.set(buffer);
      buffer = bigger;
    }
    const n = await file.read(buffer.subarray(length));
    if (n === null) break;
    length += n;
  }
  return buffer.subarray(0, length);
}

/** Throws `read`'s error for a node that is not a regular file within its limit. */
function refuseUnfit(info: Deno.FileInfo, read: WholeFileRead): void {
  if (!info.isFile) throw read.notFile(info);
  if (info.size > read.limit) throw read.tooBig(info.size);
}

/**
 * `path` resolved against `baseDir`: joined to it when relative, unchanged
 * when absolute (`/…`, `\…`, `C:\…`, `C:/…`).
 *
 * @param baseDir The directory to start from.
 * @param path A path as written in the text.
 * @returns The path to open.
 *
 * @example
 * ```ts
 * import { resolveFile } from "./file_reader.ts";
 * resolveFile("src", "lib/libc.wasm"); // "src/lib/libc.wasm"
 * resolveFile("src", "/opt/libc.wasm"); // "/opt/libc.wasm"
 * ```
 */
export function resolveFile(baseDir: string, path: string): string {
  if (/^(?:[A-Za-z]:)?[\\/]/.test(path) || baseDir === "") return path;
  return /[\\/]$/.test(baseDir) ? baseDir + path : `${baseDir}/${path}`;
}

/**
 * The directory of the file at `path`: `.` for a bare file name.
 *
 * @param path A file's path.
 * @returns Its directory, to give {@linkcode fileReader}.
 *
 * @example
 * ```ts
 * import { directoryOf } from "@mlink/mlink";
 * directoryOf("wat/app.wat"); // "wat"
 * directoryOf("app.wat"); // "."
 * ```
 */
export function directoryOf(path: string): string {
  const cut = Math.max(path.lastIndexOf("/"), path.lastIndexOf("\\"));
  if (cut < 0) return ".";
  // Keep the separator of a root: "/app.wat" → "/", "C:\app.wat" → "C:\".
  return cut === 0 || (cut === 2 && path[1] === ":") ? path.slice(0, cut + 1) : path.slice(0, cut);
}

/**
 * The last component of `path`, after its last `/` or `\`.
 *
 * @param path A file's path.
 * @returns Its name, without the directory.
 *
 * @example
 * ```ts
 * import { baseName } from "./file_reader.ts";
 * baseName("wat/app.wat"); // "app.wat"
 * ```
 */
export function baseName(path: string): string {
  return path.split(/[\\/]/).pop()!;
}

/** Deno's message without the OS error number and the repeated path. */
function reasonOf(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  return e.message.replace(/\s*\(os error \d+\)[\s\S]*$/, "");
}
