// The test-side CID encoder is itself checked here against published vectors, so that the
// contract's tokenURI is compared with something known to be right.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { base32Lower, metadataBlock } from "./helpers/cid.js";

describe("test CID encoder", () => {
  // RFC 4648 section 10, lower-cased and without padding.
  for (const [input, expected] of [
    ["", ""],
    ["f", "my"],
    ["fo", "mzxq"],
    ["foo", "mzxw6"],
    ["foob", "mzxw6yq"],
    ["fooba", "mzxw6ytb"],
    ["foobar", "mzxw6ytboi"],
  ]) {
    it(`encodes ${JSON.stringify(input)} as RFC 4648 base32`, () => {
      assert.equal(base32Lower(Buffer.from(input)), expected);
    });
  }

  it("gives the well-known CID of the empty raw block", () => {
    assert.equal(metadataBlock("").cid, "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku");
  });

  it("agrees with Python's base64.b32encode on a Japanese document", () => {
    // hashlib.sha256(doc.encode()) and base64.b32encode, lower-cased, padding stripped.
    const document = '{"name":"西川町デジタル住民票 #1","description":"月山と寛容な町づくり"}';
    const block = metadataBlock(document);
    assert.equal(block.digest, "0x69ecef4986b82ca1d84397d6de7900286547bfefc3ac6b75833ec6f2601eef30");
    assert.equal(block.cid, "bafkreidj5txutbvyfsq5qq4x23phsabimvd3736dvrvxlaz6y3zgahxpga");
  });
});
