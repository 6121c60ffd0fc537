// Apollo Client's normalised cache (InMemoryCache, no type policies, development warnings on:
// run with `node --conditions=development`) against a real zhurnal server: journal pages of
// the same students read one after the other, then each read back from the cache and compared
// with what the server answered for it. Also `me` twice, with other fields (Viewer has an id).
// Run by tests/api/test_cache_identity.py; prints one JSON object on stdout.
// Environment: ZHURNAL_HTTP_URL, ZHURNAL_TOKEN, ZHURNAL_PAGES (JSON [{groupId, periodId}]),
// ZHURNAL_KEY_ROWS_BY_STUDENT=1 keys JournalStudent by studentId (the test's control: what a
// grid row keyed by the student's id, as before issue 17, does to the pages).
import { ApolloClient, HttpLink, InMemoryCache, gql } from '@apollo/client';
import { loadDevMessages, loadErrorMessages } from '@apollo/client/dev';

loadDevMessages();
loadErrorMessages();
const warnings = [];
for (const level of ['warn', 'error']) {
  console[level] = (...args) => warnings.push(args.map(String).join(' '));
}

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};
const typePolicies = process.env.ZHURNAL_KEY_ROWS_BY_STUDENT === '1'
  ? { JournalStudent: { keyFields: ['studentId'] } } : {};
const client = new ApolloClient({
  cache: new InMemoryCache({ typePolicies }),
  link: new HttpLink({ uri: `${env('ZHURNAL_HTTP_URL')}/graphql`,
                       headers: { Authorization: `Bearer ${env('ZHURNAL_TOKEN')}` } }),
});
const JOURNAL = gql`query Journal($groupId: ID!, $periodId: ID!) {
  journal(groupId: $groupId, periodId: $periodId) {
    group { groupId name } period { periodId name }
    lessons { lessonId date lessonNumber }
    students { studentId fullName marks markIds attendance average }
  } }`;
const pages = JSON.parse(env('ZHURNAL_PAGES'));
const answered = [];
for (const variables of pages) {
  const { data } = await client.query({ query: JOURNAL, variables, fetchPolicy: 'network-only' });
  answered.push(data.journal);
}
await client.query({ query: gql`query Me { me { id login } }` });
await client.query({ query: gql`query MeGroups { me { id groups { id name } } }` });
const cached = pages.map((variables) => client.readQuery({ query: JOURNAL, variables })?.journal);
process.stdout.write(JSON.stringify({
  pages: pages.map((_, n) => ({
    rows: answered[n].students.length,
    marks: answered[n].students.flatMap((s) => s.marks).filter((m) => m).length,
    sameAsAnswered: JSON.stringify(cached[n]) === JSON.stringify(answered[n]),
  })),
  warnings,
}));
