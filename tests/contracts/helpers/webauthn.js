// A software passkey for the account tests: a P-256 key (@noble/curves) that answers
// navigator.credentials.get() the way an authenticator and a browser do together, producing
// real authenticatorData and clientDataJSON, and the ERC-7739 hashes a resident account expects.
import { createHash } from "node:crypto";
import { p256 } from "@noble/curves/nist";
import {
  concat,
  encodeAbiParameters,
  hashDomain,
  hashMessage,
  hashStruct,
  hashTypedData,
  numberToHex,
  toBytes,
  toHex,
  zeroHash,
} from "viem";

/** Authenticator data flags (WebAuthn §6.1). */
export const FLAGS = { UP: 0x01, UV: 0x04, BE: 0x08, BS: 0x10 };
export const P256_N = p256.CURVE.n;
export const ERC1271_MAGIC = "0x1626ba7e";
export const ERC1271_REFUSED = "0xffffffff";

/** A valid P-256 signature with small r and s (Wycheproof), the call OpenZeppelin's P256 uses to
 * find out whether the chain verifies P-256 at 0x100 (RIP-7212 / EIP-7951): it answers 1 there. */
export const P256_PRECOMPILE = "0x0000000000000000000000000000000000000100";
export const P256_PRECOMPILE_PROBE = concat([
  "0xbb5a52f42f9c9261ed4361f59422a1e30036e7c32b270c8807a419feca605023",
  numberToHex(5n, { size: 32 }),
  numberToHex(1n, { size: 32 }),
  "0xa71af64de5126a4a4e02b7922d66ce9415ce88a4c9d25514d91082c8725ac957",
  "0x5d47723c8fbe580bb369fec9c2665d8e30a435b9932645482e7c9f11e872296b",
]);

/** Whether the chain behind `publicClient` verifies P-256 at 0x100. */
export async function hasP256Precompile(publicClient) {
  const { data } = await publicClient.call({ to: P256_PRECOMPILE, data: P256_PRECOMPILE_PROBE });
  return data === numberToHex(1n, { size: 32 });
}

export const RP_ID = "residents.nishikawa.example";
export const ORIGIN = `https://${RP_ID}`;

/** The EIP-712 domain of a resident account (see ResidentAccount.DOMAIN_NAME). */
export function accountDomain(account, chainId) {
  return { name: "Nishikawa Resident Account", version: "1", chainId, verifyingContract: account };
}

const sha256 = (bytes) => new Uint8Array(createHash("sha256").update(bytes).digest());

export class SoftPasskey {
  #privateKey;

  constructor(privateKey = p256.utils.randomPrivateKey()) {
    this.#privateKey = privateKey;
    this.signCount = 0;
  }

  /** The public key as the factory takes it: two 32-byte coordinates. */
  get publicKey() {
    const point = p256.getPublicKey(this.#privateKey, false); // 0x04 ‖ x ‖ y
    return { qx: toHex(point.slice(1, 33)), qy: toHex(point.slice(33, 65)) };
  }

  /**
   * Answer an assertion request whose challenge is the 32 bytes `challenge` (hex).
   * Options spoil one part at a time: `type`, `flags`, `rpId`, `origin`, `highS`.
   */
  assert(challenge, { type = "webauthn.get", flags = FLAGS.UP | FLAGS.UV, rpId = RP_ID, origin = ORIGIN, highS = false } = {}) {
    this.signCount += 1;
    // A browser writes type, challenge, origin, crossOrigin in this order.
    const clientDataJSON = JSON.stringify({
      type,
      challenge: Buffer.from(toBytes(challenge)).toString("base64url"),
      origin,
      crossOrigin: false,
    });
    const counter = new Uint8Array(4);
    new DataView(counter.buffer).setUint32(0, this.signCount);
    const authenticatorData = concat([sha256(new TextEncoder().encode(rpId)), new Uint8Array([flags]), counter]);
    const digest = sha256(concat([authenticatorData, sha256(new TextEncoder().encode(clientDataJSON))]));
    const signature = p256.sign(digest, this.#privateKey, { lowS: true, prehash: false });
    const s = highS ? P256_N - signature.s : signature.s;
    return { authenticatorData: toHex(authenticatorData), clientDataJSON, r: signature.r, s };
  }
}

/** The account's signature bytes for an assertion: an abi-encoded WebAuthn.WebAuthnAuth. */
export function encodeAssertion({ authenticatorData, clientDataJSON, r, s }) {
  return encodeAbiParameters(
    [{ type: "bytes32" }, { type: "bytes32" }, { type: "uint256" }, { type: "uint256" }, { type: "bytes" }, { type: "string" }],
    [
      numberToHex(r, { size: 32 }),
      numberToHex(s, { size: 32 }),
      BigInt(clientDataJSON.indexOf('"challenge":"')),
      BigInt(clientDataJSON.indexOf('"type":"')),
      authenticatorData,
      clientDataJSON,
    ],
  );
}

/**
 * ERC-7739 personal sign: the hash an application checks (`hashMessage(message)`), and the hash
 * the passkey must sign for `account` (PersonalSign nested in the account's domain).
 */
export function personalSign(message, account, chainId) {
  const hash = hashMessage(message);
  const signed = hashTypedData({
    domain: accountDomain(account, chainId),
    types: { PersonalSign: [{ name: "prefixed", type: "bytes" }] },
    primaryType: "PersonalSign",
    message: { prefixed: toPrefixed(message) },
  });
  return { hash, signed };
}

function toPrefixed(message) {
  const bytes = typeof message === "string" ? new TextEncoder().encode(message) : toBytes(message);
  return concat([new TextEncoder().encode(`\x19Ethereum Signed Message:\n${bytes.length}`), bytes]);
}

/**
 * ERC-7739 typed data: for contents `message` of type `primaryType` in `appDomain`, the hash the
 * application checks, the hash the passkey signs for `account`, and a function that wraps the
 * account's WebAuthn signature into the nested signature `isValidSignature` reads.
 */
export function typedDataSign({ appDomain, types, primaryType, message }, account, chainId) {
  const hash = hashTypedData({ domain: appDomain, types, primaryType, message });
  const { name, version, verifyingContract } = accountDomain(account, chainId);
  const signed = hashTypedData({
    domain: appDomain,
    types: {
      TypedDataSign: [
        { name: "contents", type: primaryType },
        { name: "name", type: "string" },
        { name: "version", type: "string" },
        { name: "chainId", type: "uint256" },
        { name: "verifyingContract", type: "address" },
        { name: "salt", type: "bytes32" },
      ],
      ...types,
    },
    primaryType: "TypedDataSign",
    message: { contents: message, name, version, chainId: BigInt(chainId), verifyingContract, salt: zeroHash },
  });
  const contentsType = `${primaryType}(${types[primaryType].map((f) => `${f.type} ${f.name}`).join(",")})`;
  const appSeparator = hashDomain({
    domain: appDomain,
    types: {
      EIP712Domain: [
        { name: "name", type: "string" },
        { name: "version", type: "string" },
        { name: "chainId", type: "uint256" },
        { name: "verifyingContract", type: "address" },
      ],
    },
  });
  const contentsHash = hashStruct({ data: message, primaryType, types });
  const wrap = (webauthnSignature) =>
    concat([webauthnSignature, appSeparator, contentsHash, toHex(contentsType), numberToHex(contentsType.length, { size: 2 })]);
  return { hash, signed, wrap };
}
