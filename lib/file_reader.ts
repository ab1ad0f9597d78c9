/**
 * A file reader for Deno, to pass as the `readFile` option of `parseWat`
 * and `compile`: it reads the files that nested modules written
 * `(module $m (file "m.wasm"))` name, relative to a base directory, and says
 * why a file cannot be read in words fit for an error message. The text
 * front-end itself never touches the file system.
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

export { MAX_INPUT_BYTES };

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
  checkRegular(await Deno.stat(path));
  using file = await Deno.open(path, { read: true });
  // Checked again on the open file, in case the path changed in between.
  const info = await file.stat();
  checkRegular(info);
  const bytes = new Uint8Array(info.size);
  let length = 0;
  while (length < bytes.length) {
    const n = await file.read(bytes.subarray(length));
    if (n === null) break;
    length += n;
  }
  return length === bytes.length ? bytes : bytes.slice(0, length);
}

function checkRegular(info: Deno.FileInfo): void {
  if (info.isDirectory) throw new Error("it is a directory");
  if (!info.isFile) throw new Error("not a regular file");
  if (info.size > MAX_INPUT_BYTES) {
    throw new Error(`it is larger than ${MAX_INPUT_BYTES} bytes (${info.size})`);
  }
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

/** Deno's message without the OS error number and the repeated path. */
function reasonOf(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  return e.message.replace(/\s*\(os error \d+\)[\s\S]*$/, "");
}
