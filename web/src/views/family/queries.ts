// The family view's GraphQL documents: who the viewer reads the diary of, a span of the
// diary, the work types' weights, the report card and the live diary events.
import { graphql } from "../../gql";

// `on: null` spelled out on purpose: the shell's Viewer query asks for `students` without
// arguments, and the cache keys a field by the arguments written; one key for both would make
// the two queries overwrite each other's embedded (id-less) ViewerStudent rows.
export const FamilyStudentsDocument = graphql(`
  query FamilyStudents {
    me {
      id
      students(on: null) {
        student { id fullName }
        school { id name shortName timezone }
        schoolClass { id name academicYearId }
      }
    }
  }
`);

export const DiarySpanDocument = graphql(`
  query DiarySpan($studentId: ID!, $from: Date!, $to: Date!) {
    diary(studentId: $studentId, from: $from, to: $to) {
      studentId
      days {
        date
        lessons {
          lessonId
          lessonNumber
          status
          subject
          teacher
          topic
          homework
          homeworkLinks
          homeworkDueOn
          marks { label workType comment }
          attendance
          lateMinutes
        }
        homeworkDue { subject homework homeworkLinks assignedOn }
        workMarks { subject label workType comment }
      }
    }
  }
`);

export const WorkTypesDocument = graphql(`
  query FamilyWorkTypes($schoolId: ID!) {
    workTypes(schoolId: $schoolId) { id name weight }
  }
`);

export const ReportCardDocument = graphql(`
  query FamilyReportCard($studentId: ID!, $academicYearId: ID!) {
    reportCard(studentId: $studentId, academicYearId: $academicYearId) {
      academicYear { id name }
      subjects {
        subject { id name }
        groups { id name }
        periods {
          period { id name startsOn endsOn }
          closed
          grade { ...ReportGrade }
          currentAverage { average axisAverage countedMarks }
        }
        yearGrade { ...ReportGrade }
        examGrades { ...ReportGrade examKind { id shortName name } testScore }
        finalGrade { ...ReportGrade }
      }
    }
  }
  fragment ReportGrade on Grade { id state value deferredUntil deferredReason }
`);

export const DiaryEventsDocument = graphql(`
  subscription FamilyDiaryEvents($studentId: ID!, $after: String) {
    diaryEvents(studentId: $studentId, after: $after) {
      cursor
      kind
      op
      studentId
      entityId
      mark { label workTypeName workDate subjectName }
      attendance { kind lateMinutes }
      lesson { date subjectName }
      grade { ...ReportGrade kind subject { id name } period { id name } }
    }
  }
`);

export const AcademicYearsDocument = graphql(`
  query FamilyAcademicYears($schoolId: ID!) {
    academicYears(schoolId: $schoolId) { edges { node { id name startsOn endsOn } } }
  }
`);
