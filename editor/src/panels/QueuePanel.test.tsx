// @vitest-environment jsdom
import type { JobSummary } from "@infix/protocol";
import { act, cleanup, render, screen, within } from "@testing-library/react";
import { afterEach, describe, expect, it } from "vitest";
import { createApiClient } from "../api/client.ts";
import { StudioContext } from "../state/react.ts";
import { Studio } from "../state/studio.ts";
import { QueuePanel } from "./QueuePanel.tsx";

afterEach(cleanup);

const job = (id: string, extra: Partial<JobSummary>): JobSummary => ({
  id,
  status: "queued",
  label: id,
  createdAt: 0,
  nodeCount: 3,
  ...extra,
});

describe("QueuePanel", () => {
  it("says a farm job waits for a worker (cancel only), apart from jobs waiting in line (front and cancel)", () => {
    const studio = new Studio(createApiClient({ fetch: async () => new Response("{}", { status: 500 }) }));
    render(
      <StudioContext.Provider value={studio}>
        <QueuePanel />
      </StudioContext.Provider>,
    );
    act(() =>
      studio.store.setState({
        queue: {
          paused: false,
          jobs: [
            job("handed", { awaitingWorker: true }),
            job("waiting", {}),
            job("done", { status: "succeeded", startedAt: 1000, finishedAt: 2500 }),
          ],
        },
      }),
    );
    const row = (id: string) => within(document.querySelector(`[data-job-id="${id}"]`) as HTMLElement);
    expect(row("handed").getByText("waiting for a worker")).toBeTruthy();
    expect(row("handed").queryByRole("button", { name: /front/i })).toBeNull();
    expect(row("handed").getByRole("button", { name: "Cancel handed" })).toBeTruthy();
    expect(row("waiting").getByText("queued")).toBeTruthy();
    expect(row("waiting").getByRole("button", { name: "Move waiting to the front" })).toBeTruthy();
    expect(row("done").queryByRole("button", { name: /cancel/i })).toBeNull();
    expect(screen.getAllByRole("listitem")).toHaveLength(3);
  });
});
