import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { getAddress, keccak256, toHex } from "viem";
import {
  CONTRACT_URI,
  DEFAULT_ADMIN_ROLE,
  MINTER_ROLE,
  NAME,
  ORGANIZER_ROLE,
  SYMBOL,
  ZERO_DIGEST,
  createFixtures,
  eventsIn,
  zeroAddress,
} from "./helpers/fixtures.js";
import { metadataBlock, rawCidFromDigest, residentDocument } from "./helpers/cid.js";

const NONEXISTENT = 9999n;

/** `count` distinct wallets that have never held a card. */
function newWallets(count, seed = "wallet") {
  return Array.from({ length: count }, (_, i) => getAddress(`0x${keccak256(toHex(`${seed}-${i}`)).slice(26)}`));
}

function digests(count, seed = "resident") {
  return Array.from({ length: count }, (_, i) => metadataBlock(residentDocument(i + 1, { seed })).digest);
}

describe("DigitalResident", async () => {
  const { viem, networkHelpers, publicClient, accounts, fixtures } = await createFixtures();
  const { town, holder, recipient, other, minter, organizer } = accounts;
  const firstDigest = metadataBlock(residentDocument(1)).digest;

  for (const soulbound of [true, false]) {
    const variant = soulbound ? "soulbound" : "transferable";
    const withResident = soulbound ? fixtures.soulboundCard : fixtures.transferableCard;
    const empty = soulbound ? fixtures.emptySoulboundCard : fixtures.emptyTransferableCard;

    describe(`${variant} deployment`, () => {
      describe("constructor", () => {
        it("sets name, symbol, collection URI and mode", async () => {
          const { card } = await networkHelpers.loadFixture(empty);
          assert.equal(await card.read.name(), NAME);
          assert.equal(await card.read.symbol(), SYMBOL);
          assert.equal(await card.read.contractURI(), CONTRACT_URI);
          assert.equal(await card.read.soulbound(), soulbound);
          assert.equal(await card.read.lastResidentNumber(), 0n);
        });

        it("gives the admin the admin and minter roles, and nobody the organizer role", async () => {
          const { card } = await networkHelpers.loadFixture(empty);
          assert.equal(await card.read.hasRole([DEFAULT_ADMIN_ROLE, town.account.address]), true);
          assert.equal(await card.read.hasRole([MINTER_ROLE, town.account.address]), true);
          assert.equal(await card.read.hasRole([ORGANIZER_ROLE, town.account.address]), false);
          assert.equal(await card.read.MINTER_ROLE(), MINTER_ROLE);
          assert.equal(await card.read.ORGANIZER_ROLE(), ORGANIZER_ROLE);
          for (const role of [MINTER_ROLE, ORGANIZER_ROLE]) {
            assert.equal(await card.read.getRoleAdmin([role]), DEFAULT_ADMIN_ROLE);
          }
        });
      });

      describe("mint", () => {
        it("issues resident number 1 first and returns it", async () => {
          const { card } = await networkHelpers.loadFixture(empty);
          const { result } = await card.simulate.mint([holder.account.address, firstDigest]);
          assert.equal(result, 1n);
        });

        it("records holder, card, balance, digest and token URI", async () => {
          const { card } = await networkHelpers.loadFixture(empty);
          const block = metadataBlock(residentDocument(1));
          await viem.assertions.emitWithArgs(
            card.write.mint([holder.account.address, block.digest]),
            card,
            "Transfer",
            [zeroAddress, holder.account.address, 1n],
          );
          assert.equal(await card.read.ownerOf([1n]), holder.account.address);
          assert.equal(await card.read.cardOf([holder.account.address]), 1n);
          assert.equal(await card.read.balanceOf([holder.account.address]), 1n);
          assert.equal(await card.read.metadataDigestOf([1n]), block.digest);
          assert.equal(await card.read.tokenURI([1n]), block.uri);
          assert.equal(await card.read.lastResidentNumber(), 1n);
          assert.equal(await card.read.locked([1n]), soulbound);
        });

        it(soulbound ? "emits Locked" : "does not emit Locked", async () => {
          const { card } = await networkHelpers.loadFixture(empty);
          const locks = await eventsIn(publicClient, card, card.write.mint([holder.account.address, firstDigest]), "Locked");
          assert.deepEqual(locks.map((log) => log.args.tokenId), soulbound ? [1n] : []);
        });

        it("numbers cards sequentially", async () => {
          const { card } = await networkHelpers.loadFixture(empty);
          const wallets = newWallets(3, "sequential");
          for (const [i, wallet] of wallets.entries()) {
            await card.write.mint([wallet, digests(3)[i]]);
            assert.equal(await card.read.cardOf([wallet]), BigInt(i + 1));
          }
          assert.equal(await card.read.lastResidentNumber(), 3n);
        });

        it("never reuses the number of a revoked card", async () => {
          const { card } = await networkHelpers.loadFixture(withResident);
          await card.write.mint([recipient.account.address, firstDigest]);
          await card.write.revoke([2n, 1]);
          await card.write.mint([other.account.address, firstDigest]);
          assert.equal(await card.read.cardOf([other.account.address]), 3n);
          // The wallet of the revoked card may be issued a new one, again with a new number.
          await card.write.mint([recipient.account.address, firstDigest]);
          assert.equal(await card.read.cardOf([recipient.account.address]), 4n);
        });

        it("reverts for the zero address", async () => {
          const { card } = await networkHelpers.loadFixture(empty);
          await viem.assertions.revertWithCustomErrorWithArgs(card.write.mint([zeroAddress, firstDigest]), card, "ERC721InvalidReceiver", [zeroAddress]);
        });

        it("reverts for a zero digest", async () => {
          const { card } = await networkHelpers.loadFixture(empty);
          await viem.assertions.revertWithCustomErrorWithArgs(card.write.mint([holder.account.address, ZERO_DIGEST]), card, "MissingMetadataDigest", []);
        });

        it("reverts for a wallet that already holds a card", async () => {
          const { card } = await networkHelpers.loadFixture(withResident);
          await viem.assertions.revertWithCustomErrorWithArgs(
            card.write.mint([holder.account.address, firstDigest]),
            card,
            "WalletAlreadyHoldsCard",
            [holder.account.address, 1n],
          );
        });

        it("reverts without MINTER_ROLE", async () => {
          const { card } = await networkHelpers.loadFixture(withResident);
          await viem.assertions.revertWithCustomErrorWithArgs(
            card.write.mint([recipient.account.address, firstDigest], { account: other.account }),
            card,
            "AccessControlUnauthorizedAccount",
            [other.account.address, MINTER_ROLE],
          );
        });

        it("works for a granted minter and stops when the role is revoked", async () => {
          const { card } = await networkHelpers.loadFixture(withResident);
          await card.write.mint([recipient.account.address, firstDigest], { account: minter.account });
          assert.equal(await card.read.cardOf([recipient.account.address]), 2n);
          await card.write.revokeRole([MINTER_ROLE, minter.account.address]);
          await viem.assertions.revertWithCustomErrorWithArgs(
            card.write.mint([other.account.address, firstDigest], { account: minter.account }),
            card,
            "AccessControlUnauthorizedAccount",
            [minter.account.address, MINTER_ROLE],
          );
        });
      });

      describe("mintBatch", () => {
        it("issues consecutive numbers after the existing cards", async () => {
          const { card } = await networkHelpers.loadFixture(withResident);
          const wallets = newWallets(3, "batch");
          const batchDigests = digests(3, "batch");
          const hash = card.write.mintBatch([wallets, batchDigests]);
          const transfers = await eventsIn(publicClient, card, hash, "Transfer");
          assert.deepEqual(
            transfers.map((log) => [log.args.from, log.args.to, log.args.tokenId]),
            wallets.map((wallet, i) => [zeroAddress, wallet, BigInt(i + 2)]),
          );
          const locks = await eventsIn(publicClient, card, hash, "Locked");
          assert.deepEqual(locks.map((log) => log.args.tokenId), soulbound ? [2n, 3n, 4n] : []);
          assert.equal(await card.read.lastResidentNumber(), 4n);
          for (const [i, wallet] of wallets.entries()) {
            const number = BigInt(i + 2);
            assert.equal(await card.read.ownerOf([number]), wallet);
            assert.equal(await card.read.cardOf([wallet]), number);
            assert.equal(await card.read.tokenURI([number]), `ipfs://${rawCidFromDigest(Buffer.from(batchDigests[i].slice(2), "hex"))}`);
          }
        });

        it("mints a batch of 100 into an empty collection", async () => {
          const { card } = await networkHelpers.loadFixture(empty);
          const wallets = newWallets(100, "hundred");
          await card.write.mintBatch([wallets, digests(100, "hundred")]);
          assert.equal(await card.read.lastResidentNumber(), 100n);
          assert.equal(await card.read.cardOf([wallets[0]]), 1n);
          assert.equal(await card.read.cardOf([wallets[99]]), 100n);
        });

        it("reverts when the arrays differ in length", async () => {
          const { card } = await networkHelpers.loadFixture(empty);
          await viem.assertions.revertWithCustomErrorWithArgs(
            card.write.mintBatch([newWallets(2), digests(1)]),
            card,
            "MintBatchLengthMismatch",
            [2n, 1n],
          );
        });

        it("reverts for an empty batch", async () => {
          const { card } = await networkHelpers.loadFixture(empty);
          await viem.assertions.revertWithCustomErrorWithArgs(card.write.mintBatch([[], []]), card, "MintBatchEmpty", []);
        });

        it("reverts with the index of a zero address", async () => {
          const { card } = await networkHelpers.loadFixture(empty);
          const wallets = newWallets(3);
          wallets[1] = zeroAddress;
          await viem.assertions.revertWithCustomErrorWithArgs(card.write.mintBatch([wallets, digests(3)]), card, "MintBatchInvalidRecipient", [1n]);
        });

        it("reverts with the index of a zero digest", async () => {
          const { card } = await networkHelpers.loadFixture(empty);
          const batchDigests = digests(3);
          batchDigests[2] = ZERO_DIGEST;
          await viem.assertions.revertWithCustomErrorWithArgs(
            card.write.mintBatch([newWallets(3), batchDigests]),
            card,
            "MintBatchMissingMetadataDigest",
            [2n],
          );
        });

        it("reverts with the index of a wallet that already holds a card", async () => {
          const { card } = await networkHelpers.loadFixture(withResident);
          const wallets = newWallets(3);
          wallets[1] = holder.account.address;
          await viem.assertions.revertWithCustomErrorWithArgs(
            card.write.mintBatch([wallets, digests(3)]),
            card,
            "MintBatchRecipientHoldsCard",
            [1n, holder.account.address, 1n],
          );
        });

        it("reverts with both indexes of a duplicate recipient", async () => {
          const { card } = await networkHelpers.loadFixture(withResident);
          const wallets = newWallets(4);
          wallets[3] = wallets[1];
          await viem.assertions.revertWithCustomErrorWithArgs(
            card.write.mintBatch([wallets, digests(4)]),
            card,
            "MintBatchDuplicateRecipient",
            [3n, wallets[1], 1n],
          );
        });

        it("issues nothing when one entry is invalid", async () => {
          const { card } = await networkHelpers.loadFixture(withResident);
          const wallets = newWallets(3);
          wallets[2] = holder.account.address;
          await viem.assertions.revertWithCustomError(card.write.mintBatch([wallets, digests(3)]), card, "MintBatchRecipientHoldsCard");
          assert.equal(await card.read.lastResidentNumber(), 1n);
          assert.equal(await card.read.cardOf([wallets[0]]), 0n);
        });

        it("reverts without MINTER_ROLE", async () => {
          const { card } = await networkHelpers.loadFixture(withResident);
          await viem.assertions.revertWithCustomErrorWithArgs(
            card.write.mintBatch([newWallets(2), digests(2)], { account: organizer.account }),
            card,
            "AccessControlUnauthorizedAccount",
            [organizer.account.address, MINTER_ROLE],
          );
        });

        it("works for a granted minter", async () => {
          const { card } = await networkHelpers.loadFixture(withResident);
          await card.write.mintBatch([newWallets(2), digests(2)], { account: minter.account });
          assert.equal(await card.read.lastResidentNumber(), 3n);
        });
      });

      describe("tokenURI", () => {
        const documents = [
          ["an English document", residentDocument(1)],
          [
            "a Japanese document",
            {
              name: "西川町デジタル住民票 #1024",
              description: "月山のふもと、西川町のデジタル住民です。寛容な町づくりに参加しましょう。",
              attributes: [
                { trait_type: "住民番号", value: 1024 },
                { trait_type: "温泉", value: "水沢温泉・大井沢温泉" },
              ],
            },
          ],
          ["mixed scripts and an emoji", "{\"name\":\"にしかわ Nishikawa 🏔️ 月山\",\"note\":\"誰一人取り残さない\"}"],
          ["an empty block", ""],
          ["a 20 KiB document", { name: "大きな住民票", description: "あ".repeat(7000) }],
        ];

        for (const [label, document] of documents) {
          it(`returns the raw CIDv1 of ${label}`, async () => {
            const { card } = await networkHelpers.loadFixture(empty);
            const block = metadataBlock(document);
            await card.write.mint([holder.account.address, block.digest]);
            assert.match(block.uri, /^ipfs:\/\/bafkrei[a-z2-7]{52}$/);
            assert.equal(await card.read.tokenURI([1n]), block.uri);
          });
        }

        for (const [label, digestHex] of [
          ["the smallest digest", `0x${"00".repeat(31)}01`],
          ["the largest digest", `0x${"ff".repeat(32)}`],
          ["alternating bits", `0x${"a5".repeat(32)}`],
          ["a top bit only", `0x80${"00".repeat(31)}`],
        ]) {
          it(`encodes ${label} bit for bit`, async () => {
            const { card } = await networkHelpers.loadFixture(empty);
            await card.write.mint([holder.account.address, digestHex]);
            assert.equal(await card.read.tokenURI([1n]), `ipfs://${rawCidFromDigest(Buffer.from(digestHex.slice(2), "hex"))}`);
          });
        }

        it("reverts for a card that does not exist", async () => {
          const { card } = await networkHelpers.loadFixture(withResident);
          await viem.assertions.revertWithCustomErrorWithArgs(card.read.tokenURI([NONEXISTENT]), card, "ERC721NonexistentToken", [NONEXISTENT]);
          await viem.assertions.revertWithCustomErrorWithArgs(card.read.metadataDigestOf([NONEXISTENT]), card, "ERC721NonexistentToken", [NONEXISTENT]);
        });
      });

      describe("updateMetadata", () => {
        it("replaces the digest and emits MetadataUpdate", async () => {
          const { card } = await networkHelpers.loadFixture(withResident);
          const redesign = metadataBlock(residentDocument(1, { image: "cards/1-2026.png" }));
          await viem.assertions.emitWithArgs(card.write.updateMetadata([1n, redesign.digest]), card, "MetadataUpdate", [1n]);
          assert.equal(await card.read.tokenURI([1n]), redesign.uri);
          assert.equal(await card.read.metadataDigestOf([1n]), redesign.digest);
        });

        it("reverts for a card that does not exist", async () => {
          const { card } = await networkHelpers.loadFixture(withResident);
          await viem.assertions.revertWithCustomErrorWithArgs(card.write.updateMetadata([NONEXISTENT, firstDigest]), card, "ERC721NonexistentToken", [NONEXISTENT]);
        });

        it("reverts for a zero digest", async () => {
          const { card } = await networkHelpers.loadFixture(withResident);
          await viem.assertions.revertWithCustomErrorWithArgs(card.write.updateMetadata([1n, ZERO_DIGEST]), card, "MissingMetadataDigest", []);
        });

        it("reverts without DEFAULT_ADMIN_ROLE, even for a minter", async () => {
          const { card } = await networkHelpers.loadFixture(withResident);
          await viem.assertions.revertWithCustomErrorWithArgs(
            card.write.updateMetadata([1n, firstDigest], { account: minter.account }),
            card,
            "AccessControlUnauthorizedAccount",
            [minter.account.address, DEFAULT_ADMIN_ROLE],
          );
        });
      });

      describe("setContractURI", () => {
        it("replaces the collection URI and emits ContractURIUpdated", async () => {
          const { card } = await networkHelpers.loadFixture(withResident);
          await viem.assertions.emit(card.write.setContractURI(["ipfs://bafkreinewcollection"]), card, "ContractURIUpdated");
          assert.equal(await card.read.contractURI(), "ipfs://bafkreinewcollection");
        });

        it("reverts without DEFAULT_ADMIN_ROLE", async () => {
          const { card } = await networkHelpers.loadFixture(withResident);
          await viem.assertions.revertWithCustomErrorWithArgs(
            card.write.setContractURI(["ipfs://x"], { account: other.account }),
            card,
            "AccessControlUnauthorizedAccount",
            [other.account.address, DEFAULT_ADMIN_ROLE],
          );
        });
      });

      describe("recover", () => {
        it("moves the card to the new wallet", async () => {
          const { card } = await networkHelpers.loadFixture(withResident);
          const lost = holder.account.address;
          const fresh = recipient.account.address;
          const hash = card.write.recover([1n, fresh]);
          await viem.assertions.emitWithArgs(hash, card, "Transfer", [lost, fresh, 1n]);
          await viem.assertions.emitWithArgs(hash, card, "ResidentCardRecovered", [1n, lost, fresh]);
          assert.equal(await card.read.ownerOf([1n]), fresh);
          assert.equal(await card.read.cardOf([lost]), 0n);
          assert.equal(await card.read.cardOf([fresh]), 1n);
          assert.equal(await card.read.balanceOf([lost]), 0n);
          assert.equal(await card.read.balanceOf([fresh]), 1n);
          assert.equal(await card.read.locked([1n]), soulbound);
          assert.equal(await card.read.tokenURI([1n]), metadataBlock(residentDocument(1)).uri);
        });

        it("lets the old wallet receive a new card afterwards", async () => {
          const { card } = await networkHelpers.loadFixture(withResident);
          await card.write.recover([1n, recipient.account.address]);
          await card.write.mint([holder.account.address, firstDigest]);
          assert.equal(await card.read.cardOf([holder.account.address]), 2n);
        });

        it("reverts for a card that does not exist", async () => {
          const { card } = await networkHelpers.loadFixture(withResident);
          await viem.assertions.revertWithCustomErrorWithArgs(
            card.write.recover([NONEXISTENT, recipient.account.address]),
            card,
            "ERC721NonexistentToken",
            [NONEXISTENT],
          );
        });

        it("reverts for the zero address", async () => {
          const { card } = await networkHelpers.loadFixture(withResident);
          await viem.assertions.revertWithCustomErrorWithArgs(card.write.recover([1n, zeroAddress]), card, "ERC721InvalidReceiver", [zeroAddress]);
        });

        it("reverts for a wallet that holds a card, including the current holder", async () => {
          const { card } = await networkHelpers.loadFixture(withResident);
          await card.write.mint([recipient.account.address, firstDigest]);
          await viem.assertions.revertWithCustomErrorWithArgs(
            card.write.recover([1n, recipient.account.address]),
            card,
            "WalletAlreadyHoldsCard",
            [recipient.account.address, 2n],
          );
          await viem.assertions.revertWithCustomErrorWithArgs(
            card.write.recover([1n, holder.account.address]),
            card,
            "WalletAlreadyHoldsCard",
            [holder.account.address, 1n],
          );
        });

        it("reverts without DEFAULT_ADMIN_ROLE, even for a minter", async () => {
          const { card } = await networkHelpers.loadFixture(withResident);
          await viem.assertions.revertWithCustomErrorWithArgs(
            card.write.recover([1n, recipient.account.address], { account: minter.account }),
            card,
            "AccessControlUnauthorizedAccount",
            [minter.account.address, DEFAULT_ADMIN_ROLE],
          );
        });
      });

      describe("revoke", () => {
        for (const reason of [0, 1, 255]) {
          it(`burns the card with reason ${reason}`, async () => {
            const { card } = await networkHelpers.loadFixture(withResident);
            const hash = card.write.revoke([1n, reason]);
            await viem.assertions.emitWithArgs(hash, card, "Transfer", [holder.account.address, zeroAddress, 1n]);
            await viem.assertions.emitWithArgs(hash, card, "ResidentCardRevoked", [1n, holder.account.address, reason]);
            assert.equal(await card.read.cardOf([holder.account.address]), 0n);
            assert.equal(await card.read.balanceOf([holder.account.address]), 0n);
            assert.equal(await card.read.lastResidentNumber(), 1n);
            for (const read of [card.read.ownerOf, card.read.tokenURI, card.read.locked, card.read.getApproved, card.read.metadataDigestOf]) {
              await viem.assertions.revertWithCustomErrorWithArgs(read([1n]), card, "ERC721NonexistentToken", [1n]);
            }
          });
        }

        it("reverts for a card that does not exist or was already revoked", async () => {
          const { card } = await networkHelpers.loadFixture(withResident);
          await viem.assertions.revertWithCustomErrorWithArgs(card.write.revoke([NONEXISTENT, 1]), card, "ERC721NonexistentToken", [NONEXISTENT]);
          await card.write.revoke([1n, 1]);
          await viem.assertions.revertWithCustomErrorWithArgs(card.write.revoke([1n, 1]), card, "ERC721NonexistentToken", [1n]);
        });

        it("reverts without DEFAULT_ADMIN_ROLE, even for a minter", async () => {
          const { card } = await networkHelpers.loadFixture(withResident);
          await viem.assertions.revertWithCustomErrorWithArgs(
            card.write.revoke([1n, 1], { account: minter.account }),
            card,
            "AccessControlUnauthorizedAccount",
            [minter.account.address, DEFAULT_ADMIN_ROLE],
          );
        });
      });

      describe("anchorAttendance", () => {
        const root = keccak256(toHex("attendance of exchange event 7"));

        it("stores the root, count and time once and emits AttendanceAnchored", async () => {
          const { card } = await networkHelpers.loadFixture(withResident);
          const hash = card.write.anchorAttendance([7n, root, 42], { account: organizer.account });
          await viem.assertions.emitWithArgs(hash, card, "AttendanceAnchored", [7n, root, 42]);
          const receipt = await publicClient.waitForTransactionReceipt({ hash: await hash });
          const block = await publicClient.getBlock({ blockNumber: receipt.blockNumber });
          assert.deepEqual(await card.read.attendanceRoot([7n]), [root, 42, block.timestamp]);
        });

        it("returns zeros for an event that was not anchored", async () => {
          const { card } = await networkHelpers.loadFixture(withResident);
          assert.deepEqual(await card.read.attendanceRoot([8n]), [ZERO_DIGEST, 0, 0n]);
        });

        it("keeps events apart", async () => {
          const { card } = await networkHelpers.loadFixture(withResident);
          const otherRoot = keccak256(toHex("attendance of exchange event 8"));
          await card.write.anchorAttendance([7n, root, 42], { account: organizer.account });
          await card.write.anchorAttendance([8n, otherRoot, 3], { account: organizer.account });
          assert.equal((await card.read.attendanceRoot([7n]))[0], root);
          assert.equal((await card.read.attendanceRoot([8n]))[1], 3);
        });

        it("reverts for an event anchored before, keeping the first root", async () => {
          const { card } = await networkHelpers.loadFixture(withResident);
          await card.write.anchorAttendance([7n, root, 42], { account: organizer.account });
          const secondRoot = keccak256(toHex("a different list"));
          await viem.assertions.revertWithCustomErrorWithArgs(
            card.write.anchorAttendance([7n, secondRoot, 43], { account: organizer.account }),
            card,
            "AttendanceAlreadyAnchored",
            [7n, root],
          );
          assert.equal((await card.read.attendanceRoot([7n]))[0], root);
        });

        it("reverts for a zero root or no attendees", async () => {
          const { card } = await networkHelpers.loadFixture(withResident);
          await viem.assertions.revertWithCustomErrorWithArgs(
            card.write.anchorAttendance([7n, ZERO_DIGEST, 42], { account: organizer.account }),
            card,
            "InvalidAttendanceAnchor",
            [7n, ZERO_DIGEST, 42],
          );
          await viem.assertions.revertWithCustomErrorWithArgs(
            card.write.anchorAttendance([7n, root, 0], { account: organizer.account }),
            card,
            "InvalidAttendanceAnchor",
            [7n, root, 0],
          );
        });

        it("reverts without ORGANIZER_ROLE, even for the admin", async () => {
          const { card } = await networkHelpers.loadFixture(withResident);
          await viem.assertions.revertWithCustomErrorWithArgs(
            card.write.anchorAttendance([7n, root, 42]),
            card,
            "AccessControlUnauthorizedAccount",
            [town.account.address, ORGANIZER_ROLE],
          );
        });
      });

      describe("roles", () => {
        it("lets only the admin grant and revoke roles", async () => {
          const { card } = await networkHelpers.loadFixture(withResident);
          await viem.assertions.revertWithCustomErrorWithArgs(
            card.write.grantRole([ORGANIZER_ROLE, other.account.address], { account: organizer.account }),
            card,
            "AccessControlUnauthorizedAccount",
            [organizer.account.address, DEFAULT_ADMIN_ROLE],
          );
          await viem.assertions.emitWithArgs(
            card.write.grantRole([ORGANIZER_ROLE, other.account.address]),
            card,
            "RoleGranted",
            [ORGANIZER_ROLE, other.account.address, town.account.address],
          );
          await card.write.revokeRole([ORGANIZER_ROLE, organizer.account.address]);
          assert.equal(await card.read.hasRole([ORGANIZER_ROLE, organizer.account.address]), false);
        });

        it("lets a staff key renounce its own role, and only its own", async () => {
          const { card } = await networkHelpers.loadFixture(withResident);
          await viem.assertions.revertWithCustomError(
            card.write.renounceRole([MINTER_ROLE, town.account.address], { account: minter.account }),
            card,
            "AccessControlBadConfirmation",
          );
          await card.write.renounceRole([MINTER_ROLE, minter.account.address], { account: minter.account });
          assert.equal(await card.read.hasRole([MINTER_ROLE, minter.account.address]), false);
        });
      });

      describe("supportsInterface", () => {
        const supported = [
          ["ERC-165", "0x01ffc9a7"],
          ["ERC-721", "0x80ac58cd"],
          ["ERC-721 Metadata", "0x5b5e139f"],
          ["ERC-5192", "0xb45a3c0e"],
          ["ERC-4906", "0x49064906"],
          ["AccessControl", "0x7965db0b"],
        ];
        for (const [label, id] of supported) {
          it(`supports ${label} (${id})`, async () => {
            const { card } = await networkHelpers.loadFixture(empty);
            assert.equal(await card.read.supportsInterface([id]), true);
          });
        }

        for (const id of ["0xffffffff", "0x780e9d63", "0x00000000"]) {
          it(`does not claim ${id}`, async () => {
            const { card } = await networkHelpers.loadFixture(empty);
            assert.equal(await card.read.supportsInterface([id]), false);
          });
        }
      });
    });
  }

  describe("soulbound cards", () => {
    it("are locked, and locked() reverts for a card that does not exist", async () => {
      const { card } = await networkHelpers.loadFixture(fixtures.soulboundCard);
      assert.equal(await card.read.locked([1n]), true);
      await viem.assertions.revertWithCustomErrorWithArgs(card.read.locked([NONEXISTENT]), card, "ERC721NonexistentToken", [NONEXISTENT]);
    });

    const transfers = [
      ["transferFrom", (card, from, to) => card.write.transferFrom([from, to, 1n], { account: holder.account })],
      ["safeTransferFrom", (card, from, to) => card.write.safeTransferFrom([from, to, 1n], { account: holder.account })],
      ["safeTransferFrom with data", (card, from, to) => card.write.safeTransferFrom([from, to, 1n, "0x42"], { account: holder.account })],
    ];
    for (const [label, transfer] of transfers) {
      it(`cannot be moved with ${label}, even by the holder`, async () => {
        const { card } = await networkHelpers.loadFixture(fixtures.soulboundCard);
        await viem.assertions.revertWithCustomErrorWithArgs(
          transfer(card, holder.account.address, recipient.account.address),
          card,
          "ResidentCardLocked",
          [1n],
        );
        assert.equal(await card.read.ownerOf([1n]), holder.account.address);
      });
    }

    it("cannot be approved", async () => {
      const { card } = await networkHelpers.loadFixture(fixtures.soulboundCard);
      await viem.assertions.revertWithCustomErrorWithArgs(
        card.write.approve([recipient.account.address, 1n], { account: holder.account }),
        card,
        "ResidentCardLocked",
        [1n],
      );
    });

    it("cannot be put in an operator's hands", async () => {
      const { card } = await networkHelpers.loadFixture(fixtures.soulboundCard);
      await viem.assertions.revertWithCustomErrorWithArgs(
        card.write.setApprovalForAll([recipient.account.address, true], { account: holder.account }),
        card,
        "ResidentCardsSoulbound",
        [],
      );
    });

    it("report a missing card before the lock", async () => {
      const { card } = await networkHelpers.loadFixture(fixtures.soulboundCard);
      await viem.assertions.revertWithCustomErrorWithArgs(
        card.write.transferFrom([holder.account.address, recipient.account.address, NONEXISTENT], { account: holder.account }),
        card,
        "ERC721NonexistentToken",
        [NONEXISTENT],
      );
    });
  });

  describe("transferable cards", () => {
    it("are not locked", async () => {
      const { card } = await networkHelpers.loadFixture(fixtures.transferableCard);
      assert.equal(await card.read.locked([1n]), false);
    });

    it("cannot go to a wallet that already holds a card", async () => {
      const { card } = await networkHelpers.loadFixture(fixtures.transferableCard);
      await card.write.mint([recipient.account.address, firstDigest]);
      await viem.assertions.revertWithCustomErrorWithArgs(
        card.write.transferFrom([holder.account.address, recipient.account.address, 1n], { account: holder.account }),
        card,
        "WalletAlreadyHoldsCard",
        [recipient.account.address, 2n],
      );
    });

    it("follow their holder in cardOf", async () => {
      const { card } = await networkHelpers.loadFixture(fixtures.transferableCard);
      await card.write.transferFrom([holder.account.address, recipient.account.address, 1n], { account: holder.account });
      assert.equal(await card.read.cardOf([holder.account.address]), 0n);
      assert.equal(await card.read.cardOf([recipient.account.address]), 1n);
    });

    it("lose their approval when recovered", async () => {
      const { card } = await networkHelpers.loadFixture(fixtures.transferableCard);
      await card.write.approve([other.account.address, 1n], { account: holder.account });
      await card.write.recover([1n, recipient.account.address]);
      assert.equal(await card.read.getApproved([1n]), zeroAddress);
      await viem.assertions.revertWithCustomErrorWithArgs(
        card.write.transferFrom([recipient.account.address, holder.account.address, 1n], { account: other.account }),
        card,
        "ERC721InsufficientApproval",
        [other.account.address, 1n],
      );
    });

    it("keep the operators of a wallet across recovery", async () => {
      // Operator approvals belong to the wallet, not the card, as in ERC-721.
      const { card } = await networkHelpers.loadFixture(fixtures.transferableCard);
      await card.write.setApprovalForAll([other.account.address, true], { account: holder.account });
      await card.write.recover([1n, recipient.account.address]);
      await viem.assertions.revertWithCustomErrorWithArgs(
        card.write.transferFrom([recipient.account.address, holder.account.address, 1n], { account: other.account }),
        card,
        "ERC721InsufficientApproval",
        [other.account.address, 1n],
      );
    });
  });
});
