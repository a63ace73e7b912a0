// Browser end-to-end test: starts Tessera on a free port with a fresh SQLite data folder and
// drives Debian's Chromium through playwright-core over the web app. Screenshots of every page
// visited land in e2e/screenshots/.
//
//   TESSERA_BIN=../target/debug/tessera node e2e/run.mjs
//   E2E_DATABASE_URL=postgres://... (an empty database) runs it on PostgreSQL instead of SQLite.
import { spawn } from "node:child_process";
import { mkdtempSync, mkdirSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = dirname(fileURLToPath(import.meta.url));
const binary = resolve(process.env.TESSERA_BIN ?? join(here, "../../target/debug/tessera"));
const shots = join(here, "screenshots");
mkdirSync(shots, { recursive: true });

const ADMIN = "owner@example.com";
const PASSWORD = "owner-e2e-password-7";

function freePort() {
  return new Promise((ok) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => ok(port));
    });
  });
}

function check(condition, message) {
  if (!condition) throw new Error(`check failed: ${message}`);
}

const port = await freePort();
const base = `http://127.0.0.1:${port}`;
const data = mkdtempSync(join(tmpdir(), "tessera-e2e-"));
const server = spawn(binary, ["start", "--port", String(port), "--data-dir", data], {
  env: {
    ...process.env,
    DATABASE_URL: process.env.E2E_DATABASE_URL ?? "",
    LABEL_STUDIO_USERNAME: ADMIN,
    LABEL_STUDIO_PASSWORD: PASSWORD,
    TESSERA_QUIET: "true",
    TESSERA_WEB_DIR: join(here, "../dist"),
  },
  stdio: ["ignore", "ignore", "inherit"],
});
let browser;
try {
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`${base}/health`)).ok) break;
    } catch {}
    if (i > 100) throw new Error("Tessera did not start");
    await new Promise((r) => setTimeout(r, 100));
  }
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
  });
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const shot = (name) => page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });

  // Signed out, the app sends people to the login page.
  await page.goto(`${base}/projects`);
  await page.waitForURL(/\/user\/login\//);
  await shot("01-login");

  // A new sign-up joins as an annotator and sees no projects.
  await page.goto(`${base}/user/signup/`);
  await page.fill("input[name=email]", "newcomer@example.com");
  await page.fill("input[name=password]", "a-strong-secret-42");
  await Promise.all([page.waitForURL(`${base}/projects`), page.click("button[type=submit]")]);
  await page.getByText("No projects yet.").waitFor();
  await shot("02-projects-empty");
  await page.click("text=Log out");
  await page.waitForURL(/\/user\/login\//);

  // The owner creates a project from a template.
  await page.fill("input[name=email]", ADMIN);
  await page.fill("input[name=password]", PASSWORD);
  await Promise.all([page.waitForURL(`${base}/projects`), page.click("button[type=submit]")]);
  await page.click("text=Create your first project");
  await page.fill("input[name=title]", "Movie reviews");
  await page.fill("textarea[name=description]", "Sentiment of short reviews");
  await page.check("input[value=ner]");
  await page.check("input[value=text-classification]");
  await shot("03-create-project");
  await page.click("button[type=submit]");
  await page.waitForURL(/\/projects\/\d+$/);
  await page.getByText("No tasks yet.").waitFor();

  // A bad config is shown next to its field.
  await page.goto(`${base}/projects/new`);
  await page.fill("input[name=title]", "Broken");
  await page.fill("textarea[name=label_config]", "<View><Text name=\"text\"");
  await page.click("button[type=submit]");
  await page.locator(".field-error").first().waitFor();
  await shot("04-config-error");
  await page.goBack();

  // CSV import fills the table and the counters.
  await page.goto(`${base}/projects`);
  await page.click("text=Movie reviews");
  await page.setInputFiles("input[type=file]", {
    name: "reviews.csv",
    mimeType: "text/csv",
    buffer: Buffer.from("text\nA wonderful film\nTwo hours I will not get back\n\"Fine, I guess\"\n"),
  });
  await page.locator("table.tasks tbody tr").nth(2).waitFor();
  check((await page.locator("table.tasks tbody tr").count()) === 3, "three imported tasks");
  await page.getByText("3 tasks · 0 annotations").waitFor();
  await shot("05-tasks");

  // The projects list shows the counts; search narrows it.
  await page.click("nav >> text=Projects");
  await page.locator(".card", { hasText: "Movie reviews" }).getByText("3", { exact: true }).waitFor();
  await shot("06-projects");
  await page.fill("input[type=search]", "zzz");
  await page.getByText("No project title contains").waitFor();

  // The account page shows the API token, which works for scripts.
  await page.click("nav >> text=Account");
  const token = await page.locator("input[aria-label='Access token']").inputValue();
  check(token.length >= 20, "an API token is shown");
  const me = await (await fetch(`${base}/api/current-user/whoami`, { headers: { Authorization: `Token ${token}` } })).json();
  check(me.email === ADMIN, "the token is the owner's");
  await shot("07-account");
  const call = async (method, path, body) => {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: { Authorization: `Token ${token}`, "Content-Type": "application/json" },
      body: body && JSON.stringify(body),
    });
    check(response.ok, `${method} ${path}: ${response.status}`);
    const text = await response.text();
    return text ? JSON.parse(text) : null;
  };

  // The workspace sidebar narrows the projects list to a workspace's projects.
  const project = (await call("GET", "/api/projects/?title=Movie")).results[0];
  const workspace = await call("POST", "/api/workspaces/", { title: "Film team", color: "#7c3aed" });
  await call("POST", "/api/workspaces/" + workspace.id + "/projects/", { project: project.id });
  await call("POST", "/api/projects/", { title: "Other project" });
  await page.goto(`${base}/projects`); // made through the API: a fresh load shows them
  await page.locator(".card", { hasText: "Other project" }).waitFor();
  await page.click(".sidebar >> text=Film team");
  await page.locator(".card", { hasText: "Movie reviews" }).waitFor();
  check((await page.locator(".card").count()) === 1, "only the workspace's project");
  await shot("08-workspace");

  // People: the newcomer's role changes from the table; the invite link is in the dialog.
  await page.click("nav >> text=People");
  const role = page.getByLabel("Role of newcomer@example.com");
  await Promise.all([
    page.waitForResponse((r) => r.url().includes("/memberships") && r.request().method() === "PATCH"),
    role.selectOption("RE"),
  ]);
  const members = await call("GET", `/api/organizations/${me.active_organization}/memberships?page_size=-1`);
  check(members.results.find((m) => m.user.email === "newcomer@example.com").role === "RE", "the role changed to reviewer");
  await page.click("text=Invite people");
  await page.waitForFunction(() => document.querySelector("input[aria-label='Invite link']")?.value.includes("token="));
  const link = await page.getByLabel("Invite link").inputValue();
  check(link.startsWith(`${base}/user/signup/?token=`), "the invite link");
  await shot("09-people-invite");
  await page.click("text=Done");

  // Project members: the newcomer is added to the project.
  await page.goto(`${base}/projects/${project.id}`);
  await page.click("text=Members");
  await page.getByLabel("Person to add").selectOption({ label: "newcomer@example.com" });
  await page.click("button:has-text('Add')");
  await page.locator(".list li", { hasText: "newcomer@example.com" }).waitFor();
  await shot("10-project-members");

  await page.click("text=Log out");
  await page.waitForURL(/\/user\/login\//);
  console.log(`browser tests passed on ${process.env.E2E_DATABASE_URL ? "PostgreSQL" : "SQLite"}; screenshots in ${shots}`);
} catch (error) {
  const pages = browser?.contexts().flatMap((c) => c.pages()) ?? [];
  if (pages[0]) await pages[0].screenshot({ path: join(shots, "failure.png"), fullPage: true });
  throw error;
} finally {
  await browser?.close();
  server.kill();
  rmSync(data, { recursive: true, force: true });
}
