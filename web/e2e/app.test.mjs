// The app shell: served at /app/ from this server only, login, the role's first page, logout.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { BASE, PHONE, closeClean, externalRequests, launch, logIn, newPage, screenshot, settled } from "./harness.mjs";

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const FIRST_PAGE = [
  ["region", "/app/district"],
  ["belogorsk", "/app/district"],
  ["g1.teacher", "/app/journal"],
  ["g1.admin", "/app/journal"],
  ["g1.parent", "/app/diary"],
  ["g1.student", "/app/diary"],
];

for (const [login, path] of FIRST_PAGE) {
  test(`${login} lands on ${path}`, async () => {
    const page = await newPage(browser);
    await logIn(page, login);
    await page.waitForURL(`${BASE}${path}`);
    assert.deepEqual(externalRequests(page), []);
    await page.context().close();
  });
}

test("a wrong password is refused on the form, and logging out returns to it", async () => {
  const page = await newPage(browser, PHONE);
  await page.goto(`${BASE}/app/`);
  await screenshot(page, "login-phone");
  await page.getByLabel("Логин").fill("g1.teacher");
  await page.getByLabel("Пароль").fill("wrong");
  await page.getByRole("button", { name: "Войти" }).click();
  await page.getByRole("alert").waitFor();
  await logIn(page, "g1.teacher");
  await page.getByRole("button", { name: "Выйти" }).click();
  await page.getByLabel("Логин").waitFor();
  assert.equal(await page.evaluate(() => localStorage.getItem("zhurnal.session")), null);
  await page.context().close();
});

test("a reload keeps the session and the client route", async () => {
  const page = await newPage(browser);
  await logIn(page, "g1.parent");
  await page.waitForURL(`${BASE}/app/diary`);
  await settled(page);
  await page.reload();
  await page.getByTestId("login").filter({ hasText: "g1.parent" }).waitFor();
  assert.equal(new URL(page.url()).pathname, "/app/diary");
  await closeClean(page);
});
