/**
 * CRC-32 (the IEEE polynomial, as zlib and PNG use it): the artifact
 * checksum. It catches every single flipped bit and every burst up to 32
 * bits, which a plain sum would not.
 *
 * @module
 */

let table: Uint32Array | undefined;

function makeTable(): Uint32Array {
  const t = new Uint32Array(256 * 4);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c;
  }
  // Slicing-by-4: tables for the next three byte positions.
  for (let n = 0; n < 256; n++) {
    for (let s = 1; s < 4; s++) {
      const prev = t[(s - 1) * 256 + n];
      t[s * 256 + n] = t[prev & 0xff] ^ (prev >>> 8);
    }
  }
  return t;
}

/** CRC-32 of `bytes`. */
export function crc32(bytes: Uint8Array): number {
  const t = table ??= makeTable();
  let c = 0xffffffff;
  let i = 0;
  const end4 = bytes.length & ~3;
  for (; i < end4; i += 4) {
    c ^= bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) |
      (bytes[i + 3] << 24);
    c = t[768 + (c & 0xff)] ^ t[512 + ((c >>> 8) & 0xff)] ^
      t[256 + ((c >>> 16) & 0xff)] ^
      t[c >>> 24];
  }
  for (; i < bytes.length; i++) c = t[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
