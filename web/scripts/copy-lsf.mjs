// Copies the Label Studio editor's built bundle (an npm dependency, never committed) into the
// app's public folder, under a versioned path so that browsers may cache it for good.
import { copyFileSync, mkdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const web = join(dirname(fileURLToPath(import.meta.url)), "..");
const pkg = join(web, "node_modules/@heartexlabs/label-studio");
const { version } = JSON.parse(readFileSync(join(pkg, "package.json"), "utf8"));
const target = join(web, "public/assets", `lsf-${version}`);
mkdirSync(target, { recursive: true });
for (const file of ["js/main.js", "css/main.css"]) {
  copyFileSync(join(pkg, "build/static", file), join(target, file.split("/")[1]));
}
