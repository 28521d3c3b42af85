// A passkey resident's account (ResidentAccount clones made by ResidentAccountFactory): real
// WebAuthn assertions from a software passkey, ERC-1271 through ERC-7739, counterfactual
// addresses, and a card held by the account. The card itself is tested in DigitalResident.*.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { network } from "hardhat";
import { concat, encodeAbiParameters, encodeFunctionData, getAddress, getContractAddress, keccak256, parseEther, toHex, zeroHash } from "viem";
import { createFixtures, eventsIn } from "./helpers/fixtures.js";
import { metadataBlock, residentDocument } from "./helpers/cid.js";
import {
  ERC1271_MAGIC,
  ERC1271_REFUSED,
  FLAGS,
  P256_N,
  SoftPasskey,
  encodeAssertion,
  hasP256Precompile,
  personalSign,
  typedDataSign,
} from "./helpers/webauthn.js";

/** ERC-7821 single-batch execution mode (call type 0x01, default exec type). */
const BATCH_MODE = `0x01${"00".repeat(31)}`;
const ERC7739_DETECTION_HASH = `0x${"7739".repeat(16)}`;

/** A DESIGN.md §6b ballot, as the votes feature will ask a resident to sign it. */
function ballot(cardAddress, chainId, choices = [2]) {
  return {
    appDomain: { name: "Nishikawa Digital Residents", version: "1", chainId, verifyingContract: cardAddress },
    types: {
      Ballot: [
        { name: "proposal", type: "uint256" },
        { name: "card", type: "uint256" },
        { name: "choices", type: "uint16[]" },
        { name: "signedAt", type: "uint64" },
      ],
    },
    primaryType: "Ballot",
    message: { proposal: 7n, card: 1n, choices, signedAt: 1775000000n },
  };
}

describe("ResidentAccount", async () => {
  const { viem, networkHelpers, publicClient, accounts, fixtures } = await createFixtures();
  const { town, holder, recipient, minter } = accounts;
  const chainId = await publicClient.getChainId();
  const passkey = new SoftPasskey();
  const { qx, qy } = passkey.publicKey;

  async function deployFactory() {
    const implementation = await viem.deployContract("ResidentAccount");
    const factory = await viem.deployContract("ResidentAccountFactory", [implementation.address]);
    return { implementation, factory };
  }

  /** A factory, and the account of `passkey` deployed through it. */
  async function deployedAccount() {
    const { implementation, factory } = await deployFactory();
    await publicClient.waitForTransactionReceipt({ hash: await factory.write.createAccount([qx, qy]) });
    const account = await viem.getContractAt("ResidentAccount", await factory.read.predictAccount([qx, qy]));
    return { implementation, factory, account };
  }

  /** A transferable card contract, a factory, and card #1 minted to the account's address before it exists. */
  async function cardAtCounterfactualAccount() {
    const { card } = await fixtures.emptyTransferableCard();
    const { implementation, factory } = await deployFactory();
    const predicted = await factory.read.predictAccount([qx, qy]);
    await card.write.mint([predicted, metadataBlock(residentDocument(1)).digest], { account: minter.account });
    return { card, implementation, factory, predicted };
  }

  async function isValid(account, hash, signature) {
    return account.read.isValidSignature([hash, signature]);
  }

  describe("factory", () => {
    it("predicts the address off-chain from the key: CREATE2 of the clone with the key appended", async () => {
      const { implementation, factory } = await networkHelpers.loadFixture(deployFactory);
      // ERC-1167 with immutable args (OpenZeppelin Clones): creation prefix, runtime, then qx ‖ qy.
      const initCode = concat([
        "0x61",
        toHex(0x2d + 64, { size: 2 }),
        "0x3d81600a3d39f3363d3d373d3d3d363d73",
        implementation.address,
        "0x5af43d82803e903d91602b57fd5bf3",
        qx,
        qy,
      ]);
      const offChain = getContractAddress({ opcode: "CREATE2", from: factory.address, salt: zeroHash, bytecode: initCode });
      assert.equal(await factory.read.predictAccount([qx, qy]), offChain);
      assert.equal(await publicClient.getCode({ address: offChain }), undefined);
    });

    it("deploys the account at the predicted address and emits ResidentAccountCreated", async () => {
      const { factory } = await networkHelpers.loadFixture(deployFactory);
      const predicted = await factory.read.predictAccount([qx, qy]);
      const { result } = await factory.simulate.createAccount([qx, qy]);
      assert.equal(result, predicted);
      await viem.assertions.emitWithArgs(factory.write.createAccount([qx, qy]), factory, "ResidentAccountCreated", [predicted, qx, qy]);
      const code = await publicClient.getCode({ address: predicted });
      assert.equal((code.length - 2) / 2, 0x2d + 64, "an ERC-1167 clone with the 64-byte key appended");
      assert.ok(code.toLowerCase().endsWith(qx.slice(2) + qy.slice(2)));
      const account = await viem.getContractAt("ResidentAccount", predicted);
      assert.deepEqual(await account.read.signer(), [qx, qy]);
    });

    it("is idempotent: a second createAccount returns the same address and deploys nothing", async () => {
      const { factory, account } = await networkHelpers.loadFixture(deployedAccount);
      const codeBefore = await publicClient.getCode({ address: account.address });
      const { result } = await factory.simulate.createAccount([qx, qy]);
      assert.equal(result, account.address);
      const created = await eventsIn(publicClient, factory, factory.write.createAccount([qx, qy]), "ResidentAccountCreated");
      assert.deepEqual(created, []);
      assert.equal(await publicClient.getCode({ address: account.address }), codeBefore);
    });

    it("gives each passkey its own account", async () => {
      const { factory, account } = await networkHelpers.loadFixture(deployedAccount);
      const other = new SoftPasskey().publicKey;
      assert.notEqual(await factory.read.predictAccount([other.qx, other.qy]), account.address);
    });

    it("refuses a key that is not a point of P-256", async () => {
      const { factory } = await networkHelpers.loadFixture(deployFactory);
      const notOnCurve = toHex(BigInt(qy) ^ 1n, { size: 32 });
      await viem.assertions.revertWithCustomErrorWithArgs(
        factory.write.createAccount([qx, notOnCurve]),
        factory,
        "InvalidPasskeyPublicKey",
        [qx, notOnCurve],
      );
    });

    it("refuses an implementation without code", async () => {
      const { factory } = await networkHelpers.loadFixture(deployFactory);
      const nowhere = getAddress(`0x${"42".repeat(20)}`);
      await viem.assertions.revertWithCustomErrorWithArgs(
        viem.deployContract("ResidentAccountFactory", [nowhere]),
        factory,
        "AccountImplementationMissing",
        [nowhere],
      );
    });
  });

  describe("ERC-1271 signatures (isValidSignature through ERC-7739)", () => {
    it("accepts a WebAuthn assertion over the personal-sign hash and returns the magic value", async () => {
      const { account } = await networkHelpers.loadFixture(deployedAccount);
      const { hash, signed } = personalSign("西川町 check-in, event 12", account.address, chainId);
      assert.equal(await isValid(account, hash, encodeAssertion(passkey.assert(signed))), ERC1271_MAGIC);
    });

    it("accepts a WebAuthn assertion over a typed-data ballot nested in the account's domain", async () => {
      const { account } = await networkHelpers.loadFixture(deployedAccount);
      const { hash, signed, wrap } = typedDataSign(ballot(town.account.address, chainId), account.address, chainId);
      assert.equal(await isValid(account, hash, wrap(encodeAssertion(passkey.assert(signed)))), ERC1271_MAGIC);
    });

    it("refuses the same typed-data signature for other contents", async () => {
      const { account } = await networkHelpers.loadFixture(deployedAccount);
      const { signed, wrap } = typedDataSign(ballot(town.account.address, chainId, [2]), account.address, chainId);
      const otherBallot = typedDataSign(ballot(town.account.address, chainId, [3]), account.address, chainId);
      assert.equal(await isValid(account, otherBallot.hash, wrap(encodeAssertion(passkey.assert(signed)))), ERC1271_REFUSED);
    });

    it("refuses an assertion by another passkey", async () => {
      const { account } = await networkHelpers.loadFixture(deployedAccount);
      const { hash, signed } = personalSign("hello", account.address, chainId);
      assert.equal(await isValid(account, hash, encodeAssertion(new SoftPasskey().assert(signed))), ERC1271_REFUSED);
    });

    it("refuses an assertion over another challenge", async () => {
      const { account } = await networkHelpers.loadFixture(deployedAccount);
      const { hash } = personalSign("hello", account.address, chainId);
      const other = personalSign("goodbye", account.address, chainId);
      assert.equal(await isValid(account, hash, encodeAssertion(passkey.assert(other.signed))), ERC1271_REFUSED);
    });

    it("refuses the bare hash as challenge: only hashes nested in this account's domain count", async () => {
      const { account } = await networkHelpers.loadFixture(deployedAccount);
      const { hash } = personalSign("hello", account.address, chainId);
      assert.equal(await isValid(account, hash, encodeAssertion(passkey.assert(hash))), ERC1271_REFUSED);
    });

    it("refuses an assertion made for the same account on another chain", async () => {
      const { account } = await networkHelpers.loadFixture(deployedAccount);
      const elsewhere = personalSign("hello", account.address, chainId + 1);
      const { hash } = personalSign("hello", account.address, chainId);
      assert.equal(await isValid(account, hash, encodeAssertion(passkey.assert(elsewhere.signed))), ERC1271_REFUSED);
    });

    it("refuses a registration response (type webauthn.create) as an assertion", async () => {
      const { account } = await networkHelpers.loadFixture(deployedAccount);
      const { hash, signed } = personalSign("hello", account.address, chainId);
      assert.equal(await isValid(account, hash, encodeAssertion(passkey.assert(signed, { type: "webauthn.create" }))), ERC1271_REFUSED);
    });

    it("refuses an assertion without user verification (UV flag missing)", async () => {
      const { account } = await networkHelpers.loadFixture(deployedAccount);
      const { hash, signed } = personalSign("hello", account.address, chainId);
      assert.equal(await isValid(account, hash, encodeAssertion(passkey.assert(signed, { flags: FLAGS.UP }))), ERC1271_REFUSED);
      assert.equal(await isValid(account, hash, encodeAssertion(passkey.assert(signed, { flags: FLAGS.UV }))), ERC1271_REFUSED, "UP missing");
    });

    it("refuses a high-s signature, and accepts the same signature with s normalized to N - s", async () => {
      const { account } = await networkHelpers.loadFixture(deployedAccount);
      const { hash, signed } = personalSign("hello", account.address, chainId);
      const highS = passkey.assert(signed, { highS: true });
      assert.equal(await isValid(account, hash, encodeAssertion(highS)), ERC1271_REFUSED);
      const normalized = { ...highS, s: P256_N - highS.s };
      assert.equal(await isValid(account, hash, encodeAssertion(normalized)), ERC1271_MAGIC);
    });

    it("answers 'not valid' to malformed signature bytes instead of reverting", async () => {
      const { account } = await networkHelpers.loadFixture(deployedAccount);
      const { hash } = personalSign("hello", account.address, chainId);
      for (const junk of ["0x", "0x1234", toHex(new Uint8Array(0xc0)), keccak256("0x01")]) {
        assert.equal(await isValid(account, hash, junk), ERC1271_REFUSED, junk);
      }
    });

    it("answers the ERC-7739 detection request", async () => {
      const { account } = await networkHelpers.loadFixture(deployedAccount);
      assert.equal(await isValid(account, ERC7739_DETECTION_HASH, "0x"), "0x77390001");
    });

    it("never accepts a signature on the implementation itself", async () => {
      const { implementation } = await networkHelpers.loadFixture(deployedAccount);
      assert.deepEqual(await implementation.read.signer(), [zeroHash, zeroHash]);
      const { hash, signed } = personalSign("hello", implementation.address, chainId);
      assert.equal(await isValid(implementation, hash, encodeAssertion(passkey.assert(signed))), ERC1271_REFUSED);
    });
  });

  describe("acting through the ERC-4337 entry point", () => {
    it("validates a user operation signed by the passkey, and refuses one signed by another", async () => {
      const { account } = await networkHelpers.loadFixture(deployedAccount);
      const entryPoint = await account.read.entryPoint();
      const userOp = {
        sender: account.address,
        nonce: 0n,
        initCode: "0x",
        callData: "0x",
        accountGasLimits: zeroHash,
        preVerificationGas: 0n,
        gasFees: zeroHash,
        paymasterAndData: "0x",
        signature: "0x",
      };
      const userOpHash = keccak256(toHex("a user operation of this account"));
      const validation = async (signer) => {
        const { result } = await account.simulate.validateUserOp(
          [{ ...userOp, signature: encodeAssertion(signer.assert(userOpHash)) }, userOpHash, 0n],
          { account: entryPoint },
        );
        return result;
      };
      assert.equal(await validation(passkey), 0n, "SIG_VALIDATION_SUCCESS");
      assert.equal(await validation(new SoftPasskey()), 1n, "SIG_VALIDATION_FAILED");
      await viem.assertions.revertWithCustomErrorWithArgs(
        account.write.validateUserOp([userOp, userOpHash, 0n], { account: holder.account }),
        account,
        "AccountUnauthorized",
        [holder.account.address],
      );
    });

    it("lets nobody but the entry point or the account execute calls", async () => {
      const { account } = await networkHelpers.loadFixture(deployedAccount);
      const calls = encodeAbiParameters([{ type: "tuple[]", components: [{ type: "address" }, { type: "uint256" }, { type: "bytes" }] }], [[]]);
      await viem.assertions.revertWithCustomErrorWithArgs(
        account.write.execute([BATCH_MODE, calls], { account: town.account }),
        account,
        "AccountUnauthorized",
        [town.account.address],
      );
    });
  });

  describe("holding a resident card", () => {
    it("holds a card minted to its address before it was deployed, and can use it after deployment", async () => {
      const { card, factory, predicted } = await networkHelpers.loadFixture(cardAtCounterfactualAccount);
      assert.equal(await publicClient.getCode({ address: predicted }), undefined, "not deployed yet");
      assert.equal(await card.read.ownerOf([1n]), predicted);

      await factory.write.createAccount([qx, qy]);
      const account = await viem.getContractAt("ResidentAccount", predicted);
      assert.equal(await card.read.ownerOf([1n]), account.address);
      // The card's holder now answers ERC-1271 for the passkey: sign-in and check-in paths accept it.
      const { hash, signed } = personalSign("I hold card 1", account.address, chainId);
      assert.equal(await isValid(account, hash, encodeAssertion(passkey.assert(signed))), ERC1271_MAGIC);

      // And it can act with the card: a batch through the entry point moves it to a wallet.
      const entryPoint = await account.read.entryPoint();
      await networkHelpers.impersonateAccount(entryPoint);
      await networkHelpers.setBalance(entryPoint, parseEther("1"));
      const transfer = encodeFunctionData({
        abi: card.abi,
        functionName: "safeTransferFrom",
        args: [account.address, recipient.account.address, 1n],
      });
      const calls = encodeAbiParameters(
        [{ type: "tuple[]", components: [{ type: "address" }, { type: "uint256" }, { type: "bytes" }] }],
        [[[card.address, 0n, transfer]]],
      );
      const entryPointWallet = await viem.getWalletClient(entryPoint);
      await publicClient.waitForTransactionReceipt({
        hash: await account.write.execute([BATCH_MODE, calls], { account: entryPointWallet.account }),
      });
      assert.equal(await card.read.ownerOf([1n]), recipient.account.address);
    });

    it("receives a card by safeTransferFrom (transferable deployment)", async () => {
      const { card } = await fixtures.transferableCard();
      const { account } = await deployedAccount();
      await card.write.safeTransferFrom([holder.account.address, account.address, 1n], { account: holder.account });
      assert.equal(await card.read.ownerOf([1n]), account.address);
    });
  });

  describe("on a chain without the P-256 precompile (Prague: OpenZeppelin's Solidity verifier)", async () => {
    const prague = await network.create({ override: { hardfork: "prague" } });
    const praguePublicClient = await prague.viem.getPublicClient();

    async function praguePasskeyAccount() {
      const implementation = await prague.viem.deployContract("ResidentAccount");
      const factory = await prague.viem.deployContract("ResidentAccountFactory", [implementation.address]);
      await praguePublicClient.waitForTransactionReceipt({ hash: await factory.write.createAccount([qx, qy]) });
      return { account: await prague.viem.getContractAt("ResidentAccount", await factory.read.predictAccount([qx, qy])) };
    }

    it("has no P-256 precompile, where the default test chain has one", async () => {
      assert.equal(await hasP256Precompile(praguePublicClient), false);
      assert.equal(await hasP256Precompile(publicClient), true);
    });

    it("accepts the passkey's assertion and refuses another passkey's", async () => {
      const { account } = await prague.networkHelpers.loadFixture(praguePasskeyAccount);
      const { hash, signed } = personalSign("hello", account.address, chainId);
      assert.equal(await isValid(account, hash, encodeAssertion(passkey.assert(signed))), ERC1271_MAGIC);
      assert.equal(await isValid(account, hash, encodeAssertion(new SoftPasskey().assert(signed))), ERC1271_REFUSED);
      assert.equal(await isValid(account, hash, encodeAssertion(passkey.assert(signed, { highS: true }))), ERC1271_REFUSED);
    });
  });
});
