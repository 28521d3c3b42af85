// Gas of a passkey resident's account (DESIGN.md section 8): deploying one ResidentAccount clone
// through the factory (budget ≤ 200,000), with the one-time implementation and factory
// deployments and the cost of checking one assertion through isValidSignature beside it, on a
// chain with the P-256 precompile and on one without (OpenZeppelin's Solidity verifier).
//
//   npx hardhat run bench/gas/account.js       (Node 22 first on PATH)
//
// Run alone it writes bench/results/gas-account.json, prints a table, and exits non-zero if the
// budget fails. gas.js can call `measurePasskeyAccount(viem, publicClient)` on its own chain in
// its single run and append the returned `budgets` and `measurements` (same row format) to its own.
import { mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import hre from "hardhat";
import { encodeFunctionData } from "viem";
import { ERC1271_MAGIC, SoftPasskey, encodeAssertion, hasP256Precompile, personalSign } from "../../tests/contracts/helpers/webauthn.js";

const THIS_FILE = fileURLToPath(import.meta.url);
const RESULTS_FILE = path.join(path.dirname(THIS_FILE), "..", "results", "gas-account.json");

export const ACCOUNT_DEPLOY_LIMIT = 200_000;

/** Measure on the chain behind `viem`; returns `{ budgets, measurements }` in gas.js's format. */
export async function measurePasskeyAccount(viem, publicClient) {
  async function gasOf(txHashPromise) {
    const receipt = await publicClient.waitForTransactionReceipt({ hash: await txHashPromise });
    if (receipt.status !== "success") throw new Error(`benchmark transaction reverted: ${receipt.transactionHash}`);
    return receipt;
  }

  async function deploy(name, args = []) {
    const { contract, deploymentTransaction } = await viem.sendDeploymentTransaction(name, args);
    return { contract, receipt: await gasOf(deploymentTransaction.hash) };
  }

  const { contract: implementation, receipt: implementationReceipt } = await deploy("ResidentAccount");
  const { contract: factory, receipt: factoryReceipt } = await deploy("ResidentAccountFactory", [implementation.address]);

  // The first account and a later one cost the same (the factory writes no storage): both are
  // measured to show it.
  const deployGas = [];
  let account;
  let passkey;
  for (let i = 0; i < 2; i++) {
    passkey = new SoftPasskey();
    const { qx, qy } = passkey.publicKey;
    deployGas.push(Number((await gasOf(factory.write.createAccount([qx, qy]))).gasUsed));
    account = await viem.getContractAt("ResidentAccount", await factory.read.predictAccount([qx, qy]));
  }
  const again = Number((await gasOf(factory.write.createAccount([passkey.publicKey.qx, passkey.publicKey.qy]))).gasUsed);

  const chainId = await publicClient.getChainId();
  const { hash, signed } = personalSign("bench: one check-in", account.address, chainId);
  const signature = encodeAssertion(passkey.assert(signed));
  if ((await account.read.isValidSignature([hash, signature])) !== ERC1271_MAGIC) throw new Error("the benchmark's assertion was refused");
  const verifyGas = Number(
    await publicClient.estimateGas({
      to: account.address,
      data: encodeFunctionData({ abi: account.abi, functionName: "isValidSignature", args: [hash, signature] }),
    }),
  );

  const p256Precompile = await hasP256Precompile(publicClient);
  const variant = p256Precompile ? "P-256 precompile" : "Solidity P-256";
  const row = (name, label, gas) => ({ name, label, variant, gas, reference: null, ratio: null, unit: "gas" });
  const measurements = [
    row("accountImplementationDeploy", "account implementation (once per chain)", Number(implementationReceipt.gasUsed)),
    row("accountFactoryDeploy", "account factory (once per chain)", Number(factoryReceipt.gasUsed)),
    row("accountDeploy", "one passkey account (factory clone)", deployGas[0]),
    row("accountDeployLater", "another passkey account", deployGas[1]),
    row("accountCreateExisting", "createAccount for an existing account", again),
    row("accountIsValidSignature", "isValidSignature, one assertion (a call, 21,000 included)", verifyGas),
  ];
  const worst = Math.max(...deployGas);
  const budgets = [
    { name: `one passkey account deployed by the factory (${variant})`, value: worst, limit: ACCOUNT_DEPLOY_LIMIT, unit: "gas", ok: worst <= ACCOUNT_DEPLOY_LIMIT },
  ];
  return { budgets, measurements, p256Precompile };
}

async function main() {
  // The default chain has the P-256 precompile (EIP-7951, Osaka); Prague has none, so the
  // account falls back to OpenZeppelin's Solidity verifier there. Both are measured.
  const budgets = [];
  const measurements = [];
  for (const override of [{}, { hardfork: "prague" }]) {
    const { viem } = await hre.network.create({ override });
    const result = await measurePasskeyAccount(viem, await viem.getPublicClient());
    budgets.push(...result.budgets);
    measurements.push(...result.measurements);
  }
  const result = { benchmark: "gas-account", machine: machineInfo(), budgets, measurements };
  mkdirSync(path.dirname(RESULTS_FILE), { recursive: true });
  writeFileSync(RESULTS_FILE, JSON.stringify(result, null, 2) + "\n");

  const rows = [["operation", "variant", "gas"], ...measurements.map((m) => [m.label, m.variant, m.gas.toLocaleString("en-US")])];
  printRows(rows, [false, false, true]);
  console.log("");
  printRows(
    [["budget", "value", "limit", "ok"], ...budgets.map((b) => [b.name, b.value.toLocaleString("en-US"), b.limit.toLocaleString("en-US"), b.ok ? "ok" : "FAIL"])],
    [false, true, true, false],
  );
  console.log(`\nwrote ${path.relative(process.cwd(), RESULTS_FILE)}`);
  if (budgets.some((b) => !b.ok)) {
    console.error("gas budget exceeded");
    process.exitCode = 1;
  }
}

function machineInfo() {
  const compiler = hre.config.solidity.profiles.default.compilers[0];
  return {
    node: process.version,
    solc: compiler.version,
    evmVersion: compiler.settings.evmVersion,
    optimizerRuns: compiler.settings.optimizer.enabled ? compiler.settings.optimizer.runs : null,
    chain: "hardhat (EDR, in-process)",
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? null,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    date: new Date().toISOString(),
  };
}

function printRows(rows, rightAligned) {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => [...r[i]].length)));
  const line = (r) => r.map((cell, i) => (rightAligned[i] ? cell.padStart(widths[i]) : cell.padEnd(widths[i]))).join("  ");
  console.log(line(rows[0]));
  console.log(widths.map((w) => "-".repeat(w)).join("  "));
  for (const r of rows.slice(1)) console.log(line(r));
}

// Run when Hardhat runs this file, not when gas.js imports it.
if (process.argv.some((arg) => path.resolve(arg) === THIS_FILE)) {
  await main();
}
