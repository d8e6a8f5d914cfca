/**
 * Benchmark section `deployment`: prepare-deployment with 5,000 validators (4,000 in production +
 * 1,000 new) and 500 publishers, beside baseline (c), one awaited getBalance per publisher. The
 * output is loaded with the node's own loadKeystoreFile.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

import { setBalances } from "../tests/support/test-chain.js";
import { baselineBalances, timed, toolChainReads } from "./baselines.js";
import type { BenchContext, ProviderContext } from "./context.js";
import { check, counted, mib, runCounted, summarise, type CountedRun } from "./counting.js";
import { makeDeploymentInputs } from "./keygen.js";
import { fmtInt, fmtMs, type ComponentRow, type ScenarioRow, type TargetRow } from "./report.js";
import { isolatedEnv } from "./run-cli.js";

export const DEPLOYMENT = { existing: 4_000, fresh: 1_000, publishers: 500 } as const;
const TOTAL = DEPLOYMENT.existing + DEPLOYMENT.fresh;

export interface DeploymentResult {
  scenario: ScenarioRow;
  component: ComponentRow;
  target: TargetRow;
  keystoreLoaded: number;
}

async function writeInputs(bench: BenchContext) {
  const inputs = makeDeploymentInputs(DEPLOYMENT.existing, DEPLOYMENT.fresh, DEPLOYMENT.publishers);
  const dir = join(bench.tmp, "deployment");
  mkdirSync(dir);
  const files = {
    production: join(dir, "prod-bench-keyfile.json"),
    publicKeys: join(dir, "public-new-keys.json"),
    publishers: join(dir, "publishers.json"),
  };
  writeFileSync(files.production, `${JSON.stringify(inputs.production, null, 2)}\n`);
  writeFileSync(files.publicKeys, `${JSON.stringify(inputs.publicKeys, null, 2)}\n`);
  writeFileSync(files.publishers, `${JSON.stringify(inputs.publishers, null, 2)}\n`);
  await setBalances(
    bench.chain,
    inputs.publishers.map((address) => ({ address, wei: 1_000n * 10n ** 18n })),
  );
  return { files, publishers: inputs.publishers };
}

async function runDeployments(
  bench: BenchContext,
  provider: ProviderContext,
  files: Awaited<ReturnType<typeof writeInputs>>["files"],
) {
  const runs: CountedRun[] = [];
  let keystoreLoaded = 0;
  for (let i = 0; i < bench.repeats; i++) {
    const cwd = join(bench.tmp, `pd-${i}`);
    mkdirSync(cwd);
    const run = await runCounted(
      [
        "prepare-deployment",
        files.production,
        files.publishers,
        "--new-public-keys",
        files.publicKeys,
      ],
      cwd,
      isolatedEnv(bench.tmp, provider.config),
      bench.log,
    );
    const output = join(cwd, "prod-bench-keyfile.json.new");
    const written = JSON.parse(readFileSync(output, "utf8")) as { validators: unknown[] };
    check(
      written.validators.length === TOTAL,
      `${output} has ${written.validators.length} validators`,
    );
    if (i === 0) {
      const { loadKeystoreFile } = await import("@aztec/node-keystore/loader");
      keystoreLoaded = loadKeystoreFile(output).validators?.length ?? 0;
      check(keystoreLoaded === TOTAL, `loadKeystoreFile found ${keystoreLoaded} validators`);
    }
    runs.push(run);
    bench.log(
      `prepare-deployment ${fmtInt(TOTAL)} validators, run ${i + 1}/${bench.repeats}: ${fmtMs(run.run.wallMs)}, ` +
        `${fmtInt(Math.round(mib(run.run.peakRssKb)))} MiB, ${run.seen.httpRequests} HTTP requests`,
    );
  }
  return { runs, keystoreLoaded };
}

export async function benchPrepareDeployment(
  bench: BenchContext,
  provider: ProviderContext,
): Promise<DeploymentResult> {
  const { files, publishers } = await writeInputs(bench);
  const { runs, keystoreLoaded } = await runDeployments(bench, provider, files);

  bench.log(
    `baseline (c): one awaited getBalance per publisher (${DEPLOYMENT.publishers} requests)`,
  );
  const tool = await toolChainReads(isolatedEnv(bench.tmp, provider.config));
  const base = await counted(() => timed(() => baselineBalances(bench.proxy.url, publishers)));
  const own = await counted(() => timed(() => tool.readBalances(publishers)));
  check(
    base.result.value.every(
      (b, i) => own.result.value.balances.get(publishers[i]!.toLowerCase()) === b,
    ),
    "tool and baseline read different balances",
  );

  const pd = summarise(runs);
  const fundingLimit = 2 * Math.ceil(DEPLOYMENT.publishers / 500);
  return {
    scenario: {
      name: `prepare-deployment, ${fmtInt(TOTAL)} validators, ${DEPLOYMENT.publishers} publishers`,
      keys: TOTAL,
      wallMs: pd.wallMs,
      minMs: pd.minMs,
      maxMs: pd.maxMs,
      rssMiB: mib(pd.rssKb),
      httpRequests: pd.seen.httpRequests,
      rpcCalls: pd.seen.rpcCalls,
      detail: `funding check ${pd.maxFundingRequests} HTTP requests / ${fmtInt(pd.seen.balanceCalls)} getBalance calls`,
      rssRuns: `peak RSS ${pd.rssKbs.map((kb) => mib(kb).toFixed(0)).join(", ")} MiB`,
      baselineMs: pd.wallMs - own.result.wallMs + base.result.wallMs,
      baselineHttp: pd.seen.httpRequests - pd.seen.fundingRequests + base.seen.httpRequests,
      baselineNote:
        "the tool's run with its batched funding read (measured in-process) replaced by (c), one awaited getBalance per publisher (measured)",
    },
    component: {
      name: `funding check, ${DEPLOYMENT.publishers} publishers`,
      toolMs: own.result.wallMs,
      toolHttp: own.seen.httpRequests,
      baselineMs: base.result.wallMs,
      baselineHttp: base.seen.httpRequests,
      how: "readChainIdAndBalances (batched) vs getChainId + getBalance per publisher, awaited in turn",
    },
    target: {
      target: `funding check ≤ 2 HTTP requests per 500 publishers (${DEPLOYMENT.publishers} → ≤ ${fundingLimit})`,
      measured: `${pd.maxFundingRequests} requests for ${fmtInt(pd.seen.balanceCalls)} getBalance calls`,
      met: pd.maxFundingRequests <= fundingLimit,
    },
    keystoreLoaded,
  };
}
