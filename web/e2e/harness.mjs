// What every browser test of the web client shares: Debian's chromium driven by playwright-core
// (no browser download), no internet (only 127.0.0.1 resolves; every request is recorded),
// logging in as a demo account, calling the API directly for ground truth, and screenshots.
//
// Run by tests/system/test_web_*.py, which start `zhurnal serve` on a fresh demo database and
// pass its address as ZHURNAL_BASE_URL. By hand: ZHURNAL_BASE_URL=http://127.0.0.1:8000
// node --test e2e/<name>.test.mjs against `make demo`.
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

export const BASE = process.env.ZHURNAL_BASE_URL ?? "http://127.0.0.1:8000";
export const SCREENSHOTS = process.env.ZHURNAL_SCREENSHOTS
  ?? join(dirname(fileURLToPath(import.meta.url)), "screenshots");
export const DESKTOP = { width: 1366, height: 768 };
export const PHONE = { width: 390, height: 844 };

/** A browser with no internet; close it with `browser.close()`. */
export async function launch() {
  return chromium.launch({
    executablePath: process.env.ZHURNAL_CHROMIUM ?? "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
           "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"],
  });
}

/** A fresh context and page at `viewport`; `page.requested` lists every URL it asked for,
 * `page.problems` every console error, page error and failed request. */
export async function newPage(browser, viewport = DESKTOP) {
  const context = await browser.newContext({ viewport, locale: "ru-RU", timezoneId: "Asia/Yakutsk" });
  const page = await context.newPage();
  page.requested = [];
  page.problems = [];
  page.inFlight = 0;
  page.on("request", (request) => page.requested.push(request.url()));
  page.on("request", () => { page.inFlight += 1; });
  page.on("requestfinished", () => { page.inFlight -= 1; });
  page.on("requestfailed", () => { page.inFlight -= 1; });
  page.on("console", (message) => {
    if (message.type() === "error") page.problems.push(`console: ${message.text()}`);
  });
  page.on("pageerror", (error) => page.problems.push(`page error: ${error.message}`));
  page.on("requestfailed", (request) => {
    // A request the page cancelled itself (Apollo aborts a query a refetch supersedes) did
    // not fail; a refused, unresolvable or cut request did.
    const error = request.failure()?.errorText;
    if (error !== "net::ERR_ABORTED") page.problems.push(`failed: ${request.url()} ${error}`);
  });
  return page;
}

/** Resolves once no HTTP request of the page has been in flight for `quietMs` (sockets do not
 * count): before a reload or a goto, so that the view's own requests are not aborted (which
 * `page.problems` records). Playwright's "networkidle" is per navigation, not for a SPA. */
export async function settled(page, quietMs = 500, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  let quietSince = Date.now();
  while (Date.now() - quietSince < quietMs) {
    if (Date.now() > deadline) throw new Error(`requests still in flight after ${timeoutMs} ms`);
    await page.waitForTimeout(50);
    if (page.inFlight > 0) quietSince = Date.now();
  }
}

/** Every URL the page asked for is on the server under test (no CDN, no internet). */
export function externalRequests(page) {
  return page.requested.filter((url) => !url.startsWith(BASE) && !url.startsWith("data:")
    && !url.startsWith("blob:") && !url.startsWith(BASE.replace(/^http/, "ws")));
}

/** A test's end: the page logged no problem (console error, failed request, page error) and
 * asked nothing of another host; then its context is closed. */
export async function closeClean(page) {
  assert.deepEqual(page.problems, []);
  assert.deepEqual(externalRequests(page), []);
  await page.context().close();
}

/** Log in through the form as a demo account (password `demo`) and wait for the first page. */
export async function logIn(page, login, password = "demo") {
  await page.goto(`${BASE}/app/`);
  await page.getByLabel("Логин").fill(login);
  await page.getByLabel("Пароль").fill(password);
  await page.getByRole("button", { name: "Войти" }).click();
  await page.getByTestId("login").filter({ hasText: login }).waitFor();
}

/** POST a GraphQL document to the server under test; returns `data`, throws on `errors`. */
export async function api(query, variables = {}, token = null) {
  const response = await fetch(`${BASE}/graphql`, {
    method: "POST",
    headers: { "Content-Type": "application/json", ...(token ? { Authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const body = await response.json();
  if (body.errors?.length) throw new Error(`${body.errors[0].message} (${JSON.stringify(body.errors[0].extensions)})`);
  return body.data;
}

/** An access token for a demo account, for ground truth read through the API. */
export async function tokenFor(login, password = "demo") {
  const data = await api(`mutation($input: LoginInput!) { login(input: $input) {
    tokens { accessToken } errors { message } } }`, { input: { login, password } });
  if (!data.login.tokens) throw new Error(data.login.errors[0].message);
  return data.login.tokens.accessToken;
}

/** Save a screenshot as screenshots/<name>.png (kept by the test run, ignored by git). */
export async function screenshot(page, name) {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}
