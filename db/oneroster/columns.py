"""The OneRoster 1.2 CSV binding: file names, header rows in the specification's order, and
the vocabularies this project writes.

Where the lists come from (each was looked up, not remembered, except where marked):
- rostering and gradebook headers: the tables of "1EdTech OneRoster: CSV Binding 1.2.1"
  (https://www.imsglobal.org/spec/oneroster/v1p2/bind/csv), as transcribed by the MIT-licensed
  validator github.com/wwewtech/oneroster-csv-validator (its `…-headers.ts` files); roles.csv
  cross-checked with the ManageBac OneRoster 1.2 CSV guide (guide.fariaedu.com), manifest
  values with D2L's CSV guide (community.d2l.com, "bulk"/"delta"/"absent");
- the `file.*` property names of manifest.csv for 1.2: from best knowledge of the binding's
  manifest table (1.1's list plus the 1.2 files), not found verbatim in the search corpus.

OneRoster 1.2 moved a user's roles out of users.csv into roles.csv, and links a score scale to
results through resultScoreScales.csv / lineItemScoreScales.csv (results.csv has no
scoreScaleSourcedId column): so the export writes roles.csv and lineItemScoreScales.csv too.
"""

from __future__ import annotations

ONEROSTER_VERSION = "1.2"
MANIFEST_VERSION = "1.0"

ACADEMIC_SESSIONS = ("sourcedId", "status", "dateLastModified", "title", "type", "startDate",
                     "endDate", "parentSourcedId", "schoolYear")
ORGS = ("sourcedId", "status", "dateLastModified", "name", "type", "identifier",
        "parentSourcedId")
COURSES = ("sourcedId", "status", "dateLastModified", "schoolYearSourcedId", "title",
           "courseCode", "grades", "orgSourcedId", "subjects", "subjectCodes")
CLASSES = ("sourcedId", "status", "dateLastModified", "title", "grades", "courseSourcedId",
           "classCode", "classType", "location", "schoolSourcedId", "termSourcedIds",
           "subjects", "subjectCodes", "periods")
USERS = ("sourcedId", "status", "dateLastModified", "enabledUser", "username", "userIds",
         "givenName", "familyName", "middleName", "identifier", "email", "sms", "phone",
         "agentSourcedIds", "grades", "password", "userMasterIdentifier", "preferredGivenName",
         "preferredMiddleName", "preferredFamilyName", "primaryOrgSourcedId", "pronouns")
ROLES = ("sourcedId", "status", "dateLastModified", "userSourcedId", "roleType", "role",
         "beginDate", "endDate", "orgSourcedId", "userProfileSourcedId")
ENROLLMENTS = ("sourcedId", "status", "dateLastModified", "classSourcedId", "schoolSourcedId",
               "userSourcedId", "role", "primary", "beginDate", "endDate")
CATEGORIES = ("sourcedId", "status", "dateLastModified", "title", "weight")
LINE_ITEMS = ("sourcedId", "status", "dateLastModified", "title", "description", "assignDate",
              "dueDate", "classSourcedId", "categorySourcedId", "academicSessionSourcedId",
              "resultValueMin", "resultValueMax", "schoolSourcedId")
RESULTS = ("sourcedId", "status", "dateLastModified", "lineItemSourcedId", "studentSourcedId",
           "scoreStatus", "score", "scoreDate", "comment", "textScore", "classSourcedId",
           "inProgress", "incomplete", "late", "missing")
SCORE_SCALES = ("sourcedId", "status", "dateLastModified", "title", "type", "orgSourcedId",
                "courseSourcedId", "classSourcedId", "scoreScaleValue")
LINE_ITEM_SCORE_SCALES = ("sourcedId", "status", "dateLastModified", "title",
                          "lineItemSourcedId", "scoreScaleSourcedId")
MANIFEST = ("propertyName", "value")

# File name -> header row, for every file the export writes.
HEADERS: dict[str, tuple[str, ...]] = {
    "orgs.csv": ORGS,
    "academicSessions.csv": ACADEMIC_SESSIONS,
    "courses.csv": COURSES,
    "classes.csv": CLASSES,
    "users.csv": USERS,
    "roles.csv": ROLES,
    "enrollments.csv": ENROLLMENTS,
    "categories.csv": CATEGORIES,
    "lineItems.csv": LINE_ITEMS,
    "results.csv": RESULTS,
    "scoreScales.csv": SCORE_SCALES,
    "lineItemScoreScales.csv": LINE_ITEM_SCORE_SCALES,
}

# The rostering files the import reads (never the gradebook ones).
ROSTER_FILES = ("orgs.csv", "academicSessions.csv", "courses.csv", "classes.csv", "users.csv",
                "roles.csv", "enrollments.csv")

# manifest.csv `file.<name>` properties of 1.2, in the binding's order (best knowledge).
MANIFEST_FILES = ("academicSessions", "categories", "classes", "classResources", "courses",
                  "courseResources", "demographics", "enrollments",
                  "lineItemLearningObjectiveIds", "lineItems", "lineItemScoreScales", "orgs",
                  "resources", "resultLearningObjectiveIds", "results", "resultScoreScales",
                  "roles", "scoreScales", "userProfiles", "userResources", "users")

ORG_TYPES = ("department", "school", "district", "local", "state", "national")
SESSION_TYPES = ("gradingPeriod", "semester", "schoolYear", "term")
CLASS_TYPES = ("homeroom", "scheduled")
ROLE_TYPES = ("primary", "secondary")
USER_ROLES = ("aide", "counselor", "districtAdministrator", "guardian", "parent", "principal",
              "proctor", "relative", "siteAdministrator", "student", "systemAdministrator",
              "teacher")
ENROLLMENT_ROLES = ("administrator", "proctor", "student", "teacher")
STATUSES = ("active", "tobedeleted")
