// The journal grid (students × lessons) edited like a spreadsheet: the selected cell takes the
// keyboard; a key that is a whole value by itself (5, н) writes it at once, others open the
// cell's editor; arrows, Tab and Enter move; Delete and Backspace clear; F2 or a double click
// edits the whole cell. The grid scrolls in its own box, names and dates stay in view.
import { useEffect, useLayoutEffect, useRef, useState, type KeyboardEvent, type ReactNode } from "react";
import type { JournalGridQuery } from "../../gql/graphql";
import { cellText, completeKey, parseCell, shortDate, type CellValue, type Typed } from "./cells";

type Page = NonNullable<JournalGridQuery["journal"]>;
export type Lesson = Page["lessons"][number];
export type Student = Page["students"][number];

export interface Pos { row: number; col: number }

export interface CellView extends CellValue {
  state: "pending" | "conflict" | "failed" | null;
  late: boolean;
  /** Why the cell takes no entry (cancelled lesson, not a member on the day); null: editable. */
  locked: string | null;
}

interface Props {
  page: Page;
  view: (row: number, col: number) => CellView;
  selected: Pos;
  onSelect: (pos: Pos) => void;
  /** `whole`: the text is the whole cell; else only the kinds typed replace what is there. */
  onCommit: (pos: Pos, typed: Typed, whole: boolean) => void;
  trailing: (student: Student) => ReactNode;
  trailingHeads: string[];
}

function lessonName(lessons: Lesson[], lesson: Lesson): string {
  const sameDay = lessons.filter((l) => l.date === lesson.date).length > 1;
  return sameDay && lesson.lessonNumber ? `${shortDate(lesson.date)}, ${lesson.lessonNumber}-й урок`
    : shortDate(lesson.date);
}

export function cellName(page: Page, pos: Pos): string {
  return `${page.students[pos.row].fullName}, ${lessonName(page.lessons, page.lessons[pos.col])}`;
}

function shortName(fullName: string): string {
  const [last, ...rest] = fullName.split(" ");
  return [last, ...rest.map((part) => `${part[0]}.`)].join(" ");
}

export function Grid({ page, view, selected, onSelect, onCommit, trailing, trailingHeads }: Props) {
  const [editing, setEditing] = useState<{ text: string; whole: boolean } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const cellRefs = useRef(new Map<string, HTMLTableCellElement>());
  const inputRef = useRef<HTMLInputElement>(null);
  const labels = page.gradingSystem?.labels ?? [];
  const rows = page.students.length;
  const cols = page.lessons.length;

  const key = (pos: Pos) => `${pos.row}:${pos.col}`;

  // The selected cell holds the focus (roving tabindex), unless its editor does.
  useLayoutEffect(() => {
    if (editing) inputRef.current?.focus();
  }, [editing]);
  const focusSelected = () => {
    const cell = cellRefs.current.get(key(selected));
    cell?.focus({ preventScroll: false });
  };
  const [focusWanted, setFocusWanted] = useState(false);
  useEffect(() => {
    cellRefs.current.get(key(selected))?.scrollIntoView({ block: "nearest", inline: "nearest" });
  }, [selected.row, selected.col]);  // eslint-disable-line react-hooks/exhaustive-deps
  useEffect(() => {
    if (focusWanted && !editing) {
      focusSelected();
      setFocusWanted(false);
    }
  });

  function move(pos: Pos, drow: number, dcol: number) {
    let row = pos.row + drow;
    let col = pos.col + dcol;
    if (col >= cols && dcol > 0 && drow === 0) { col = 0; row += 1; }
    if (col < 0 && dcol < 0 && drow === 0) { col = cols - 1; row -= 1; }
    row = Math.max(0, Math.min(rows - 1, row));
    col = Math.max(0, Math.min(cols - 1, col));
    onSelect({ row, col });
    setFocusWanted(true);
  }

  function commit(text: string, whole: boolean): boolean {
    const typed = parseCell(text, labels, page.withoutMarks);
    if ("error" in typed) {
      setError(typed.error);
      return false;
    }
    setError(null);
    onCommit(selected, whole ? { marks: typed.marks ?? [], code: typed.code ?? null, lateMinutes: typed.lateMinutes }
                             : typed, whole);
    return true;
  }

  function onCellKey(event: KeyboardEvent) {
    if (editing || event.ctrlKey || event.metaKey || event.altKey) return;
    const cell = view(selected.row, selected.col);
    const moves: Record<string, [number, number]> = {
      ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1], Enter: [1, 0],
    };
    if (moves[event.key]) {
      event.preventDefault();
      move(selected, ...(event.shiftKey && event.key === "Enter" ? [-1, 0] as [number, number] : moves[event.key]));
    } else if (event.key === "Tab") {
      const last = event.shiftKey ? selected.row === 0 && selected.col === 0
        : selected.row === rows - 1 && selected.col === cols - 1;
      if (last) return;  // leave the grid
      event.preventDefault();
      move(selected, 0, event.shiftKey ? -1 : 1);
    } else if (event.key === "Home" || event.key === "End") {
      event.preventDefault();
      onSelect({ row: selected.row, col: event.key === "Home" ? 0 : cols - 1 });
      setFocusWanted(true);
    } else if (cell.locked) {
      if (event.key.length === 1 || event.key === "Delete" || event.key === "Backspace") setError(cell.locked);
    } else if (event.key === "Delete" || event.key === "Backspace") {
      event.preventDefault();
      setError(null);
      onCommit(selected, { marks: [], code: null }, true);
    } else if (event.key === "F2") {
      event.preventDefault();
      setError(null);
      setEditing({ text: cellText(cell), whole: true });
    } else if (event.key === "+") {
      event.preventDefault();
      setError(null);
      setEditing({ text: `${cellText(cell)} `.trimStart(), whole: true });
    } else if (event.key.length === 1 && event.key !== " ") {
      event.preventDefault();
      if (completeKey(event.key, labels, page.withoutMarks)) commit(event.key, false);
      else setEditing({ text: event.key, whole: false });
    }
  }

  function onEditorKey(event: KeyboardEvent<HTMLInputElement>) {
    if (!editing) return;
    const moves: Record<string, [number, number]> = {
      Enter: [1, 0], Tab: [0, event.shiftKey ? -1 : 1], ArrowUp: [-1, 0], ArrowDown: [1, 0],
      ...(editing.whole ? {} : { ArrowLeft: [0, -1], ArrowRight: [0, 1] } as Record<string, [number, number]>),
    };
    if (event.key === "Escape") {
      event.preventDefault();
      setEditing(null);
      setError(null);
      setFocusWanted(true);
    } else if (moves[event.key]) {
      event.preventDefault();
      if (commit(editing.text, editing.whole)) {
        setEditing(null);
        move(selected, ...moves[event.key]);
      }
    }
  }

  return (
    <div className="jr-grid-wrap">
      <div className="jr-grid-box">
        <table role="grid" aria-label={`Журнал: ${page.group.name}, ${page.period.name}`}
               aria-rowcount={rows + 1} aria-colcount={cols + 1 + trailingHeads.length}>
          <thead>
            <tr>
              <th scope="col" className="jr-corner">Ученик</th>
              {page.lessons.map((lesson, col) => (
                <th key={lesson.lessonId} scope="col" aria-label={`Урок ${lessonName(page.lessons, lesson)}`}
                    className={[lesson.status === "CANCELLED" ? "jr-cancelled" : "",
                                col === selected.col ? "jr-current-col" : ""].join(" ")}
                    title={[lesson.topic, lesson.status === "CANCELLED" ? "урок отменён" : ""].filter(Boolean).join(" · ")}>
                  <span className="jr-date">{shortDate(lesson.date)}</span>
                  {lesson.lessonNumber ? <span className="jr-num">{lesson.lessonNumber} ур.</span> : null}
                </th>
              ))}
              {trailingHeads.map((head, i) => (
                <th key={head} scope="col" className={`jr-trail jr-trail-${trailingHeads.length - 1 - i}`}>{head}</th>
              ))}
            </tr>
          </thead>
          <tbody>
            {page.students.map((student, row) => (
              <tr key={student.studentId}>
                <th scope="row" className="jr-name">
                  <span className="jr-full">{student.fullName}</span>
                  <span className="jr-short">{shortName(student.fullName)}</span>
                </th>
                {page.lessons.map((lesson, col) => {
                  const pos = { row, col };
                  const cell = view(row, col);
                  const isSelected = row === selected.row && col === selected.col;
                  const classes = ["jr-cell", cell.state ? `jr-cell-${cell.state}` : "", cell.late ? "jr-late" : "",
                                   cell.locked ? "jr-locked" : "", isSelected ? "jr-selected" : ""];
                  const status = [cell.state === "pending" ? "не отправлено" : "",
                                  cell.state === "conflict" ? "конфликт" : "",
                                  cell.state === "failed" ? "не принято" : "",
                                  cell.late ? "внесено с опозданием" : "", cell.locked ?? ""].filter(Boolean).join(", ");
                  return (
                    <td key={lesson.lessonId} role="gridcell" aria-label={cellName(page, pos)}
                        aria-selected={isSelected} aria-description={status || undefined}
                        tabIndex={isSelected ? 0 : -1} className={classes.join(" ")}
                        ref={(el) => { if (el) cellRefs.current.set(key(pos), el); else cellRefs.current.delete(key(pos)); }}
                        onClick={() => { if (!isSelected) { setEditing(null); setError(null); onSelect(pos); } }}
                        onDoubleClick={() => { if (!cell.locked) setEditing({ text: cellText(cell), whole: true }); }}
                        onKeyDown={onCellKey}>
                      {isSelected && editing ? (
                        <input ref={inputRef} className="jr-editor" aria-label={`Запись: ${cellName(page, pos)}`}
                               aria-invalid={error ? true : undefined} value={editing.text}
                               onChange={(e) => setEditing({ ...editing, text: e.target.value })}
                               onKeyDown={onEditorKey}
                               onBlur={() => { if (commit(editing.text, editing.whole)) setEditing(null); }} />
                      ) : (
                        <>
                          {cell.marks.map((mark, i) => <span key={i} className="jr-mark">{mark}</span>)}
                          {cell.code ? <span className="jr-code">{cell.code}</span> : null}
                        </>
                      )}
                    </td>
                  );
                })}
                {trailing(student)}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <p className="jr-cell-error error" role="alert">{error ?? ""}</p>
    </div>
  );
}
