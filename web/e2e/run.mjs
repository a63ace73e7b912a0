// Browser end-to-end test: starts Tessera on a free port with a fresh SQLite data folder and
// drives Debian's Chromium through playwright-core over the web app. Screenshots of every page
// visited land in e2e/screenshots/.
//
//   TESSERA_BIN=../target/debug/tessera node e2e/run.mjs
//   E2E_DATABASE_URL=postgres://... (an empty database) runs it on PostgreSQL instead of SQLite.
import { execFileSync } from "node:child_process";
import { createHmac } from "node:crypto";
import { createServer } from "node:http";
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { transformWithEsbuild } from "vite";
import { apiClient, launchChromium, signIn, startTessera } from "./harness.mjs";

const here = dirname(fileURLToPath(import.meta.url));

/** The app's templates (TypeScript), compiled on the fly so that the test checks each against the server. */
async function loadTemplates() {
  const source = join(here, "../src/templates.ts");
  const { code } = await transformWithEsbuild(readFileSync(source, "utf8"), source, { loader: "ts", format: "esm" });
  const dir = mkdtempSync(join(tmpdir(), "tessera-templates-"));
  writeFileSync(join(dir, "templates.mjs"), code);
  try {
    return (await import(join(dir, "templates.mjs"))).TEMPLATES;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
const TEMPLATES = await loadTemplates();
const binary = resolve(process.env.TESSERA_BIN ?? join(here, "../../target/debug/tessera"));
const shots = join(here, "screenshots");
mkdirSync(shots, { recursive: true });

const ADMIN = "owner@example.com";
/** One config with the three tools the test uses: a choice, a text span and a box on an image. */
const CONFIG = `<View>
  <Text name="text" value="$text"/>
  <Choices name="sentiment" toName="text" choice="single" showInline="true">
    <Choice value="Positive"/>
    <Choice value="Negative"/>
  </Choices>
  <Labels name="entity" toName="text">
    <Label value="Person" background="#f5a623"/>
    <Label value="Place" background="#4a90e2"/>
  </Labels>
  <Image name="image" value="$image"/>
  <RectangleLabels name="object" toName="image">
    <Label value="Car" background="#d0021b"/>
  </RectangleLabels>
</View>`;
const CSV = "text,image\nA wonderful film with Ada,/samples/image.svg\nBob walked out after an hour,/samples/image.svg\n\"Fine, I guess\",/samples/image.svg\n";
const PASSWORD = "owner-e2e-password-7";

function check(condition, message) {
  if (!condition) throw new Error(`check failed: ${message}`);
}

/**
 * A model server speaking Label Studio's protocol on a free loopback port: `/setup` answers
 * `version`, `/predict` answers `predict(body)`; every request is kept in `seen`.
 */
async function startModelServer(version, predict) {
  const seen = [];
  const server = createServer((request, response) => {
    let raw = "";
    request.on("data", (chunk) => (raw += chunk));
    request.on("end", () => {
      const body = raw ? JSON.parse(raw) : null;
      seen.push({ path: request.url, body });
      const answer = (status, value) => {
        response.writeHead(status, { "Content-Type": "application/json" });
        response.end(JSON.stringify(value));
      };
      if (request.url === "/health") answer(200, { status: "UP" });
      else if (request.url === "/setup") answer(200, { model_version: version });
      else if (request.url === "/webhook") answer(201, { status: "ok" });
      else if (request.url === "/predict") answer(200, predict(body));
      else answer(404, { error: "not found" });
    });
  });
  await new Promise((done) => server.listen(0, "127.0.0.1", done));
  return { server, seen };
}

const { base, stop } = await startTessera({
  binary,
  email: ADMIN,
  password: PASSWORD,
  databaseUrl: process.env.E2E_DATABASE_URL ?? "",
  // The storage emulators run on this machine.
  env: { TESSERA_OUTBOUND_ALLOW: "127.0.0.1/32" },
});
let browser;
try {
  browser = await launchChromium();
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const shot = (name) => page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
  // Every console error of the app's pages, checked at the end.
  const consoleErrors = [];
  page.on("console", (message) => message.type() === "error" && consoleErrors.push(`${page.url()}: ${message.text()}`));
  page.on("pageerror", (error) => consoleErrors.push(`${page.url()}: ${error.message}`));
  /** The writes (other than config validation) the page sends while `act` runs and shortly after. */
  const writesDuring = async (act) => {
    const writes = [];
    const seen = (request) => request.method() !== "GET" && !request.url().includes("/validate/") && writes.push(`${request.method()} ${request.url()}`);
    page.on("request", seen);
    await act();
    await page.waitForTimeout(500);
    page.off("request", seen);
    return writes;
  };

  // Signed out, the app sends people to the login page.
  await page.goto(`${base}/projects`);
  await page.waitForURL(/\/user\/login\//);
  await shot("01-login");
  // The sign-in page has the browser fetch the labeling editor while people type.
  const loginHtml = await (await fetch(`${base}/user/login/`)).text();
  check(/<link rel="prefetch" href="\/assets\/lsf-[^"]+\/main\.js" as="script">/.test(loginHtml), "the sign-in page prefetches the editor");

  // A new sign-up joins as an annotator and sees no projects.
  await page.goto(`${base}/user/signup/`);
  await page.fill("input[name=email]", "newcomer@example.com");
  await page.fill("input[name=password]", "a-strong-secret-42");
  await Promise.all([page.waitForURL(`${base}/`), page.click("button[type=submit]")]);
  await page.getByTestId("no-pending-work").waitFor();
  await page.click("nav >> text=Projects");
  await page.getByText("No projects yet.").waitFor();
  // An annotator is offered nothing it may not do, and told who can change that.
  const help = await page.getByTestId("no-projects-help").textContent();
  check(help.includes("an Annotator") && help.includes("Manager role"), `the empty list explains the role: ${help}`);
  check((await page.getByRole("link", { name: /Create/ }).count()) === 0, "no project creation for an annotator");
  await shot("02-projects-empty");
  await page.goto(`${base}/projects/new`);
  await page.getByText(/Managers, administrators and owners create projects; your role is Annotator/).waitFor();
  check((await page.locator("input[name=title]").count()) === 0, "no wizard for an annotator");
  await page.click("text=Log out");
  await page.waitForURL(/\/user\/login\//);

  // The owner creates a project in the wizard: a CSV to import, a template, its labels edited
  // visually, then the config rewritten in the code editor; the live preview follows.
  await signIn(page, base, ADMIN, PASSWORD);
  await page.click("text=Create your first project");
  await page.fill("input[name=title]", "Movie reviews");
  await page.fill("textarea[name=description]", "Sentiment of short reviews");
  await page.click("role=tab >> text=Data import");
  // The CSV is dropped on the drop zone, as a person drags it from their desktop.
  await page.getByTestId("dropzone").evaluate((zone, csv) => {
    const transfer = new DataTransfer();
    transfer.items.add(new File([csv], "reviews.csv", { type: "text/csv" }));
    zone.dispatchEvent(new DragEvent("dragover", { dataTransfer: transfer, bubbles: true, cancelable: true }));
    zone.dispatchEvent(new DragEvent("drop", { dataTransfer: transfer, bubbles: true, cancelable: true }));
  }, CSV);
  await page.getByTestId("data-columns").getByText("text, image").waitFor();
  await shot("03-wizard-import");
  await page.click("role=tab >> text=Labeling setup");
  if (!process.env.E2E_DATABASE_URL) {
    // Every template renders in the live preview (browser-only: checked on the SQLite run).
    const templateProblems = [];
    for (const template of TEMPLATES) {
      const errorsBefore = consoleErrors.length;
      await page.locator("label.template", { hasText: template.title }).click();
      await page.getByTestId("config-ok").waitFor();
      await page.locator(".config-preview .lsf-main-view").first().waitFor();
      await page.waitForTimeout(500);
      // The editor's own error box, or the app's (the editor failed to load or start).
      const broken = await page.locator(".config-preview").locator("[class*='error']").count();
      if (broken) templateProblems.push(`${template.title}: an error box in the preview`);
      if (consoleErrors.length > errorsBefore) templateProblems.push(`${template.title}: ${consoleErrors.slice(errorsBefore).join(" | ").slice(0, 300)}`);
    }
    check(templateProblems.length === 0, `every template renders without errors:\n${templateProblems.join("\n")}`);
  }
  await page.locator("label.template", { hasText: "Named entity recognition" }).click();
  await page.getByLabel("New label for label").fill("Event");
  await page.click("button:has-text('Add')");
  await page.getByLabel("Name of Event").waitFor();
  await page.getByTestId("editor-sample").locator(".lsf-label", { hasText: "Event" }).waitFor();
  await page.click("role=tab >> text=Code");
  await page.locator(".cm-content").click();
  await page.keyboard.press("Control+A");
  await page.keyboard.insertText(CONFIG);
  await page.getByTestId("config-ok").waitFor();
  await page.getByTestId("editor-sample").locator(".lsf-label", { hasText: "Car" }).waitFor();
  await shot("04-wizard-labeling");
  // The editor's own buttons in the preview do not submit the wizard.
  check((await writesDuring(() => page.getByTestId("editor-sample").locator("button").first().click())).length === 0, "a click in the preview does not create the project");
  await page.click("button:has-text('Save')");
  await page.waitForURL(/\/projects\/\d+\/data/);
  const projectId = Number(/projects\/(\d+)/.exec(page.url())[1]);
  await page.locator("table.dm-table tbody tr").nth(2).waitFor();
  await page.getByTestId("counters").getByText("3 tasks · 0 annotations").waitFor();
  await shot("05-data-manager");

  // The quick view shows a task in the editor beside the table, ready to label.
  await page.locator("table.dm-table tbody tr", { hasText: "wonderful" }).click();
  await page.getByTestId("editor-quick").locator(".lsf-richtext__container", { hasText: "wonderful" }).waitFor();
  check(page.url().includes("task="), "the opened task is in the URL");
  await shot("06-preview");
  await page.click("button[aria-label='Close preview']");

  // "Label selected" labels within the selection.
  const firstRow = page.locator("table.dm-table tbody tr").first();
  const firstId = Number((await firstRow.locator("td").nth(1).innerText()).trim());
  await firstRow.getByRole("checkbox").check();
  await page.getByRole("link", { name: "Label 1 selected" }).click();
  await page.getByTestId("labeling-task").getByText(new RegExp(`Task #${firstId}\\b`)).waitFor();
  check(page.url().includes(`sel=${firstId}`), "the selection is in the URL");
  await page.click("text=← Data Manager");

  // Labeling: three tasks from the stream, each with a different tool.
  await page.click("text=Label All Tasks");
  const editor = page.getByTestId("editor-label");
  const submit = () => editor.locator("button", { hasText: /^Submit$/ }).click();
  const onTask = (n) => page.getByTestId("labeling-task").getByText(new RegExp(`Task #${n}\\b`)).waitFor();
  await editor.locator("label.ant-checkbox-wrapper", { hasText: "Positive" }).waitFor();
  const first = Number(/#(\d+)/.exec(await page.getByTestId("labeling-task").innerText())[1]);
  await editor.locator("label.ant-checkbox-wrapper", { hasText: "Positive" }).click();
  await shot("07-label-choice");
  await submit();
  await onTask(first + 1);
  await editor.locator(".lsf-label", { hasText: "Person" }).click();
  const text = await editor.locator(".lsf-richtext__container").first().boundingBox();
  await page.mouse.move(text.x + 1, text.y + text.height / 2);
  await page.mouse.down();
  await page.mouse.move(text.x + 30, text.y + text.height / 2, { steps: 5 });
  await page.mouse.up();
  await editor.getByText("Regions").first().waitFor();
  await shot("08-label-span");
  await submit();
  await onTask(first + 2);
  await editor.locator(".lsf-label", { hasText: "Car" }).click();
  const image = editor.locator("img[src*='image.svg']").first();
  await image.waitFor();
  const frame = await image.boundingBox();
  await page.mouse.move(frame.x + 80, frame.y + 160);
  await page.mouse.down();
  await page.mouse.move(frame.x + 330, frame.y + 300, { steps: 8 });
  await page.mouse.up();
  await shot("09-label-box");
  await submit();
  await page.getByTestId("no-tasks").waitFor();
  await shot("10-no-more-tasks");

  // The Data Manager counts the new annotations.
  await page.click("text=← Data Manager");
  await page.getByTestId("counters").getByText("3 tasks · 3 annotations").waitFor();
  await page.getByTestId("dm-totals").getByText("3 tasks · 3 annotations").waitFor();

  // Filtering narrows the table; the tab keeps the filter across reloads.
  await page.click("button:has-text('Filters')");
  await page.click("text=+ Add filter");
  await page.getByLabel("Value").fill("wonderful");
  await page.getByTestId("dm-totals").getByText(/^1 task ·/).waitFor();
  check((await page.locator("table.dm-table tbody tr").count()) === 1, "one task matches");
  await shot("11-filtered");
  await page.reload();
  await page.getByText("Filters (1)").waitFor();
  await page.getByTestId("dm-totals").getByText(/^1 task ·/).waitFor();

  // Columns can be hidden; selected tasks get bulk actions behind a confirmation.
  await page.click("button:has-text('Columns')");
  const imageHeader = page.locator("table.dm-table th", { hasText: /^\s*image\s*$/ });
  await imageHeader.waitFor();
  await page.getByRole("group", { name: "Columns" }).getByLabel(/image/).click();
  await page.click("button:has-text('Done')");
  await imageHeader.waitFor({ state: "detached" });
  await page.getByLabel("Select all tasks").check();
  await page.getByRole("link", { name: "Label 1 selected" }).waitFor();
  await page.getByLabel("Actions").selectOption("delete_tasks_predictions");
  await page.getByRole("dialog").getByText("This applies to 1 selected task").waitFor();
  await shot("12-bulk-action");
  await page.getByRole("dialog").getByRole("button", { name: "OK" }).click();
  await page.getByText("Deleted 0 predictions").waitFor();

  // Export: JSON with the three annotations, one per tool.
  await page.click("button:has-text('Export')");
  await page.getByRole("dialog").locator("input[name=format][value=JSON]").check();
  // Formats the labeling setup cannot give (COCO of a project reading two data keys) are offered
  // disabled, as Label Studio's rules say.
  check(await page.getByRole("dialog").locator("input[name=format][value=COCO]").isDisabled(), "COCO is disabled for this config");
  await shot("13-export");
  const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("dialog").getByRole("button", { name: "Export" }).click()]);
  const exported = JSON.parse(readFileSync(await download.path(), "utf8"));
  check(exported.length === 3 && exported.every((t) => Array.isArray(t.annotations)), `three tasks exported: ${JSON.stringify(exported).slice(0, 300)}`);
  const kinds = exported.flatMap((t) => t.annotations.flatMap((a) => a.result.map((r) => r.type))).sort();
  check(JSON.stringify(kinds) === JSON.stringify(["choices", "labels", "rectanglelabels"]), `one result per tool: ${kinds}`);
  const span = exported.flatMap((t) => t.annotations.flatMap((a) => a.result)).find((r) => r.type === "labels");
  check(span.value.labels[0] === "Person" && span.value.text.length > 0, "the NER span");
  // Snapshots: made in the background, downloaded in the chosen format, deleted.
  await page.click("button:has-text('Export')");
  const snapshots = page.getByRole("dialog").getByRole("region", { name: "Snapshots" });
  await snapshots.getByRole("button", { name: "Create snapshot" }).click();
  await snapshots.getByTestId("snapshot").getByText(/^3 tasks · made/).waitFor();
  await page.getByRole("dialog").locator("input[name=format][value=CSV]").check();
  // A converted copy is kept beside the snapshot; the download then serves it.
  await snapshots.getByRole("button", { name: "Convert to CSV" }).click();
  await snapshots.getByText("converted: CSV (completed)").waitFor();
  await shot("13a-export-snapshot");
  const [csvDownload] = await Promise.all([page.waitForEvent("download"), snapshots.getByRole("link", { name: "Download CSV" }).click()]);
  const snapshotCsv = readFileSync(await csvDownload.path(), "utf8");
  check(snapshotCsv.split("\r\n")[0].includes("sentiment") && snapshotCsv.trim().split("\r\n").length === 4, `the snapshot as CSV: ${snapshotCsv.slice(0, 300)}`);
  await snapshots.getByRole("button", { name: "Delete" }).click();
  await snapshots.getByTestId("snapshot").waitFor({ state: "detached" });
  await page.getByRole("dialog").getByRole("button", { name: "Close" }).click();

  // Predictions are the starting point; drafts save themselves; skip; update a submitted task.
  const api = async (method, path, body) => page.evaluate(async ({ method, path, body }) => {
    const response = await fetch(path, { method, headers: { "Content-Type": "application/json" }, body: body && JSON.stringify(body) });
    return { status: response.status, body: await response.json().catch(() => null) };
  }, { method, path, body });
  const imported = await api("POST", `/api/projects/${projectId}/import`, [
    { data: { text: "Predicted: a dull sequel", image: "/samples/image.svg" }, predictions: [{ result: [{ from_name: "sentiment", to_name: "text", type: "choices", value: { choices: ["Negative"] } }] }] },
    { data: { text: "To be skipped", image: "/samples/image.svg" } },
  ]);
  check(imported.status === 201, `import with a prediction: ${imported.status}`);
  await page.goto(`${base}/projects/${projectId}/label`);
  await editor.locator(".lsf-richtext__container", { hasText: "Predicted" }).waitFor();
  await editor.locator("label.ant-checkbox-wrapper-checked", { hasText: "Negative" }).waitFor();
  await shot("12a-label-from-prediction");
  await submit();
  await editor.locator(".lsf-richtext__container", { hasText: "To be skipped" }).waitFor();
  const skippedId = Number(/#(\d+)/.exec(await page.getByTestId("labeling-task").innerText())[1]);
  await editor.locator("label.ant-checkbox-wrapper", { hasText: "Positive" }).click();
  await page.getByText("Draft saved.").waitFor({ timeout: 15_000 });
  const drafts = await api("GET", `/api/tasks/${skippedId}/drafts`);
  check(drafts.body.some((d) => d.result.some((r) => r.value.choices?.[0] === "Positive")), `the draft is saved: ${JSON.stringify(drafts.body)}`);
  // Coming back resumes the draft; skipping right away (no autosave yet) still retires it.
  await page.reload();
  await editor.locator(".lsf-richtext__container", { hasText: "To be skipped" }).waitFor();
  await editor.locator("label.ant-checkbox-wrapper-checked", { hasText: "Positive" }).waitFor();
  await editor.locator("button", { hasText: /^Skip$/ }).click();
  await page.getByTestId("no-tasks").waitFor();
  check((await api("GET", `/api/tasks/${skippedId}/drafts`)).body.length === 0, "the resumed draft is gone after the skip");
  const skipped = await api("GET", `/api/tasks/${skippedId}/`);
  check(skipped.body.cancelled_annotations === 1, "the task was skipped");
  const predicted = (await api("GET", `/api/tasks/${skippedId - 1}/`)).body.annotations[0];
  check(predicted.result[0].value.choices[0] === "Negative", "the prediction became the annotation");

  // The whole labeling history, back and forward; a skip taken back; a task postponed.
  await page.getByRole("link", { name: "← Back" }).click();
  await page.getByTestId("labeling-task").getByText(`Task #${skippedId}`).waitFor();
  const position = await page.getByTestId("history-position").innerText();
  const [at, total] = position.split(" of ").map(Number);
  check(at === total && total >= 3, `the skipped task is the newest of the history: ${position}`);
  await page.getByRole("link", { name: "← Back" }).click();
  await page.getByTestId("labeling-task").getByText(`Task #${skippedId - 1}`).waitFor();
  await page.getByRole("link", { name: "Forward →" }).click();
  await page.getByTestId("labeling-task").getByText(`Task #${skippedId}`).waitFor();
  await shot("12c-label-history");
  await page.click("button:has-text('Cancel skip')");
  await page.getByText(`Skip of task ${skippedId} cancelled.`).waitFor();
  check((await api("GET", `/api/tasks/${skippedId}/`)).body.cancelled_annotations === 0, "the skip is taken back");
  await editor.locator(".lsf-richtext__container", { hasText: "To be skipped" }).waitFor();
  await editor.locator("label.ant-checkbox-wrapper", { hasText: "Positive" }).click();
  await page.click("button:has-text('Postpone')");
  await page.getByText(`Task ${skippedId} postponed.`).waitFor();
  const postponed = (await api("GET", `/api/tasks/${skippedId}/drafts`)).body;
  check(postponed.some((d) => d.was_postponed && d.result.some((r) => r.value.choices?.[0] === "Positive")), `the work waits in a postponed draft: ${JSON.stringify(postponed)}`);

  await page.goto(`${base}/projects/${projectId}/label?task=${first}`);
  await editor.locator("label.ant-checkbox-wrapper-checked", { hasText: "Positive" }).waitFor();
  await editor.locator("label.ant-checkbox-wrapper", { hasText: "Negative" }).click();
  await editor.locator("button", { hasText: /^Update$/ }).click();
  await page.getByText(`Annotation of task ${first} updated.`).waitFor();
  const updated = (await api("GET", `/api/tasks/${first}/`)).body.annotations;
  check(updated.length === 1 && updated[0].result[0].value.choices[0] === "Negative", `the annotation was updated: ${JSON.stringify(updated)}`);
  await shot("12b-label-update");
  // Skipping a task one already annotated marks that annotation cancelled (no second one).
  await editor.locator("button", { hasText: /^Skip$/ }).click();
  await page.getByText(`Task ${first} skipped.`).waitFor();
  const cancelled = (await api("GET", `/api/tasks/${first}/`)).body.annotations;
  check(cancelled.length === 1 && cancelled[0].was_cancelled, `the annotation is cancelled: ${JSON.stringify(cancelled)}`);

  // Settings: instructions are shown to annotators; a config the server refuses is explained.
  await page.goto(`${base}/projects/${projectId}/data`);
  await page.click("nav[aria-label=Project] >> text=Settings");
  await page.click("nav[aria-label=Settings] >> text=Instructions");
  await page.getByLabel(/Instructions for annotators/).fill("<p>Mark <b>people</b> and cars.</p><script>alert(1)</script>");
  await page.getByLabel("Show the instructions before labeling").check();
  await page.click("button:has-text('Save')");
  await page.getByText("Saved.").waitFor();
  await shot("14-settings-instructions");
  await page.click("nav[aria-label=Settings] >> text=Labeling interface");
  // The preview shows the project's own first task.
  await page.getByTestId("editor-sample").getByText("A wonderful film with Ada").first().waitFor();
  check((await writesDuring(() => page.getByTestId("editor-sample").locator("button").first().click())).length === 0, "a click in the preview does not save the settings");
  await page.click("role=tab >> text=Code");
  await page.locator(".cm-content").click();
  await page.keyboard.press("Control+A");
  await page.keyboard.insertText('<View><Text name="text" value="$text"/><Choices name="c" toName="nowhere"><Choice value="a"/></Choices></View>');
  await page.getByTestId("config-error").waitFor();
  check((await page.getByTestId("config-error").innerText()).includes("nowhere"), "the server's reason is shown");
  await shot("15-settings-config-error");
  await page.goto(`${base}/projects/${projectId}/label`);
  await page.getByRole("complementary", { name: "Instructions" }).getByText("people").waitFor();
  check((await page.locator("aside.instructions script").count()) === 0, "scripts are stripped from instructions");

  // Every template is a config the server accepts.
  const token = await (async () => {
    await page.click("nav >> text=Account");
    await page.waitForFunction(() => document.querySelector("input[aria-label='Access token']")?.value);
    return page.locator("input[aria-label='Access token']").inputValue();
  })();
  check(token.length >= 20, "an API token is shown");
  const me = await (await fetch(`${base}/api/current-user/whoami`, { headers: { Authorization: `Token ${token}` } })).json();
  check(me.email === ADMIN, "the token is the owner's");
  const call = apiClient(base, token);
  // (The SQLite run already had each template accepted on its way through the wizard.)
  if (process.env.E2E_DATABASE_URL) {
    for (const template of TEMPLATES) await call("POST", "/api/projects/validate/", { label_config: template.config });
  }

  // Personal access tokens: create (shown once), revoke.
  await page.click("button:has-text('Create token')");
  const pat = await page.getByLabel("New personal access token").inputValue();
  const refreshed = await fetch(`${base}/api/token/refresh/`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ refresh: pat }) });
  check(refreshed.ok, "the new token works");
  await shot("16-account");
  await page.click("button:has-text('Revoke')");
  await page.getByText("No personal access token.").waitFor();

  // The projects list shows the counts; pinning and search.
  await page.click("nav >> text=Projects");
  const card = page.locator(".card", { hasText: "Movie reviews" });
  await card.locator("dd").nth(0).getByText("5", { exact: true }).waitFor();
  await card.locator("dd").nth(1).getByText("3", { exact: true }).waitFor();
  await card.getByRole("button", { name: "Pin Movie reviews" }).click();
  await card.getByRole("button", { name: "Unpin Movie reviews" }).waitFor();
  await shot("17-projects");
  await page.fill("input[type=search]", "zzz");
  await page.getByText("No project title contains").waitFor();

  // Home: the user's pending work and recent projects; the dark theme, remembered; a page for
  // a project that is not there.
  await page.click("nav >> text=Home");
  await page.getByRole("list", { name: "Recent projects" }).getByText("Movie reviews").waitFor();
  await page.getByRole("heading", { name: "Your work" }).waitFor();
  await page.getByLabel("Theme").selectOption("dark");
  check((await page.evaluate(() => document.documentElement.dataset.theme)) === "dark", "the dark theme applies");
  await page.reload();
  await page.getByRole("list", { name: "Recent projects" }).waitFor();
  check((await page.evaluate(() => document.documentElement.dataset.theme)) === "dark", "the theme is remembered");
  await shot("17a-home-dark");
  await page.getByLabel("Theme").selectOption("light");
  await page.goto(`${base}/projects/987654/data`);
  await page.getByTestId("unknown-project").waitFor();

  // The workspace sidebar narrows the projects list to a workspace's projects.
  const project = { id: projectId, title: "Movie reviews" };
  const workspace = await call("POST", "/api/workspaces/", { title: "Film team", color: "#7c3aed" });
  await call("POST", "/api/workspaces/" + workspace.id + "/projects/", { project: project.id });
  const other = await call("POST", "/api/projects/", {
    title: "Other project",
    label_config: `<View><Image name="image" value="$image"/><Choices name="kind" toName="image"><Choice value="Drawing"/></Choices></View>`,
  });
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
  await page.getByText("newcomer@example.com is now a Reviewer.").waitFor();
  // A member's detail: role, activity and the projects they worked on.
  await page.getByRole("button", { name: `Details of ${ADMIN}` }).click();
  await page.getByTestId("member-panel").getByText("Movie reviews").first().waitFor();
  const work = await page.getByTestId("member-work").innerText();
  check(/^\d+ annotations? in \d+ projects?$/.test(work), `the member's work in words: ${work}`);
  await shot("09a-people-member");
  await page.getByRole("button", { name: "Close details" }).click();
  await page.click("text=Invite people");
  await page.waitForFunction(() => document.querySelector("input[aria-label='Invite link']")?.value.includes("token="));
  const link = await page.getByLabel("Invite link").inputValue();
  check(link.startsWith(`${base}/user/signup/?token=`), "the invite link");
  await shot("09-people-invite");
  await page.click("text=Done");

  // Project members: the newcomer is added to the project.
  await page.goto(`${base}/projects/${project.id}`);
  await page.click("nav[aria-label=Project] >> text=Members");
  await page.getByLabel("Person to add").selectOption({ label: "newcomer@example.com" });
  await page.click("button:has-text('Add')");
  await page.locator(".list li", { hasText: "newcomer@example.com" }).waitFor();
  await page.getByTestId("project-creator").getByText(ADMIN).waitFor();
  await shot("10-project-members");

  // An annotator of the project opens it to label: no Data Manager, settings or member changes.
  const labeler = await call("POST", "/api/users/", { email: "labeler@example.com", username: "labeler", password: "a-labeling-secret-42" });
  await call("POST", `/api/projects/${project.id}/members/`, { user: labeler.id });
  const annotatorContext = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const annotatorPage = await annotatorContext.newPage();
  await signIn(annotatorPage, base, "labeler@example.com", "a-labeling-secret-42");
  // Their home page lists the work waiting for them.
  await annotatorPage.getByRole("list", { name: "Your work" }).getByText(project.title).waitFor();
  await annotatorPage.click("nav >> text=Projects");
  await annotatorPage.locator(".card-title", { hasText: project.title }).click();
  await annotatorPage.waitForURL(`${base}/projects/${project.id}/label`);
  await annotatorPage.goto(`${base}/projects/${project.id}/data`);
  await annotatorPage.waitForURL(`${base}/projects/${project.id}/label`);
  await annotatorPage.goto(`${base}/projects/${project.id}/members`);
  await annotatorPage.locator(".list li", { hasText: "newcomer@example.com" }).waitFor();
  const nav = await annotatorPage.locator("nav[aria-label=Project]").textContent();
  check(!nav.includes("Settings") && !nav.includes("Data Manager"), `an annotator's project pages: ${nav}`);
  check((await annotatorPage.getByLabel("Person to add").count()) === 0, "an annotator cannot add members");
  await annotatorPage.goto(`${base}/projects/${project.id}/settings`);
  await annotatorPage.getByText("Only managers, administrators and owners change a project's settings.").waitFor();
  await annotatorPage.screenshot({ path: join(shots, "10b-annotator-settings.png"), fullPage: true });
  // The account page: profile, a rebound hotkey, a password change that ends the session.
  await annotatorPage.click("nav >> text=Account");
  await annotatorPage.getByLabel("First name").fill("Lara");
  await annotatorPage.getByLabel("Phone").fill("+1 555 0100");
  await annotatorPage.click("button:has-text('Save profile')");
  await annotatorPage.getByText("Profile saved.").waitFor();
  await annotatorPage.getByLabel("Key for Skip the task").fill("ctrl+k");
  await annotatorPage.click("button:has-text('Save hotkeys')");
  await annotatorPage.getByText("Hotkeys saved.").waitFor();
  const labelerMe = await annotatorPage.evaluate(() => fetch("/api/current-user/whoami").then((r) => r.json()));
  check(labelerMe.first_name === "Lara" && labelerMe.phone === "+1 555 0100" && labelerMe.custom_hotkeys["annotation:skip"].key === "ctrl+k", `the profile is saved: ${JSON.stringify(labelerMe)}`);
  await annotatorPage.getByLabel("Current password").fill("not-the-password");
  await annotatorPage.getByLabel("New password").fill("a-new-labeling-secret-43");
  await annotatorPage.click("button:has-text('Change password')");
  await annotatorPage.getByText("The current password is wrong.").waitFor();
  await annotatorPage.getByLabel("Current password").fill("a-labeling-secret-42");
  await annotatorPage.click("button:has-text('Change password')");
  await annotatorPage.getByText("Password changed.").waitFor();
  await annotatorPage.screenshot({ path: join(shots, "10d-account.png"), fullPage: true });
  await signIn(annotatorPage, base, "labeler@example.com", "a-new-labeling-secret-43");
  await annotatorContext.close();

  // The wizard reads a file's columns as soon as it is chosen: a CSV whose column is not the
  // config's variable is explained before anything is saved, and the column chosen rewrites
  // the config that is then saved and imported. Cancel leaves no project behind.
  const countProjects = async () => (await call("GET", "/api/projects/?page_size=1")).count;
  const before = await countProjects();
  const dropCsv = (name, csv) =>
    page.getByTestId("dropzone").evaluate((zone, [fileName, text]) => {
      const transfer = new DataTransfer();
      transfer.items.add(new File([text], fileName, { type: "text/csv" }));
      zone.dispatchEvent(new DragEvent("drop", { dataTransfer: transfer, bubbles: true, cancelable: true }));
    }, [name, csv]);
  await page.goto(`${base}/projects/new`);
  await page.click("role=tab >> text=Data import");
  await dropCsv("stars.csv", "review,stars\nLoved it,5\nHated it,1\n");
  await page.getByTestId("data-columns").getByText("review, stars").waitFor();
  check((await countProjects()) === before + 1, "the file uploads into a draft at once");
  await page.click("button:has-text('Cancel')");
  await page.waitForURL(`${base}/projects`);
  check((await countProjects()) === before, "Cancel leaves no project behind");
  await page.goto(`${base}/projects/new`);
  await page.fill("input[name=title]", "Star ratings");
  await page.click("role=tab >> text=Data import");
  await dropCsv("stars.csv", "review,stars\nLoved it,5\nHated it,1\n");
  await page.getByTestId("column-problems").getByText(/reads \$text, but your data has no “text” column/).waitFor();
  await page.click("role=tab >> text=Labeling setup");
  await page.locator("label.template", { hasText: "Text classification" }).click();
  await shot("10c-wizard-column-problem");
  await page.getByLabel("Column for $text").selectOption("review");
  check((await page.getByTestId("column-problems").count()) === 0, "choosing the column solves it");
  await page.click("button:has-text('Save')");
  await page.waitForURL(/\/projects\/\d+\/data/);
  const starsId = Number(new URL(page.url()).pathname.split("/")[2]);
  const stars = await call("GET", `/api/projects/${starsId}/`);
  check(stars.label_config.includes('value="$review"') && stars.task_number === 2, "the config on screen was saved and the file imported");
  check((await countProjects()) === before + 1, "one project, no leftover draft");

  // A second project: a URL-list import, ordering by a header, a new tab, general settings and
  // deleting the project from the danger zone.
  await page.goto(`${base}/projects/${other.id}/data`);
  await page.click("button:has-text('Import')");
  await page.setInputFiles("input[type=file]", {
    name: "more.json",
    mimeType: "application/json",
    buffer: Buffer.from(JSON.stringify([{ image: `${base}/samples/image.svg?file` }])),
  });
  await page.getByLabel(/list of URLs/).fill(`${base}/samples/image.svg?first\n${base}/samples/image.svg?second`);
  await page.getByRole("dialog").getByRole("button", { name: "Import" }).click();
  await page.getByTestId("import-result").getByText("Imported 3 tasks").waitFor();
  await shot("18-import-urls");
  await page.getByRole("dialog").getByRole("button", { name: "Close" }).click();
  await page.locator("table.dm-table tbody tr").nth(2).waitFor();
  check((await page.locator("table.dm-table img.thumb").count()) === 3, "image thumbnails in the table");
  // An image project's tasks as a grid of pictures; a card opens the task beside it.
  await page.getByRole("tab", { name: "Grid" }).click();
  await page.getByTestId("task-grid").locator("img").nth(2).waitFor();
  await page.getByTestId("task-grid").getByRole("button", { name: /Open task/ }).first().click();
  const quick = page.getByRole("complementary", { name: /Task \d+/ });
  await quick.waitFor();
  // Labeled in the quick view, without leaving the tasks.
  await quick.locator("label.ant-checkbox-wrapper").first().click();
  await quick.getByTestId("editor-quick").locator("button", { hasText: /^Submit$/ }).click();
  await quick.getByTestId("preview-notice").getByText(/submitted/).waitFor();
  await page.getByTestId("dm-totals").getByText(/^3 tasks · 1 annotation ·/).waitFor();
  check(await page.getByTestId("task-grid").isVisible(), "the tasks stay in view");
  await shot("18a-grid");
  await page.getByRole("button", { name: "Close preview" }).click();
  await page.getByRole("tab", { name: "List" }).click();
  await page.locator("table.dm-table tbody tr").nth(2).waitFor();
  const idHeader = page.locator("table.dm-table th").nth(1).locator("button");
  // Unsorted is the id order: a click on ID sorts descending, the next one unsorts.
  const ids = () => page.evaluate(() => Array.from(document.querySelectorAll("table.dm-table tbody tr td:nth-child(2)"), (td) => Number(td.textContent)));
  await idHeader.click();
  await page.locator("table.dm-table th[aria-sort=descending]").waitFor();
  await page.waitForFunction(() => {
    const shown = Array.from(document.querySelectorAll("table.dm-table tbody tr td:nth-child(2)"), (td) => Number(td.textContent));
    return shown.length === 3 && shown[0] > shown[1] && shown[1] > shown[2];
  });
  // The order menu: by a data column, then back to unsorted.
  await page.getByLabel("Order by").selectOption({ label: "image" });
  await page.locator("table.dm-table th[aria-sort=ascending]").waitFor();
  await page.getByLabel("Order by").selectOption("");
  await page.waitForFunction(() => !document.querySelector("table.dm-table th[aria-sort]"));
  await page.waitForFunction(() => {
    const shown = Array.from(document.querySelectorAll("table.dm-table tbody tr td:nth-child(2)"), (td) => Number(td.textContent));
    return shown.length === 3 && shown[0] < shown[1] && shown[1] < shown[2];
  });
  check((await ids()).length === 3, "three rows");
  await page.click("button[aria-label='Add tab']");
  await page.getByRole("tab", { name: "New Tab" }).waitFor();
  await page.click("nav[aria-label=Project] >> text=Settings");
  await page.getByLabel("Project name").fill("Renamed project");
  await page.click("button:has-text('Save')");
  await page.getByText("Saved.").waitFor();
  await page.locator(".project-header h1", { hasText: "Renamed project" }).waitFor();
  await shot("19-settings-general");
  await page.click("nav[aria-label=Settings] >> text=Danger zone");
  await page.locator(".list.danger li", { hasText: "Delete project" }).getByRole("button").click();
  await page.getByLabel("Project name to confirm").fill("Renamed project");
  await shot("20-danger-zone");
  await page.getByRole("dialog").getByRole("button", { name: "Delete project" }).click();
  await page.waitForURL(`${base}/projects`);
  const gone = await fetch(`${base}/api/projects/${other.id}/`, { headers: { Authorization: `Token ${token}` } });
  check(gone.status === 404, "the project is deleted");

  // Cloud storage, in the S3 emulator the test command started: a bucket of pictures becomes
  // tasks through the settings page, the editor shows a picture from the bucket through its
  // resolve link (a redirect to a presigned URL), and a target storage receives the annotation.
  const s3 = process.env.TESSERA_TEST_S3_ENDPOINT;
  check(s3, "TESSERA_TEST_S3_ENDPOINT is not set: run scripts/test.sh, or `source scripts/services.sh && start_services` first");
  const suffix = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e6)}`;
  const [source, target] = [`e2e-pictures-${suffix}`, `e2e-annotations-${suffix}`];
  for (const bucket of [source, target]) check((await fetch(`${s3}/${bucket}`, { method: "PUT" })).ok, `bucket ${bucket}`);
  const picture = await page.screenshot({ clip: { x: 0, y: 0, width: 320, height: 200 } });
  const put = await fetch(`${s3}/${source}/pictures/screen.png`, { method: "PUT", body: picture, headers: { "Content-Type": "image/png" } });
  check(put.ok, `the picture is in the bucket: ${put.status}`);
  const pictures = await call("POST", "/api/projects/", {
    title: "Pictures in S3",
    label_config: `<View><Image name="image" value="$image"/><Choices name="kind" toName="image"><Choice value="Screen"/><Choice value="Photo"/></Choices></View>`,
  });
  await page.goto(`${base}/projects/${pictures.id}/settings/storage`);
  const connection = async (dialog, bucket) => {
    await dialog.getByLabel("Bucket name").fill(bucket);
    await dialog.getByLabel("S3 endpoint").fill(s3);
    await dialog.getByLabel("Region").fill("us-east-1");
    await dialog.getByLabel("Access key ID").fill("AKIDE2E");
    await dialog.getByLabel("Secret access key").fill("e2e-secret");
  };
  await page.getByRole("button", { name: "Add Source Storage" }).click();
  let dialog = page.getByRole("dialog");
  await dialog.getByLabel("Storage title").fill("Pictures bucket");
  await connection(dialog, source);
  await dialog.getByLabel("Prefix").fill("nothing-here");
  await dialog.getByRole("button", { name: "Check Connection" }).click();
  await dialog.getByRole("alert").getByText(`s3://${source}/nothing-here not found.`).waitFor();
  await dialog.getByLabel("Prefix").fill("pictures");
  await dialog.getByLabel(/Import each object as a task/).check();
  await dialog.getByRole("button", { name: "Preview Files" }).click();
  await dialog.getByRole("status", { name: "Files preview" }).getByText("pictures/screen.png").waitFor();
  await dialog.getByRole("button", { name: "Check Connection" }).click();
  await dialog.getByText("Successfully connected.").waitFor();
  await shot("22-storage-add");
  await dialog.getByRole("button", { name: "Add Storage" }).click();
  await dialog.waitFor({ state: "detached" });
  const sourceCard = page.getByRole("region", { name: "Source cloud storage" }).getByTestId("storage-card");
  await sourceCard.getByText("Pictures bucket").waitFor();
  await sourceCard.getByText("Not synced yet").waitFor();
  await sourceCard.getByRole("button", { name: "Sync Storage" }).click();
  await sourceCard.getByTestId("storage-status").getByText(/^Synced .*: 1 new task$/).waitFor({ timeout: 30_000 });
  // Editing keeps the secrets the page never shows; a re-sync finds nothing new.
  await sourceCard.getByRole("button", { name: "Edit" }).click();
  dialog = page.getByRole("dialog");
  check((await dialog.getByLabel("Secret access key").inputValue()) === "", "a stored secret is never shown");
  await dialog.getByLabel("Storage title").fill("Pictures");
  await dialog.getByRole("button", { name: "Save" }).click();
  await dialog.waitFor({ state: "detached" });
  await sourceCard.getByText("Pictures", { exact: true }).waitFor();
  await sourceCard.getByRole("button", { name: "Sync Storage" }).click();
  await sourceCard.getByTestId("storage-status").getByText(/1 already synced object left alone/).waitFor({ timeout: 30_000 });
  await page.getByRole("button", { name: "Add Target Storage" }).click();
  dialog = page.getByRole("dialog");
  await dialog.getByLabel("Storage title").fill("Annotations bucket");
  await connection(dialog, target);
  await dialog.getByLabel("Prefix").fill("labels");
  await dialog.getByRole("button", { name: "Add Storage" }).click();
  await dialog.waitFor({ state: "detached" });
  await page.getByRole("region", { name: "Target cloud storage" }).getByText("Annotations bucket").waitFor();
  await shot("23-storage-settings");
  // The Data Manager names each task's object.
  await page.goto(`${base}/projects/${pictures.id}/data`);
  await page.getByRole("button", { name: "Columns" }).click();
  await page.getByRole("group", { name: "Columns" }).getByLabel("Storage filename").click();
  await page.locator("table.dm-table tbody td", { hasText: "pictures/screen.png" }).waitFor();

  const [stored] = (await call("GET", `/api/tasks/?project=${pictures.id}&fields=all`)).tasks;
  check(stored.data.image.startsWith(`/tasks/${stored.id}/resolve/?fileuri=`), `the bucket's picture is read through its resolve link: ${stored.data.image}`);
  check(stored.storage_filename === "pictures/screen.png", `the task knows its object: ${stored.storage_filename}`);
  await page.goto(`${base}/projects/${pictures.id}/label`);
  const shown = editor.locator("img[src*='/resolve/']").first();
  await shown.waitFor();
  await page.waitForFunction((src) => Array.from(document.querySelectorAll("img")).some((img) => img.src.includes(src) && img.complete && img.naturalWidth === 320), "/resolve/");
  await editor.locator("label.ant-checkbox-wrapper", { hasText: "Screen" }).click();
  await shot("24-storage-picture-labeled");
  await submit();
  await page.getByTestId("no-tasks").waitFor();
  const [annotation] = (await call("GET", `/api/tasks/${stored.id}/annotations/`));
  // The target storage wrote the object signed, so only a signed request reads it back (boto3
  // from the emulators' environment signs it).
  const readObject = (bucket, key) => {
    const python = join(here, "../..", process.env.SERVICES_VENV ?? "tests/services/.venv", "bin/python");
    const script = "import boto3, sys; s3 = boto3.client('s3', endpoint_url=sys.argv[1], region_name='us-east-1', aws_access_key_id='AKIDE2E', aws_secret_access_key='e2e-secret')\n"
      + "try: sys.stdout.write(s3.get_object(Bucket=sys.argv[2], Key=sys.argv[3])['Body'].read().decode())\nexcept s3.exceptions.NoSuchKey: pass";
    const text = execFileSync(python, ["-c", script, s3, bucket, key], { encoding: "utf8" });
    return text ? JSON.parse(text) : undefined;
  };
  let inBucket;
  for (let i = 0; i < 50 && !inBucket; i++) {
    inBucket = readObject(target, `labels/${annotation.id}`);
    if (!inBucket) await new Promise((r) => setTimeout(r, 200));
  }
  check(inBucket?.result?.[0]?.value?.choices?.[0] === "Screen" && inBucket.task.id === stored.id, `the target bucket holds the annotation: ${JSON.stringify(inBucket)}`);

  // Webhooks: one added in the project's settings hears a task import with its header and
  // signature, and its delivery log says so; one whose receiver is down shows the failure.
  const heard = [];
  const receiver = createServer((request, response) => {
    let raw = "";
    request.on("data", (chunk) => (raw += chunk));
    request.on("end", () => {
      heard.push({ headers: request.headers, raw, body: JSON.parse(raw) });
      response.end("ok");
    });
  });
  await new Promise((done) => receiver.listen(0, "127.0.0.1", done));
  try {
    await page.goto(`${base}/projects/${pictures.id}/settings/webhooks`);
    await page.getByText("No webhooks yet.").waitFor();
    await page.click("button:has-text('Add Webhook')");
    await page.fill("input[name=url]", `http://127.0.0.1:${receiver.address().port}/labels`);
    await page.click("button:has-text('Add header')");
    await page.getByLabel("Header name").fill("X-From");
    await page.getByLabel("Header value").fill("tessera-e2e");
    await page.fill("input[name=secret]", "e2e-signing-secret");
    await page.getByLabel("Send for every event").uncheck();
    await page.getByRole("group", { name: "Events" }).getByLabel("Task created").check();
    check((await page.getByRole("group", { name: "Events" }).getByLabel("Project created").count()) === 0, "a project's webhook is not offered organization-only events");
    await shot("25-webhook-add");
    await page.click("role=dialog >> button:has-text('Add Webhook')");
    const card = page.getByTestId("webhook-card");
    await card.getByText("Task created · signed").waitFor();
    await call("POST", `/api/projects/${pictures.id}/import`, [{ image: "https://example.com/a.png" }]);
    for (let i = 0; i < 100 && !heard.length; i++) await new Promise((r) => setTimeout(r, 100));
    const [delivery] = heard;
    check(delivery?.body?.action === "TASKS_CREATED" && delivery.body.tasks[0].data.image === "https://example.com/a.png", `the receiver heard the import: ${delivery?.raw}`);
    check(delivery.headers["x-from"] === "tessera-e2e", "the webhook's header was sent");
    const signed = `sha256=${createHmac("sha256", "e2e-signing-secret").update(delivery.raw).digest("hex")}`;
    check(delivery.headers["x-tessera-signature-256"] === signed, "the body's signature verifies");
    await card.getByRole("button", { name: "Deliveries" }).click();
    await card.getByTestId("delivery").getByText("Delivered (200) after 1 attempt").waitFor();

    // A receiver that is down: the failed attempt is recorded and shown.
    await page.click("button:has-text('Add Webhook')");
    await page.fill("input[name=url]", "http://127.0.0.1:9/down");
    await page.click("role=dialog >> button:has-text('Add Webhook')");
    const down = page.getByTestId("webhook-card").filter({ hasText: "127.0.0.1:9/down" });
    await down.waitFor();
    await call("POST", `/api/projects/${pictures.id}/import`, [{ image: "https://example.com/b.png" }]);
    await down.getByRole("button", { name: "Deliveries" }).click();
    await down.getByTestId("delivery").getByText(/Retrying soon \(1 attempt failed: could not fetch/).waitFor({ timeout: 15_000 });
    await page.reload();
    await page.getByTestId("webhook-failures").getByText(/^1 failed attempt in a row/).waitFor();
    await shot("26-webhooks-deliveries");
    // The Model page: a model server that speaks Label Studio's protocol is connected (its
    // setup's version shown), asked for its versions and to train; one that is down is refused
    // with Label Studio's message.
    const screen = { from_name: "kind", to_name: "image", type: "choices", value: { choices: ["Screen"] } };
    const { server: modelServer, seen: modelSeen } = await startModelServer("e2e-model-1", (body) => ({
      results: body.tasks.map(() => ({ result: [screen], score: 0.75 })),
    }));
    try {
      await page.goto(`${base}/projects/${pictures.id}/settings/model`);
      await page.getByText("No model connected yet.").waitFor();
      await page.click("button:has-text('Connect Model')");
      await page.fill("input[name=url]", "http://127.0.0.1:9");
      await page.click("role=dialog >> button:has-text('Validate and Save')");
      await page.getByTestId("ml-problem").getByText(/^Can't connect to ML backend http:\/\/127.0.0.1:9, health check failed/).waitFor();
      await page.fill("input[name=title]", "Screen finder");
      await page.fill("input[name=url]", `http://127.0.0.1:${modelServer.address().port}`);
      await page.click("role=dialog >> button:has-text('Validate and Save')");
      const modelCard = page.getByTestId("ml-card");
      await modelCard.getByTestId("ml-state").getByText("Connected").waitFor();
      await modelCard.getByText("Model version e2e-model-1").waitFor();
      await modelCard.getByRole("button", { name: "Versions" }).click();
      await modelCard.getByTestId("ml-versions").getByText("Versions: e2e-model-1 (Upgrade your ML backend version to latest.)").waitFor();
      await modelCard.getByRole("button", { name: "Start Training" }).click();
      for (let i = 0; i < 50 && !modelSeen.some((r) => r.body?.action === "START_TRAINING"); i++) await new Promise((r) => setTimeout(r, 100));
      check(modelSeen.some((r) => r.path === "/webhook" && r.body.action === "START_TRAINING" && r.body.project.id === pictures.id), "the model server was asked to train");
      check((await page.getByLabel("Predictions shown to annotators").inputValue()) === "Screen finder", "the project shows the connected model's predictions");
      await shot("27-model");
      // Retrieve Predictions from the Data Manager: the model's prediction shows in the table.
      await page.goto(`${base}/projects/${pictures.id}/data`);
      await page.getByLabel("Select all tasks").check();
      await page.getByLabel("Actions").selectOption("retrieve_tasks_predictions");
      await page.getByRole("dialog").getByRole("button", { name: "OK" }).click();
      const started = await page.getByText(/^Retrieving predictions for \d+ tasks in the background$/).innerText();
      const selected = Number(/for (\d+) tasks/.exec(started)[1]);
      const expected = `${selected} prediction${selected === 1 ? "" : "s"}`;
      for (let i = 0; i < 40; i++) {
        await page.reload();
        await page.getByTestId("dm-totals").waitFor();
        if ((await page.getByTestId("dm-totals").innerText()).endsWith(expected)) break;
        await new Promise((r) => setTimeout(r, 250));
      }
      const totals = await page.getByTestId("dm-totals").innerText();
      check(totals.endsWith(expected), `every selected task was predicted: ${totals}`);
      // The scores shown are those of the project's chosen version (Label Studio's rule): the
      // stored predictions' version is offered on the Model page.
      await page.goto(`${base}/projects/${pictures.id}/settings/model`);
      const shown = page.getByLabel("Predictions shown to annotators");
      await shown.locator("option", { hasText: `e2e-model-1 (${selected})` }).waitFor({ state: "attached" });
      await shown.selectOption("e2e-model-1");
      for (let i = 0; i < 40 && (await call("GET", `/api/projects/${pictures.id}/`)).model_version !== "e2e-model-1"; i++) await new Promise((r) => setTimeout(r, 100));
      await page.goto(`${base}/projects/${pictures.id}/data`);
      await page.getByTestId("dm-totals").waitFor();
      await page.click("button:has-text('Columns')");
      const scores = page.getByRole("group", { name: "Columns" }).getByLabel(/Prediction score/);
      if (!(await scores.isChecked())) await scores.click();
      await page.click("button:has-text('Done')");
      await page.locator("table.dm-table th", { hasText: "Prediction score" }).waitFor();
      await page.locator("table.dm-table tbody td", { hasText: /^0\.75$/ }).first().waitFor();
      const scored = await page.locator("table.dm-table tbody td", { hasText: /^0\.75$/ }).count();
      check(scored === selected, `every task shows its prediction's score: ${scored}`);
      await shot("27b-model-predictions");
    } finally {
      modelServer.close();
    }

    // Interactive pre-annotation: with an interactive model, labeling offers Auto-Annotation; a
    // span the annotator marks goes to the model as context, and its suggestion appears in the
    // editor as a region, submitted with the annotator's own.
    const place = { from_name: "entity", to_name: "text", type: "labels", value: { start: 22, end: 25, text: "Ada", labels: ["Place"] } };
    const { server: suggester, seen } = await startModelServer("suggester-1", () => ({
      results: [{ result: [place], score: 0.9, model_version: "suggester-1" }],
    }));
    const suggested = () => seen.filter((r) => r.path === "/predict").map((r) => r.body);
    try {
      const people = await call("POST", "/api/projects/", {
        title: "People and places",
        label_config: `<View><Text name="text" value="$text"/><Labels name="entity" toName="text"><Label value="Person"/><Label value="Place"/></Labels></View>`,
      });
      await call("POST", `/api/projects/${people.id}/import`, [{ text: "A wonderful film with Ada and Bob" }]);
      await call("POST", "/api/ml/", { project: people.id, url: `http://127.0.0.1:${suggester.address().port}`, title: "Suggester", is_interactive: true });
      // Predictions are not shown here, so opening the task asks the model nothing.
      await call("PATCH", `/api/projects/${people.id}/`, { show_collab_predictions: false });
      await page.goto(`${base}/projects/${people.id}/label`);
      const labeling = page.getByTestId("editor-label");
      await labeling.locator(".lsf-richtext__container", { hasText: "wonderful" }).waitFor();
      const toggle = labeling.locator(".lsf-dynamic-preannotations input.lsf-toggle__input");
      if (!(await toggle.isChecked())) await toggle.check();
      await labeling.locator(".lsf-label", { hasText: "Person" }).click();
      const line = await labeling.locator(".lsf-richtext__container").first().boundingBox();
      await page.mouse.move(line.x + 1, line.y + line.height / 2);
      await page.mouse.down();
      await page.mouse.move(line.x + 30, line.y + line.height / 2, { steps: 5 });
      await page.mouse.up();
      await labeling.locator(".lsf-richtext__container span.htx-highlight[data-label='Place']").waitFor();
      check(suggested().length === 1, `one request for one span: ${suggested().length}`);
      const context = suggested()[0].params.context.result;
      check(context.length === 1 && context[0].value.labels[0] === "Person", `the drawn span is the context: ${JSON.stringify(context)}`);
      check(suggested()[0].tasks[0].data.text === "A wonderful film with Ada and Bob", "the model was asked about the task");
      await shot("28-interactive-suggestion");
      await labeling.locator("button", { hasText: /^Submit$/ }).click();
      let stored = [];
      for (let i = 0; i < 50 && stored.length < 2; i++) {
        const tasks = await call("GET", `/api/tasks/?project=${people.id}&fields=all`);
        stored = tasks.tasks?.[0]?.annotations?.[0]?.result ?? [];
        if (stored.length < 2) await new Promise((r) => setTimeout(r, 100));
      }
      const labels = stored.map((r) => r.value.labels[0]).sort();
      check(labels.join() === "Person,Place", `the suggestion was submitted with the annotator's span: ${labels}`);
    } finally {
      suggester.close();
    }

    // The organization's own webhooks have a page of their own.
    await page.goto(`${base}/organization`);
    await page.click("text=Webhooks");
    await page.getByRole("heading", { name: "Organization webhooks" }).waitFor();
    await page.getByText("No webhooks yet.").waitFor();
  } finally {
    receiver.close();
  }

  await page.click("text=Log out");
  await page.waitForURL(/\/user\/login\//);

  if (!process.env.E2E_DATABASE_URL) {
    // A newcomer's first run: no account at start; the first person to sign up owns the
    // organization and creates a project.
    const fresh = await startTessera({ binary });
    try {
      await page.goto(`${fresh.base}/user/signup/`);
      await page.fill("input[name=email]", "founder@example.com");
      await page.fill("input[name=password]", "a-founding-secret-42");
      await Promise.all([page.waitForURL(`${fresh.base}/`), page.click("button[type=submit]")]);
      await page.click("text=Create your first project");
      await page.fill("input[name=title]", "Founder's project");
      await page.click("button:has-text('Save')");
      await page.waitForURL(/\/projects\/\d+\/data/);
      await page.locator(".project-header h1", { hasText: "Founder's project" }).waitFor();
      await shot("21-first-run-owner-project");
      await page.click("text=Log out");
      await page.waitForURL(/\/user\/login\//);
    } finally {
      fresh.stop();
    }
  }
  // The app and the editor log no errors of their own (failed requests the test provokes, such
  // as the unknown project's 404, are the browser's reports, not the app's).
  const own = consoleErrors.filter((e) => !e.includes("Failed to load resource") && !e.includes("does not exist in the config"));
  check(own.length === 0, `no console errors:\n${own.join("\n")}`);
  console.log(`browser tests passed on ${process.env.E2E_DATABASE_URL ? "PostgreSQL" : "SQLite"}; screenshots in ${shots}`);
} catch (error) {
  const pages = browser?.contexts().flatMap((c) => c.pages()) ?? [];
  if (pages[0]) await pages[0].screenshot({ path: join(shots, "failure.png"), fullPage: true });
  throw error;
} finally {
  await browser?.close();
  stop();
}
