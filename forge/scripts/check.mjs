// Validates forge/manifest.yml with @forge/manifest's own validator (the full validation `forge deploy` and
// `forge lint` start from: schema, modules, endpoints and remotes, scopes, resources), offline. The resource folders
// must hold their index.html, so run `npm run build` first. Exit 1 on any error; warnings are printed.

import { existsSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import forgeManifest from "@forge/manifest";

const forge = dirname(dirname(fileURLToPath(import.meta.url)));
const manifest = join(forge, "manifest.yml");

const missing = ["panel", "admin", "dashboard"]
  .map((r) => join(forge, "static", r, "build", "index.html"))
  .filter((f) => !existsSync(f));
if (missing.length) {
  console.error(`missing ${missing.map((f) => relative(forge, f)).join(", ")}: run \`npm run build\` first`);
  process.exit(1);
}

const result = await forgeManifest.validate(false, manifest);
const problems = result.errors || [];
for (const e of problems) {
  const where = e.line ? `manifest.yml:${e.line}:${e.column || 0}` : "manifest.yml";
  console[e.level === "error" ? "error" : "warn"](`${where}: ${e.level}: ${e.message}`);
}
const errors = problems.filter((e) => e.level === "error");
if (!result.success || errors.length) {
  console.error(`manifest.yml is not valid (${errors.length} error(s))`);
  process.exit(1);
}
console.log(`manifest.yml is valid (@forge/manifest full validation${problems.length ? `, ${problems.length} warning(s)` : ""})`);
