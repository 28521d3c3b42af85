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
export const ZERO_KEY = ZERO_DIGEST;
/** Seconds an admin transfer waits between begin and accept in the fixtures. */
export const ADMIN_DELAY = 3n * 24n * 3600n;
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

  /** The town's three keys, one role each: `town` is the admin (and the default sender). */
  const deployCard = (soulbound) =>
    viem.deployContract("DigitalResident", [
      NAME,
      SYMBOL,
      town.account.address,
      ADMIN_DELAY,
      minter.account.address,
      organizer.account.address,
      soulbound,
      CONTRACT_URI,
    ]);

  /** A card contract with card #1 held by `holder`. */
  async function deployWithResident(soulbound) {
    const card = await deployCard(soulbound);
    await card.write.mint([holder.account.address, metadataBlock(residentDocument(1)).digest], { account: minter.account });
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
    deployCard,
    publicClient,
    accounts,
    fixtures: { soulboundCard, transferableCard, emptySoulboundCard, emptyTransferableCard },
  };
}

/**
 * The resident number of the card `wallet` holds, 0 if none, answered the way the off-chain code
 * does (the contract keeps no reverse mapping): the newest Transfer to `wallet` whose card it
 * still holds.
 */
export async function cardOf(publicClient, card, wallet) {
  if ((await card.read.balanceOf([wallet])) === 0n) return 0n;
  const transfers = await publicClient.getContractEvents({
    address: card.address,
    abi: card.abi,
    eventName: "Transfer",
    args: { to: wallet },
    fromBlock: 0n,
  });
  for (const log of transfers.reverse()) {
    if (getAddress(await card.read.ownerOf([log.args.tokenId])) === getAddress(wallet)) return log.args.tokenId;
  }
  throw new Error(`${wallet} has a balance but no Transfer brought it a card it still holds`);
}

/** The decoded events named `eventName` that `card` emitted in transaction `hash`. */
export async function eventsIn(publicClient, card, hash, eventName) {
  const receipt = await publicClient.waitForTransactionReceipt({ hash: await hash });
  return parseEventLogs({ abi: card.abi, logs: receipt.logs, eventName }).filter(
    (log) => log.address.toLowerCase() === card.address.toLowerCase(),
  );
}
