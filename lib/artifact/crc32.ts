/**
 * CRC-32 (the IEEE polynomial, as zlib and PNG use it): the artifact
 * checksum. It catches every single flipped bit and every burst up to 32
 * bits, which a plain sum would not.
 *
 * @module
 */

let tables: Uint32Array | undefined;

/** Eight 256-entry tables for slicing-by-8: eight bytes per step. */
function makeTables(): Uint32Array {
  const t = new Uint32Array(256 * 8);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c;
  }
  for (let n = 0; n < 256; n++) {
    for (let s = 1; s < 8; s++) {
      const prev = t[(s - 1) * 256 + n];
      t[s * 256 + n] = t[prev & 0xff] ^ (prev >>> 8);
    }
  }
  return t;
}

/** CRC-32 of `bytes`. */
export function crc32(bytes: Uint8Array): number {
  const t = tables ??= makeTables();
  let c = 0xffffffff;
  let i = 0;
  const end8 = bytes.length - 7;
  for (; i < end8; i += 8) {
    const lo = c ^ (bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24));
    const hi = bytes[i + 4] | (bytes[i + 5] << 8) | (bytes[i + 6] << 16) | (bytes[i + 7] << 24);
    c = t[1792 + (lo & 0xff)] ^ t[1536 + ((lo >>> 8) & 0xff)] ^ t[1280 + ((lo >>> 16) & 0xff)] ^
      t[1024 + (lo >>> 24)] ^ t[768 + (hi & 0xff)] ^ t[512 + ((hi >>> 8) & 0xff)] ^
      t[256 + ((hi >>> 16) & 0xff)] ^ t[hi >>> 24];
  }
  for (; i < bytes.length; i++) c = t[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
