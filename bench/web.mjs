// Page-load benchmark of the web app in headless Chromium against a 1,000,000-task project.
//
//   bench/run.sh web        (builds the release binary and the web app, then runs this)
//   node bench/web.mjs <tessera binary> [DATABASE_URL]
//
// Each page is loaded RUNS times in a warm browser (the way people move around the app) and the
// median time from navigation start to the page's content being visible is printed; the first
// load of the labeling page (editor bundle not cached yet) is printed separately.
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { apiClient, launchChromium, launchProfile, signIn, startTessera } from "../web/e2e/harness.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const binary = resolve(process.argv[2] ?? join(here, "../target/release/tessera"));
const databaseUrl = process.argv[3] ?? "";
const TOTAL = Number(process.env.BENCH_WEB_TASKS ?? 1_000_000);
const CHUNK = 100_000;
const RUNS = 7;
const TOKEN = "bench-web-token-0123456789abcdef";
const EMAIL = "bench@example.com";
const PASSWORD = "bench-web-password-1";

const { base, stop } = await startTessera({ binary, email: EMAIL, password: PASSWORD, token: TOKEN, databaseUrl });

const call = apiClient(base, TOKEN);

/** `count` text tasks from `start`; every other one annotated (as the API benchmark's). */
function tasks(start, count) {
  const items = [];
  for (let i = start; i < start + count; i++) {
    const data = { text: `Task number ${i}: the quick brown fox jumps over the lazy dog`, source: "bench" };
    items.push(i % 2 === 0 ? { data, annotations: [{ result: [{ id: "r1", from_name: "sentiment", to_name: "text", type: "choices", value: { choices: ["Positive"] } }] }] } : { data });
  }
  return JSON.stringify(items);
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

try {
  const config = `<View><Text name="text" value="$text"/><Choices name="sentiment" toName="text"><Choice value="Positive"/><Choice value="Negative"/></Choices></View>`;
  const project = await call("POST", "/api/projects/", { title: "One million tasks", label_config: config });
  for (let i = 0; i < 20; i++) await call("POST", "/api/projects/", { title: `Project ${i}`, label_config: config });
  const started = performance.now();
  for (let start = 0; start < TOTAL; start += CHUNK) await call("POST", `/api/projects/${project.id}/import`, tasks(start, Math.min(CHUNK, TOTAL - start)));
  console.log(`imported ${TOTAL} tasks in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  const all = await call("POST", "/api/dm/views/", { project: project.id, data: { title: "All tasks" } });
  const filtered = await call("POST", "/api/dm/views/", {
    project: project.id,
    data: { title: "Filtered", filters: { conjunction: "and", items: [{ filter: "filter:tasks:data.text", operator: "contains", type: "String", value: "number 1999" }] }, ordering: ["-tasks:id"] },
  });

  // Wait until the server is idle again: on SQLite the substring index is built behind imports
  // (searches read new tasks directly until then, slower). Reported, not hidden.
  const query = encodeURIComponent(JSON.stringify({ filters: filtered.data.filters, ordering: filtered.data.ordering }));
  const waitStarted = performance.now();
  for (let fast = 0; fast < 3 && performance.now() - waitStarted < 120_000; ) {
    const t0 = performance.now();
    await call("GET", `/api/tasks/?project=${project.id}&query=${query}&page=1&page_size=100`);
    fast = performance.now() - t0 < 100 ? fast + 1 : 0;
    await new Promise((r) => setTimeout(r, 500));
  }
  console.log(`server idle (filtered page under 100 ms) ${((performance.now() - waitStarted) / 1000).toFixed(1)} s after the import`);

  const browser = await launchChromium();
  /** A new browser context (empty cache), signed in. */
  const signedIn = async () => {
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    const fresh = await context.newPage();
    await signIn(fresh, base, EMAIL, PASSWORD);
    return fresh;
  };
  // The first load of a labeling link, with nothing cached, in three fresh contexts.
  const colds = [];
  for (let i = 0; i < 3; i++) {
    const fresh = await signedIn();
    const t0 = performance.now();
    await fresh.goto(`${base}/projects/${project.id}/label`);
    await fresh.locator(".lsf-richtext__container").first().waitFor();
    colds.push(performance.now() - t0);
    await fresh.context().close();
  }
  // The same when the sign-in page stayed open for 3 s, as while a person types: it asks the
  // browser to prefetch the editor.
  const typed = [];
  for (let i = 0; i < 3; i++) {
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    const fresh = await context.newPage();
    await fresh.goto(`${base}/user/login/`);
    await fresh.waitForTimeout(3000);
    await signIn(fresh, base, EMAIL, PASSWORD);
    const t0 = performance.now();
    await fresh.goto(`${base}/projects/${project.id}/label`);
    await fresh.locator(".lsf-richtext__container").first().waitFor();
    typed.push(performance.now() - t0);
    await context.close();
  }
  // The same after the projects page, which fetches the editor while it is idle.
  const preloaded = [];
  for (let i = 0; i < 3; i++) {
    const fresh = await signedIn();
    await fresh.goto(`${base}/projects`);
    await fresh.locator(".card").first().waitFor();
    await fresh.waitForTimeout(3000);
    const t0 = performance.now();
    await fresh.goto(`${base}/projects/${project.id}/label`);
    await fresh.locator(".lsf-richtext__container").first().waitFor();
    preloaded.push(performance.now() - t0);
    await fresh.context().close();
  }
  // Return visits with a real profile: the first visit compiles the editor; on the second the
  // scripts come from the disk cache and V8 writes its code cache; from the third, V8 starts
  // from that cache instead of compiling. Three fresh profiles, three visits each.
  const visits = [[], [], []];
  for (let i = 0; i < 3; i++) {
    const profile = mkdtempSync(join(tmpdir(), "tessera-bench-profile-"));
    const context = await launchProfile(profile, { width: 1400, height: 900 });
    const tab = context.pages()[0] ?? (await context.newPage());
    await signIn(tab, base, EMAIL, PASSWORD);
    for (const visit of visits) {
      await tab.goto("about:blank");
      const t0 = performance.now();
      await tab.goto(`${base}/projects/${project.id}/label`);
      await tab.locator(".lsf-richtext__container").first().waitFor();
      visit.push(performance.now() - t0);
      // V8 writes its code cache after the page has run a moment.
      await tab.waitForTimeout(1500);
    }
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  }
  const page = await signedIn();

  if (process.env.BENCH_DEBUG) {
    page.on("requestfinished", (r) => {
      const t = r.timing();
      if (r.url().includes("/api/")) console.log(`  ${(t.responseEnd - t.requestStart).toFixed(0).padStart(5)} ms ${r.url().replace(base, "").slice(0, 110)}`);
    });
  }
  const time = async (url, ready) => {
    const t0 = performance.now();
    await page.goto(`${base}${url}`);
    await page.locator(ready).first().waitFor();
    return performance.now() - t0;
  };
  const results = [];
  const measure = async (name, url, ready) => {
    if (process.env.BENCH_DEBUG) console.log(name);
    const times = [];
    for (let i = 0; i < RUNS; i++) times.push(await time(url, ready));
    results.push([name, median(times), Math.max(...times)]);
  };

  await measure("projects list (21 projects)", "/projects", ".card");
  await measure("data manager, all tasks", `/projects/${project.id}/data?tab=${all.id}`, "table.dm-table tbody tr");
  await measure("data manager, filtered + ordered tab", `/projects/${project.id}/data?tab=${filtered.id}`, "table.dm-table tbody tr");
  await measure("task preview (editor)", `/projects/${project.id}/data?tab=${all.id}&task=${TOTAL}`, "[data-testid^=editor-] .lsf-richtext__container");
  await measure("labeling, next task (editor)", `/projects/${project.id}/label`, ".lsf-richtext__container");
  await measure("settings", `/projects/${project.id}/settings`, "text=Task sampling");
  await measure("create project (live preview)", "/projects/new", "text=Project name");
  await measure("account", "/account", "text=Personal access tokens");

  // Jumping through the table as a scrollbar drag does: to the last task, to the middle, back
  // to the top; each jump is timed until the rows there are drawn (not placeholders).
  await page.goto(`${base}/projects/${project.id}/data?tab=${all.id}`);
  await page.locator("table.dm-table tbody tr").first().waitFor();
  /** Scrolls to `fraction` of the table; resolves when the rows there are drawn and the row
   * numbered `row` (1-based, if given) is among them. */
  const jump = async (fraction, row) => {
    const t0 = performance.now();
    await page.locator(".dm-scroller").evaluate((el, f) => el.scrollTo(0, (el.scrollHeight - el.clientHeight) * f), fraction);
    await page.waitForFunction((r) => {
      const rows = document.querySelectorAll("table.dm-table tbody tr");
      const drawn = rows.length > 0 && !document.querySelector("table.dm-table tbody tr.pending");
      return drawn && (r === null || !!document.querySelector(`table.dm-table tbody tr[aria-rowindex="${r}"]`));
    }, row);
    return performance.now() - t0;
  };
  const jumps = [];
  for (let i = 0; i < RUNS; i++) {
    jumps.push(await jump(1, TOTAL));
    jumps.push(await jump(0.5, null));
    jumps.push(await jump(0, 1));
  }
  results.push(["jump anywhere (scrollbar drag)", median(jumps), Math.max(...jumps)]);
  await browser.close();

  console.log(`\nweb app on ${databaseUrl ? "PostgreSQL" : "SQLite"}, ${TOTAL} tasks (median and worst of ${RUNS}, ms from navigation to content)`);
  console.log(`  labeling, first load with nothing cached (3 fresh browsers): ${colds.map((t) => t.toFixed(0)).join(", ")} ms`);
  console.log(`  labeling, first load after 3 s on the sign-in page (editor prefetched): ${typed.map((t) => t.toFixed(0)).join(", ")} ms`);
  console.log(`  labeling, first load after the projects page preloaded the editor: ${preloaded.map((t) => t.toFixed(0)).join(", ")} ms`);
  const shown = (times) => times.map((t) => t.toFixed(0)).join(", ");
  console.log(`  labeling in a real profile, visit 1 (nothing cached): ${shown(visits[0])} ms`);
  console.log(`  labeling in a real profile, visit 2 (disk cache, code cache being written): ${shown(visits[1])} ms`);
  console.log(`  labeling in a real profile, visit 3 (V8 code cache used): ${shown(visits[2])} ms`);
  for (const [name, p50, worst] of results) console.log(`  ${name.padEnd(40)} ${p50.toFixed(0).padStart(5)}  (worst ${worst.toFixed(0)})`);
} finally {
  stop();
}
