// The table: a line per school (grouped by municipality, with subtotals where there are
// several), then the total; every cell as the API gave it, suppressed ones as «скрыто».
import {
  BASIS, attendanceCell, curriculumCell, qualityCell, studentsCell, successCell, timelinessCell,
  type Cell, type Figures,
} from "./format";

export interface SchoolLine extends Figures {
  schoolId?: string | null;
  schoolName?: string | null;
  municipalityId?: string | null;
  municipalityName?: string | null;
}

export interface TableProps {
  caption: string;
  schools: SchoolLine[];
  municipalities: SchoolLine[] | null;
  total: Figures | null;
  totalLabel: string;
}

const COLUMNS = ["Учеников", "Успеваемость", "Качество знаний", "Посещаемость",
  "Своевременность записей", "Выполнение учебного плана"];

export function FiguresTable({ caption, schools, municipalities, total, totalLabel }: TableProps) {
  const byMunicipality = new Map<string, SchoolLine[]>();
  for (const school of [...schools].sort(bySchoolOrder)) {
    const key = school.municipalityId ?? "";
    byMunicipality.set(key, [...(byMunicipality.get(key) ?? []), school]);
  }
  const subtotals = (municipalities?.length ?? 0) > 1;
  return (
    <div className="district-scroll">
      <table className="district-table" aria-label="Показатели по школам">
        <caption>{caption}</caption>
        <thead>
          <tr>
            <th scope="col">Школа</th>
            <th scope="col">Основа расчёта</th>
            {COLUMNS.map((c) => <th key={c} scope="col">{c}</th>)}
          </tr>
        </thead>
        <tbody>
          {[...byMunicipality.entries()].map(([municipalityId, lines]) => [
            ...lines.map((school) => (
              <Line key={school.schoolId} name={school.schoolName ?? ""} figures={school} kind="school" />
            )),
            subtotals && lines.length > 1 && (() => {
              const sub = municipalities?.find((m) => m.municipalityId === municipalityId);
              return sub ? <Line key={`m-${municipalityId}`} kind="subtotal"
                name={`Итого: ${sub.municipalityName}`} figures={sub} /> : null;
            })(),
          ])}
        </tbody>
        {total && (
          <tfoot>
            <Line name={totalLabel} figures={total} kind="total" />
          </tfoot>
        )}
      </table>
    </div>
  );
}

function bySchoolOrder(a: SchoolLine, b: SchoolLine): number {
  return (a.municipalityName ?? "").localeCompare(b.municipalityName ?? "", "ru")
    || (a.schoolName ?? "").localeCompare(b.schoolName ?? "", "ru");
}

function Line({ name, figures, kind }: { name: string; figures: Figures; kind: string }) {
  const basis = BASIS[figures.attainment.basis];
  const cells = [studentsCell, successCell, qualityCell, attendanceCell, timelinessCell, curriculumCell]
    .map((cell) => cell(figures));
  return (
    <tr className={kind}>
      <th scope="row">{name}</th>
      <td title={basis.title}>{basis.label}</td>
      {cells.map((cell, i) => <FigureCell key={COLUMNS[i]} cell={cell} />)}
    </tr>
  );
}

function FigureCell({ cell }: { cell: Cell }) {
  return <td className={cell.kind} title={cell.title}>{cell.text}</td>;
}
