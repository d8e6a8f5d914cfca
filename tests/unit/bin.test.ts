/**
 * bin/aztec-butler.js runs dist/ only: a checkout without a bundle, or with one older than src/,
 * is refused with exit 78 and the command that fixes it. Run against a copy of the bin in a
 * scratch project, so the real dist/ is never touched.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cliEntry } from "../support/cli.js";
import { tempDir } from "../support/files.js";

function scratchProject(): string {
  const root = tempDir("butler-bin-");
  mkdirSync(join(root, "bin"));
  copyFileSync(cliEntry, join(root, "bin", "aztec-butler.js"));
  writeFileSync(join(root, "package.json"), '{"type": "module"}\n');
  mkdirSync(join(root, "src"));
  writeFileSync(join(root, "src", "main.ts"), "export {};\n");
  return root;
}

const runBin = (root: string) =>
  spawnSync(process.execPath, [join(root, "bin", "aztec-butler.js"), "--help"], {
    encoding: "utf8",
  });

describe("bin/aztec-butler.js", () => {
  it("refuses with exit 78 when dist/ is missing, saying to run npm run build", () => {
    const root = scratchProject();
    const run = runBin(root);
    expect({ status: run.status, stdout: run.stdout, stderr: run.stderr }).toEqual({
      status: 78,
      stdout: "",
      stderr: `error: dist/cli.js is missing; run \`npm run build\` in ${root}/\n`,
    });
  });

  it("refuses a dist/ older than src/, and runs a fresh one", () => {
    const root = scratchProject();
    mkdirSync(join(root, "dist"));
    writeFileSync(
      join(root, "dist", "cli.js"),
      'export async function main(argv) { process.stdout.write(`bundle ${argv.slice(2).join(" ")}\\n`); }\n',
    );
    const past = new Date(Date.now() - 60_000);
    utimesSync(join(root, "dist", "cli.js"), past, past);
    const stale = runBin(root);
    expect(stale.status).toBe(78);
    expect(stale.stderr).toBe(
      `error: dist/ is older than src/ (or package.json); run \`npm run build\` in ${root}/\n`,
    );

    const later = new Date(Date.now() + 60_000);
    utimesSync(join(root, "dist", "cli.js"), later, later);
    const fresh = runBin(root);
    expect({ status: fresh.status, stdout: fresh.stdout, stderr: fresh.stderr }).toEqual({
      status: 0,
      stdout: "bundle --help\n",
      stderr: "",
    });
  });

  it("runs the real bundle: --help lists the commands", () => {
    const help = execFileSync(process.execPath, [cliEntry, "--help"], { encoding: "utf8" });
    expect(help).toMatch(
      /process-private-keys .*\n.*prepare-deployment .*\n.*add-keys\|get-add-keys-to-staking-provider-calldata /,
    );
  });
});
