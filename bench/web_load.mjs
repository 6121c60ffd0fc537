// The browser half of bench/web.py: each view's first page loaded cold in headless chromium
// (a fresh context, so no cache), N times, interleaved with the floor (a ~1 KB static file of
// the same server) so that all of them see the same moment of a shared machine.
//
// Input (argv[2], JSON): { "views": [{ "view", "session" }], "floor": "/app/assets/…", "runs": N }
// Output (stdout, JSON): per view the first-content times (ms) and the bytes it loaded from
// /app/ (each file raw and gzipped, as a gzip-ing proxy would send it); the floor's times.
import { gzipSync } from "node:zlib";
import { BASE, launch } from "../web/e2e/harness.mjs";

const { views, floor, runs } = JSON.parse(process.argv[2]);

// The view's first content: <main> shows text that is not a loading message (the shell's
// «Загрузка…» while the chunk or the view's first query is on its way). Recorded by a
// MutationObserver at the moment the DOM changes, not by polling.
function watchFirstContent() {
  const check = () => {
    const main = document.querySelector("main");
    const text = main?.innerText.trim() ?? "";
    if (text && !/Загрузка/.test(text)) {
      window.firstContentAt = performance.now();
      return true;
    }
    return false;
  };
  new MutationObserver((_, observer) => { if (check()) observer.disconnect(); })
    .observe(document, { childList: true, subtree: true, characterData: true });
}

async function loadView(browser, { view, session }) {
  const context = await browser.newContext({ viewport: { width: 1366, height: 768 }, locale: "ru-RU" });
  await context.addInitScript((value) => localStorage.setItem("zhurnal.session", value), JSON.stringify(session));
  await context.addInitScript(watchFirstContent);
  const page = await context.newPage();
  const files = [];
  page.on("response", async (response) => {
    const url = response.url();
    if (!url.startsWith(`${BASE}/app/`) || response.status() !== 200) return;
    files.push(response.body().then((body) => ({ path: url.slice(BASE.length), bytes: body.length,
      gzip: gzipSync(body).length })));
  });
  await page.goto(`${BASE}/app/${view}`);
  await page.waitForFunction(() => window.firstContentAt !== undefined, null, { timeout: 60_000 });
  // Where the time went: the shell's script received, and the first API answer (`me`).
  const { ms, shellAt, firstApiAt } = await page.evaluate(() => {
    const resources = performance.getEntriesByType("resource");
    const end = (test) => resources.find((r) => test(r.name))?.responseEnd ?? null;
    return { ms: window.firstContentAt, shellAt: end((n) => /\/assets\/index-[^/]*\.js$/.test(n)),
             firstApiAt: end((n) => n.endsWith("/graphql")) };
  });
  const loaded = await Promise.all(files);
  await context.close();
  return { ms, shellAt, firstApiAt, files: loaded };
}

async function loadFloor(browser) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${BASE}${floor}`, { waitUntil: "load" });
  const ms = await page.evaluate(() => performance.getEntriesByType("navigation")[0].loadEventEnd);
  await context.close();
  return ms;
}

const browser = await launch();
const result = { floor: { path: floor, ms: [] }, views: {} };
for (const v of views) result.views[v.view] = { ms: [], shellAt: [], firstApiAt: [], files: null };
try {
  // One warm-up round each (the server's first requests, chromium's first context).
  await loadFloor(browser);
  for (const v of views) await loadView(browser, v);
  for (let i = 0; i < runs; i++) {
    result.floor.ms.push(await loadFloor(browser));
    for (const v of i % 2 ? [...views].reverse() : views) {
      const { ms, shellAt, firstApiAt, files } = await loadView(browser, v);
      result.views[v.view].ms.push(ms);
      result.views[v.view].shellAt.push(shellAt);
      result.views[v.view].firstApiAt.push(firstApiAt);
      result.views[v.view].files ??= files;
    }
  }
} finally {
  await browser.close();
}
process.stdout.write(JSON.stringify(result));
