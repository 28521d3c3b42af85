// The ERC-721 behaviour every transferable card contract must show, in the spirit of
// OpenZeppelin's `shouldBehaveLikeERC721`: balances, ownership, transfers (plain and safe, by
// the holder, an approved address and an operator), approvals, operators and receiver checks.
// Adapted to one card per wallet: recipients are always wallets without a card.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { getAddress, parseEventLogs, zeroAddress } from "viem";

const RECEIVER_MAGIC_VALUE = "0x150b7a02";
const RevertType = { None: 0, RevertWithoutMessage: 1, RevertWithMessage: 2, RevertWithCustomError: 3, Panic: 4 };
const NONEXISTENT = 9999n;

/**
 * @param {() => Promise<{viem, publicClient, card, tokenId: bigint, accounts}>} loadContext
 *   returns a fresh contract where `accounts.holder` holds `tokenId` and `accounts.recipient`,
 *   `approved`, `operator` and `other` hold nothing.
 */
export function shouldBehaveLikeERC721(loadContext) {
  describe("ERC-721 behaviour", () => {
    describe("balanceOf", () => {
      it("counts the card of a holder", async () => {
        const { card, accounts } = await loadContext();
        assert.equal(await card.read.balanceOf([accounts.holder.account.address]), 1n);
      });

      it("returns zero for a wallet without cards", async () => {
        const { card, accounts } = await loadContext();
        assert.equal(await card.read.balanceOf([accounts.other.account.address]), 0n);
      });

      it("reverts for the zero address", async () => {
        const { viem, card } = await loadContext();
        await viem.assertions.revertWithCustomErrorWithArgs(card.read.balanceOf([zeroAddress]), card, "ERC721InvalidOwner", [zeroAddress]);
      });
    });

    describe("ownerOf", () => {
      it("returns the holder", async () => {
        const { card, tokenId, accounts } = await loadContext();
        assert.equal(await card.read.ownerOf([tokenId]), accounts.holder.account.address);
      });

      it("reverts for a token that does not exist", async () => {
        const { viem, card } = await loadContext();
        await viem.assertions.revertWithCustomErrorWithArgs(card.read.ownerOf([NONEXISTENT]), card, "ERC721NonexistentToken", [NONEXISTENT]);
      });
    });

    const transferFunctions = [
      ["transferFrom", (card, from, to, id, account) => card.write.transferFrom([from, to, id], { account })],
      [
        "safeTransferFrom",
        (card, from, to, id, account) => card.write.safeTransferFrom([from, to, id], { account }),
      ],
      [
        "safeTransferFrom with data",
        (card, from, to, id, account) => card.write.safeTransferFrom([from, to, id, "0x42"], { account }),
      ],
    ];

    // Every transfer function, to a wallet; the safe ones also to a receiver contract, through
    // the same block of cases (as OpenZeppelin's suite runs `shouldTransferTokensByUsers`).
    const transferTargets = [
      ...transferFunctions.map(([label, transfer]) => [label, transfer, "wallet"]),
      ...transferFunctions.filter(([label]) => label.startsWith("safe")).map(([label, transfer]) => [`${label} to a receiver contract`, transfer, "receiver"]),
    ];

    for (const [label, transfer, target] of transferTargets) {
      describe(label, () => {
        /** The recipient of this block: a fresh wallet, or a receiver contract that accepts cards. */
        async function recipientIn(context) {
          if (target === "wallet") return context.accounts.recipient.account.address;
          const receiver = await context.viem.deployContract("ERC721ReceiverMock", [RECEIVER_MAGIC_VALUE, RevertType.None]);
          return getAddress(receiver.address);
        }

        /** A context where `approved` is approved for the token and `operator` for all. */
        async function loadApprovedContext() {
          const context = await loadContext();
          const { card, tokenId, accounts } = context;
          await card.write.approve([accounts.approved.account.address, tokenId], { account: accounts.holder.account });
          await card.write.setApprovalForAll([accounts.operator.account.address, true], { account: accounts.holder.account });
          return { ...context, to: await recipientIn(context) };
        }

        for (const caller of ["holder", "approved", "operator"]) {
          it(`lets the ${caller} transfer, clears the approval and moves the balance`, async () => {
            const { viem, card, tokenId, accounts, to } = await loadApprovedContext();
            const from = accounts.holder.account.address;
            await viem.assertions.emitWithArgs(transfer(card, from, to, tokenId, accounts[caller].account), card, "Transfer", [from, to, tokenId]);
            assert.equal(await card.read.ownerOf([tokenId]), to);
            assert.equal(await card.read.getApproved([tokenId]), zeroAddress);
            assert.equal(await card.read.balanceOf([from]), 0n);
            assert.equal(await card.read.balanceOf([to]), 1n);
          });
        }

        it("clears the approval without an Approval event", async () => {
          const { publicClient, card, tokenId, accounts, to } = await loadApprovedContext();
          const hash = await transfer(card, accounts.holder.account.address, to, tokenId, accounts.holder.account);
          const receipt = await publicClient.waitForTransactionReceipt({ hash });
          const approvals = parseEventLogs({ abi: card.abi, logs: receipt.logs, eventName: "Approval" });
          assert.deepEqual(approvals, []);
          assert.equal(await card.read.getApproved([tokenId]), zeroAddress);
        });

        it("lets an approved address transfer when no operator is set", async () => {
          const context = await loadContext();
          const { viem, card, tokenId, accounts } = context;
          const to = await recipientIn(context);
          await card.write.approve([accounts.approved.account.address, tokenId], { account: accounts.holder.account });
          await viem.assertions.emit(transfer(card, accounts.holder.account.address, to, tokenId, accounts.approved.account), card, "Transfer");
        });

        if (target === "wallet") {
          it("keeps the card when the holder sends it to itself, clearing the approval", async () => {
            const { viem, card, tokenId, accounts } = await loadApprovedContext();
            const self = accounts.holder.account.address;
            await viem.assertions.emitWithArgs(transfer(card, self, self, tokenId, accounts.holder.account), card, "Transfer", [self, self, tokenId]);
            assert.equal(await card.read.ownerOf([tokenId]), self);
            assert.equal(await card.read.getApproved([tokenId]), zeroAddress);
            assert.equal(await card.read.balanceOf([self]), 1n);
          });

          it("reverts when sending to the zero address", async () => {
            const { viem, card, tokenId, accounts } = await loadApprovedContext();
            await viem.assertions.revertWithCustomErrorWithArgs(
              transfer(card, accounts.holder.account.address, zeroAddress, tokenId, accounts.holder.account),
              card,
              "ERC721InvalidReceiver",
              [zeroAddress],
            );
          });
        }

        it("reverts when `from` is not the holder", async () => {
          const { viem, card, tokenId, accounts, to } = await loadApprovedContext();
          const wrongFrom = accounts.other.account.address;
          await viem.assertions.revertWithCustomErrorWithArgs(
            transfer(card, wrongFrom, to, tokenId, accounts.holder.account),
            card,
            "ERC721IncorrectOwner",
            [wrongFrom, tokenId, accounts.holder.account.address],
          );
        });

        it("reverts when the caller is neither holder, approved nor operator", async () => {
          const { viem, card, tokenId, accounts, to } = await loadApprovedContext();
          await viem.assertions.revertWithCustomErrorWithArgs(
            transfer(card, accounts.holder.account.address, to, tokenId, accounts.other.account),
            card,
            "ERC721InsufficientApproval",
            [accounts.other.account.address, tokenId],
          );
        });

        it("reverts for a token that does not exist", async () => {
          const { viem, card, accounts, to } = await loadApprovedContext();
          await viem.assertions.revertWithCustomErrorWithArgs(
            transfer(card, accounts.holder.account.address, to, NONEXISTENT, accounts.holder.account),
            card,
            "ERC721NonexistentToken",
            [NONEXISTENT],
          );
        });
      });
    }

    describe("safeTransferFrom to a contract", () => {
      const safeVariants = [
        ["without data", "0x", (card, from, to, id, account) => card.write.safeTransferFrom([from, to, id], { account })],
        ["with data", "0x42", (card, from, to, id, account) => card.write.safeTransferFrom([from, to, id, "0x42"], { account })],
      ];

      for (const [label, data, safeTransfer] of safeVariants) {
        it(`calls onERC721Received ${label} on a receiver`, async () => {
          const { viem, card, tokenId, accounts } = await loadContext();
          const receiver = await viem.deployContract("ERC721ReceiverMock", [RECEIVER_MAGIC_VALUE, RevertType.None]);
          const from = accounts.holder.account.address;
          await viem.assertions.emitWithArgs(
            safeTransfer(card, from, receiver.address, tokenId, accounts.holder.account),
            receiver,
            "Received",
            [from, from, tokenId, data],
          );
          assert.equal(await card.read.ownerOf([tokenId]), getAddress(receiver.address));
        });

        it(`passes the approved caller as operator ${label}`, async () => {
          const { viem, card, tokenId, accounts } = await loadContext();
          const receiver = await viem.deployContract("ERC721ReceiverMock", [RECEIVER_MAGIC_VALUE, RevertType.None]);
          const from = accounts.holder.account.address;
          await card.write.approve([accounts.approved.account.address, tokenId], { account: accounts.holder.account });
          await viem.assertions.emitWithArgs(
            safeTransfer(card, from, receiver.address, tokenId, accounts.approved.account),
            receiver,
            "Received",
            [accounts.approved.account.address, from, tokenId, data],
          );
        });
      }

      it("reverts when the receiver returns an unexpected value", async () => {
        const { viem, card, tokenId, accounts } = await loadContext();
        const receiver = await viem.deployContract("ERC721ReceiverMock", ["0x42424242", RevertType.None]);
        await viem.assertions.revertWithCustomErrorWithArgs(
          card.write.safeTransferFrom([accounts.holder.account.address, receiver.address, tokenId], { account: accounts.holder.account }),
          card,
          "ERC721InvalidReceiver",
          [receiver.address],
        );
      });

      it("bubbles up a receiver's revert message", async () => {
        const { viem, card, tokenId, accounts } = await loadContext();
        const receiver = await viem.deployContract("ERC721ReceiverMock", [RECEIVER_MAGIC_VALUE, RevertType.RevertWithMessage]);
        await viem.assertions.revertWith(
          card.write.safeTransferFrom([accounts.holder.account.address, receiver.address, tokenId], { account: accounts.holder.account }),
          "ERC721ReceiverMock: reverting",
        );
      });

      it("reverts with ERC721InvalidReceiver when the receiver reverts without a message", async () => {
        const { viem, card, tokenId, accounts } = await loadContext();
        const receiver = await viem.deployContract("ERC721ReceiverMock", [RECEIVER_MAGIC_VALUE, RevertType.RevertWithoutMessage]);
        await viem.assertions.revertWithCustomErrorWithArgs(
          card.write.safeTransferFrom([accounts.holder.account.address, receiver.address, tokenId], { account: accounts.holder.account }),
          card,
          "ERC721InvalidReceiver",
          [receiver.address],
        );
      });

      it("bubbles up a receiver's custom error", async () => {
        const { viem, card, tokenId, accounts } = await loadContext();
        const receiver = await viem.deployContract("ERC721ReceiverMock", [RECEIVER_MAGIC_VALUE, RevertType.RevertWithCustomError]);
        await viem.assertions.revertWithCustomErrorWithArgs(
          card.write.safeTransferFrom([accounts.holder.account.address, receiver.address, tokenId], { account: accounts.holder.account }),
          receiver,
          "CustomError",
          [RECEIVER_MAGIC_VALUE],
        );
      });

      it("reverts when the receiver panics", async () => {
        const { viem, card, tokenId, accounts } = await loadContext();
        const receiver = await viem.deployContract("ERC721ReceiverMock", [RECEIVER_MAGIC_VALUE, RevertType.Panic]);
        await viem.assertions.revert(
          card.write.safeTransferFrom([accounts.holder.account.address, receiver.address, tokenId], { account: accounts.holder.account }),
        );
        assert.equal(await card.read.ownerOf([tokenId]), accounts.holder.account.address);
      });

      it("reverts for a contract that does not implement the receiver interface", async () => {
        const { viem, card, tokenId, accounts } = await loadContext();
        const nonReceiver = await viem.deployContract("NonERC721ReceiverMock");
        await viem.assertions.revertWithCustomErrorWithArgs(
          card.write.safeTransferFrom([accounts.holder.account.address, nonReceiver.address, tokenId], { account: accounts.holder.account }),
          card,
          "ERC721InvalidReceiver",
          [nonReceiver.address],
        );
      });

      it("lets plain transferFrom reach such a contract without a check", async () => {
        const { card, tokenId, accounts, viem } = await loadContext();
        const nonReceiver = await viem.deployContract("NonERC721ReceiverMock");
        await card.write.transferFrom([accounts.holder.account.address, nonReceiver.address, tokenId], { account: accounts.holder.account });
        assert.equal(await card.read.ownerOf([tokenId]), getAddress(nonReceiver.address));
      });
    });

    describe("approve", () => {
      it("sets, reads and emits the approval", async () => {
        const { viem, card, tokenId, accounts } = await loadContext();
        const holder = accounts.holder.account.address;
        const approved = accounts.approved.account.address;
        await viem.assertions.emitWithArgs(card.write.approve([approved, tokenId], { account: accounts.holder.account }), card, "Approval", [holder, approved, tokenId]);
        assert.equal(await card.read.getApproved([tokenId]), approved);
      });

      it("emits Approval again when the same address is approved twice", async () => {
        const { viem, card, tokenId, accounts } = await loadContext();
        const holder = accounts.holder.account.address;
        const approved = accounts.approved.account.address;
        await card.write.approve([approved, tokenId], { account: accounts.holder.account });
        await viem.assertions.emitWithArgs(card.write.approve([approved, tokenId], { account: accounts.holder.account }), card, "Approval", [holder, approved, tokenId]);
        assert.equal(await card.read.getApproved([tokenId]), approved);
      });

      it("emits Approval when clearing an approval that was never set", async () => {
        const { viem, card, tokenId, accounts } = await loadContext();
        const holder = accounts.holder.account.address;
        await viem.assertions.emitWithArgs(card.write.approve([zeroAddress, tokenId], { account: accounts.holder.account }), card, "Approval", [holder, zeroAddress, tokenId]);
        assert.equal(await card.read.getApproved([tokenId]), zeroAddress);
      });

      it("replaces an earlier approval", async () => {
        const { card, tokenId, accounts } = await loadContext();
        await card.write.approve([accounts.approved.account.address, tokenId], { account: accounts.holder.account });
        await card.write.approve([accounts.other.account.address, tokenId], { account: accounts.holder.account });
        assert.equal(await card.read.getApproved([tokenId]), accounts.other.account.address);
      });

      it("clears the approval when approving the zero address", async () => {
        const { viem, card, tokenId, accounts } = await loadContext();
        await card.write.approve([accounts.approved.account.address, tokenId], { account: accounts.holder.account });
        await viem.assertions.emitWithArgs(
          card.write.approve([zeroAddress, tokenId], { account: accounts.holder.account }),
          card,
          "Approval",
          [accounts.holder.account.address, zeroAddress, tokenId],
        );
        assert.equal(await card.read.getApproved([tokenId]), zeroAddress);
      });

      it("lets an operator approve on the holder's behalf", async () => {
        const { viem, card, tokenId, accounts } = await loadContext();
        await card.write.setApprovalForAll([accounts.operator.account.address, true], { account: accounts.holder.account });
        await viem.assertions.emitWithArgs(
          card.write.approve([accounts.approved.account.address, tokenId], { account: accounts.operator.account }),
          card,
          "Approval",
          [accounts.holder.account.address, accounts.approved.account.address, tokenId],
        );
      });

      it("reverts when the caller is neither holder nor operator", async () => {
        const { viem, card, tokenId, accounts } = await loadContext();
        await viem.assertions.revertWithCustomErrorWithArgs(
          card.write.approve([accounts.approved.account.address, tokenId], { account: accounts.other.account }),
          card,
          "ERC721InvalidApprover",
          [accounts.other.account.address],
        );
      });

      it("reverts when an approved address tries to approve another", async () => {
        const { viem, card, tokenId, accounts } = await loadContext();
        await card.write.approve([accounts.approved.account.address, tokenId], { account: accounts.holder.account });
        await viem.assertions.revertWithCustomErrorWithArgs(
          card.write.approve([accounts.other.account.address, tokenId], { account: accounts.approved.account }),
          card,
          "ERC721InvalidApprover",
          [accounts.approved.account.address],
        );
      });

      it("reverts for a token that does not exist", async () => {
        const { viem, card, accounts } = await loadContext();
        await viem.assertions.revertWithCustomErrorWithArgs(
          card.write.approve([accounts.approved.account.address, NONEXISTENT], { account: accounts.holder.account }),
          card,
          "ERC721NonexistentToken",
          [NONEXISTENT],
        );
      });
    });

    describe("getApproved", () => {
      it("is the zero address when nothing was approved", async () => {
        const { card, tokenId } = await loadContext();
        assert.equal(await card.read.getApproved([tokenId]), zeroAddress);
      });

      it("reverts for a token that does not exist", async () => {
        const { viem, card } = await loadContext();
        await viem.assertions.revertWithCustomErrorWithArgs(card.read.getApproved([NONEXISTENT]), card, "ERC721NonexistentToken", [NONEXISTENT]);
      });
    });

    describe("setApprovalForAll", () => {
      it("approves and emits ApprovalForAll", async () => {
        const { viem, card, accounts } = await loadContext();
        const holder = accounts.holder.account.address;
        const operator = accounts.operator.account.address;
        await viem.assertions.emitWithArgs(
          card.write.setApprovalForAll([operator, true], { account: accounts.holder.account }),
          card,
          "ApprovalForAll",
          [holder, operator, true],
        );
        assert.equal(await card.read.isApprovedForAll([holder, operator]), true);
      });

      it("can be set twice, emitting ApprovalForAll each time, and then withdrawn", async () => {
        const { viem, card, accounts } = await loadContext();
        const holder = accounts.holder.account.address;
        const operator = accounts.operator.account.address;
        for (let time = 0; time < 2; time++) {
          await viem.assertions.emitWithArgs(card.write.setApprovalForAll([operator, true], { account: accounts.holder.account }), card, "ApprovalForAll", [holder, operator, true]);
        }
        assert.equal(await card.read.isApprovedForAll([holder, operator]), true);
        await viem.assertions.emitWithArgs(
          card.write.setApprovalForAll([operator, false], { account: accounts.holder.account }),
          card,
          "ApprovalForAll",
          [holder, operator, false],
        );
        assert.equal(await card.read.isApprovedForAll([holder, operator]), false);
      });

      it("emits ApprovalForAll when withdrawing an operator that was never set", async () => {
        const { viem, card, accounts } = await loadContext();
        const holder = accounts.holder.account.address;
        const operator = accounts.operator.account.address;
        await viem.assertions.emitWithArgs(card.write.setApprovalForAll([operator, false], { account: accounts.holder.account }), card, "ApprovalForAll", [holder, operator, false]);
        assert.equal(await card.read.isApprovedForAll([holder, operator]), false);
      });

      it("keeps the operators of one wallet apart from another's", async () => {
        const { card, accounts } = await loadContext();
        await card.write.setApprovalForAll([accounts.operator.account.address, true], { account: accounts.holder.account });
        assert.equal(await card.read.isApprovedForAll([accounts.other.account.address, accounts.operator.account.address]), false);
      });

      it("reverts for the zero address as operator", async () => {
        const { viem, card, accounts } = await loadContext();
        await viem.assertions.revertWithCustomErrorWithArgs(
          card.write.setApprovalForAll([zeroAddress, true], { account: accounts.holder.account }),
          card,
          "ERC721InvalidOperator",
          [zeroAddress],
        );
      });

      it("lets a withdrawn operator no longer transfer", async () => {
        const { viem, card, tokenId, accounts } = await loadContext();
        const operator = accounts.operator.account.address;
        await card.write.setApprovalForAll([operator, true], { account: accounts.holder.account });
        await card.write.setApprovalForAll([operator, false], { account: accounts.holder.account });
        await viem.assertions.revertWithCustomErrorWithArgs(
          card.write.transferFrom([accounts.holder.account.address, accounts.recipient.account.address, tokenId], { account: accounts.operator.account }),
          card,
          "ERC721InsufficientApproval",
          [operator, tokenId],
        );
      });
    });

    describe("metadata", () => {
      it("reverts tokenURI for a token that does not exist", async () => {
        const { viem, card } = await loadContext();
        await viem.assertions.revertWithCustomErrorWithArgs(card.read.tokenURI([NONEXISTENT]), card, "ERC721NonexistentToken", [NONEXISTENT]);
      });
    });
  });
}
