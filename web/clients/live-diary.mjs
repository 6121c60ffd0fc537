// The live diary as README's "Live diary" recipe has a front end do it, with the graphql-ws
// client: open the socket and wait for the acknowledgement, subscribe and send a mutation at
// once over HTTP; then the socket breaks, the diary changes meanwhile, and graphql-ws's own
// retry subscribes again with the payload whose `after` the recipe keeps up to date.
// Run by tests/system/test_diary_events.py; prints one JSON object on stdout, exits 1 on failure.
// Environment: ZHURNAL_WS_URL, ZHURNAL_HTTP_URL, ZHURNAL_READER_TOKEN, ZHURNAL_WRITER_TOKEN,
// ZHURNAL_STUDENT_ID, ZHURNAL_LESSON_ID, ZHURNAL_WORK_TYPE_ID.
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};
const WAIT_MS = 20_000;

async function post(query, variables) {
  const response = await fetch(`${env('ZHURNAL_HTTP_URL')}/graphql`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json',
      Accept: 'application/graphql-response+json, application/json;q=0.9',
      Authorization: `Bearer ${env('ZHURNAL_WRITER_TOKEN')}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = await response.json();
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  const [payload] = Object.values(body.data);
  if (payload.errors.length) throw new Error(JSON.stringify(payload.errors));
  return payload;
}

const within = (promise, what) => Promise.race([promise, new Promise((_, reject) =>
  setTimeout(() => reject(new Error(`${what}: nothing within ${WAIT_MS} ms`)), WAIT_MS))]);

// The retry waits until the test has changed the diary, so the change is committed while no
// socket is open: only `after` can bring it back.
let changedMeanwhile;
const changed = new Promise((resolve) => { changedMeanwhile = resolve; });
let connections = 0;
let acknowledged;
const ready = new Promise((resolve) => { acknowledged = resolve; });
const client = createClient({
  url: env('ZHURNAL_WS_URL'), webSocketImpl: WebSocket, lazy: false, retryAttempts: 3,
  retryWait: () => changed,
  connectionParams: { authToken: env('ZHURNAL_READER_TOKEN') },
  on: { connected: () => { connections += 1; acknowledged(); } },
});
await within(ready, 'connection_ack');

// One payload object: graphql-ws sends it again on each retry, so `after` is kept in it.
const payload = { query: `subscription($s: ID!, $after: String) {
    diaryEvents(studentId: $s, after: $after) { cursor kind op entityId mark { label } } }`,
  variables: { s: env('ZHURNAL_STUDENT_ID'), after: null } };
const events = [];
const waiters = [];
const nextEvent = () => within(new Promise((resolve) => waiters.push(resolve)), 'event');
client.subscribe(payload, {
  next: ({ data, errors }) => {
    if (errors) { console.error(JSON.stringify(errors)); process.exit(1); }
    payload.variables.after = data.diaryEvents.cursor;
    events.push(data.diaryEvents);
    waiters.shift()?.(data.diaryEvents);
  },
  error: (e) => { console.error(String(e?.reason ?? e)); process.exit(1); },
  complete: () => {},
});

// subscribe, and mutate at once: no waiting for the subscription to be registered
const firstArrives = nextEvent();
const set = await post(`mutation($i: SetMarksInput!) { setMarks(input: $i) {
  marks { id } errors { field code message } } }`, { i: {
  lessonId: env('ZHURNAL_LESSON_ID'),
  marks: [{ studentId: env('ZHURNAL_STUDENT_ID'), value: '5',
            workTypeId: env('ZHURNAL_WORK_TYPE_ID') }] } });
const markId = set.marks[0].id;
const created = await firstArrives;

// the socket breaks (4499: graphql-ws retries); the mark is removed before it reconnects
const secondArrives = nextEvent();
client.terminate();
await post(`mutation($i: DeleteMarkInput!) { deleteMark(input: $i) {
  errors { field code message } } }`, { i: { id: markId } });
changedMeanwhile();
const replayed = await secondArrives;
await new Promise((resolve) => setTimeout(resolve, 500));  // anything more would be a duplicate
await client.dispose();
process.stdout.write(JSON.stringify({ markId, created, replayed, connections,
                                      events: events.length }));
