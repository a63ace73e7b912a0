// What the browser test and the web benchmark share: a Tessera on a free port with a fresh data
// folder, Debian's Chromium, and signing in through the login form.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";

function freePort() {
  return new Promise((ok) => {
    const probe = createServer().listen(0, "127.0.0.1", () => {
      const { port } = probe.address();
      probe.close(() => ok(port));
    });
  });
}

/**
 * Starts `binary` with the first admin `email`/`password` (and API `token`, when given) on an
 * empty SQLite data folder, or on `databaseUrl` (an empty PostgreSQL database); without `email`
 * it starts as a newcomer's server does, with no account; `env` adds settings. Resolves when it
 * answers `/health`.
 * `stop()` ends it and removes the data folder.
 */
export async function startTessera({ binary, webDir, email, password, token, databaseUrl = "", env: extraEnv = {} }) {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const data = mkdtempSync(join(tmpdir(), "tessera-web-"));
  // Without `webDir`, the app built into the binary (read from `web/dist` by debug builds).
  const env = { ...process.env, DATABASE_URL: databaseUrl, TESSERA_QUIET: "true", ...extraEnv };
  delete env.TESSERA_WEB_DIR;
  if (webDir) env.TESSERA_WEB_DIR = webDir;
  for (const name of ["LABEL_STUDIO_USERNAME", "LABEL_STUDIO_PASSWORD", "LABEL_STUDIO_USER_TOKEN"]) delete env[name];
  if (email) Object.assign(env, { LABEL_STUDIO_USERNAME: email, LABEL_STUDIO_PASSWORD: password });
  if (token) env.LABEL_STUDIO_USER_TOKEN = token;
  const server = spawn(binary, ["start", "--port", String(port), "--data-dir", data], {
    env,
    stdio: ["ignore", "ignore", "inherit"],
  });
  const stop = () => {
    server.kill();
    rmSync(data, { recursive: true, force: true });
  };
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`${base}/health`)).ok) return { base, stop };
    } catch {}
    if (i > 200) {
      stop();
      throw new Error("Tessera did not start");
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

const CHROMIUM_OPTIONS = {
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
};

/** Debian's Chromium, headless, never a downloaded browser (`CHROMIUM` overrides the path). */
export function launchChromium() {
  return chromium.launch(CHROMIUM_OPTIONS);
}

/**
 * The same Chromium with a real profile in `userDataDir` (a disk cache, as people's browsers
 * have, where V8 keeps compiled code between visits); resolves to its one context.
 */
export function launchProfile(userDataDir, viewport) {
  return chromium.launchPersistentContext(userDataDir, { ...CHROMIUM_OPTIONS, viewport });
}

/** Signs in through the login form and waits for the projects list. */
export async function signIn(page, base, email, password) {
  await page.goto(`${base}/user/login/`);
  await page.fill("input[name=email]", email);
  await page.fill("input[name=password]", password);
  // Signing in lands on the home page.
  await Promise.all([page.waitForURL(`${base}/`), page.click("button[type=submit]")]);
}

/** Calls Tessera's API with a legacy token; resolves to the parsed answer, throws on a failure. */
export function apiClient(base, token) {
  return async (method, path, body) => {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: { Authorization: `Token ${token}`, "Content-Type": "application/json" },
      body: typeof body === "string" ? body : body && JSON.stringify(body),
    });
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
    const text = await response.text();
    return text ? JSON.parse(text) : null;
  };
}
