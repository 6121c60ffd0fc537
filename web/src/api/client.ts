// The one Apollo Client: queries and mutations over HTTP POST to /graphql, `diaryEvents` over
// graphql-ws on the same path. The normalised cache needs no type policies: every `id` in the
// schema names one object (issue 17), and grid rows carry their own ids.
import { ApolloClient, ApolloLink, HttpLink, InMemoryCache } from "@apollo/client";
import { SetContextLink } from "@apollo/client/link/context";
import { GraphQLWsLink } from "@apollo/client/link/subscriptions";
import { OperationTypeNode } from "graphql";
import { createClient } from "graphql-ws";
import { accessToken } from "../auth/session";

const auth = new SetContextLink(async (prevContext) => {
  const token = await accessToken();
  return { headers: { ...prevContext.headers, ...(token ? { Authorization: `Bearer ${token}` } : {}) } };
});

const http = new HttpLink({ uri: "/graphql" });

const wsUrl = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/graphql`;
export const wsClient = createClient({
  url: wsUrl,
  lazy: true,
  retryAttempts: Infinity,
  shouldRetry: () => true,
  connectionParams: async () => {
    const token = await accessToken();
    return token ? { Authorization: `Bearer ${token}` } : {};
  },
});

const link = ApolloLink.split(
  ({ operationType }) => operationType === OperationTypeNode.SUBSCRIPTION,
  new GraphQLWsLink(wsClient),
  auth.concat(http),
);

export const client = new ApolloClient({ link, cache: new InMemoryCache() });
