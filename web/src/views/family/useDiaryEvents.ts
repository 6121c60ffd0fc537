// Live diary updates: `diaryEvents` over graphql-ws (the shared client's link). Each event
// refetches the family view's queries on screen; the last cursor is kept so that a reconnect
// subscribes again with `after:` and the server replays what was missed while away.
import { useCallback, useEffect, useRef, useState } from "react";
import { useApolloClient, useSubscription } from "@apollo/client/react";
import { wsClient } from "../../api/client";
import type { FamilyDiaryEventsSubscription } from "../../gql/graphql";
import { DiaryEventsDocument, DiarySpanDocument, ReportCardDocument } from "./queries";

export type DiaryEvent = FamilyDiaryEventsSubscription["diaryEvents"];
export type Connection = "connecting" | "live" | "lost";

// Whether the shared socket is open, followed from this module's loading on (before the view's
// first subscription): a view mounted while the socket is already up (another child picked)
// hears no new "connected".
let socketOpen = false;
wsClient.on("connected", () => { socketOpen = true; });
wsClient.on("closed", () => { socketOpen = false; });

// Events come in bursts (a teacher saves a whole lesson at once): one refetch per burst.
const REFETCH_DELAY_MS = 250;

export function useDiaryEvents(studentId: string) {
  const client = useApolloClient();
  const cursors = useRef(new Map<string, string>());
  const [after, setAfter] = useState<string | null>(() => cursors.current.get(studentId) ?? null);
  const [connection, setConnection] = useState<Connection>(socketOpen ? "live" : "connecting");
  const [last, setLast] = useState<DiaryEvent | null>(null);
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);

  const refetchSoon = useCallback(() => {
    clearTimeout(timer.current);
    timer.current = setTimeout(() => {
      void client.refetchQueries({ include: [DiarySpanDocument, ReportCardDocument] });
    }, REFETCH_DELAY_MS);
  }, [client]);

  useEffect(() => {
    setAfter(cursors.current.get(studentId) ?? null);
    setLast(null);
  }, [studentId]);

  useEffect(() => {
    let wasLost = false;
    const offConnected = wsClient.on("connected", () => {
      setConnection("live");
      // Anything older than the replay window is caught up by reading again.
      if (wasLost) refetchSoon();
      wasLost = false;
    });
    const offClosed = wsClient.on("closed", () => {
      setConnection("lost");
      wasLost = true;
      // Subscribe again from the last event received: the new variables restart the
      // subscription with `after:`, so the server replays the events missed meanwhile.
      setAfter(cursors.current.get(studentId) ?? null);
    });
    return () => {
      offConnected();
      offClosed();
      clearTimeout(timer.current);
    };
  }, [refetchSoon, studentId]);

  useSubscription(DiaryEventsDocument, {
    variables: { studentId, after },
    onData: ({ data }) => {
      const event = data.data?.diaryEvents;
      if (!event || event.studentId !== studentId) return;
      cursors.current.set(studentId, event.cursor);
      setLast(event);
      refetchSoon();
    },
    onError: () => setConnection("lost"),
  });

  return { connection, last };
}
