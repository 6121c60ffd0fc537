// The same document asked with several variable sets (one school per period, one month per
// point of the year chart), answered together. A few at a time (two by default): a figure is a
// heavy statement over the whole reach, and a burst of them runs past the statement timeout.
import { useEffect, useState } from "react";
import type { TypedDocumentNode } from "@apollo/client";
import { useApolloClient } from "@apollo/client/react";

export interface Many<T> { data: T[] | null; loading: boolean; error: string | null; retry: () => void }

export function useQueries<T, V extends Record<string, unknown>>(
  document: TypedDocumentNode<T, V>, variables: V[] | null, atOnce = 2,
): Many<T> {
  const client = useApolloClient();
  const [attempt, setAttempt] = useState(0);
  const key = `${attempt} ${JSON.stringify(variables)}`;
  const retry = () => setAttempt((n) => n + 1);
  const [state, setState] = useState<Omit<Many<T>, "retry"> & { key: string }>(
    { data: null, loading: true, error: null, key: "" });
  useEffect(() => {
    if (variables === null) return;
    let live = true;
    const results: T[] = new Array(variables.length);
    let next = 0;
    const worker = async () => {
      while (live && next < variables.length) {
        const i = next++;
        const result = await client.query({ query: document, variables: variables[i], fetchPolicy: "no-cache" });
        results[i] = result.data as T;
      }
    };
    Promise.all(Array.from({ length: Math.min(atOnce, variables.length) }, worker))
      .then(() => { if (live) setState({ data: results, loading: false, error: null, key }); })
      .catch((error: Error) => { if (live) setState({ data: null, loading: false, error: error.message, key }); });
    return () => { live = false; };
    // `key` stands for `variables`: a new array with the same values asks nothing again.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [client, document, key]);
  if (variables === null) return { data: null, loading: false, error: null, retry };
  if (state.key !== key) return { data: null, loading: true, error: null, retry };
  return { ...state, retry };
}
