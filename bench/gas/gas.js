// Gas of the resident card beside three OpenZeppelin baselines, measured in one run on one
// in-process chain (DESIGN.md section 8):
//   reference     the textbook card: ERC721URIStorage storing the whole `ipfs://` URI, a counter
//                 write per card, no one-card rule (ReferenceResidentCard)
//   uriStorage    the fair URI-storage card: base URI `ipfs://`, only the CID string stored, the
//                 counter once per batch, one card per wallet (FairURIStorageCard)
//   digest        stock ERC721 + stored digest with the same rules (FairDigestCard): the floor
//                 that building on OpenZeppelin allows
// The fair baselines emit ERC-5192 `Locked` when deployed soulbound, as the card does.
// The same run measures a passkey resident's account (bench/gas/account.js): the factory's clone
// on this chain (P-256 precompile) and on a Prague chain (OpenZeppelin's Solidity verifier).
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
import { measurePasskeyAccount } from "./account.js";

const RESULTS_FILE = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "results", "gas.json");

const SINGLE_MINT_RATIO_LIMIT = 0.6;
const BATCH_RATIO_LIMIT = 0.53;
const URI_STORAGE_SINGLE_LIMIT = 0.7;
const URI_STORAGE_BATCH_LIMIT = 0.62;
const DIGEST_RATIO_LIMIT = 1.01;
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

  const NAME = ["Nishikawa Digital Resident", "NDR"];
  const deploy = {
    // The card with the admin holding every role here, so one wallet can drive every operation.
    soulbound: () => viem.deployContract("DigitalResident", [...NAME, admin, 0, admin, admin, true, "ipfs://collection"]),
    transferable: () => viem.deployContract("DigitalResident", [...NAME, admin, 0, admin, admin, false, "ipfs://collection"]),
    reference: () => viem.deployContract("ReferenceResidentCard", [...NAME, admin]),
    uriStorageSoulbound: () => viem.deployContract("FairURIStorageCard", [...NAME, admin, true]),
    uriStorageTransferable: () => viem.deployContract("FairURIStorageCard", [...NAME, admin, false]),
    digestSoulbound: () => viem.deployContract("FairDigestCard", [...NAME, admin, true]),
    digestTransferable: () => viem.deployContract("FairDigestCard", [...NAME, admin, false]),
  };

  // What each kind of contract is handed for one card's metadata.
  const metadataArgument = (kind, metadata) => {
    if (kind === "reference") return metadata.uri;
    if (kind.startsWith("uriStorage")) return metadata.uri.slice("ipfs://".length);
    return metadata.digest;
  };

  // One write per operation and contract kind, so every contract does exactly the same thing.
  const ops = {
    mint: (card, kind, to, metadata) => card.write.mint([to, metadataArgument(kind, metadata)]),
    mintBatch: (card, kind, recipients, metadatas) => card.write.mintBatch([recipients, metadatas.map((m) => metadataArgument(kind, m))]),
    updateMetadata: (card, kind, tokenId, metadata) =>
      kind === "reference"
        ? card.write.updateTokenURI([tokenId, metadata.uri])
        : card.write.updateMetadata([tokenId, metadata.digest]),
    revoke: (card, kind, tokenId) =>
      kind === "reference" ? card.write.revoke([tokenId]) : card.write.revoke([tokenId, 1]),
  };

  async function measureMints(card, kind) {
    const gas = {};
    gas.firstMint = await gasOf(ops.mint(card, kind, nextWallet(), nextMetadata()));
    gas.mint = await gasOf(ops.mint(card, kind, nextWallet(), nextMetadata()));
    for (const size of BATCH_SIZES) {
      const recipients = Array.from({ length: size }, nextWallet);
      const metadatas = Array.from({ length: size }, nextMetadata);
      gas[`batch${size}`] = (await gasOf(ops.mintBatch(card, kind, recipients, metadatas))) / size;
    }
    return gas;
  }

  async function measureKind(kind) {
    const card = await deploy[kind]();
    const gas = await measureMints(card, kind);
    if (kind !== "reference" && kind !== "soulbound" && kind !== "transferable") return gas;

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
      gas.anchor = await gasOf(card.write.anchorAttendance([keccak256(toHex("event key 1")), keccak256(toHex("attendance of event 1")), 42]));
    }
    return gas;
  }

  async function lastTokenId(card, kind) {
    return kind === "reference" ? card.read.lastTokenId() : card.read.lastResidentNumber();
  }

  const gas = {};
  for (const kind of Object.keys(deploy)) gas[kind] = await measureKind(kind);
  const baseline = (prefix, variant) => gas[`${prefix}${variant === "soulbound" ? "Soulbound" : "Transferable"}`];

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
      const compared = (other) => (other === undefined ? null : Math.round(other));
      const ratio = (other) => (other === undefined ? null : round(value / other, 4));
      const uriStorage = baseline("uriStorage", variant)[key];
      const digest = baseline("digest", variant)[key];
      measurements.push({
        name: key,
        label,
        variant,
        gas: Math.round(value),
        reference: compared(gas.reference[key]),
        ratio: ratio(gas.reference[key]),
        uriStorage: compared(uriStorage),
        uriStorageRatio: ratio(uriStorage),
        digest: compared(digest),
        digestRatio: ratio(digest),
        unit: "gas",
      });
    }
  }

  const budgets = [];
  for (const variant of ["soulbound", "transferable"]) {
    const ours = gas[variant];
    const uriStorage = baseline("uriStorage", variant);
    const digest = baseline("digest", variant);
    budgets.push(
      budget(`single mint / reference (${variant})`, ours.mint / gas.reference.mint, SINGLE_MINT_RATIO_LIMIT, "ratio"),
      budget(`batch of 100 per token / reference (${variant})`, ours.batch100 / gas.reference.batch100, BATCH_RATIO_LIMIT, "ratio"),
      budget(`single mint vs URI-storage baseline (${variant})`, ours.mint / uriStorage.mint, URI_STORAGE_SINGLE_LIMIT, "ratio"),
      budget(`batch of 100 per token vs URI-storage baseline (${variant})`, ours.batch100 / uriStorage.batch100, URI_STORAGE_BATCH_LIMIT, "ratio"),
      budget(`single mint vs OpenZeppelin ERC721 + digest (${variant})`, ours.mint / digest.mint, DIGEST_RATIO_LIMIT, "ratio"),
      budget(`batch of 100 per token vs OpenZeppelin ERC721 + digest (${variant})`, ours.batch100 / digest.batch100, DIGEST_RATIO_LIMIT, "ratio"),
      budget(`batch of 100 per token (${variant})`, ours.batch100, BATCH_PER_TOKEN_LIMIT, "gas"),
    );
  }

  // Passkey residents' accounts: on this chain, then on one without the P-256 precompile.
  const accountChains = [{ viem, publicClient }];
  const prague = await hre.network.create({ override: { hardfork: "prague" } });
  accountChains.push({ viem: prague.viem, publicClient: await prague.viem.getPublicClient() });
  for (const chain of accountChains) {
    const account = await measurePasskeyAccount(chain.viem, chain.publicClient);
    budgets.push(...account.budgets);
    for (const m of account.measurements) {
      measurements.push({ ...m, uriStorage: null, uriStorageRatio: null, digest: null, digestRatio: null });
    }
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
  const rows = [["operation", "variant", "gas", "reference", "ratio", "URI storage", "ratio", "ERC721+digest", "ratio"]];
  const gasCell = (n) => (n === null ? "—" : fmt(n));
  const ratioCell = (r) => (r === null ? "—" : r.toFixed(3));
  for (const m of measurements) {
    rows.push([
      m.label,
      m.variant,
      fmt(m.gas),
      gasCell(m.reference),
      ratioCell(m.ratio),
      gasCell(m.uriStorage),
      ratioCell(m.uriStorageRatio),
      gasCell(m.digest),
      ratioCell(m.digestRatio),
    ]);
  }
  printRows(rows, [false, false, true, true, true, true, true, true, true]);
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
