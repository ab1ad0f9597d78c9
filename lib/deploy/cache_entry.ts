/**
 * One entry of the artifact cache on disk: `<key>.mlk`, the artifact, and
 * `<key>.id`, its identity record: the key and the SHA-256 of the artifact,
 * so an artifact copied or linked under another key is refused rather than
 * served for the wrong module. Before an entry is read, it must be a
 * regular file (symbolic links are followed to one) within its size limit;
 * reads are bounded by the limit even if the file grows, so a FIFO, a
 * device or a huge sparse file costs nothing.
 *
 * Entries are written through a temporary file, locked while it is written,
 * and a rename, so a crash or two concurrent writers never leave half an
 * artifact; a temporary file whose writer died is removed by the next
 * writer.
 *
 * @module
 */

import { HEADER_SIZE, looksLikeArtifact } from "../artifact/format.ts";
import { ArtifactError } from "../errors.ts";
import { Module } from "../runtime/module.ts";
import {
  inDirectory,
  makeDirectory,
  nodeAt,
  plainReason,
  readBounded,
  removeStaleTemps,
  replaceFile,
} from "./files.ts";

/** File name ending of cache entries' artifacts. */
const ARTIFACT_EXTENSION = ".mlk";

/** File name ending of cache entries' identity records. */
const IDENTITY_EXTENSION = ".id";

/** Largest identity record: one line of about 150 bytes. */
const MAX_IDENTITY_BYTES = 4096;

/** An artifact bigger than this has its header checked before it is read whole. */
const HEAD_CHECKED_FROM_BYTES = 64 * 1024;

/** The identity record's first words: what it is, and its version. */
const IDENTITY_TAG = "mlink-cache-entry 1";

/** A cache key: what `cacheKey` makes, so never a path. */
export const KEY = /^[0-9a-f]{64}$/;

/** Path of the artifact for `key` in `cacheDir`. */
export function entryPath(cacheDir: string, key: string): string {
  return inDirectory(cacheDir, `${key}${ARTIFACT_EXTENSION}`);
}

/** Path of the identity record for `key` in `cacheDir`. */
function identityPath(cacheDir: string, key: string): string {
  return inDirectory(cacheDir, `${key}${IDENTITY_EXTENSION}`);
}

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
    bytes = await readBounded(path, {
      what: "the artifact",
      limit,
      beforeRead: (file, size) => checkHead(file, size, path),
    });
    if (bytes === undefined) return { state: "absent" };
    module = Module.deserialize(bytes, path);
  } catch (e) {
    if (e instanceof ArtifactError) return { state: "corrupt", error: e };
    throw e;
  }
  const problem = await identityProblem(dir, key, bytes);
  return problem === undefined ? { state: "valid", module, bytes: bytes.length } : corrupt(problem);
}

/**
 * Refuses a big file that is no artifact, or whose header gives another
 * length, from its first bytes: a sparse file of zeros is not read whole.
 */
async function checkHead(file: Deno.FsFile, size: number, path: string): Promise<void> {
  if (size <= HEAD_CHECKED_FROM_BYTES) return;
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

/** The identity record of an artifact stored under `key`: one line of text. */
function identityRecord(key: string, digest: string, length: number): Uint8Array {
  return new TextEncoder().encode(`${IDENTITY_TAG} ${key} ${digest} ${length}\n`);
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

/** Hex SHA-256 of `bytes`: what identity records hold, and what a cache key is. */
export async function sha256(bytes: Uint8Array): Promise<string> {
  // WebCrypto reads no shared memory: such bytes are copied first.
  const own = bytes.buffer instanceof ArrayBuffer
    ? bytes as Uint8Array<ArrayBuffer>
    : bytes.slice();
  const digest = await crypto.subtle.digest("SHA-256", own);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}
