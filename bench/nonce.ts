/**
 * Defeating V8's in-process cache of compiled modules, which is keyed by
 * their bytes: a custom section holding an 8-digit nonce is added to a core
 * module, and rewritten in place before every iteration (outside the timed
 * region), so that every compile is a real one.
 */

import { checksum } from "../lib/artifact/checksum.ts";
import { HEADER_SIZE } from "../lib/artifact/format.ts";

const MARKER = new TextEncoder().encode("mlink-bench-nonce");
const DIGITS = 8;

/** `core` with a custom section holding the marker and 8 nonce digits. */
export function withNonceSection(core: Uint8Array): Uint8Array {
  const payload = [MARKER.length, ...MARKER, ...new Array(DIGITS).fill(0x30)];
  const out = new Uint8Array(core.length + 2 + payload.length);
  out.set(core);
  out[core.length] = 0;
  out[core.length + 1] = payload.length;
  out.set(payload, core.length + 2);
  return out;
}

/** Where the nonce digits are in `bytes`. */
export function nonceOffsets(bytes: Uint8Array): number[] {
  const offsets: number[] = [];
  outer: for (let i = 0; i + MARKER.length + DIGITS <= bytes.length; i++) {
    for (let j = 0; j < MARKER.length; j++) if (bytes[i + j] !== MARKER[j]) continue outer;
    offsets.push(i + MARKER.length);
  }
  return offsets;
}

/** Writes nonce `n` at each offset. */
export function writeNonce(bytes: Uint8Array, offsets: readonly number[], n: number): void {
  const digits = String(n).padStart(DIGITS, "0");
  for (const at of offsets) {
    for (let d = 0; d < DIGITS; d++) bytes[at + d] = digits.charCodeAt(d);
  }
}

/** Writes nonce `n` into an artifact and recomputes its checksum, so it still loads. */
export function writeArtifactNonce(
  artifact: Uint8Array,
  offsets: readonly number[],
  n: number,
): void {
  writeNonce(artifact, offsets, n);
  const view = new DataView(artifact.buffer, artifact.byteOffset);
  view.setUint32(16, checksum(artifact.subarray(HEADER_SIZE)), true);
}
