// Least privilege on the card: three keys with one role each, the admin held through
// OpenZeppelin's AccessControlDefaultAdminRules, and the anchor key able to do nothing but anchor.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { artifacts } from "hardhat";
import { decodeErrorResult, encodeDeployData, keccak256, toHex } from "viem";
import {
  ADMIN_DELAY,
  CONTRACT_URI,
  DEFAULT_ADMIN_ROLE,
  MINTER_ROLE,
  NAME,
  ORGANIZER_ROLE,
  SYMBOL,
  createFixtures,
  zeroAddress,
} from "./helpers/fixtures.js";
import { metadataBlock, residentDocument } from "./helpers/cid.js";

/** Functions anyone may call: ERC-721 holder actions on their own cards, and role self-service. */
const OPEN_TO_ANYONE = new Set(["approve", "setApprovalForAll", "transferFrom", "safeTransferFrom", "renounceRole", "acceptDefaultAdminTransfer"]);
const ANCHOR_WRITES = new Set(["anchorAttendance", "commitDraw", "anchorVoteResult"]);
const MINTER_WRITES = new Set(["mint", "mintBatch", "updateMetadata"]);

/** Plausible arguments for every input type of the card's ABI. */
function argumentFor(input, wallet) {
  if (input.type.endsWith("[]")) return [argumentFor({ ...input, type: input.type.slice(0, -2) }, wallet)];
  if (input.type === "address") return wallet;
  if (input.type === "bool") return true;
  if (input.type === "string") return "ipfs://x";
  if (input.type === "bytes32") return keccak256(toHex(`argument ${input.name}`));
  if (input.type.startsWith("uint")) return 1n;
  throw new Error(`no test argument for ${input.type}`);
}

describe("DigitalResident roles", async () => {
  const { viem, networkHelpers, publicClient, accounts, fixtures } = await createFixtures();
  const { town, holder, recipient, other, minter, organizer } = accounts;

  const deploy = (admin, minterKey, organizerKey) =>
    viem.deployContract("DigitalResident", [NAME, SYMBOL, admin, ADMIN_DELAY, minterKey, organizerKey, true, CONTRACT_URI]);

  describe("constructor", () => {
    it("refuses the zero address as admin", async () => {
      // A reverted deployment carries its error only in an eth_call of the creation code.
      const { abi, bytecode } = await artifacts.readArtifact("DigitalResident");
      const data = encodeDeployData({ abi, bytecode, args: [NAME, SYMBOL, zeroAddress, ADMIN_DELAY, minter.account.address, organizer.account.address, true, ""] });
      const failure = await publicClient.call({ account: town.account.address, data }).catch((error) => error);
      const revertData = failure.walk((cause) => typeof cause?.data === "string")?.data;
      assert.deepEqual(decodeErrorResult({ abi, data: revertData }), { abiItem: abi.find((item) => item.name === "AccessControlInvalidDefaultAdmin"), args: [zeroAddress], errorName: "AccessControlInvalidDefaultAdmin" });
    });

    it("grants no minter or organizer when given the zero address", async () => {
      const card = await deploy(town.account.address, zeroAddress, zeroAddress);
      assert.equal(await card.read.hasRole([MINTER_ROLE, zeroAddress]), false);
      assert.equal(await card.read.hasRole([ORGANIZER_ROLE, zeroAddress]), false);
      assert.equal(BigInt(await card.read.defaultAdminDelay()), ADMIN_DELAY);
    });
  });

  describe("keys do only what their role allows", () => {
    const writes = (card) => card.abi.filter((item) => item.type === "function" && item.stateMutability !== "view" && item.stateMutability !== "pure");

    it("the anchor key (ORGANIZER_ROLE) is refused every write but the three anchors", async () => {
      const { card } = await networkHelpers.loadFixture(fixtures.soulboundCard);
      const refused = [];
      for (const fn of writes(card)) {
        if (OPEN_TO_ANYONE.has(fn.name) || ANCHOR_WRITES.has(fn.name)) continue;
        const args = fn.inputs.map((input) => argumentFor(input, organizer.account.address));
        await assert.rejects(card.write[fn.name](args, { account: organizer.account }), /AccessControlUnauthorizedAccount|AccessControlEnforcedDefaultAdminRules/, fn.name);
        refused.push(fn.name);
      }
      for (const name of ["mint", "mintBatch", "updateMetadata", "recover", "revoke", "grantRole", "revokeRole", "voidAnchor", "setContractURI", "beginDefaultAdminTransfer"]) {
        assert.ok(refused.includes(name), `${name} was tried`);
      }
    });

    it("the minter key is refused every admin write and every anchor", async () => {
      const { card } = await networkHelpers.loadFixture(fixtures.soulboundCard);
      for (const fn of writes(card)) {
        if (OPEN_TO_ANYONE.has(fn.name) || MINTER_WRITES.has(fn.name)) continue;
        const args = fn.inputs.map((input) => argumentFor(input, minter.account.address));
        await assert.rejects(card.write[fn.name](args, { account: minter.account }), /AccessControlUnauthorizedAccount|AccessControlEnforcedDefaultAdminRules/, fn.name);
      }
    });

    it("the admin key may not mint or anchor itself", async () => {
      const { card } = await networkHelpers.loadFixture(fixtures.soulboundCard);
      for (const fn of writes(card)) {
        if (!MINTER_WRITES.has(fn.name) && !ANCHOR_WRITES.has(fn.name)) continue;
        const args = fn.inputs.map((input) => argumentFor(input, recipient.account.address));
        await assert.rejects(card.write[fn.name](args), /AccessControlUnauthorizedAccount/, fn.name);
      }
    });
  });

  describe("grantRole and revokeRole", () => {
    it("let only the admin grant and revoke the minter and organizer roles", async () => {
      const { card } = await networkHelpers.loadFixture(fixtures.soulboundCard);
      for (const key of [organizer, minter]) {
        await viem.assertions.revertWithCustomErrorWithArgs(
          card.write.grantRole([ORGANIZER_ROLE, other.account.address], { account: key.account }),
          card,
          "AccessControlUnauthorizedAccount",
          [key.account.address, DEFAULT_ADMIN_ROLE],
        );
      }
      await viem.assertions.emitWithArgs(
        card.write.grantRole([ORGANIZER_ROLE, other.account.address]),
        card,
        "RoleGranted",
        [ORGANIZER_ROLE, other.account.address, town.account.address],
      );
      await viem.assertions.emitWithArgs(
        card.write.revokeRole([ORGANIZER_ROLE, organizer.account.address]),
        card,
        "RoleRevoked",
        [ORGANIZER_ROLE, organizer.account.address, town.account.address],
      );
      assert.equal(await card.read.hasRole([ORGANIZER_ROLE, organizer.account.address]), false);
    });

    it("cannot hand out or take away the admin role directly", async () => {
      const { card } = await networkHelpers.loadFixture(fixtures.soulboundCard);
      await viem.assertions.revertWithCustomError(card.write.grantRole([DEFAULT_ADMIN_ROLE, other.account.address]), card, "AccessControlEnforcedDefaultAdminRules");
      await viem.assertions.revertWithCustomError(card.write.revokeRole([DEFAULT_ADMIN_ROLE, town.account.address]), card, "AccessControlEnforcedDefaultAdminRules");
      assert.equal(await card.read.defaultAdmin(), town.account.address);
    });

    it("let a staff key renounce its own role, and only its own", async () => {
      const { card } = await networkHelpers.loadFixture(fixtures.soulboundCard);
      await viem.assertions.revertWithCustomError(
        card.write.renounceRole([MINTER_ROLE, town.account.address], { account: minter.account }),
        card,
        "AccessControlBadConfirmation",
      );
      await card.write.renounceRole([MINTER_ROLE, minter.account.address], { account: minter.account });
      assert.equal(await card.read.hasRole([MINTER_ROLE, minter.account.address]), false);
    });
  });

  describe("moving the admin role", () => {
    it("takes two steps and the delay", async () => {
      const { card } = await networkHelpers.loadFixture(fixtures.soulboundCard);
      await card.write.beginDefaultAdminTransfer([other.account.address]);
      const [pending, schedule] = await card.read.pendingDefaultAdmin();
      assert.equal(pending, other.account.address);
      await viem.assertions.revertWithCustomErrorWithArgs(
        card.write.acceptDefaultAdminTransfer({ account: other.account }),
        card,
        "AccessControlEnforcedDefaultAdminDelay",
        [schedule],
      );
      await viem.assertions.revertWithCustomErrorWithArgs(
        card.write.acceptDefaultAdminTransfer({ account: holder.account }),
        card,
        "AccessControlInvalidDefaultAdmin",
        [holder.account.address],
      );
      await networkHelpers.time.increaseTo(schedule + 1);
      await card.write.acceptDefaultAdminTransfer({ account: other.account });
      assert.equal(await card.read.defaultAdmin(), other.account.address);
      assert.equal(await card.read.hasRole([DEFAULT_ADMIN_ROLE, town.account.address]), false);
      await viem.assertions.revertWithCustomErrorWithArgs(
        card.write.recover([1n, recipient.account.address]),
        card,
        "AccessControlUnauthorizedAccount",
        [town.account.address, DEFAULT_ADMIN_ROLE],
      );
      await card.write.recover([1n, recipient.account.address], { account: other.account });
    });

    it("can be cancelled before it is accepted", async () => {
      const { card } = await networkHelpers.loadFixture(fixtures.soulboundCard);
      await card.write.beginDefaultAdminTransfer([other.account.address]);
      await card.write.cancelDefaultAdminTransfer();
      assert.deepEqual(await card.read.pendingDefaultAdmin(), [zeroAddress, 0]);
    });

    it("keeps the last admin from renouncing by accident", async () => {
      const { card } = await networkHelpers.loadFixture(fixtures.soulboundCard);
      await viem.assertions.revertWithCustomErrorWithArgs(
        card.write.renounceRole([DEFAULT_ADMIN_ROLE, town.account.address]),
        card,
        "AccessControlEnforcedDefaultAdminDelay",
        [0],
      );
      assert.equal(await card.read.defaultAdmin(), town.account.address);
    });
  });

  it("give a deployment with the organizer left out no anchor key until the admin grants one", async () => {
    const card = await deploy(town.account.address, minter.account.address, zeroAddress);
    const key = keccak256(toHex("an exchange event"));
    await assert.rejects(card.write.anchorAttendance([key, key, 1], { account: organizer.account }), /AccessControlUnauthorizedAccount/);
    await card.write.grantRole([ORGANIZER_ROLE, organizer.account.address]);
    await card.write.anchorAttendance([key, key, 1], { account: organizer.account });
    await card.write.mint([holder.account.address, metadataBlock(residentDocument(1)).digest], { account: minter.account });
    assert.equal(await card.read.balanceOf([holder.account.address]), 1n);
  });
});
