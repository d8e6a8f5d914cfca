// The registry this project is developed against lacks some optional platform packages (e.g.
// @crate-crypto/node-eth-kzg-darwin-arm64), so `npm install` leaves them out of the lock file and
// `npm ci` then fails with "Missing: … from lock file". This adds an entry (name, version, os,
// cpu, optional) for every optional dependency the lock names but does not hold, as npm itself
// writes them; npm skips them on other platforms and fetches them from the registry on theirs.
//   node scripts/complete-lockfile.mjs   (after `npm install`)
import { readFileSync, writeFileSync } from "node:fs";

const path = new URL("../package-lock.json", import.meta.url);
const lock = JSON.parse(readFileSync(path, "utf8"));
const packages = lock.packages;
const platform = (name) => {
  const os = ["darwin", "linux", "win32", "freebsd", "android"].find((o) =>
    name.includes(`-${o}-`),
  );
  // Foundry's packages say amd64 where npm's cpu field says x64.
  const cpuName = ["arm64", "x64", "amd64", "ia32", "arm"].find((c) =>
    new RegExp(`-${c}(-|$)`).test(name),
  );
  const cpu = cpuName === "amd64" ? "x64" : cpuName;
  return os && cpu
    ? { os, cpu, libc: /-gnu$/.test(name) ? "glibc" : /-musl$/.test(name) ? "musl" : undefined }
    : undefined;
};
let added = 0;
for (const [location, entry] of Object.entries(packages)) {
  for (const [name, version] of Object.entries(entry.optionalDependencies ?? {})) {
    const base = location === "" ? "" : `${location}/`;
    const candidates = [`${base}node_modules/${name}`, `node_modules/${name}`];
    if (candidates.some((c) => c in packages)) continue;
    const target = platform(name);
    if (!target || !/^\d+\.\d+\.\d+$/.test(version)) continue;
    packages[`node_modules/${name}`] = {
      version,
      cpu: [target.cpu],
      ...(target.libc ? { libc: [target.libc] } : {}),
      license: entry.license,
      optional: true,
      os: [target.os],
    };
    added++;
  }
}
lock.packages = Object.fromEntries(
  Object.entries(packages).sort(([a], [b]) => a.localeCompare(b, "en")),
);
writeFileSync(path, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`added ${added} optional platform entries to package-lock.json`);
