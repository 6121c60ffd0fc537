// The family view (/app/diary): the diary week, homework due and the report card equal to the
// API's, a mark and homework set by the teacher arriving live (and replayed after a dropped
// socket), the child picker, and no other school's data.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import {
  BASE, PHONE, api, closeClean, launch, logIn, newPage, screenshot, tokenFor,
} from "./harness.mjs";

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

// ---- ground truth through the API, and the calendar computed here on its own ----

const STUDENTS = `{ me { students(on: null) {
  student { id fullName } school { id name shortName timezone }
  schoolClass { name academicYearId } groups { id subjectId currentPeriod { id endsOn } } } } }`;

const DIARY = `query($s: ID!, $f: Date!, $t: Date!) { diary(studentId: $s, from: $f, to: $t) {
  days { date
    lessons { lessonId lessonNumber status subject topic homework homeworkDueOn
              marks { label workType comment } attendance lateMinutes }
    homeworkDue { subject homework assignedOn }
    workMarks { subject label workType } } } }`;

const REPORT_CARD = `query($s: ID!, $y: ID!) { reportCard(studentId: $s, academicYearId: $y) {
  academicYear { name }
  subjects { subject { name }
    periods { period { id name startsOn } closed grade { ...G }
              currentAverage { average axisAverage } }
    yearGrade { ...G } examGrades { ...G examKind { shortName } } finalGrade { ...G } } } }
  fragment G on Grade { state value deferredUntil }`;

const iso = (ms) => new Date(ms).toISOString().slice(0, 10);
const utc = (day) => Date.parse(`${day}T00:00:00Z`);
const addDays = (day, n) => iso(utc(day) + n * 86_400_000);
const mondayOf = (day) => addDays(day, -((new Date(utc(day)).getUTCDay() + 6) % 7));
const todayIn = (timeZone) => new Intl.DateTimeFormat("en-CA", { timeZone }).format(new Date());
const dayTitle = (day) => {
  const text = new Intl.DateTimeFormat("ru-RU", { weekday: "long", day: "numeric", month: "long", timeZone: "UTC" })
    .format(utc(day));
  return text[0].toUpperCase() + text.slice(1);
};
const ddmm = (day) => `${day.slice(8, 10)}.${day.slice(5, 7)}`;
const dmy = (day) => `${ddmm(day)}.${day.slice(0, 4)}`;
const squash = (text) => text.replace(/\s+/g, " ").trim();
const escape = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
const comma = (n) => n.toFixed(2).replace(".", ",");

async function studentsOf(login) {
  const token = await tokenFor(login);
  return { token, students: (await api(STUDENTS, {}, token)).me.students };
}

async function diaryOf(token, studentId, from, to) {
  return (await api(DIARY, { s: studentId, f: from, t: to }, token)).diary;
}

/** Resolves when the page has the answer of a diary query for the student (set up before the
 * click that asks for it: leaving a view while its query is in flight aborts the request). */
function diaryLoaded(page, studentId) {
  return page.waitForResponse((response) => {
    const body = response.request().postData() ?? "";
    return body.includes('"operationName":"DiarySpan"') && body.includes(studentId);
  });
}

/** Every request body the page sent (GraphQL documents and variables). */
function recordBodies(page) {
  const bodies = [];
  page.on("request", (request) => { const body = request.postData(); if (body) bodies.push(body); });
  page.on("websocket", (ws) => ws.on("framesent", (frame) => bodies.push(String(frame.payload))));
  return bodies;
}

// ---- what the page shows ----

function dayRegion(page, day) {
  return page.getByRole("region", { name: new RegExp(`^${escape(dayTitle(day))}`) });
}

/** The page's week against the API's: each day, each lesson's subject, topic, homework, marks
 * (values in order, with their work type) and attendance; nothing more. */
async function assertWeekEquals(page, days) {
  const sunday = days[6];
  const shown = days.filter((d) => d !== sunday || d.lessons.length + d.workMarks.length > 0);
  await page.getByRole("heading", { level: 2, name: new RegExp(escape(String(Number(days[0].date.slice(8))))) }).waitFor();
  let marks = 0;
  for (const day of shown) {
    const region = dayRegion(page, day.date);
    await region.waitFor();
    const items = region.getByRole("listitem");
    assert.equal(await items.count(), day.lessons.length + day.workMarks.length, `items of ${day.date}`);
    if (day.lessons.length === 0 && day.workMarks.length === 0) {
      assert.match(await region.innerText(), /Уроков нет/);
    }
    for (const lesson of day.lessons) {
      const item = region.getByRole("listitem", { name: `${lesson.lessonNumber ?? ""} ${lesson.subject}`.trim(), exact: true });
      const text = squash(await item.innerText());
      if (lesson.topic) assert.ok(text.includes(`Тема: ${squash(lesson.topic)}`), `${day.date} ${lesson.subject}: topic in «${text}»`);
      if (lesson.homework) assert.ok(text.includes(`Д/з: ${squash(lesson.homework)}`), `${day.date} ${lesson.subject}: homework`);
      if (lesson.homeworkDueOn) assert.ok(text.includes(`(к ${ddmm(lesson.homeworkDueOn)})`), `${day.date}: due date`);
      if (lesson.status === "CANCELLED") assert.ok(text.includes("урок отменён"));
      const values = await item.getByLabel(/^отметка /).allInnerTexts();
      assert.deepEqual(values, lesson.marks.map((m) => m.label), `${day.date} ${lesson.subject}: marks`);
      for (const mark of lesson.marks) assert.ok(text.includes(mark.workType), `${day.date}: work type ${mark.workType}`);
      const absence = item.getByLabel(/^пропуск: /);
      if (lesson.attendance) assert.match(await absence.innerText(), new RegExp(`^${lesson.attendance}`));
      else assert.equal(await absence.count(), 0, `${day.date} ${lesson.subject}: no absence`);
      marks += lesson.marks.length;
    }
    marks += day.workMarks.length;
  }
  // Nothing shown beyond the API's days and marks.
  assert.equal(await page.getByRole("region", { name: /^(Понедельник|Вторник|Среда|Четверг|Пятница|Суббота|Воскресенье),/ }).count(), shown.length);
  assert.equal(await page.getByLabel(/^отметка /).count(), marks);
}

function gradeText(grade) {
  if (!grade) return "—";
  switch (grade.state) {
    case "GRADED": return grade.value;
    case "NOT_ATTESTED": return "н/а";
    case "EXEMPT": return "осв.";
    case "DEFERRED": return grade.deferredUntil ? `отсрочка до ${dmy(grade.deferredUntil)}` : "отсрочка";
    default: throw new Error(grade.state);
  }
}

/** The report card's rows as the API says they must read. */
function expectedCard(card) {
  const columns = new Map();
  for (const s of card.subjects) for (const p of s.periods) columns.set(p.period.id, p.period);
  const periods = [...columns.values()].sort((a, b) => a.startsOn.localeCompare(b.startsOn));
  const exams = card.subjects.some((s) => s.examGrades.length > 0);
  const header = ["Предмет", ...periods.map((p) => p.name), "Год", ...(exams ? ["Экзамены"] : []), "Итог"];
  const rows = card.subjects.map((s) => [
    s.subject.name,
    ...periods.map((column) => {
      const cell = s.periods.find((p) => p.period.id === column.id);
      if (!cell) return "·";
      const average = cell.currentAverage?.average ?? cell.currentAverage?.axisAverage;
      const shown = !cell.closed && average !== null && average !== undefined
        ? ` ср. ${comma(average)}${cell.currentAverage.average === null ? " из 100" : ""}` : "";
      return `${gradeText(cell.grade)}${shown}`;
    }),
    gradeText(s.yearGrade),
    ...(exams ? [s.examGrades.length ? s.examGrades.map((g) => `${g.examKind?.shortName ?? "Экзамен"}: ${gradeText(g)}`).join(" ") : "—"] : []),
    gradeText(s.finalGrade),
  ]);
  return { header, rows };
}

async function shownCard(page) {
  const table = page.getByRole("table");
  await table.waitFor();
  const header = (await table.getByRole("columnheader").allInnerTexts()).map(squash);
  const rows = [];
  for (const row of await table.getByRole("row").all()) {
    const name = await row.getByRole("rowheader").allInnerTexts();
    if (name.length === 0) continue;
    rows.push([squash(name[0]), ...(await row.getByRole("cell").allInnerTexts()).map(squash)]);
  }
  return { header, rows };
}

/** Nothing scrolls sideways but a wide grid in its own box: neither the page nor the shell's
 * <main> (which would scroll what overflows it). */
function pageFitsWidth(page) {
  return page.evaluate(() => {
    const main = document.querySelector("main");
    return document.documentElement.scrollWidth <= window.innerWidth && main.scrollWidth <= main.clientWidth;
  });
}

// ---- the tests ----

test("a guardian sees this week and the last one as the API's diary of the child, and the report card as the API's", async () => {
  const { token, students } = await studentsOf("g1.parent");
  assert.equal(students.length, 1);
  const child = students[0];
  const today = todayIn(child.school.timezone);
  const monday = mondayOf(today);
  const page = await newPage(browser);
  await logIn(page, "g1.parent");
  await page.getByRole("heading", { level: 1, name: new RegExp(`^${escape(child.student.fullName)}`) }).waitFor();

  // this week: today highlighted
  const thisWeek = await diaryOf(token, child.student.id, monday, addDays(monday, 6));
  await assertWeekEquals(page, thisWeek.days);
  const todayShown = thisWeek.days.find((d) => d.date === today);
  if (today !== addDays(monday, 6) || todayShown.lessons.length > 0) {
    const region = dayRegion(page, today);
    assert.equal(await region.getAttribute("aria-current"), "date");
    assert.match(await region.getByRole("heading").first().innerText(), /сегодня/);
  }
  await screenshot(page, "family-week-desktop");

  // the week before, and back
  await page.getByRole("link", { name: "← Предыдущая неделя" }).click();
  const lastWeek = await diaryOf(token, child.student.id, addDays(monday, -7), addDays(monday, -1));
  await assertWeekEquals(page, lastWeek.days);
  assert.ok(lastWeek.days.some((d) => d.lessons.some((l) => l.marks.length > 0)), "the demo's last week has marks");
  await screenshot(page, "family-last-week-desktop");
  const refreshed = diaryLoaded(page, child.student.id);
  await page.getByRole("link", { name: "Текущая неделя" }).click();
  await refreshed;
  await assertWeekEquals(page, thisWeek.days);

  // the report card
  await page.getByRole("link", { name: "Табель" }).click();
  const card = (await api(REPORT_CARD, { s: child.student.id, y: child.schoolClass.academicYearId }, token)).reportCard;
  await page.getByRole("heading", { name: `Табель успеваемости, ${card.academicYear.name} учебный год` }).waitFor();
  assert.deepEqual(await shownCard(page), expectedCard(card));
  assert.ok(card.subjects.some((s) => s.periods.some((p) => !p.closed && p.currentAverage?.average !== null)),
    "an open period with an average is shown");
  // an average is labelled as not a grade
  assert.ok((await page.getByLabel(/^текущий средний балл .*, не отметка$/).count()) > 0);
  await screenshot(page, "family-report-desktop");

  await closeClean(page);
});

test("a mark, attendance, homework and period grades set by the teacher appear live; after a dropped socket the missed mark is replayed from the last cursor", async () => {
  const { token, students } = await studentsOf("g1.parent");
  const child = students[0];
  const today = todayIn(child.school.timezone);
  const from = addDays(mondayOf(today), -7);
  const to = addDays(from, 6);
  // the demo teacher who teaches one of the child's groups, and that group's last lesson
  const childGroups = new Set(child.groups.map((g) => g.id));
  let teacher = null;
  for (const login of ["g1.teacher", "g1.classteacher"]) {
    const t = await tokenFor(login);
    const shared = (await api("{ me { groups { id } } }", {}, t)).me.groups.find((g) => childGroups.has(g.id));
    if (shared) { teacher = { token: t, group: shared.id }; break; }
  }
  assert.ok(teacher, "a demo teacher teaches the child");
  const lessons = (await api(`query($g: ID!, $f: Date!, $t: Date!) { lessons(groupId: $g, from: $f, to: $t) {
    id date status group { subjectId } } }`, { g: teacher.group, f: from, t: to }, teacher.token)).lessons
    .filter((l) => l.status !== "CANCELLED");
  assert.ok(lessons.length > 0, "the group had lessons last week");
  const lesson = lessons[lessons.length - 1];
  const workTypes = (await api(`query($s: ID!) { workTypes(schoolId: $s) { id name weight } }`,
    { s: child.school.id }, teacher.token)).workTypes;
  const workType = workTypes.find((w) => w.weight !== 1) ?? workTypes[0];
  const setMark = async (value) => {
    const result = (await api(`mutation($i: SetMarksInput!) { setMarks(input: $i) {
      marks { id } errors { field message } } }`, { i: { lessonId: lesson.id, marks: [
      { studentId: child.student.id, value, workTypeId: workType.id, comment: `e2e ${value}` }] } }, teacher.token)).setMarks;
    assert.deepEqual(result.errors, []);
    return result.marks[0].id;
  };

  // The page's socket goes through a relay the test can cut, and whose frames it reads.
  const page = await newPage(browser);
  const frames = { sent: [], received: [] };
  let refuse = false;
  let cut = null;
  await page.routeWebSocket(/\/graphql$/, (ws) => {
    if (refuse) { ws.close({ code: 1001, reason: "test: network down" }); return; }
    const server = ws.connectToServer();
    let open = true;
    ws.onMessage((message) => { if (open) { frames.sent.push(JSON.parse(message)); server.send(message); } });
    server.onMessage((message) => { if (open) { frames.received.push(JSON.parse(message)); ws.send(message); } });
    cut = () => { open = false; ws.close({ code: 1001, reason: "test: network down" }); server.close(); };
  });
  await logIn(page, "g1.parent");
  await page.evaluate(() => { window.notReloaded = true; });
  await page.getByRole("link", { name: "← Предыдущая неделя" }).click();
  const region = dayRegion(page, lesson.date);
  await region.waitFor();
  await page.getByText("Обновляется сам").waitFor();
  const subject = (await diaryOf(token, child.student.id, lesson.date, lesson.date)).days[0].lessons
    .find((l) => l.lessonId === lesson.id).subject;

  // a new mark: shown without a reload, as the API's diary now has it
  const first = await setMark("5");
  await page.getByRole("status").filter({ hasText: `Новая отметка: 5 — ${subject}, ${ddmm(lesson.date)}` }).waitFor();
  const expectMarksOfLesson = async () => {
    const truth = (await diaryOf(token, child.student.id, lesson.date, lesson.date)).days[0].lessons
      .find((l) => l.lessonId === lesson.id);
    const item = region.getByRole("listitem", { name: `${truth.lessonNumber ?? ""} ${truth.subject}`.trim(), exact: true });
    await assert.doesNotReject(async () => {
      for (let i = 0; i < 50; i++) {
        const shown = await item.getByLabel(/^отметка /).allInnerTexts();
        if (JSON.stringify(shown) === JSON.stringify(truth.marks.map((m) => m.label))) return;
        await page.waitForTimeout(100);
      }
      throw new Error(`marks shown ${await item.getByLabel(/^отметка /).allInnerTexts()} ≠ API ${truth.marks.map((m) => m.label)}`);
    });
    return { truth, item };
  };
  const { truth, item } = await expectMarksOfLesson();
  assert.ok(truth.marks.some((m) => m.comment === "e2e 5"));
  assert.match(squash(await item.innerText()), new RegExp(escape(workType.name)));
  const cursor = frames.received.filter((f) => f.type === "next")
    .map((f) => f.payload.data.diaryEvents).find((e) => e.entityId === first).cursor;
  await screenshot(page, "family-live-mark-desktop");

  // the socket drops; a mark set meanwhile is replayed when the page subscribes again
  refuse = true;
  cut();
  await page.getByText("Нет связи: переподключение…").waitFor();
  const missed = await setMark("3");
  refuse = false;
  await page.getByRole("status").filter({ hasText: `Новая отметка: 3 — ${subject}` }).waitFor({ timeout: 30_000 });
  await expectMarksOfLesson();
  const resubscribed = frames.sent.filter((f) => f.type === "subscribe" && f.payload.variables?.after === cursor);
  assert.equal(resubscribed.length >= 1, true, "subscribed again with after: the last cursor");
  const replayed = frames.received.filter((f) => f.type === "next" && f.payload.data.diaryEvents.entityId === missed);
  assert.equal(replayed.length, 1, "the missed mark's event came once, replayed");

  // late to that lesson: the attendance shows live, as the API's diary has it (minutes that
  // differ from run to run, so a rerun on the same database is a change too)
  const minutes = 5 + (Date.now() % 40);
  const late = (await api(`mutation($i: SetAttendanceInput!) { setAttendance(input: $i) {
    errors { field message } } }`, { i: { lessonId: lesson.id, entries: [
    { studentId: child.student.id, kind: "LATE", lateMinutes: minutes }] } }, teacher.token)).setAttendance;
  assert.deepEqual(late.errors, []);
  await page.getByRole("status").filter({ hasText: `Отмечено опоздание на ${minutes} мин` }).waitFor();
  const attended = (await diaryOf(token, child.student.id, lesson.date, lesson.date)).days[0].lessons
    .find((l) => l.lessonId === lesson.id);
  assert.equal(attended.attendance, "оп");
  await item.getByLabel(/^пропуск: оп/).filter({ hasText: `оп ${minutes} мин` }).waitFor();

  // homework due tomorrow, set now: in the homework list, live
  await page.getByRole("link", { name: "Домашние задания" }).click();
  await page.getByRole("heading", { name: "Домашние задания на две недели вперёд" }).waitFor();
  const tomorrow = addDays(today, 1);
  const homework = `e2e: повторить § ${Date.now() % 1000}`;
  const updated = (await api(`mutation($i: UpdateLessonInput!) { updateLesson(input: $i) { errors { field message } } }`,
    { i: { id: lesson.id, homework, homeworkDueOn: tomorrow } }, teacher.token)).updateLesson;
  assert.deepEqual(updated.errors, []);
  const tomorrowRegion = page.getByRole("region", { name: new RegExp(`^${escape(dayTitle(tomorrow))}`) });
  await tomorrowRegion.getByText(homework).waitFor();
  const due = await diaryOf(token, child.student.id, today, addDays(today, 13));
  const expected = due.days.filter((d) => d.homeworkDue.length > 0);
  assert.equal(await page.getByRole("region", { name: /^(Понедельник|Вторник|Среда|Четверг|Пятница|Суббота|Воскресенье),/ }).count(), expected.length);
  for (const day of expected) {
    const dueRegion = page.getByRole("region", { name: new RegExp(`^${escape(dayTitle(day.date))}`) });
    const items = (await dueRegion.getByRole("listitem").allInnerTexts()).map(squash);
    assert.deepEqual(items, day.homeworkDue.map((h) => squash(`${h.subject} ${h.homework} задано ${ddmm(h.assignedOn)}`)));
  }
  await screenshot(page, "family-homework-desktop");

  // the period grade of the open period, deferred, then exempt, then graded: each state in
  // the report card, live, as the API's card says
  await page.getByRole("link", { name: "Табель" }).click();
  await page.getByRole("table").waitFor();
  const period = child.groups.find((g) => g.id === teacher.group).currentPeriod;
  const until = addDays(period.endsOn, 10);
  const states = [
    { state: "DEFERRED", deferredReason: "e2e: болезнь", deferredUntil: until },
    { state: "EXEMPT" },
    { state: "GRADED", value: "5" },
  ];
  for (const state of states) {
    const set = (await api(`mutation($i: SetPeriodGradeInput!) { setPeriodGrade(input: $i) {
      errors { field message } } }`, { i: { groupId: teacher.group, periodId: period.id,
      studentId: child.student.id, ...state } }, teacher.token)).setPeriodGrade;
    assert.deepEqual(set.errors, [], state.state);
    const card = (await api(REPORT_CARD, { s: child.student.id, y: child.schoolClass.academicYearId }, token)).reportCard;
    const expected = expectedCard(card);
    const cell = { DEFERRED: `отсрочка до ${dmy(until)}`, EXEMPT: "осв.", GRADED: "5" }[state.state];
    const periodName = card.subjects.find((x) => x.subject.name === subject).periods
      .find((p) => p.period.id === period.id).period.name;
    await page.getByRole("status").filter({ hasText: `Оценка в табеле: ${subject}, ${periodName} — ${cell}` }).waitFor();
    let shown;
    for (let i = 0; i < 100; i++) {
      shown = await shownCard(page);
      if (JSON.stringify(shown) === JSON.stringify(expected)) break;
      await page.waitForTimeout(100);
    }
    assert.deepEqual(shown, expected, state.state);
    const row = expected.rows.find((r) => r[0] === subject);
    assert.ok(row.some((text) => text.startsWith(cell)), `${state.state} in ${row}`);
    if (state.state === "DEFERRED") await screenshot(page, "family-report-deferred-desktop");
  }
  assert.equal(await page.evaluate(() => window.notReloaded), true, "no reload");
  await closeClean(page);
});

test("a guardian with children in two schools picks the child; another school's data never appears", async () => {
  const { token, students } = await studentsOf("s11.parent");
  const { students: g1Students } = await studentsOf("g1.parent");
  const stranger = g1Students[0];
  assert.equal(students.length, 2);
  const page = await newPage(browser, PHONE);
  const bodies = recordBodies(page);
  await logIn(page, "s11.parent");
  const picker = page.getByLabel("Ребёнок");
  await picker.waitFor();
  await page.getByRole("region", { name: /^Понедельник,/ }).waitFor();
  const options = (await picker.getByRole("option").allInnerTexts()).map(squash);
  assert.deepEqual(options.map((o) => o.split(",")[0]), students.map((s) => s.student.fullName));
  await screenshot(page, "family-week-phone");

  // the second child, in the other school: their week as the API's
  const second = students[1];
  const secondLoaded = diaryLoaded(page, second.student.id);
  await picker.selectOption(second.student.id);
  await secondLoaded;
  // the live updates follow the picked child on the socket already open
  await page.getByText("Обновляется сам").waitFor();
  const monday = mondayOf(todayIn(second.school.timezone));
  await page.getByRole("link", { name: "← Предыдущая неделя" }).click();
  const lastWeek = await diaryOf(token, second.student.id, addDays(monday, -7), addDays(monday, -1));
  await assertWeekEquals(page, lastWeek.days);
  assert.equal(await pageFitsWidth(page), true, "the week: no horizontal page scroll");
  await screenshot(page, "family-second-child-phone");
  await page.getByRole("link", { name: "Табель" }).click();
  const card = (await api(REPORT_CARD, { s: second.student.id, y: second.schoolClass.academicYearId }, token)).reportCard;
  assert.deepEqual(await shownCard(page), expectedCard(card));
  // the report card scrolls in its own box, not the page
  assert.equal(await pageFitsWidth(page), true, "the report card: no horizontal page scroll");
  await screenshot(page, "family-report-phone");
  const homeworkLoaded = diaryLoaded(page, second.student.id);
  await page.getByRole("link", { name: "Домашние задания" }).click();
  await homeworkLoaded;
  await page.getByRole("heading", { name: "Домашние задания на две недели вперёд" }).waitFor();
  assert.equal(await pageFitsWidth(page), true, "homework: no horizontal page scroll");
  await screenshot(page, "family-homework-phone");

  // another family's child, named in the address: refused on the page, never asked for
  await page.goto(`${BASE}/app/diary?student=${encodeURIComponent(stranger.student.id)}`);
  await page.getByRole("alert").filter({ hasText: "Этого ученика нет среди ваших детей" }).waitFor();
  const text = await page.locator("body").innerText();
  assert.ok(!text.includes(stranger.student.fullName) && !text.includes(stranger.school.name));
  assert.ok(!text.includes("Благовещенск"));
  assert.ok(bodies.every((body) => !body.includes(stranger.student.id)), "the other family's child never asked for");
  // and the API agrees: their diary is not this guardian's to read
  assert.equal(await diaryOf(token, stranger.student.id, monday, monday), null);

  await closeClean(page);
});

test("a student reads their own diary, with no child picker", async () => {
  const { students } = await studentsOf("g1.student");
  assert.equal(students.length, 1);
  const page = await newPage(browser, PHONE);
  await logIn(page, "g1.student");
  await page.getByRole("heading", { level: 1, name: new RegExp(`^${escape(students[0].student.fullName)}`) }).waitFor();
  assert.equal(await page.getByLabel("Ребёнок").count(), 0);
  await page.getByRole("region", { name: /^Понедельник,/ }).waitFor();
  await page.getByRole("link", { name: "Табель" }).click();
  await page.getByRole("table").waitFor();
  assert.equal(await pageFitsWidth(page), true);
  await closeClean(page);
});
