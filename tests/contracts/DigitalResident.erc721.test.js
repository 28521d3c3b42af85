// The ERC-721 behaviour suite against the transferable card, and against the OpenZeppelin
// reference so that the suite itself is checked on a known-good implementation.
import { describe } from "node:test";
import { createFixtures } from "./helpers/fixtures.js";
import { metadataBlock, residentDocument } from "./helpers/cid.js";
import { shouldBehaveLikeERC721 } from "./behaviours/erc721.behaviour.js";

describe("DigitalResident (transferable)", async () => {
  const { viem, networkHelpers, publicClient, accounts, fixtures } = await createFixtures();

  shouldBehaveLikeERC721(async () => {
    const { card } = await networkHelpers.loadFixture(fixtures.transferableCard);
    return { viem, publicClient, card, tokenId: 1n, accounts };
  });
});

describe("ReferenceResidentCard (OpenZeppelin ERC721URIStorage)", async () => {
  const { viem, networkHelpers, publicClient, accounts } = await createFixtures();

  async function referenceWithResident() {
    const card = await viem.deployContract("ReferenceResidentCard", ["Reference", "REF", accounts.town.account.address]);
    await card.write.mint([accounts.holder.account.address, metadataBlock(residentDocument(1)).uri]);
    return { card };
  }

  shouldBehaveLikeERC721(async () => {
    const { card } = await networkHelpers.loadFixture(referenceWithResident);
    return { viem, publicClient, card, tokenId: 1n, accounts };
  });
});
