// Deployments shared by the contract tests. Each suite calls `createFixtures()` once per file
// with its own network connection and then `loadFixture`s what it needs.
import { network } from "hardhat";
import { getAddress, keccak256, parseEventLogs, toHex, zeroAddress } from "viem";
import { metadataBlock, residentDocument } from "./cid.js";

export const NAME = "Nishikawa Digital Resident";
export const SYMBOL = "NDR";
export const CONTRACT_URI = "ipfs://bafkreicollectionmetadata";
export const DEFAULT_ADMIN_ROLE = `0x${"00".repeat(32)}`;
export const MINTER_ROLE = keccak256(toHex("MINTER_ROLE"));
export const ORGANIZER_ROLE = keccak256(toHex("ORGANIZER_ROLE"));
export const ZERO_DIGEST = `0x${"00".repeat(32)}`;
export { zeroAddress };

export async function createFixtures() {
  const { viem, networkHelpers } = await network.create();
  const publicClient = await viem.getPublicClient();
  // Hardhat's wallet clients carry lower-case addresses; reads return checksummed ones.
  const wallets = (await viem.getWalletClients()).map((wallet) => ({
    account: { ...wallet.account, address: getAddress(wallet.account.address) },
  }));
  const [town, holder, recipient, approved, operator, other, minter, organizer] = wallets;
  const accounts = { town, holder, recipient, approved, operator, other, minter, organizer };

  const deployCard = (soulbound) =>
    viem.deployContract("DigitalResident", [NAME, SYMBOL, town.account.address, soulbound, CONTRACT_URI]);

  /** A card contract with card #1 held by `holder`, a second staff key for each role. */
  async function deployWithResident(soulbound) {
    const card = await deployCard(soulbound);
    await card.write.mint([holder.account.address, metadataBlock(residentDocument(1)).digest]);
    await card.write.grantRole([MINTER_ROLE, minter.account.address]);
    await card.write.grantRole([ORGANIZER_ROLE, organizer.account.address]);
    return { card };
  }

  async function soulboundCard() {
    return deployWithResident(true);
  }

  async function transferableCard() {
    return deployWithResident(false);
  }

  async function emptySoulboundCard() {
    return { card: await deployCard(true) };
  }

  async function emptyTransferableCard() {
    return { card: await deployCard(false) };
  }

  return {
    viem,
    networkHelpers,
    publicClient,
    accounts,
    fixtures: { soulboundCard, transferableCard, emptySoulboundCard, emptyTransferableCard },
  };
}

/** The decoded events named `eventName` that `card` emitted in transaction `hash`. */
export async function eventsIn(publicClient, card, hash, eventName) {
  const receipt = await publicClient.waitForTransactionReceipt({ hash: await hash });
  return parseEventLogs({ abi: card.abi, logs: receipt.logs, eventName }).filter(
    (log) => log.address.toLowerCase() === card.address.toLowerCase(),
  );
}
