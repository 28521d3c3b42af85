import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { network } from "hardhat";

describe("DigitalResident", async () => {
  const { viem } = await network.create();
  const [town, resident] = await viem.getWalletClients();

  it("issues resident numbers from 1", async () => {
    const card = await viem.deployContract("DigitalResident", ["Nishikawa Digital Resident", "NDR", town.account.address, false, "ipfs://collection"]);
    await card.write.mint([resident.account.address, "0x" + "11".repeat(32)]);
    assert.equal((await card.read.ownerOf([1n])).toLowerCase(), resident.account.address.toLowerCase());
    assert.equal(await card.read.lastResidentNumber(), 1n);
  });
});
