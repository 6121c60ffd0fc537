// The teacher's journal: choose a group and a period (today's by default), then fill the grid
// of marks and attendance from the keyboard, the lessons' topics and homework below it. Edits
// go through the outbox (outbox.ts), so they survive a lost network and a reload.
import { useEffect, useMemo, useRef, useState, useSyncExternalStore } from "react";
import { useApolloClient, useQuery } from "@apollo/client/react";
import { useSearchParams } from "react-router-dom";
import { useViewer } from "../../auth/viewer";
import type { JournalGroupChoiceFragment, JournalGridQuery, SchoolGroupsQuery } from "../../gql/graphql";
import { ATTENDANCE_HELP, type Typed } from "./cells";
import {
  JournalGroupsDocument, JournalPageDocument, SchoolGroupsDocument, SchoolYearsDocument,
} from "./documents";
import { Grid, cellName, type CellView, type Pos, type Student } from "./Grid";
import { AverageDetail } from "./AverageDetail";
import { CellDetail } from "./CellDetail";
import { LessonPanel } from "./LessonPanel";
import { OutboxPanel } from "./OutboxPanel";
import { cellId, outboxOf, type Edit } from "./outbox";
import "./journal.css";

type Group = JournalGroupChoiceFragment;
type Page = NonNullable<JournalGridQuery["journal"]>;

function todayIso(): string {
  return new Date().toLocaleDateString("sv-SE");
}

function defaultPeriod(group: Group): string | undefined {
  const today = todayIso();
  return group.currentPeriod?.id
    ?? [...group.periods].reverse().find((p) => p.startsOn <= today)?.id
    ?? group.periods[0]?.id;
}

/** The groups of the viewer's journal: taught, of the classes led, and every group of the
 * schools they administer (read a page at a time). */
function useGroups() {
  const { data, loading, error } = useQuery(JournalGroupsDocument);
  const apollo = useApolloClient();
  const [schoolGroups, setSchoolGroups] = useState<Group[] | null>(null);
  const adminSchools = useMemo(() => (data?.me.schools ?? [])
    .filter((s) => s.roles.includes("ADMINISTRATOR")).map((s) => s.school.id), [data]);
  useEffect(() => {
    if (!adminSchools.length) return;
    let cancelled = false;
    void (async () => {
      const found: Group[] = [];
      for (const schoolId of adminSchools) {
        // the year holding today, else the latest one (past years' groups stay out of the list)
        const { data: years } = await apollo.query({ query: SchoolYearsDocument, variables: { schoolId } });
        const today = todayIso();
        const list = years?.academicYears.edges.map((e) => e.node) ?? [];
        const yearId = (list.find((y) => y.startsOn <= today && today <= y.endsOn) ?? list[0])?.id ?? null;
        let after: string | null = null;
        for (;;) {
          const { data: page }: { data?: SchoolGroupsQuery } = await apollo.query({ query: SchoolGroupsDocument, variables: { schoolId, yearId, after } });
          if (!page) break;
          found.push(...page.studyGroups.edges.map((e) => e.node));
          if (!page.studyGroups.pageInfo.hasNextPage) break;
          after = page.studyGroups.pageInfo.endCursor ?? null;
        }
      }
      if (!cancelled) setSchoolGroups(found);
    })().catch(() => { if (!cancelled) setSchoolGroups([]); });
    return () => { cancelled = true; };
  }, [adminSchools, apollo]);
  const groups = useMemo(() => {
    const byId = new Map<string, Group>();
    for (const group of [...(data?.me.groups ?? []), ...(data?.me.classes ?? []).flatMap((c) => c.groups),
                         ...(schoolGroups ?? [])]) byId.set(group.id, group);
    return [...byId.values()].sort((a, b) => a.name.localeCompare(b.name, "ru", { numeric: true }));
  }, [data, schoolGroups]);
  const waiting = loading || (adminSchools.length > 0 && schoolGroups === null);
  return { groups, loading: waiting, error };
}

export function JournalPage() {
  const viewer = useViewer();
  const login = viewer.data?.me.login ?? "";
  const { groups, loading, error } = useGroups();
  const [params, setParams] = useSearchParams();
  const group = groups.find((g) => g.id === params.get("group")) ?? groups[0];
  const periodId = group?.periods.some((p) => p.id === params.get("period")) ? params.get("period")! : group && defaultPeriod(group);
  const period = group?.periods.find((p) => p.id === periodId);

  if (loading) return <p className="status">Загрузка групп…</p>;
  if (error) return <p className="status error" role="alert">Не удалось загрузить группы: {error.message}</p>;
  if (!group) return <p className="status">У вас нет групп в журнале.</p>;

  const choose = (groupId: string, nextPeriod?: string) => {
    const next = groups.find((g) => g.id === groupId)!;
    setParams({ group: groupId, period: nextPeriod ?? defaultPeriod(next) ?? "" });
  };
  const classes = new Map<string, Group[]>();
  for (const g of groups) {
    const name = g.schoolClass?.name ?? "Межклассные группы";
    classes.set(name, [...(classes.get(name) ?? []), g]);
  }

  return (
    <section className="journal" aria-labelledby="journal-title">
      <h1 id="journal-title" className="jr-title">Журнал</h1>
      <div className="jr-toolbar">
        <label>Группа
          <select value={group.id} onChange={(e) => choose(e.target.value)}>
            {[...classes.entries()].map(([name, list]) => (
              <optgroup key={name} label={name}>
                {list.map((g) => <option key={g.id} value={g.id}>{g.name}</option>)}
              </optgroup>
            ))}
          </select>
        </label>
        <label>Период
          <select value={periodId ?? ""} onChange={(e) => choose(group.id, e.target.value)}>
            {group.periods.map((p) => (
              <option key={p.id} value={p.id}>{p.name}{p.closedAt ? " (закрыт)" : ""}</option>
            ))}
          </select>
        </label>
        {login && <OutboxPanel outbox={outboxOf(login)} />}
      </div>
      {period && login
        ? <PeriodJournal key={`${group.id}|${period.id}`} login={login} groupId={group.id} period={period} />
        : <p className="status">У группы нет учебных периодов.</p>}
    </section>
  );
}

interface PeriodProps {
  login: string;
  groupId: string;
  period: Group["periods"][number];
}

function PeriodJournal({ login, groupId, period }: PeriodProps) {
  const viewer = useViewer();
  const schoolId = viewer.data?.me.schools[0]?.school.id ?? "";
  const variables = { groupId, periodId: period.id, from: period.startsOn, to: period.endsOn, schoolId };
  const { data, loading, error, refetch } = useQuery(JournalPageDocument, { variables, fetchPolicy: "cache-and-network" });
  const outbox = outboxOf(login);
  const box = useSyncExternalStore(outbox.subscribe, outbox.snapshot);
  const [selected, setSelected] = useState<Pos>({ row: 0, col: 0 });
  const [workTypeId, setWorkTypeId] = useState<string | null>(null);
  const page = data?.journal ?? null;

  // Jump to the latest lesson held so far: where today's entries go.
  const placed = useRef(false);
  useEffect(() => {
    if (!page || placed.current) return;
    placed.current = true;
    const today = todayIso();
    const col = page.lessons.reduce((best, lesson, i) => (lesson.date <= today ? i : best), 0);
    setSelected({ row: 0, col });
  }, [page]);

  // Read the grid again once the outbox has written and gone quiet (averages change too).
  const seen = useRef(box.revision);
  useEffect(() => {
    if (box.revision === seen.current || box.sending) return;
    const timer = window.setTimeout(() => {
      seen.current = box.revision;
      const since = Date.now();
      void refetch().then(() => outbox.gridRead(since)).catch(() => undefined);
    }, 400);
    return () => window.clearTimeout(timer);
  }, [box.revision, box.sending, refetch, outbox]);

  const workTypes = data?.workTypes ?? [];
  const workType = workTypes.find((w) => w.id === workTypeId)
    ?? workTypes.find((w) => w.name === "Работа на уроке") ?? workTypes[0];

  if (!page) {
    if (loading) return <p className="status">Загрузка журнала…</p>;
    if (error) return <p className="status error" role="alert">Не удалось загрузить журнал: {error.message}</p>;
    return <p className="status">Журнал этой группы вам недоступен.</p>;
  }
  if (!page.students.length || !page.lessons.length) {
    return <p className="status">{!page.lessons.length ? "В этом периоде у группы нет уроков." : "В группе нет учеников."}</p>;
  }

  const administers = viewer.data?.me.schools.some((s) => s.roles.includes("ADMINISTRATOR")) ?? false;
  const closedForMe = period.closedAt != null && !administers;
  const edits = box.edits.filter((e) => e.groupId === groupId);
  const lastEdit = new Map<string, Edit>();
  for (const edit of edits) lastEdit.set(`${edit.kind}|${cellId(edit.lessonId, edit.studentId)}`, edit);
  const settled = new Map(box.settled.map((s) => [`${s.kind}|${s.cell}`, s.value]));
  const lateCells = new Set(box.notices.map((n) => n.cell));

  const view = (row: number, col: number): CellView => {
    const student = page.students[row];
    const lesson = page.lessons[col];
    const id = cellId(lesson.lessonId, student.studentId);
    const markEdit = lastEdit.get(`marks|${id}`);
    const codeEdit = lastEdit.get(`attendance|${id}`);
    const marks = (markEdit?.want as string[] | undefined) ?? (settled.get(`marks|${id}`) as string[] | undefined)
      ?? (student.marks[col]?.split(" ") ?? []);
    const code = codeEdit ? codeEdit.want as string | null
      : settled.has(`attendance|${id}`) ? settled.get(`attendance|${id}`) as string | null : student.attendance[col] ?? null;
    const states = [markEdit?.state, codeEdit?.state];
    const state = states.includes("conflict") ? "conflict" : states.includes("failed") ? "failed"
      : markEdit || codeEdit ? "pending" : null;
    const locked = closedForMe ? "Период закрыт: изменения вносит только администратор"
      : lesson.status === "CANCELLED" ? "Урок отменён: записи не принимаются"
      : lesson.date < student.startsOn || (student.endsOn && lesson.date > student.endsOn)
        ? "В этот день ученик не состоял в группе" : null;
    return { marks, code, state, late: lateCells.has(id), locked };
  };

  const commit = (pos: Pos, typed: Typed, whole: boolean) => {
    const student = page.students[pos.row];
    const lesson = page.lessons[pos.col];
    const shown = view(pos.row, pos.col);
    const common = {
      groupId, lessonId: lesson.lessonId, lessonDate: lesson.date, studentId: student.studentId,
      studentName: student.fullName, lessonLabel: cellName(page, pos).slice(student.fullName.length + 2),
    };
    if (typed.marks !== undefined) {
      // Typed without F2, marks replace the cell's last mark and keep the earlier ones.
      const want = whole ? typed.marks : [...shown.marks.slice(0, -1), ...typed.marks];
      if (want.join(" ") !== shown.marks.join(" ")) {
        outbox.add({ ...common, kind: "marks", base: shown.marks, want, workTypeId: workType?.id ?? null });
      }
    }
    if (typed.code !== undefined && typed.code !== shown.code) {
      outbox.add({ ...common, kind: "attendance", base: shown.code, want: typed.code, lateMinutes: typed.lateMinutes ?? null });
    }
  };

  const selectedLesson = page.lessons[Math.min(selected.col, page.lessons.length - 1)];
  const lessonRow = data?.lessons.find((l) => l.id === selectedLesson.lessonId);
  const selectedRow = Math.min(selected.row, page.students.length - 1);
  const selectedStudent = page.students[selectedRow];

  return (
    <>
      <div className="jr-toolbar jr-toolbar-2">
        {!page.withoutMarks && (
          <label>Вид работы новых отметок
            <select value={workType?.id ?? ""} onChange={(e) => setWorkTypeId(e.target.value)}>
              {workTypes.map((w) => <option key={w.id} value={w.id}>{w.name} (вес {w.weight})</option>)}
            </select>
          </label>
        )}
        {period.closedAt && <p className="jr-note">Период закрыт: {administers ? "вы вносите изменения как администратор."
          : "изменения вносит только администратор."}</p>}
        {page.withoutMarks && <p className="jr-note">Группа учится без отметок: записывается только посещаемость.</p>}
      </div>
      <OutboxPanel outbox={outbox} details groupId={groupId} />
      <details className="jr-help">
        <summary>Как заполнять</summary>
        <p>Выберите клетку и наберите отметку ({page.gradingSystem?.labels.join(", ")}) или пропуск: {ATTENDANCE_HELP}.
          Стрелки, Tab и Enter переходят между клетками, Delete очищает клетку, F2 или двойной щелчок — правка всей
          клетки, «+» — добавить ещё одну отметку. Без сети изменения копятся и отправятся, когда связь вернётся.</p>
      </details>
      <Grid page={page} view={view} selected={selected} onSelect={setSelected} onCommit={commit}
            trailingHeads={["Ср. балл", "Предв. оценка", "За период"]}
            trailing={(student) => <Results page={page} student={student} />} />
      {loading && <p className="jr-note" aria-live="polite">Обновление…</p>}
      <div className="jr-below">
      <LessonPanel key={selectedLesson.lessonId} lesson={selectedLesson} version={lessonRow?.version ?? null}
                   onSaved={() => void refetch()} />
      {selectedStudent && (
        <CellDetail key={`${selectedLesson.lessonId}|${selectedStudent.studentId}`} groupId={groupId}
                    lessonId={selectedLesson.lessonId} studentId={selectedStudent.studentId}
                    name={cellName(page, { row: selectedRow, col: page.lessons.indexOf(selectedLesson) })} />
      )}
      {selectedStudent && !page.withoutMarks && (
        <AverageDetail key={selectedStudent.studentId} groupId={groupId} periodId={period.id}
                       studentId={selectedStudent.studentId} name={selectedStudent.fullName} />
      )}
      </div>
    </>
  );
}

function formatAverage(value: number | null | undefined): string {
  return value == null ? "—" : value.toLocaleString("ru-RU", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
}

/** A student's average, the grade it suggests (both from the grid, by the rule of
 * `averageExplanation`: «Как получена оценка» below asks it for the selected student) and the
 * period grade if set. */
function Results({ page, student }: { page: Page; student: Student }) {
  const suggested = page.withoutMarks ? null : student.suggestedValue;
  return (
    <>
      <td className="jr-trail jr-trail-2" aria-label={`Средний балл: ${student.fullName}`}>{formatAverage(student.average)}</td>
      <td className="jr-trail jr-trail-1" aria-label={`Предварительная оценка: ${student.fullName}`}>{suggested ?? "—"}</td>
      <td className="jr-trail jr-trail-0" aria-label={`Оценка за период: ${student.fullName}`}>{student.periodGrade ?? "—"}</td>
    </>
  );
}
