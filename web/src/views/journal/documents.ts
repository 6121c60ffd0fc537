// The GraphQL documents of the teacher's journal; codegen types them (../../gql).
import { graphql } from "../../gql";

/** A group as the group and period choice needs it. */
export const JournalGroupChoice = graphql(`
  fragment JournalGroupChoice on StudyGroup {
    id
    name
    schoolClass { id name }
    periods { id name startsOn endsOn closedAt }
    currentPeriod { id }
  }
`);

/** The groups a teacher teaches and those of the classes they lead; the schools they administer. */
export const JournalGroupsDocument = graphql(`
  query JournalGroups {
    me {
      id
      schools { school { id name } roles }
      groups { ...JournalGroupChoice }
      classes { id groups { ...JournalGroupChoice } }
    }
  }
`);

/** The school's academic years, latest first: an administrator's groups are of the current one. */
export const SchoolYearsDocument = graphql(`
  query SchoolYears($schoolId: ID!) {
    academicYears(schoolId: $schoolId, first: 5) { edges { node { id startsOn endsOn } } }
  }
`);

/** An administrator's choice: every group of the school in a year, a page at a time. */
export const SchoolGroupsDocument = graphql(`
  query SchoolGroups($schoolId: ID!, $yearId: ID, $after: String) {
    studyGroups(schoolId: $schoolId, academicYearId: $yearId, first: 100, after: $after) {
      pageInfo { hasNextPage endCursor }
      edges { node { ...JournalGroupChoice } }
    }
  }
`);

/** The grid of a period, the lessons' versions (for topic and homework edits) and the work types. */
export const JournalPageDocument = graphql(`
  query JournalGrid($groupId: ID!, $periodId: ID!, $from: Date!, $to: Date!, $schoolId: ID!) {
    journal(groupId: $groupId, periodId: $periodId) {
      group { groupId name }
      period { periodId name startsOn endsOn }
      withoutMarks
      gradingSystem { gradingSystemId name labels }
      lessons {
        lessonId date lessonNumber status topic homework lessonType teacher isSubstitution
      }
      students {
        studentId fullName startsOn endsOn marks markIds attendance average periodGrade
        suggestedValue
      }
    }
    lessons(groupId: $groupId, from: $from, to: $to) { id version topic homework }
    workTypes(schoolId: $schoolId) { id name weight }
  }
`);

/** How one student's average and suggested grade were computed, mark by mark: asked on demand
 * (the grid's `average` and `suggestedValue` are the same figures, by the same rule). */
export const AverageExplanationDocument = graphql(`
  query JournalAverageExplanation($groupId: ID!, $periodId: ID!, $studentId: ID!) {
    averageExplanation(groupId: $groupId, periodId: $periodId, studentId: $studentId) {
      marks { markId workDate label workType weight number counted reason }
      average
      suggestedValue { id label }
      summary
    }
  }
`);

/** One cell as it is stored now: what an edit is checked against before it is sent. */
export const CellDocument = graphql(`
  query JournalCellNow($groupId: ID!, $lessonId: ID!, $studentId: ID!) {
    journalCell(groupId: $groupId, lessonId: $lessonId, studentId: $studentId) {
      lessonId
      studentId
      marks { markId label workType weight comment enteredAt version }
      attendance { attendanceEntryId code lateMinutes enteredAt version }
    }
  }
`);

export const SetMarksDocument = graphql(`
  mutation JournalSetMarks($input: SetMarksInput!) {
    setMarks(input: $input) {
      marks { id value version }
      removedMarkIds
      conflicts { id value version }
      warnings { field code message }
      replayed
      errors { field code message }
    }
  }
`);

export const SetAttendanceDocument = graphql(`
  mutation JournalSetAttendance($input: SetAttendanceInput!) {
    setAttendance(input: $input) {
      entries { id kind version }
      conflicts { id kind version }
      warnings { field code message }
      replayed
      errors { field code message }
    }
  }
`);

export const UpdateLessonDocument = graphql(`
  mutation JournalUpdateLesson($input: UpdateLessonInput!) {
    updateLesson(input: $input) {
      lesson { id version topic homework }
      warnings { field code message }
      errors { field code message }
    }
  }
`);
