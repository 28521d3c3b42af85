// The three anchors (attendance, lottery commitment, vote result): written once per key by the
// anchor key, read back as zeros when absent, and voided only by the admin.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { keccak256, toHex } from "viem";
import { DEFAULT_ADMIN_ROLE, ORGANIZER_ROLE, ZERO_KEY, createFixtures } from "./helpers/fixtures.js";

const key = (label) => keccak256(toHex(`record key ${label}`));
const root = (label) => keccak256(toHex(`root ${label}`));

describe("DigitalResident anchors", async () => {
  const { viem, networkHelpers, publicClient, accounts, fixtures } = await createFixtures();
  const { town, minter, organizer } = accounts;
  const asOrganizer = { account: organizer.account };

  async function blockOf(hash) {
    const receipt = await publicClient.waitForTransactionReceipt({ hash: await hash });
    return publicClient.getBlock({ blockNumber: receipt.blockNumber });
  }

  /** Each anchor: how to write it, read it, what the read returns, and its event. */
  const kinds = [
    {
      name: "attendance",
      write: (card, k, value) => card.write.anchorAttendance([k, value, 42], asOrganizer),
      read: (card, k) => card.read.attendanceRoot([k]),
      stored: (value, block) => [value, 42, block.timestamp],
      empty: [ZERO_KEY, 0, 0n],
      event: ["AttendanceAnchored", (k, value) => [k, value, 42]],
    },
    {
      name: "draw",
      write: async (card, k, value) => card.write.commitDraw([k, value, (await publicClient.getBlockNumber()) + 10n], asOrganizer),
      read: (card, k) => card.read.drawCommitment([k]),
      stored: (value, block) => [value, block.number + 9n, block.timestamp],
      empty: [ZERO_KEY, 0n, 0n],
      event: ["DrawCommitted", null],
    },
    {
      name: "vote",
      write: (card, k, value) => card.write.anchorVoteResult([k, value], asOrganizer),
      read: (card, k) => card.read.voteResult([k]),
      stored: (value, block) => [value, block.timestamp],
      empty: [ZERO_KEY, 0n],
      event: ["VoteResultAnchored", (k, value) => [k, value]],
    },
  ];

  for (const kind of kinds) {
    describe(kind.name, () => {
      it("is stored once under its key, with the block's time, and emits its event", async () => {
        const { card } = await networkHelpers.loadFixture(fixtures.soulboundCard);
        const hash = kind.write(card, key(1), root(1));
        if (kind.event[1]) await viem.assertions.emitWithArgs(hash, card, kind.event[0], kind.event[1](key(1), root(1)));
        const block = await blockOf(hash);
        assert.deepEqual(await kind.read(card, key(1)), kind.stored(root(1), block));
        assert.deepEqual(await kind.read(card, key(2)), kind.empty, "other keys stay empty");
      });

      it("cannot be written twice under one key, keeping the first", async () => {
        const { card } = await networkHelpers.loadFixture(fixtures.soulboundCard);
        const block = await blockOf(kind.write(card, key(1), root(1)));
        await viem.assertions.revertWithCustomErrorWithArgs(kind.write(card, key(1), root(2)), card, "AnchorKeyUsed", [key(1)]);
        assert.deepEqual(await kind.read(card, key(1)), kind.stored(root(1), block));
      });

      it("cannot take a key another kind of record holds", async () => {
        const { card } = await networkHelpers.loadFixture(fixtures.soulboundCard);
        const other = kinds.find((k) => k !== kind);
        await other.write(card, key(1), root(1));
        await viem.assertions.revertWithCustomErrorWithArgs(kind.write(card, key(1), root(2)), card, "AnchorKeyUsed", [key(1)]);
        assert.deepEqual(await kind.read(card, key(1)), kind.empty, "a record of another kind is not read as this one");
      });

      for (const [label, account] of [["the admin", town], ["the minter", minter]]) {
        it(`needs ORGANIZER_ROLE, refused to ${label}`, async () => {
          const { card } = await networkHelpers.loadFixture(fixtures.soulboundCard);
          const fn = { attendance: "anchorAttendance", draw: "commitDraw", vote: "anchorVoteResult" }[kind.name];
          const args = { attendance: [key(2), root(1), 42], draw: [key(2), root(1), 10n ** 9n], vote: [key(2), root(1)] }[kind.name];
          await viem.assertions.revertWithCustomErrorWithArgs(
            card.write[fn](args, { account: account.account }),
            card,
            "AccessControlUnauthorizedAccount",
            [account.account.address, ORGANIZER_ROLE],
          );
        });
      }

      it("is voided by the admin: it reads as absent and its key stays used", async () => {
        const { card } = await networkHelpers.loadFixture(fixtures.soulboundCard);
        await kind.write(card, key(1), root(1));
        await viem.assertions.emitWithArgs(card.write.voidAnchor([key(1)]), card, "AnchorVoided", [key(1)]);
        assert.deepEqual(await kind.read(card, key(1)), kind.empty);
        await viem.assertions.revertWithCustomErrorWithArgs(kind.write(card, key(1), root(1)), card, "AnchorKeyVoided", [key(1)]);
        await viem.assertions.revertWithCustomErrorWithArgs(card.write.voidAnchor([key(1)]), card, "AnchorKeyVoided", [key(1)]);
        // The way out: the same record anchored again under a new key.
        const block = await blockOf(kind.write(card, key(2), root(1)));
        assert.deepEqual(await kind.read(card, key(2)), kind.stored(root(1), block));
      });
    });
  }

  describe("invalid records", () => {
    it("refuse a zero key, root or attendee count", async () => {
      const { card } = await networkHelpers.loadFixture(fixtures.soulboundCard);
      for (const args of [
        [ZERO_KEY, root(1), 42],
        [key(1), ZERO_KEY, 42],
        [key(1), root(1), 0],
      ]) {
        await viem.assertions.revertWithCustomErrorWithArgs(card.write.anchorAttendance(args, asOrganizer), card, "InvalidAttendanceAnchor", args);
      }
      for (const args of [
        [ZERO_KEY, root(1)],
        [key(1), ZERO_KEY],
      ]) {
        await viem.assertions.revertWithCustomErrorWithArgs(card.write.anchorVoteResult(args, asOrganizer), card, "InvalidVoteResult", args);
      }
    });

    it("refuse a draw block that already exists or is the block being mined", async () => {
      const { card } = await networkHelpers.loadFixture(fixtures.soulboundCard);
      const next = (await publicClient.getBlockNumber()) + 1n; // the block this transaction lands in
      for (const drawBlock of [0n, next - 1n, next]) {
        await viem.assertions.revertWithCustomErrorWithArgs(
          card.write.commitDraw([key(1), root(1), drawBlock], asOrganizer),
          card,
          "InvalidDrawCommitment",
          [key(1), root(1), drawBlock],
        );
      }
      await viem.assertions.revertWithCustomErrorWithArgs(
        card.write.commitDraw([ZERO_KEY, root(1), next + 5n], asOrganizer),
        card,
        "InvalidDrawCommitment",
        [ZERO_KEY, root(1), next + 5n],
      );
      await card.write.commitDraw([key(1), root(1), next + 1n], asOrganizer);
    });
  });

  describe("voidAnchor", () => {
    it("needs DEFAULT_ADMIN_ROLE, even for the organizer who anchored", async () => {
      const { card } = await networkHelpers.loadFixture(fixtures.soulboundCard);
      await card.write.anchorAttendance([key(1), root(1), 3], asOrganizer);
      await viem.assertions.revertWithCustomErrorWithArgs(
        card.write.voidAnchor([key(1)], asOrganizer),
        card,
        "AccessControlUnauthorizedAccount",
        [organizer.account.address, DEFAULT_ADMIN_ROLE],
      );
    });

    it("refuses a key with nothing anchored", async () => {
      const { card } = await networkHelpers.loadFixture(fixtures.soulboundCard);
      await viem.assertions.revertWithCustomErrorWithArgs(card.write.voidAnchor([key(9)]), card, "NothingAnchored", [key(9)]);
    });
  });
});
