// The journal's outbox: every mark and attendance edit is queued here (in localStorage, per
// login, so it survives a reload and a lost network) and sent in order with its own clientKey,
// so a resend after a lost answer is idempotent. Before its first send an edit is checked
// against the cell as stored now: when someone changed the cell since the teacher saw it, the
// edit is held as a conflict showing both values, and the teacher chooses.
import { CombinedGraphQLErrors, ServerError } from "@apollo/client/errors";
import { client } from "../../api/client";
import { storedTokens } from "../../auth/session";
import type {
  AttendanceInputKind, JournalCellNowQuery, SetAttendanceInput, SetMarksInput, UserError,
} from "../../gql/graphql";
import { CellDocument, SetAttendanceDocument, SetMarksDocument } from "./documents";

type StoredCell = NonNullable<JournalCellNowQuery["journalCell"]>;

interface EditCommon {
  /** The clientKey: the same on every resend of this edit. */
  key: string;
  groupId: string;
  lessonId: string;
  lessonDate: string;
  lessonLabel: string;
  studentId: string;
  studentName: string;
  /** When the teacher made the edit, and whether the browser was offline then. */
  madeAt: string;
  madeOffline: boolean;
  state: "pending" | "conflict" | "failed";
  /** Sent at least once: it may have been written, so only the same input may follow. */
  sentOnce: boolean;
  message: string | null;
  /** With a conflict: the cell as stored now. */
  stored: { marks: string[]; code: string | null } | null;
}

export interface MarksEdit extends EditCommon {
  kind: "marks";
  base: string[];
  want: string[];
  workTypeId: string | null;
  input: SetMarksInput | null;
}

export interface AttendanceEdit extends EditCommon {
  kind: "attendance";
  base: string | null;
  want: string | null;
  lateMinutes: number | null;
  input: SetAttendanceInput | null;
}

export type Edit = MarksEdit | AttendanceEdit;
export type NewEdit = Omit<MarksEdit, "key" | "madeAt" | "madeOffline" | "state" | "sentOnce" | "message" | "stored" | "input">
  | Omit<AttendanceEdit, "key" | "madeAt" | "madeOffline" | "state" | "sentOnce" | "message" | "stored" | "input">;

export interface Notice { key: string; cell: string; text: string; detail: string }

export interface OutboxState {
  edits: Edit[];
  online: boolean;
  sending: boolean;
  /** Edits written since the grid was last read: shown until a fresh grid has them. */
  settled: { cell: string; kind: Edit["kind"]; value: string[] | string | null; at: number }[];
  /** Accepted with a warning (LATE_ENTRY): the cells and what the server said. */
  notices: Notice[];
  /** Bumped by every write, so the page knows to read the grid again. */
  revision: number;
}

export const CODE_OF_KIND: Record<Exclude<AttendanceInputKind, "PRESENT">, string> = {
  ABSENT: "н", ILL: "б", EXCUSED: "у", LATE: "оп",
};
const KIND_OF_CODE: Record<string, AttendanceInputKind> = { н: "ABSENT", б: "ILL", у: "EXCUSED", оп: "LATE" };

export const cellId = (lessonId: string, studentId: string) => `${lessonId}|${studentId}`;

// The server accepts `recordedAt` within its offline window (72 h by default); older edits are
// sent with the server's time rather than refused.
const OFFLINE_WINDOW_MS = 71 * 3600_000;
const RETRY_MS = [1000, 2000, 5000, 10000, 30000];

function newKey(): string {
  if (typeof crypto.randomUUID === "function") return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

const sameMarks = (a: string[], b: string[]) => a.length === b.length && a.every((x, i) => x === b[i]);

class Outbox {
  private state: OutboxState;
  private listeners = new Set<() => void>();
  private flushing = false;
  private inFlight: string | null = null;
  private retries = 0;
  private timer: number | null = null;

  constructor(private readonly storageKey: string) {
    const raw = localStorage.getItem(storageKey);
    const edits = raw ? (JSON.parse(raw) as Edit[]) : [];
    this.state = { edits, online: navigator.onLine, sending: false, settled: [], notices: [], revision: 0 };
    window.addEventListener("online", this.onOnline);
    window.addEventListener("offline", this.onOffline);
    window.addEventListener("storage", this.onStorage);
  }

  close(): void {
    window.removeEventListener("online", this.onOnline);
    window.removeEventListener("offline", this.onOffline);
    window.removeEventListener("storage", this.onStorage);
    if (this.timer !== null) window.clearTimeout(this.timer);
  }

  subscribe = (listener: () => void) => {
    this.listeners.add(listener);
    return () => { this.listeners.delete(listener); };
  };

  snapshot = () => this.state;

  private set(patch: Partial<OutboxState>, persist = true): void {
    this.state = { ...this.state, ...patch };
    if (persist) localStorage.setItem(this.storageKey, JSON.stringify(this.state.edits));
    this.listeners.forEach((listener) => listener());
  }

  /** Put `edit` in the place of the edit keyed `key` (its own key, unless it gets a new one). */
  private replace(edit: Edit, key = edit.key): void {
    this.set({ edits: this.state.edits.map((e) => (e.key === key ? edit : e)) });
  }

  private remove(key: string): void {
    this.set({ edits: this.state.edits.filter((e) => e.key !== key) });
  }

  private onOnline = () => { this.retries = 0; this.set({ online: true }, false); void this.flush(); };
  private onOffline = () => { this.set({ online: false }, false); };
  // Another tab of the same login changed the outbox: take its list (a resend that both tabs
  // make is harmless, the clientKey answers it with the first result).
  private onStorage = (event: StorageEvent) => {
    if (event.key !== this.storageKey) return;
    this.set({ edits: event.newValue ? (JSON.parse(event.newValue) as Edit[]) : [] }, false);
  };

  /** Queue an edit; an unsent edit of the same cell is replaced rather than followed. */
  add(edit: NewEdit): void {
    const prior = [...this.state.edits].reverse()
      .find((e) => e.kind === edit.kind && e.lessonId === edit.lessonId && e.studentId === edit.studentId);
    if (prior && prior.state === "pending" && !prior.sentOnce && prior.key !== this.inFlight) {
      const merged = { ...prior, want: edit.want, input: null } as Edit;
      if (merged.kind === "marks" && edit.kind === "marks") merged.workTypeId = edit.workTypeId;
      if (merged.kind === "attendance" && edit.kind === "attendance") merged.lateMinutes = edit.lateMinutes;
      const unchanged = merged.kind === "marks" ? sameMarks(merged.base, merged.want) : merged.base === merged.want;
      if (unchanged) this.remove(prior.key);
      else this.replace(merged);
    } else {
      const full = {
        ...edit, key: newKey(), madeAt: new Date().toISOString(), madeOffline: !navigator.onLine,
        state: "pending", sentOnce: false, message: null, stored: null, input: null,
      } as Edit;
      this.set({ edits: [...this.state.edits, full] });
    }
    void this.flush();
  }

  /** Conflict: write the teacher's value over the stored one (checked again before sending). */
  keepMine(key: string): void {
    const edit = this.state.edits.find((e) => e.key === key);
    if (!edit?.stored) return;
    const base = edit.kind === "marks" ? edit.stored.marks : edit.stored.code;
    this.replace({ ...edit, key: newKey(), base, state: "pending", sentOnce: false, message: null,
                   stored: null, input: null } as Edit, key);
    void this.flush();
  }

  /** Conflict: drop the teacher's edit; the stored value stays. */
  keepStored(key: string): void {
    const edit = this.state.edits.find((e) => e.key === key);
    if (!edit) return;
    const settled = edit.stored ? [...this.state.settled, {
      cell: cellId(edit.lessonId, edit.studentId), kind: edit.kind,
      value: edit.kind === "marks" ? edit.stored.marks : edit.stored.code, at: Date.now() }]
      : this.state.settled;
    this.set({ edits: this.state.edits.filter((e) => e.key !== key), settled,
               revision: this.state.revision + 1 });
    void this.flush();
  }

  /** A refused edit: send it again as a new edit, or drop it. */
  retry(key: string): void {
    const edit = this.state.edits.find((e) => e.key === key);
    if (!edit) return;
    this.replace({ ...edit, key: newKey(), state: "pending", sentOnce: false, message: null, input: null }, key);
    void this.flush();
  }

  drop(key: string): void { this.remove(key); }

  dismissNotice(key: string): void {
    this.set({ notices: this.state.notices.filter((n) => n.key !== key) }, false);
  }

  /** The grid read at `since` (or later) has every edit settled before it. */
  gridRead(since: number): void {
    const settled = this.state.settled.filter((s) => s.at >= since);
    if (settled.length !== this.state.settled.length) this.set({ settled }, false);
  }

  async flush(): Promise<void> {
    if (this.flushing) return;
    this.flushing = true;
    this.set({ sending: true }, false);
    try {
      // Logged out: the edits wait for the same login to come back.
      while (navigator.onLine && storedTokens() !== null) {
        const next = this.nextSendable();
        if (!next) break;
        this.inFlight = next.key;
        const outcome = await this.send(next);
        this.inFlight = null;
        if (outcome === "retry") {
          this.scheduleRetry();
          break;
        }
        this.retries = 0;
      }
    } finally {
      this.inFlight = null;
      this.flushing = false;
      this.set({ sending: false }, false);
    }
  }

  private scheduleRetry(): void {
    if (this.timer !== null) window.clearTimeout(this.timer);
    const delay = RETRY_MS[Math.min(this.retries, RETRY_MS.length - 1)];
    this.retries += 1;
    this.timer = window.setTimeout(() => { this.timer = null; void this.flush(); }, delay);
  }

  /** The oldest pending edit with no earlier edit of the same cell still waiting. */
  private nextSendable(): Edit | undefined {
    const blocked = new Set<string>();
    for (const edit of this.state.edits) {
      const id = `${edit.kind}|${cellId(edit.lessonId, edit.studentId)}`;
      if (edit.state === "pending" && !blocked.has(id)) return edit;
      blocked.add(id);
    }
    return undefined;
  }

  private async readCell(edit: Edit): Promise<StoredCell | null> {
    const { data } = await client.query({
      query: CellDocument, fetchPolicy: "network-only",
      variables: { groupId: edit.groupId, lessonId: edit.lessonId, studentId: edit.studentId },
    });
    return data?.journalCell ?? null;
  }

  private conflict(edit: Edit, cell: StoredCell): void {
    this.replace({ ...edit, state: "conflict", input: null, sentOnce: false,
                   stored: { marks: cell.marks.map((m) => m.label), code: cell.attendance?.code ?? null } });
  }

  private recordedAt(edit: Edit): string | null {
    const today = new Date().toLocaleDateString("sv-SE");
    if (!edit.madeOffline || edit.lessonDate > today) return null;
    return Date.now() - Date.parse(edit.madeAt) < OFFLINE_WINDOW_MS ? edit.madeAt : null;
  }

  /** The mutation input of an edit against the cell as stored (whose versions it expects). */
  private build(edit: Edit, cell: StoredCell): SetMarksInput | SetAttendanceInput | null {
    const recordedAt = this.recordedAt(edit);
    if (edit.kind === "attendance") {
      const kind: AttendanceInputKind = edit.want === null ? "PRESENT" : KIND_OF_CODE[edit.want];
      return {
        lessonId: edit.lessonId, clientKey: edit.key,
        entries: [{ studentId: edit.studentId, kind, expectedVersion: cell.attendance?.version ?? null,
                    lateMinutes: kind === "LATE" ? edit.lateMinutes : null, recordedAt }],
      };
    }
    const entries: SetMarksInput["marks"] = [];
    const count = Math.max(cell.marks.length, edit.want.length);
    for (let i = 0; i < count; i++) {
      const stored = cell.marks[i];
      const wanted = edit.want[i];
      if (stored && wanted === undefined) {
        entries.push({ studentId: edit.studentId, markId: stored.markId, expectedVersion: stored.version,
                       remove: true });
      } else if (stored && wanted !== stored.label) {
        entries.push({ studentId: edit.studentId, markId: stored.markId, expectedVersion: stored.version,
                       value: wanted, recordedAt });
      } else if (!stored) {
        entries.push({ studentId: edit.studentId, value: wanted, workTypeId: edit.workTypeId, recordedAt });
      }
    }
    return entries.length ? { lessonId: edit.lessonId, clientKey: edit.key, marks: entries } : null;
  }

  private async send(edit: Edit): Promise<"done" | "retry"> {
    try {
      let current = edit;
      if (!current.input) {
        const cell = await this.readCell(current);
        if (!cell) {
          this.replace({ ...current, state: "failed", message: "Клетка журнала недоступна: урок удалён или нет доступа." });
          return "done";
        }
        const storedPart = current.kind === "marks" ? cell.marks.map((m) => m.label) : cell.attendance?.code ?? null;
        const unchanged = current.kind === "marks"
          ? sameMarks(storedPart as string[], current.base) : storedPart === current.base;
        if (!unchanged) {
          this.conflict(current, cell);
          return "done";
        }
        const input = this.build(current, cell);
        if (!input) {
          this.remove(current.key);
          return "done";
        }
        current = { ...current, input } as Edit;
      }
      // Marked before the request: if the answer is lost, the edit may be written, and only
      // the same input under the same key may follow it.
      current = { ...current, sentOnce: true };
      this.replace(current);
      const payload = current.kind === "marks"
        ? (await client.mutate({ mutation: SetMarksDocument, variables: { input: current.input as SetMarksInput } })).data?.setMarks
        : (await client.mutate({ mutation: SetAttendanceDocument, variables: { input: current.input as SetAttendanceInput } })).data?.setAttendance;
      if (!payload) throw new Error("empty answer");
      if (payload.errors.length) {
        if (payload.errors.some((e) => e.code === "CONFLICT")) {
          const cell = await this.readCell(current);
          if (cell) {
            this.conflict(current, cell);
            return "done";
          }
        }
        this.replace({ ...current, state: "failed", message: describe(payload.errors) });
        return "done";
      }
      const cell = cellId(current.lessonId, current.studentId);
      // The server's message (in English) is kept as the detail; the notice says it in Russian.
      const what = current.kind === "marks" ? "отметка внесена позже срока" : "посещаемость внесена после дня урока";
      const notices = payload.warnings.map((w, i) => ({
        key: `${current.key}:${i}`, cell, detail: w.message,
        text: `${current.studentName}, ${current.lessonLabel}: ${w.code === "LATE_ENTRY" ? what : w.message}`,
      }));
      this.set({
        edits: this.state.edits.filter((e) => e.key !== current.key),
        settled: [...this.state.settled, { cell, kind: current.kind, value: current.want, at: Date.now() }],
        notices: [...this.state.notices, ...notices],
        revision: this.state.revision + 1,
      });
      return "done";
    } catch (error) {
      if (CombinedGraphQLErrors.is(error)
          || (ServerError.is(error) && error.statusCode >= 400 && error.statusCode < 500 && error.statusCode !== 429)) {
        const latest = this.state.edits.find((e) => e.key === edit.key) ?? edit;
        this.replace({ ...latest, state: "failed", message: error.message });
        return "done";
      }
      return "retry";  // no network, or the server is restarting: the edit waits
    }
  }
}

function describe(errors: Pick<UserError, "field" | "code" | "message">[]): string {
  return errors.map((e) => (e.field ? `${e.field}: ${e.message}` : e.message)).join("; ");
}

let current: { owner: string; outbox: Outbox } | null = null;

/** The outbox of the logged-in account (a new login never sends another account's edits). */
export function outboxOf(login: string): Outbox {
  if (current?.owner !== login) {
    current?.outbox.close();
    current = { owner: login, outbox: new Outbox(`zhurnal.journal.outbox:${login}`) };
    void current.outbox.flush();
  }
  return current.outbox;
}

export type { Outbox };
