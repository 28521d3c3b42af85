// IPFS CIDs of metadata blocks, computed independently of the contract: a metadata JSON
// document is one raw block, so its CIDv1 is `b` + base32(0x01 0x55 0x12 0x20 ‖ sha2-256).
import { createHash } from "node:crypto";

const BASE32_ALPHABET = "abcdefghijklmnopqrstuvwxyz234567";

/** RFC 4648 base32, lower case, without padding (multibase `b`). */
export function base32Lower(bytes) {
  let out = "";
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32_ALPHABET[(buffer >>> (bits - 5)) & 31];
      bits -= 5;
    }
    buffer &= (1 << bits) - 1;
  }
  if (bits > 0) out += BASE32_ALPHABET[(buffer << (5 - bits)) & 31];
  return out;
}

/** The CIDv1 (raw codec, sha2-256) of a block with this 32-byte digest. */
export function rawCidFromDigest(digest) {
  const bytes = Buffer.concat([Buffer.from([0x01, 0x55, 0x12, 0x20]), Buffer.from(digest)]);
  return "b" + base32Lower(bytes);
}

/** Everything the contract sees and returns for one metadata document. */
export function metadataBlock(document) {
  const bytes = Buffer.from(typeof document === "string" ? document : JSON.stringify(document), "utf8");
  const digestBytes = createHash("sha256").update(bytes).digest();
  const cid = rawCidFromDigest(digestBytes);
  return { bytes, digest: `0x${digestBytes.toString("hex")}`, cid, uri: `ipfs://${cid}` };
}

/** The metadata document of resident card `n`, as minting/ would write it. */
export function residentDocument(n, extra = {}) {
  return {
    name: `西川町デジタル住民票 #${n}`,
    description: "Nishikawa-machi digital resident card / 西川町デジタル住民票",
    image: `cards/${n}.png`,
    attributes: [{ trait_type: "resident_number", value: n }],
    ...extra,
  };
}
