// The district and region view: officers see their reach's figures as `aggregates` gives them
// (read here through the API with the same filter and compared cell by cell, suppressed cells
// included), no person's name, no school of another municipality, and the monthly report's
// files download.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import {
  BASE, PHONE, api, closeClean, launch, logIn, newPage, screenshot, tokenFor,
} from "./harness.mjs";

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

// Aggregates over the region are heavy statements; the machine running the tests is shared.
const SLOW = 180_000;

const FIGURES = `threshold
  attainment { basis suppressed students passing quality successRate qualityRate }
  attendance { suppressed rate }
  timeliness { overallShare }
  curriculum { plannedHours held fulfilment }`;

const BY_SCHOOL = `query($filter: AggregateFilter!) {
  bySchool: aggregates(filter: $filter, groupBy: [SCHOOL]) { rows { schoolName ${FIGURES} } }
  total: aggregates(filter: $filter, groupBy: []) { rows { ${FIGURES} } }
}`;

/** Today where the browser is (the harness's time zone), as the page counts it. */
const TODAY = new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Yakutsk" }).format(new Date());
const MONTH = TODAY.slice(0, 7);

const PERCENT = new Intl.NumberFormat("ru-RU", { style: "percent", minimumFractionDigits: 1, maximumFractionDigits: 1 });
const BASIS = { PERIOD_GRADES: "отметки за период", CURRENT_AVERAGES: "текущие отметки" };
const squash = (text) => text.replace(/\s+/g, " ").trim();

/** The cells a row of the API should show, computed here from the definitions. */
function expectedCells(row) {
  const a = row.attainment;
  const share = (value, hidden) => (hidden ? "скрыто" : value == null ? "—" : PERCENT.format(value));
  const planned = row.curriculum.filter((c) => c.fulfilment !== null && c.plannedHours > 0);
  const hours = planned.reduce((sum, c) => sum + c.plannedHours, 0);
  const held = planned.reduce((sum, c) => sum + c.held, 0);
  return [
    BASIS[a.basis],
    a.suppressed ? "скрыто" : a.students ? String(a.students) : "—",
    share(a.successRate, a.suppressed),
    share(a.qualityRate, a.suppressed),
    share(row.attendance.rate, row.attendance.suppressed),
    share(row.timeliness.overallShare, false),
    hours > 0 ? PERCENT.format(held / hours) : "—",
  ].map(squash);
}

/** The table as shown: [name, ...cells] per line, school lines first, the total last. */
async function shownTable(page) {
  const table = page.getByRole("table", { name: "Показатели по школам" });
  await table.waitFor();
  const lines = await table.locator("tbody tr, tfoot tr").evaluateAll((rows) => rows.map((row) => ({
    kind: row.className,
    cells: [...row.cells].map((cell) => cell.innerText),
  })));
  const caption = await table.locator("caption").innerText();
  return { caption, lines: lines.map((l) => ({ kind: l.kind, cells: l.cells.map(squash) })) };
}

/** Wait until the table and both charts that load after it are drawn (nothing in flight). */
async function settled(page) {
  await page.getByRole("table", { name: "Показатели по школам" }).waitFor();
  await page.getByRole("figure", { name: "По месяцам учебного года" }).waitFor();
  await page.getByRole("figure", { name: "По параллелям" }).waitFor();
  // the charts ask after the table: wait until nothing visible says it is loading (recharts
  // keeps a hidden live region of its own)
  await page.getByText("Загрузка показателей…").first().waitFor({ state: "hidden" });
}

async function assertTableIsTheApis(page, token, filter) {
  const { caption, lines } = await shownTable(page);
  const dates = caption.match(/(\d\d)\.(\d\d)\.(\d{4})–(\d\d)\.(\d\d)\.(\d{4})/);
  assert.ok(dates, `no dates in the caption «${caption}»`);
  assert.equal(`${dates[3]}-${dates[2]}-${dates[1]}`, filter.from);
  assert.equal(`${dates[6]}-${dates[5]}-${dates[4]}`, filter.to);
  const data = await api(BY_SCHOOL, { filter }, token);
  const schools = lines.filter((l) => l.kind === "school");
  assert.deepEqual(schools.map((l) => l.cells[0]).sort(), data.bySchool.rows.map((r) => r.schoolName).sort());
  for (const row of data.bySchool.rows) {
    const shown = schools.find((l) => l.cells[0] === row.schoolName);
    assert.deepEqual(shown.cells.slice(1), expectedCells(row), row.schoolName);
  }
  const total = lines.at(-1);
  assert.equal(total.kind, "total");
  assert.deepEqual(total.cells.slice(1), expectedCells(data.total.rows[0]));
  return data;
}

/** Every name of a person of the school, as its administrator reads them through the API. */
async function namesOf(adminLogin) {
  const token = await tokenFor(adminLogin);
  const me = await api("{ me { schools { school { id } roles } } }", {}, token);
  const schoolId = me.me.schools.find((s) => s.roles.includes("ADMINISTRATOR")).school.id;
  const names = new Set();
  let after = null;
  for (;;) {
    const page = await api(`query($s: ID!, $after: String) { people(schoolId: $s, first: 100, after: $after) {
      pageInfo { hasNextPage endCursor } edges { node { lastName firstName fullName } } } }`,
    { s: schoolId, after }, token);
    for (const { node } of page.people.edges) {
      names.add(node.fullName);
      names.add(`${node.lastName} ${node.firstName}`);
      names.add(`${node.firstName} ${node.lastName}`);
    }
    if (!page.people.pageInfo.hasNextPage) break;
    after = page.people.pageInfo.endCursor;
  }
  assert.ok(names.size > 100, `only ${names.size} names read for ${adminLogin}`);
  return names;
}

async function assertNoNames(page, names) {
  const text = await page.evaluate(() => document.body.innerText);
  const shown = [...names].filter((name) => text.includes(name));
  assert.deepEqual(shown, [], "a person's name is on the page");
}

test("the region sees every school's figures as the API gives them, suppressed cells as «скрыто»", async () => {
  const page = await newPage(browser);
  page.setDefaultTimeout(SLOW);
  const token = await tokenFor("region");
  await logIn(page, "region");
  await page.waitForURL(`${BASE}/app/district`);
  await settled(page);

  // given the default: this month up to today, every grade
  const month = { from: `${MONTH}-01`, to: TODAY };
  const all = await assertTableIsTheApis(page, token, month);
  assert.equal(all.bySchool.rows.length, 12);
  await screenshot(page, "district-region");
  await assertNoNames(page, await namesOf("g1.admin"));

  // when the region looks at one grade level, a small school's cells are suppressed
  await page.getByLabel("Параллель").selectOption("2");
  await page.getByRole("table", { name: "Показатели по школам" }).locator("caption")
    .filter({ hasText: "2 классы" }).waitFor();
  await settled(page);
  const grade2 = await assertTableIsTheApis(page, token, { ...month, gradeLevels: [2] });
  const hidden = grade2.bySchool.rows.filter((r) => r.attainment.suppressed);
  assert.ok(hidden.length > 0, "no suppressed school in grade 2: the test shows nothing");
  const { lines } = await shownTable(page);
  for (const row of hidden) {
    const cells = lines.find((l) => l.cells[0] === row.schoolName).cells;
    assert.equal(cells[2], "скрыто");
    assert.ok(!cells.includes("0,0 %"));
  }
  // and the chart by school leaves them out, saying so
  const chart = page.getByRole("figure", { name: "Успеваемость и качество знаний по школам" });
  assert.match(await chart.innerText(), new RegExp(`Без столбцов \\(скрыто или нет данных\\): ${hidden.length}`));
  await screenshot(page, "district-region-grade-2");

  await closeClean(page);
});

test("a municipal officer sees only the municipality's schools, and no names, on a phone", async () => {
  const page = await newPage(browser, PHONE);
  page.setDefaultTimeout(SLOW);
  const token = await tokenFor("belogorsk");
  await logIn(page, "belogorsk");
  await settled(page);

  const data = await assertTableIsTheApis(page, token, { from: `${MONTH}-01`, to: TODAY });
  assert.ok(data.bySchool.rows.length >= 2);
  assert.ok(data.bySchool.rows.every((r) => r.schoolName.includes("Белогорск")));
  // no school of another municipality anywhere on the page (the region lists them all)
  const schools = await api(`{ schools(first: 100) { edges { node { name shortName municipality { name } } } } }`,
    {}, await tokenFor("region"));
  const others = schools.schools.edges.map((e) => e.node).filter((s) => s.municipality.name !== "г. Белогорск");
  assert.ok(others.length >= 5);
  const text = await page.evaluate(() => document.body.innerText);
  for (const school of others) {
    assert.ok(!text.includes(school.name) && !text.includes(school.shortName), school.name);
    assert.ok(!text.includes(school.municipality.name), school.municipality.name);
  }
  await assertNoNames(page, await namesOf("s11.admin"));
  // the page itself does not scroll sideways; the table scrolls in its own box
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `the page scrolls sideways by ${overflow}px`);
  await screenshot(page, "district-belogorsk-phone");

  await closeClean(page);
});

test("the monthly report downloads as XLSX and PDF under the server's file names", async () => {
  const page = await newPage(browser);
  page.setDefaultTimeout(SLOW);
  await logIn(page, "belogorsk");
  await settled(page);
  for (const [button, magic, extension] of [["Скачать XLSX", "PK", "xlsx"], ["Скачать PDF", "%PDF", "pdf"]]) {
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.getByRole("button", { name: button }).click(),
    ]);
    assert.equal(download.suggestedFilename(), `Мониторинг ${MONTH}.${extension}`);
    const chunks = [];
    for await (const chunk of await download.createReadStream()) chunks.push(chunk);
    const bytes = Buffer.concat(chunks);
    assert.equal(bytes.subarray(0, magic.length).toString("latin1"), magic);
    assert.ok(bytes.length > 1000);
  }
  await closeClean(page);
});

test("a school period: each school's figures from its own period, on the basis the API says", async () => {
  const page = await newPage(browser);
  page.setDefaultTimeout(SLOW);
  const token = await tokenFor("belogorsk");
  await logIn(page, "belogorsk");
  await settled(page);

  // when the officer switches to a period (the default: one already over that most schools have)
  // (click, not check: the choice goes through the address in a React transition, so the
  // radio shows checked only once it is done; what follows waits for that)
  await page.getByRole("radio", { name: "Учебный период" }).click();
  await page.getByRole("table", { name: "Показатели по школам" }).locator("caption")
    .filter({ hasText: "За период" }).waitFor();
  await settled(page);
  const chosen = await page.getByLabel("Период", { exact: true }).evaluate((select) => select.selectedOptions[0].text);
  const name = chosen.replace(/ \(.*\)$/, "");

  // then each school's line is `aggregates` with that school's period of the name
  const reach = await api(`query($from: Date!, $to: Date!) { aggregates(filter: { from: $from, to: $to }) {
    rows { schoolId schoolName } } }`, { from: `${TODAY.slice(0, 4) - (TODAY.slice(5, 7) < "09")}-09-01`, to: TODAY }, token);
  const { lines } = await shownTable(page);
  const periods = [];
  for (const { schoolId, schoolName } of reach.aggregates.rows) {
    const years = await api(`query($s: ID!) { academicYears(schoolId: $s, first: 3) { edges { node {
      startsOn endsOn periodSchemes { periods { id name startsOn endsOn } } } } } }`, { s: schoolId }, token);
    const year = years.academicYears.edges.map((e) => e.node).find((y) => y.startsOn <= TODAY && TODAY <= y.endsOn);
    const period = year.periodSchemes.flatMap((s) => s.periods).find((p) => p.name === name);
    const shown = lines.find((l) => l.cells[0] === schoolName);
    if (!period) {
      assert.equal(shown, undefined, `${schoolName} has no «${name}» but is shown`);
      continue;
    }
    periods.push({ schoolId, period });
    const to = period.endsOn > TODAY ? TODAY : period.endsOn;
    const data = await api(BY_SCHOOL, {
      filter: { schoolIds: [schoolId], periodId: period.id, from: period.startsOn, to } }, token);
    assert.deepEqual(shown.cells.slice(1), expectedCells(data.bySchool.rows[0]), schoolName);
  }
  assert.ok(periods.length >= 2, `only ${periods.length} schools have «${name}»`);
  assert.ok(lines.some((l) => l.kind === "school" && l.cells[1] === BASIS.PERIOD_GRADES),
    "no school's figures from period grades");
  // and the total is over the dates of those schools' periods
  const from = periods.map((p) => p.period.startsOn).sort()[0];
  const end = periods.map((p) => p.period.endsOn).sort().at(-1);
  const total = await api(BY_SCHOOL, { filter: {
    schoolIds: periods.map((p) => p.schoolId), from, to: end > TODAY ? TODAY : end } }, token);
  assert.deepEqual(lines.at(-1).cells.slice(1), expectedCells(total.total.rows[0]));
  await screenshot(page, "district-belogorsk-period");

  await closeClean(page);
});

test("a range of dates: the figures of those days; a reversed range is refused in words", async () => {
  const page = await newPage(browser, PHONE);
  page.setDefaultTimeout(SLOW);
  const token = await tokenFor("belogorsk");
  await logIn(page, "belogorsk");
  await settled(page);
  await page.getByRole("radio", { name: "Даты" }).click();
  await page.getByLabel("С", { exact: true }).waitFor();
  assert.equal(await page.getByRole("radio", { name: "Даты" }).isChecked(), true);
  await settled(page);

  // when the officer asks for the first half of October
  const year = TODAY.slice(0, 4) - (TODAY.slice(5, 7) < "09");
  const range = { from: `${year}-10-01`, to: `${year}-10-15` };
  await page.getByLabel("С", { exact: true }).fill(range.from);
  await page.getByLabel("По", { exact: true }).fill(range.to);
  await page.getByRole("button", { name: "Показать" }).click();
  await page.getByRole("table", { name: "Показатели по школам" }).locator("caption")
    .filter({ hasText: "01.10." }).waitFor();
  await settled(page);
  // then the table is the API's for those days
  await assertTableIsTheApis(page, token, range);

  // and a range that ends before it starts is an error in words, not a request
  await page.getByLabel("По", { exact: true }).fill(`${year}-09-20`);
  await page.getByRole("button", { name: "Показать" }).click();
  await page.getByRole("alert").filter({ hasText: "Дата «по» раньше даты «с»" }).waitFor();
  assert.equal(await page.getByRole("table", { name: "Показатели по школам" }).count(), 0);
  await screenshot(page, "district-belogorsk-range-phone");

  await closeClean(page);
});

test("an integrator token with read_aggregates logs in to the district view of its reach", async () => {
  // given a token the region issues for one municipality
  const region = await tokenFor("region");
  const schools = await api(`{ schools(first: 100) { edges { node { municipality { id name } } } } }`, {}, region);
  const belogorsk = schools.schools.edges.find((e) => e.node.municipality.name === "г. Белогорск").node.municipality;
  const issued = await api(`mutation($input: IssueApiTokenInput!) { issueApiToken(input: $input) {
    secret errors { message } } }`, { input: {
    name: "Панель г. Белогорск (тест)", scopes: ["READ_AGGREGATES"], municipalityId: belogorsk.id } }, region);
  const secret = issued.issueApiToken.secret;
  assert.ok(secret, JSON.stringify(issued.issueApiToken.errors));

  const page = await newPage(browser);
  page.setDefaultTimeout(SLOW);
  await page.goto(`${BASE}/app/`);
  await page.getByRole("button", { name: "По токену интегратора" }).click();
  // a wrong token is refused in words
  await page.getByLabel("Токен интегратора").fill("zt_not-a-token");
  await page.getByRole("button", { name: "Войти" }).click();
  await page.getByRole("alert").filter({ hasText: "Токен не подходит" }).waitFor();

  // when the right one is given
  await page.getByLabel("Токен интегратора").fill(secret);
  await page.getByRole("button", { name: "Войти" }).click();
  await page.waitForURL(`${BASE}/app/district`);
  await settled(page);
  // then the figures are the token's own reach, as the API gives them to it
  const data = await assertTableIsTheApis(page, secret, { from: `${MONTH}-01`, to: TODAY });
  assert.ok(data.bySchool.rows.length >= 2 && data.bySchool.rows.every((r) => r.schoolName.includes("Белогорск")));

  // and logging out forgets it
  await page.getByRole("button", { name: "Выйти" }).click();
  await page.getByLabel("Логин").waitFor();
  assert.equal(await page.evaluate(() => localStorage.getItem("zhurnal.session")), null);
  await closeClean(page);
});
