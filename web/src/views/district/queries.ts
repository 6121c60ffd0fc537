// The district view's GraphQL documents: `aggregates` only (figures without personal data), the
// schools' short names and their academic years for the choice of a period.
import { graphql } from "../../gql";

export const DistrictFiguresFragment = graphql(`
  fragment DistrictFigures on AggregateRow {
    threshold
    attainment { basis suppressed students passing quality successRate qualityRate notYetAttested }
    attendance { suppressed students studentLessons absentLessons rate }
    timeliness { lessonsHeld overallShare }
    curriculum { lessonTypeCode lessonTypeName plannedHours held fulfilment }
  }
`);

/** The schools in reach over the year: keys only, so no figure is computed. */
export const DistrictReachQuery = graphql(`
  query DistrictReach($from: Date!, $to: Date!) {
    aggregates(filter: { from: $from, to: $to }, groupBy: [SCHOOL]) {
      rows { schoolId schoolName municipalityId municipalityName }
    }
  }
`);

export const DistrictSchoolNamesQuery = graphql(`
  query DistrictSchoolNames($ids: [ID!]!) {
    nodes(ids: $ids) { ... on School { id shortName } }
  }
`);

export const DistrictBySchoolQuery = graphql(`
  query DistrictBySchool($filter: AggregateFilter!) {
    aggregates(filter: $filter, groupBy: [SCHOOL]) {
      from
      to
      rows { schoolId schoolName municipalityId municipalityName ...DistrictFigures }
    }
  }
`);

export const DistrictTotalsQuery = graphql(`
  query DistrictTotals($filter: AggregateFilter!) {
    byMunicipality: aggregates(filter: $filter, groupBy: [MUNICIPALITY]) {
      rows { municipalityId municipalityName ...DistrictFigures }
    }
    total: aggregates(filter: $filter, groupBy: []) {
      rows { ...DistrictFigures }
    }
  }
`);

/** What a chart shows: shares only, so the charts' requests stay light. */
export const DistrictChartFiguresFragment = graphql(`
  fragment DistrictChartFigures on AggregateRow {
    threshold
    attainment { basis suppressed students successRate qualityRate }
    attendance { suppressed rate }
  }
`);

export const DistrictByGradeQuery = graphql(`
  query DistrictByGrade($filter: AggregateFilter!) {
    aggregates(filter: $filter, groupBy: [GRADE_LEVEL]) {
      rows { gradeLevel ...DistrictChartFigures }
    }
  }
`);

/** One month of the year chart; asked with no-cache (a total of the same dates asks more). */
export const DistrictMonthQuery = graphql(`
  query DistrictMonth($filter: AggregateFilter!) {
    aggregates(filter: $filter, groupBy: []) {
      rows { ...DistrictChartFigures }
    }
  }
`);

export const DistrictYearsQuery = graphql(`
  query DistrictYears($schoolId: ID!) {
    academicYears(schoolId: $schoolId, first: 3) {
      edges {
        node {
          id
          startsOn
          endsOn
          periodSchemes { id name periods { id name ordinal startsOn endsOn closedAt } }
        }
      }
    }
  }
`);
