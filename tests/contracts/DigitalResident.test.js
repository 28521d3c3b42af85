import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { getAddress, keccak256, toFunctionSelector, toHex } from "viem";
import {
  CONTRACT_URI,
  DEFAULT_ADMIN_ROLE,
  MINTER_ROLE,
  NAME,
  ORGANIZER_ROLE,
  SYMBOL,
  ZERO_DIGEST,
  cardOf,
  createFixtures,
  eventsIn,
  zeroAddress,
} from "./helpers/fixtures.js";
import { metadataBlock, rawCidFromDigest, residentDocument } from "./helpers/cid.js";

const NONEXISTENT = 9999n;

/** The functions IAccessControlDefaultAdminRules declares itself (its ERC-165 id is their XOR). */
const DEFAULT_ADMIN_RULES_FUNCTIONS = [
  "defaultAdmin()",
  "pendingDefaultAdmin()",
  "defaultAdminDelay()",
  "pendingDefaultAdminDelay()",
  "beginDefaultAdminTransfer(address)",
  "cancelDefaultAdminTransfer()",
  "acceptDefaultAdminTransfer()",
  "changeDefaultAdminDelay(uint48)",
  "rollbackDefaultAdminDelay()",
  "defaultAdminDelayIncreaseWait()",
];

function interfaceId(signatures) {
  const id = signatures.map((signature) => Number.parseInt(toFunctionSelector(signature).slice(2), 16)).reduce((a, b) => (a ^ b) >>> 0, 0);
  return `0x${id.toString(16).padStart(8, "0")}`;
}

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
  const asMinter = { account: minter.account };

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

        it("gives each role to its own key and nothing more", async () => {
          const { card } = await networkHelpers.loadFixture(empty);
          const holds = async (role, key) => card.read.hasRole([role, key.account.address]);
          assert.deepEqual(
            await Promise.all([DEFAULT_ADMIN_ROLE, MINTER_ROLE, ORGANIZER_ROLE].map((role) => Promise.all([town, minter, organizer].map((key) => holds(role, key))))),
            [
              [true, false, false],
              [false, true, false],
              [false, false, true],
            ],
          );
          assert.equal(await card.read.defaultAdmin(), town.account.address);
          assert.equal(await card.read.owner(), town.account.address);
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
          const { result } = await card.simulate.mint([holder.account.address, firstDigest], asMinter);
          assert.equal(result, 1n);
        });

        it("records holder, card, balance, digest and token URI", async () => {
          const { card } = await networkHelpers.loadFixture(empty);
          const block = metadataBlock(residentDocument(1));
          await viem.assertions.emitWithArgs(
            card.write.mint([holder.account.address, block.digest], asMinter),
            card,
            "Transfer",
            [zeroAddress, holder.account.address, 1n],
          );
          assert.equal(await card.read.ownerOf([1n]), holder.account.address);
          assert.equal(await cardOf(publicClient, card, holder.account.address), 1n);
          assert.equal(await card.read.balanceOf([holder.account.address]), 1n);
          assert.equal(await card.read.metadataDigestOf([1n]), block.digest);
          assert.equal(await card.read.tokenURI([1n]), block.uri);
          assert.equal(await card.read.lastResidentNumber(), 1n);
          assert.equal(await card.read.locked([1n]), soulbound);
        });

        it(soulbound ? "emits Locked" : "does not emit Locked", async () => {
          const { card } = await networkHelpers.loadFixture(empty);
          const locks = await eventsIn(publicClient, card, card.write.mint([holder.account.address, firstDigest], asMinter), "Locked");
          assert.deepEqual(locks.map((log) => log.args.tokenId), soulbound ? [1n] : []);
        });

        it("numbers cards sequentially", async () => {
          const { card } = await networkHelpers.loadFixture(empty);
          const wallets = newWallets(3, "sequential");
          for (const [i, wallet] of wallets.entries()) {
            await card.write.mint([wallet, digests(3)[i]], asMinter);
            assert.equal(await cardOf(publicClient, card, wallet), BigInt(i + 1));
          }
          assert.equal(await card.read.lastResidentNumber(), 3n);
        });

        it("never reuses the number of a revoked card", async () => {
          const { card } = await networkHelpers.loadFixture(withResident);
          await card.write.mint([recipient.account.address, firstDigest], asMinter);
          await card.write.revoke([2n, 1]);
          await card.write.mint([other.account.address, firstDigest], asMinter);
          assert.equal(await cardOf(publicClient, card, other.account.address), 3n);
          // The wallet of the revoked card may be issued a new one, again with a new number.
          await card.write.mint([recipient.account.address, firstDigest], asMinter);
          assert.equal(await cardOf(publicClient, card, recipient.account.address), 4n);
        });

        it("reverts for the zero address", async () => {
          const { card } = await networkHelpers.loadFixture(empty);
          await viem.assertions.revertWithCustomErrorWithArgs(card.write.mint([zeroAddress, firstDigest], asMinter), card, "ERC721InvalidReceiver", [zeroAddress]);
        });

        it("reverts for a zero digest", async () => {
          const { card } = await networkHelpers.loadFixture(empty);
          await viem.assertions.revertWithCustomErrorWithArgs(card.write.mint([holder.account.address, ZERO_DIGEST], asMinter), card, "MissingMetadataDigest", []);
        });

        it("reverts for a wallet that already holds a card", async () => {
          const { card } = await networkHelpers.loadFixture(withResident);
          await viem.assertions.revertWithCustomErrorWithArgs(
            card.write.mint([holder.account.address, firstDigest], asMinter),
            card,
            "WalletAlreadyHoldsCard",
            [holder.account.address],
          );
        });

        for (const [label, key] of [["another wallet", other], ["the admin", town], ["the organizer", organizer]]) {
          it(`reverts without MINTER_ROLE, for ${label}`, async () => {
            const { card } = await networkHelpers.loadFixture(withResident);
            await viem.assertions.revertWithCustomErrorWithArgs(
              card.write.mint([recipient.account.address, firstDigest], { account: key.account }),
              card,
              "AccessControlUnauthorizedAccount",
              [key.account.address, MINTER_ROLE],
            );
          });
        }

        it("works for a newly granted minter and stops when the role is revoked", async () => {
          const { card } = await networkHelpers.loadFixture(withResident);
          await card.write.grantRole([MINTER_ROLE, other.account.address]);
          await card.write.mint([recipient.account.address, firstDigest], { account: other.account });
          assert.equal(await cardOf(publicClient, card, recipient.account.address), 2n);
          await card.write.revokeRole([MINTER_ROLE, other.account.address]);
          await viem.assertions.revertWithCustomErrorWithArgs(
            card.write.mint([recipient.account.address, firstDigest], { account: other.account }),
            card,
            "AccessControlUnauthorizedAccount",
            [other.account.address, MINTER_ROLE],
          );
        });
      });

      describe("mintBatch", () => {
        it("issues consecutive numbers after the existing cards", async () => {
          const { card } = await networkHelpers.loadFixture(withResident);
          const wallets = newWallets(3, "batch");
          const batchDigests = digests(3, "batch");
          const hash = card.write.mintBatch([wallets, batchDigests], asMinter);
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
            assert.equal(await cardOf(publicClient, card, wallet), number);
            assert.equal(await card.read.tokenURI([number]), `ipfs://${rawCidFromDigest(Buffer.from(batchDigests[i].slice(2), "hex"))}`);
          }
        });

        it("mints a batch of 100 into an empty collection", async () => {
          const { card } = await networkHelpers.loadFixture(empty);
          const wallets = newWallets(100, "hundred");
          await card.write.mintBatch([wallets, digests(100, "hundred")], asMinter);
          assert.equal(await card.read.lastResidentNumber(), 100n);
          assert.equal(await cardOf(publicClient, card, wallets[0]), 1n);
          assert.equal(await cardOf(publicClient, card, wallets[99]), 100n);
        });

        it("reverts when the arrays differ in length", async () => {
          const { card } = await networkHelpers.loadFixture(empty);
          await viem.assertions.revertWithCustomErrorWithArgs(
            card.write.mintBatch([newWallets(2), digests(1)], asMinter),
            card,
            "MintBatchLengthMismatch",
            [2n, 1n],
          );
        });

        it("reverts for an empty batch", async () => {
          const { card } = await networkHelpers.loadFixture(empty);
          await viem.assertions.revertWithCustomErrorWithArgs(card.write.mintBatch([[], []], asMinter), card, "MintBatchEmpty", []);
        });

        it("reverts with the index of a zero address", async () => {
          const { card } = await networkHelpers.loadFixture(empty);
          const wallets = newWallets(3);
          wallets[1] = zeroAddress;
          await viem.assertions.revertWithCustomErrorWithArgs(card.write.mintBatch([wallets, digests(3)], asMinter), card, "MintBatchInvalidRecipient", [1n]);
        });

        it("reverts with the index of a zero digest", async () => {
          const { card } = await networkHelpers.loadFixture(empty);
          const batchDigests = digests(3);
          batchDigests[2] = ZERO_DIGEST;
          await viem.assertions.revertWithCustomErrorWithArgs(
            card.write.mintBatch([newWallets(3), batchDigests], asMinter),
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
            card.write.mintBatch([wallets, digests(3)], asMinter),
            card,
            "MintBatchRecipientHoldsCard",
            [1n, holder.account.address],
          );
        });

        it("reverts with both indexes of a duplicate recipient", async () => {
          const { card } = await networkHelpers.loadFixture(withResident);
          const wallets = newWallets(4);
          wallets[3] = wallets[1];
          await viem.assertions.revertWithCustomErrorWithArgs(
            card.write.mintBatch([wallets, digests(4)], asMinter),
            card,
            "MintBatchDuplicateRecipient",
            [3n, wallets[1], 1n],
          );
        });

        it("issues nothing when one entry is invalid", async () => {
          const { card } = await networkHelpers.loadFixture(withResident);
          const wallets = newWallets(3);
          wallets[2] = holder.account.address;
          await viem.assertions.revertWithCustomError(card.write.mintBatch([wallets, digests(3)], asMinter), card, "MintBatchRecipientHoldsCard");
          assert.equal(await card.read.lastResidentNumber(), 1n);
          assert.equal(await cardOf(publicClient, card, wallets[0]), 0n);
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

        it("reverts without MINTER_ROLE, even for the admin", async () => {
          const { card } = await networkHelpers.loadFixture(withResident);
          await viem.assertions.revertWithCustomErrorWithArgs(
            card.write.mintBatch([newWallets(2), digests(2)]),
            card,
            "AccessControlUnauthorizedAccount",
            [town.account.address, MINTER_ROLE],
          );
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
            await card.write.mint([holder.account.address, block.digest], asMinter);
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
            await card.write.mint([holder.account.address, digestHex], asMinter);
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
          await viem.assertions.emitWithArgs(card.write.updateMetadata([1n, redesign.digest], asMinter), card, "MetadataUpdate", [1n]);
          assert.equal(await card.read.tokenURI([1n]), redesign.uri);
          assert.equal(await card.read.metadataDigestOf([1n]), redesign.digest);
        });

        it("reverts for a card that does not exist", async () => {
          const { card } = await networkHelpers.loadFixture(withResident);
          await viem.assertions.revertWithCustomErrorWithArgs(card.write.updateMetadata([NONEXISTENT, firstDigest], asMinter), card, "ERC721NonexistentToken", [NONEXISTENT]);
        });

        it("reverts for a zero digest", async () => {
          const { card } = await networkHelpers.loadFixture(withResident);
          await viem.assertions.revertWithCustomErrorWithArgs(card.write.updateMetadata([1n, ZERO_DIGEST], asMinter), card, "MissingMetadataDigest", []);
        });

        for (const [label, key] of [["the admin", town], ["the organizer", organizer]]) {
          it(`reverts without MINTER_ROLE, even for ${label}`, async () => {
            const { card } = await networkHelpers.loadFixture(withResident);
            await viem.assertions.revertWithCustomErrorWithArgs(
              card.write.updateMetadata([1n, firstDigest], { account: key.account }),
              card,
              "AccessControlUnauthorizedAccount",
              [key.account.address, MINTER_ROLE],
            );
          });
        }
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
          assert.equal(await cardOf(publicClient, card, lost), 0n);
          assert.equal(await cardOf(publicClient, card, fresh), 1n);
          assert.equal(await card.read.balanceOf([lost]), 0n);
          assert.equal(await card.read.balanceOf([fresh]), 1n);
          assert.equal(await card.read.locked([1n]), soulbound);
          assert.equal(await card.read.tokenURI([1n]), metadataBlock(residentDocument(1)).uri);
        });

        it("lets the old wallet receive a new card afterwards", async () => {
          const { card } = await networkHelpers.loadFixture(withResident);
          await card.write.recover([1n, recipient.account.address]);
          await card.write.mint([holder.account.address, firstDigest], asMinter);
          assert.equal(await cardOf(publicClient, card, holder.account.address), 2n);
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
          await card.write.mint([recipient.account.address, firstDigest], asMinter);
          await viem.assertions.revertWithCustomErrorWithArgs(
            card.write.recover([1n, recipient.account.address]),
            card,
            "WalletAlreadyHoldsCard",
            [recipient.account.address],
          );
          await viem.assertions.revertWithCustomErrorWithArgs(
            card.write.recover([1n, holder.account.address]),
            card,
            "WalletAlreadyHoldsCard",
            [holder.account.address],
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
            assert.equal(await cardOf(publicClient, card, holder.account.address), 0n);
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

      describe("supportsInterface", () => {
        const supported = [
          ["ERC-165", "0x01ffc9a7"],
          ["ERC-721", "0x80ac58cd"],
          ["ERC-721 Metadata", "0x5b5e139f"],
          ["ERC-5192", "0xb45a3c0e"],
          ["ERC-4906", "0x49064906"],
          ["AccessControl", "0x7965db0b"],
          ["AccessControlDefaultAdminRules", interfaceId(DEFAULT_ADMIN_RULES_FUNCTIONS)],
        ];
        for (const [label, id] of supported) {
          it(`supports ${label} (${id}) for less than 30k gas`, async () => {
            const { card } = await networkHelpers.loadFixture(empty);
            assert.equal(await card.read.supportsInterface([id]), true);
            // OpenZeppelin's bound for interface queries (ERC-165 allows callers 30,000 gas).
            assert.ok((await card.estimateGas.supportsInterface([id])) <= 30_000n);
          });
        }

        for (const id of ["0xffffffff", "0x780e9d63", "0x00000000"]) {
          it(`does not claim ${id}, for less than 30k gas`, async () => {
            const { card } = await networkHelpers.loadFixture(empty);
            assert.equal(await card.read.supportsInterface([id]), false);
            assert.ok((await card.estimateGas.supportsInterface([id])) <= 30_000n);
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
      assert.equal(await card.read.isApprovedForAll([holder.account.address, recipient.account.address]), false);
    });

    it("let a wallet clear an operator, as 'revoke all approvals' tools do", async () => {
      const { card } = await networkHelpers.loadFixture(fixtures.soulboundCard);
      for (const wallet of [holder, other]) {
        await viem.assertions.emitWithArgs(
          card.write.setApprovalForAll([recipient.account.address, false], { account: wallet.account }),
          card,
          "ApprovalForAll",
          [wallet.account.address, recipient.account.address, false],
        );
      }
      await viem.assertions.revertWithCustomErrorWithArgs(
        card.write.setApprovalForAll([zeroAddress, false], { account: holder.account }),
        card,
        "ERC721InvalidOperator",
        [zeroAddress],
      );
    });

    it("let the holder clear the card's approval, but approve nobody", async () => {
      const { card } = await networkHelpers.loadFixture(fixtures.soulboundCard);
      await viem.assertions.emitWithArgs(
        card.write.approve([zeroAddress, 1n], { account: holder.account }),
        card,
        "Approval",
        [holder.account.address, zeroAddress, 1n],
      );
      assert.equal(await card.read.getApproved([1n]), zeroAddress);
      await viem.assertions.revertWithCustomErrorWithArgs(
        card.write.approve([zeroAddress, 1n], { account: other.account }),
        card,
        "ERC721InvalidApprover",
        [other.account.address],
      );
      await viem.assertions.revertWithCustomErrorWithArgs(
        card.write.approve([recipient.account.address, NONEXISTENT], { account: holder.account }),
        card,
        "ERC721NonexistentToken",
        [NONEXISTENT],
      );
    });

    it("can still be recovered by the admin, staying locked", async () => {
      const { card } = await networkHelpers.loadFixture(fixtures.soulboundCard);
      const hash = card.write.recover([1n, recipient.account.address]);
      const locks = await eventsIn(publicClient, card, hash, "Locked");
      assert.deepEqual(locks, [], "a recovery is not a new lock");
      assert.equal(await card.read.ownerOf([1n]), recipient.account.address);
      assert.equal(await card.read.locked([1n]), true);
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
      await card.write.mint([recipient.account.address, firstDigest], asMinter);
      await viem.assertions.revertWithCustomErrorWithArgs(
        card.write.transferFrom([holder.account.address, recipient.account.address, 1n], { account: holder.account }),
        card,
        "WalletAlreadyHoldsCard",
        [recipient.account.address],
      );
    });

    it("follow their holder in cardOf", async () => {
      const { card } = await networkHelpers.loadFixture(fixtures.transferableCard);
      await card.write.transferFrom([holder.account.address, recipient.account.address, 1n], { account: holder.account });
      assert.equal(await cardOf(publicClient, card, holder.account.address), 0n);
      assert.equal(await cardOf(publicClient, card, recipient.account.address), 1n);
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
