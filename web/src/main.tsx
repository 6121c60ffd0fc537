import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { ApolloProvider } from "@apollo/client/react";
import { BrowserRouter } from "react-router-dom";
import { client } from "./api/client";
import { App } from "./App";
import "./ui/app.css";

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <ApolloProvider client={client}>
      <BrowserRouter basename="/app">
        <App />
      </BrowserRouter>
    </ApolloProvider>
  </StrictMode>,
);
