/**
 * The header record: 20 bytes in front of the payload, the magic then four
 * u32 little-endian fields. The writer fills it in once the payload is
 * written; the reader checks all of it, and the payload's checksum, before
 * the payload is read.
 *
 * @module
 */

import { startsWith, WASM_MAGIC } from "../../encoding.ts";
import { ArtifactError } from "../../errors.ts";
import { checksum } from "../checksum.ts";
import { ARTIFACT_MAGIC, ARTIFACT_VERSION, HEADER_SIZE, KNOWN_FLAGS } from "../format.ts";

/** Where each u32 field of the header is; the magic is at 0. */
const Field = { Version: 4, Flags: 8, Length: 12, Checksum: 16 } as const;

/**
 * Fills in the header of `artifact`, whose first {@linkcode HEADER_SIZE}
 * bytes were left for it and whose payload follows them.
 */
export function writeHeader(artifact: Uint8Array, flags: number): void {
  const payload = artifact.subarray(HEADER_SIZE);
  const view = new DataView(artifact.buffer, artifact.byteOffset, HEADER_SIZE);
  artifact.set(ARTIFACT_MAGIC, 0);
  view.setUint32(Field.Version, ARTIFACT_VERSION, true);
  view.setUint32(Field.Flags, flags, true);
  view.setUint32(Field.Length, payload.length, true);
  view.setUint32(Field.Checksum, checksum(payload), true);
}

/**
 * Checks an artifact's header and its payload's checksum: an
 * `ArtifactError`, with `source` in front of its message, unless `bytes` is
 * a whole artifact of this version, undamaged, that uses no feature this
 * version does not know.
 */
export function checkHeader(bytes: Uint8Array, source?: string): void {
  if (!(bytes instanceof Uint8Array)) {
    throw new ArtifactError(
      `an artifact must be a Uint8Array, got ${bytes === null ? "null" : typeof bytes}`,
      { source },
    );
  }
  if (startsWith(bytes, WASM_MAGIC)) {
    throw new ArtifactError(
      "this is a WebAssembly binary, not an mlink artifact: compile it with compile(), or make an artifact with `cli.ts compile`",
      { source },
    );
  }
  if (!startsWith(bytes, ARTIFACT_MAGIC)) {
    throw new ArtifactError(
      bytes.length < ARTIFACT_MAGIC.length
        ? "truncated artifact: no header"
        : "not an mlink artifact (wrong magic bytes)",
      { source },
    );
  }
  if (bytes.length < HEADER_SIZE) {
    throw new ArtifactError("truncated artifact: header cut short", { source });
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(Field.Version, true);
  if (version !== ARTIFACT_VERSION) {
    throw new ArtifactError(
      `artifact format ${version}, this loader reads ${ARTIFACT_VERSION}: compile the module again with this version`,
      { source },
    );
  }
  const flags = view.getUint32(Field.Flags, true);
  if ((flags & ~KNOWN_FLAGS) !== 0) {
    throw new ArtifactError(
      `artifact uses features this loader does not know (flags 0x${flags.toString(16)})`,
      { source },
    );
  }
  const length = view.getUint32(Field.Length, true);
  if (HEADER_SIZE + length !== bytes.length) {
    throw new ArtifactError(
      HEADER_SIZE + length > bytes.length
        ? `truncated artifact: ${bytes.length} bytes, the header says ${HEADER_SIZE + length}`
        : `${bytes.length - HEADER_SIZE - length} unexpected bytes after the artifact's end`,
      { source },
    );
  }
  const payload = bytes.subarray(HEADER_SIZE);
  if (checksum(payload) !== view.getUint32(Field.Checksum, true)) {
    throw new ArtifactError("checksum mismatch: the artifact is corrupt", { source });
  }
}
