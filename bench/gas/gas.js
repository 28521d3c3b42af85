// Gas of the resident card beside an OpenZeppelin ERC721URIStorage + AccessControl reference,
// measured in one run on one in-process chain (DESIGN.md section 8).
//
//   npx hardhat run bench/gas/gas.js       (Node 22 first on PATH)
//
// Writes bench/results/gas.json, prints a table, and exits non-zero if a budget fails.
// Every number is the `gasUsed` of a transaction receipt: intrinsic gas and calldata included,
// refunds deducted. Single operations are measured in steady state (the collection already
// has cards, so the resident-number counter is not written for the first time).
import { createHash } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import hre from "hardhat";
import { getAddress, keccak256, toHex } from "viem";
import { rawCidFromDigest } from "../../tests/contracts/helpers/cid.js";

const RESULTS_FILE = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "results", "gas.json");

const SINGLE_MINT_RATIO_LIMIT = 0.6;
const BATCH_RATIO_LIMIT = 0.53;
const BATCH_PER_TOKEN_LIMIT = 73_000;
const BATCH_SIZES = [10, 100];

// ---------------------------------------------------------------------------------------------
// Metadata and CIDs, computed the way minting/ does it: the metadata JSON is one raw block.

function residentMetadata(residentNumber) {
  const json = JSON.stringify({
    name: `西川町デジタル住民票 #${residentNumber}`,
    description: "Nishikawa-machi digital resident card",
    image: "ipfs://bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi",
    attributes: [{ trait_type: "resident_number", value: residentNumber }],
  });
  const digest = createHash("sha256").update(json, "utf8").digest();
  const cid = rawCidFromDigest(digest);
  return { digest: toHex(digest), uri: `ipfs://${cid}` };
}

/** A fresh wallet address that has never held anything, distinct for every `n`. */
function freshWallet(n) {
  return getAddress(`0x${keccak256(toHex(`nishikawa-bench-wallet-${n}`)).slice(26)}`);
}

// ---------------------------------------------------------------------------------------------
// Measuring.

async function main() {
  const { viem } = await hre.network.create();
  const publicClient = await viem.getPublicClient();
  const [town, resident] = await viem.getWalletClients();
  const admin = town.account.address;

  let walletCounter = 0;
  const nextWallet = () => freshWallet(walletCounter++);
  let metadataCounter = 0;
  const nextMetadata = () => residentMetadata(++metadataCounter);

  async function gasOf(txHashPromise) {
    const receipt = await publicClient.waitForTransactionReceipt({ hash: await txHashPromise });
    if (receipt.status !== "success") throw new Error(`benchmark transaction reverted: ${receipt.transactionHash}`);
    return Number(receipt.gasUsed);
  }

  const deploy = {
    soulbound: () => viem.deployContract("DigitalResident", ["Nishikawa Digital Resident", "NDR", admin, true, "ipfs://collection"]),
    transferable: () => viem.deployContract("DigitalResident", ["Nishikawa Digital Resident", "NDR", admin, false, "ipfs://collection"]),
    reference: () => viem.deployContract("ReferenceResidentCard", ["Nishikawa Digital Resident", "NDR", admin]),
  };

  // One write per operation and contract kind, so both contracts do exactly the same thing.
  const ops = {
    mint: (card, kind, to, metadata) =>
      kind === "reference" ? card.write.mint([to, metadata.uri]) : card.write.mint([to, metadata.digest]),
    mintBatch: (card, kind, recipients, metadatas) =>
      kind === "reference"
        ? card.write.mintBatch([recipients, metadatas.map((m) => m.uri)])
        : card.write.mintBatch([recipients, metadatas.map((m) => m.digest)]),
    updateMetadata: (card, kind, tokenId, metadata) =>
      kind === "reference"
        ? card.write.updateTokenURI([tokenId, metadata.uri])
        : card.write.updateMetadata([tokenId, metadata.digest]),
    revoke: (card, kind, tokenId) =>
      kind === "reference" ? card.write.revoke([tokenId]) : card.write.revoke([tokenId, 1]),
  };

  async function measureKind(kind) {
    const card = await deploy[kind]();
    const gas = {};
    gas.firstMint = await gasOf(ops.mint(card, kind, nextWallet(), nextMetadata()));
    gas.mint = await gasOf(ops.mint(card, kind, nextWallet(), nextMetadata()));
    for (const size of BATCH_SIZES) {
      const recipients = Array.from({ length: size }, nextWallet);
      const metadatas = Array.from({ length: size }, nextMetadata);
      gas[`batch${size}`] = (await gasOf(ops.mintBatch(card, kind, recipients, metadatas))) / size;
    }

    // A card held by a wallet we can sign with, for the transfer.
    await gasOf(ops.mint(card, kind, resident.account.address, nextMetadata()));
    const residentCard = await lastTokenId(card, kind);
    if (kind !== "soulbound") {
      gas.transfer = await gasOf(
        card.write.transferFrom([resident.account.address, nextWallet(), residentCard], { account: resident.account }),
      );
    }
    gas.recover = await gasOf(card.write.recover([2n, nextWallet()]));
    gas.updateMetadata = await gasOf(ops.updateMetadata(card, kind, 3n, nextMetadata()));
    gas.revoke = await gasOf(ops.revoke(card, kind, 4n));
    if (kind !== "reference") {
      await gasOf(card.write.grantRole([await card.read.ORGANIZER_ROLE(), admin]));
      gas.anchor = await gasOf(card.write.anchorAttendance([1n, keccak256(toHex("attendance of event 1")), 42]));
    }
    return gas;
  }

  async function lastTokenId(card, kind) {
    return kind === "reference" ? card.read.lastTokenId() : card.read.lastResidentNumber();
  }

  const gas = {
    reference: await measureKind("reference"),
    soulbound: await measureKind("soulbound"),
    transferable: await measureKind("transferable"),
  };

  // -------------------------------------------------------------------------------------------
  // Report.

  const OPERATIONS = [
    ["firstMint", "first mint (counter 0 → 1)"],
    ["mint", "single mint"],
    ["batch10", "batch of 10, per token"],
    ["batch100", "batch of 100, per token"],
    ["transfer", "transfer"],
    ["recover", "recover (admin move)"],
    ["revoke", "revoke (burn)"],
    ["updateMetadata", "metadata update"],
    ["anchor", "anchor attendance"],
  ];
  const measurements = [];
  for (const [key, label] of OPERATIONS) {
    for (const variant of ["soulbound", "transferable"]) {
      const value = gas[variant][key];
      if (value === undefined) continue;
      const reference = gas.reference[key] ?? null;
      measurements.push({
        name: key,
        label,
        variant,
        gas: Math.round(value),
        reference: reference === null ? null : Math.round(reference),
        ratio: reference === null ? null : round(value / reference, 4),
        unit: "gas",
      });
    }
  }

  const budgets = [];
  for (const variant of ["soulbound", "transferable"]) {
    const ours = gas[variant];
    budgets.push(
      budget(`single mint / reference (${variant})`, ours.mint / gas.reference.mint, SINGLE_MINT_RATIO_LIMIT, "ratio"),
      budget(`batch of 100 per token / reference (${variant})`, ours.batch100 / gas.reference.batch100, BATCH_RATIO_LIMIT, "ratio"),
      budget(`batch of 100 per token (${variant})`, ours.batch100, BATCH_PER_TOKEN_LIMIT, "gas"),
    );
  }

  const result = {
    benchmark: "gas",
    machine: await machineInfo(),
    budgets,
    measurements,
  };
  mkdirSync(path.dirname(RESULTS_FILE), { recursive: true });
  writeFileSync(RESULTS_FILE, JSON.stringify(result, null, 2) + "\n");

  printTable(measurements, budgets);
  console.log(`\nwrote ${path.relative(process.cwd(), RESULTS_FILE)}`);
  if (budgets.some((b) => !b.ok)) {
    console.error("gas budget exceeded");
    process.exitCode = 1;
  }
}

function budget(name, value, limit, unit) {
  const rounded = unit === "ratio" ? round(value, 4) : Math.round(value);
  return { name, value: rounded, limit, unit, ok: value <= limit };
}

function round(x, digits) {
  return Number(x.toFixed(digits));
}

async function machineInfo() {
  const compiler = hre.config.solidity.profiles.default.compilers[0];
  const { createRequire } = await import("node:module");
  const require = createRequire(import.meta.url);
  return {
    node: process.version,
    hardhat: require("hardhat/package.json").version,
    openzeppelin: require("@openzeppelin/contracts/package.json").version,
    solc: compiler.version,
    evmVersion: compiler.settings.evmVersion,
    optimizerRuns: compiler.settings.optimizer.enabled ? compiler.settings.optimizer.runs : null,
    chain: "hardhat (EDR, in-process)",
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? null,
    memoryBytes: os.totalmem(),
    hostname: os.hostname(),
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    date: new Date().toISOString(),
  };
}

function printTable(measurements, budgets) {
  const rows = [["operation", "variant", "gas", "reference", "ratio"]];
  for (const m of measurements) {
    rows.push([m.label, m.variant, fmt(m.gas), m.reference === null ? "—" : fmt(m.reference), m.ratio === null ? "—" : m.ratio.toFixed(3)]);
  }
  printRows(rows, [false, false, true, true, true]);
  console.log("");
  const budgetRows = [["budget", "value", "limit", "ok"]];
  for (const b of budgets) {
    budgetRows.push([b.name, b.unit === "ratio" ? b.value.toFixed(3) : fmt(b.value), b.unit === "ratio" ? b.limit.toFixed(2) : fmt(b.limit), b.ok ? "ok" : "FAIL"]);
  }
  printRows(budgetRows, [false, true, true, false]);
}

function fmt(n) {
  return n.toLocaleString("en-US");
}

function printRows(rows, rightAligned) {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => [...r[i]].length)));
  const line = (r) => r.map((cell, i) => (rightAligned[i] ? cell.padStart(widths[i]) : cell.padEnd(widths[i]))).join("  ");
  console.log(line(rows[0]));
  console.log(widths.map((w) => "-".repeat(w)).join("  "));
  for (const r of rows.slice(1)) console.log(line(r));
}

await main();
