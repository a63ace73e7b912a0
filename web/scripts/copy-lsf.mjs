// Copies the Label Studio editor's built bundle (an npm dependency, never committed) into the
// app's public folder, under a versioned path so that browsers may cache it for good.
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const web = join(dirname(fileURLToPath(import.meta.url)), "..");
const pkg = join(web, "node_modules/@heartexlabs/label-studio");
const { version } = JSON.parse(readFileSync(join(pkg, "package.json"), "utf8"));
const target = join(web, "public/assets", `lsf-${version}`);
mkdirSync(target, { recursive: true });
copyFileSync(join(pkg, "build/static/css/main.css"), join(target, "main.css"));

// One fix to the editor 1.4.0: its text, HTML and paragraph tags watch their regions from the
// moment they are created, before any annotation is selected, and each mount logged
// "Cannot read properties of null (reading 'regionStore')". With no annotation yet, they have
// no regions.
const UNGUARDED = "get regs(){return e.annotation.regionStore.regions.filter(";
const GUARDED = "get regs(){return (e.annotation?.regionStore.regions??[]).filter(";
const bundle = readFileSync(join(pkg, "build/static/js/main.js"), "utf8");
const patched = bundle.split(UNGUARDED).join(GUARDED);
if (patched === bundle) console.warn(`copy-lsf: the editor ${version} has no unguarded region watch to fix; copied as is`);
writeFileSync(join(target, "main.js"), patched);
