// Builds the Forge Custom UI resources named in forge/manifest.yml from the repository: static/panel/build (issue
// panel), static/admin/build (admin page) and static/dashboard/build (the dashboard, a global page), each an
// index.html with the same roots as templates/panel.html, templates/admin.html and templates/dashboard.html, copies of static/app's scripts and stylesheet, and src/forge-bridge.js bundled with
// @forge/bridge by esbuild into one IIFE. Every path is relative (Forge serves the folder; absolute paths get 403)
// and nothing is inline (Forge's CSP). Run from forge/: `npm ci && npm run build`.

import { build } from "esbuild";
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const forge = dirname(dirname(fileURLToPath(import.meta.url)));
const repo = dirname(forge);
const app = join(repo, "static", "app");

function page(title, root) {
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>${title}</title>
  <link rel="stylesheet" href="clearance.css">
  <script src="forge-bridge.js" defer></script>
</head>
<body>
  <main class="ac-content">
${root}
  </main>
</body>
</html>
`;
}

const PAGES = [
  {
    dir: join(forge, "static", "panel", "build"),
    html: page("Clearance", `    <div id="clearance-panel" aria-live="polite">
      <h1>Clearance <span class="lozenge" id="state">loading</span></h1>
      <p class="muted">Loading the data request…</p>
    </div>`),
    scripts: ["common.js", "panel.js"],
    icon: true,
  },
  {
    dir: join(forge, "static", "admin", "build"),
    html: page("Clearance · Administration", `    <div id="clearance-admin" aria-live="polite">
      <h1>Clearance administration</h1>
      <p class="muted">Loading…</p>
    </div>`),
    scripts: ["common.js", "admin.js"],
    icon: false,
  },
  {
    dir: join(forge, "static", "dashboard", "build"),
    html: page("Clearance · Dashboard", `    <div id="clearance-dashboard" aria-live="polite">
      <h1>Clearance dashboard</h1>
      <p class="muted">Loading…</p>
    </div>`),
    scripts: ["common.js", "dashboard.js"],
    icon: false,
  },
];

/* What Forge's CSP would block, or its resource server refuse: inline code or styles, absolute or external paths. */
function checkHtml(html, where) {
  const problems = [];
  for (const m of html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)) {
    if (!/\bsrc=/i.test(m[1]) || m[2].trim()) { problems.push("inline script"); }
  }
  if (/<style\b/i.test(html)) { problems.push("<style> element"); }
  if (/\sstyle=/i.test(html)) { problems.push("style attribute"); }
  if (/\son[a-z]+=/i.test(html)) { problems.push("inline event handler"); }
  for (const m of html.matchAll(/\s(?:src|href)="([^"]*)"/gi)) {
    if (/^(?:\/|[a-z][a-z0-9+.-]*:)/i.test(m[1])) { problems.push(`non-relative path ${m[1]}`); }
  }
  if (problems.length) { throw new Error(`${where}: ${problems.join(", ")}`); }
}

const bundle = await build({
  entryPoints: [join(forge, "src", "forge-bridge.js")],
  bundle: true,
  format: "iife",
  platform: "browser",
  target: ["es2020"],
  minify: true,
  charset: "utf8",
  legalComments: "eof",
  write: false,
  logLevel: "warning",
});
if (bundle.outputFiles.length !== 1) { throw new Error("esbuild made more than one file"); }
const bridgeJs = bundle.outputFiles[0].contents;

for (const p of PAGES) {
  checkHtml(p.html, relative(repo, join(p.dir, "index.html")));
  rmSync(p.dir, { recursive: true, force: true });
  mkdirSync(p.dir, { recursive: true });
  writeFileSync(join(p.dir, "index.html"), p.html);
  writeFileSync(join(p.dir, "forge-bridge.js"), bridgeJs);
  for (const f of [...p.scripts, "clearance.css"]) { copyFileSync(join(app, f), join(p.dir, f)); }
  if (p.icon) { copyFileSync(join(forge, "src", "icon.svg"), join(p.dir, "icon.svg")); }
  const size = (f) => readFileSync(join(p.dir, f)).length;
  const files = ["index.html", "forge-bridge.js", ...p.scripts, "clearance.css", ...(p.icon ? ["icon.svg"] : [])];
  console.log(`${relative(repo, p.dir)}/: ${files.map((f) => `${f} (${size(f)} B)`).join(", ")}`);
}
