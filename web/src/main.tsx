import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { BrowserRouter } from "react-router-dom";
import { App } from "./App";
import { loadLabelStudio } from "./lsf";
import "./styles.css";
import { applyTheme, savedTheme } from "./theme";

// The theme is set before the first paint (no flash of the other one), and follows the system
// while no choice is made.
applyTheme(savedTheme(), false);
window.matchMedia?.("(prefers-color-scheme: dark)").addEventListener?.("change", () => savedTheme() === "system" && applyTheme("system", false));

// A labeling link needs the editor: start fetching it before the app has even asked who is signed in.
if (/^\/projects\/\d+\/label/.test(window.location.pathname)) void loadLabelStudio().catch(() => undefined);

const queries = new QueryClient({ defaultOptions: { queries: { retry: 1, staleTime: 5_000 } } });

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <QueryClientProvider client={queries}>
      <BrowserRouter>
        <App />
      </BrowserRouter>
    </QueryClientProvider>
  </StrictMode>,
);
