import { describe, expect, it } from "vitest";
import { snapshotStatus, type Snapshot } from "./components/Snapshots";

const snapshot = (more: Partial<Snapshot>): Snapshot => ({
  id: 1, title: "Nightly", status: "created", created_at: "2026-12-07T11:00:00Z", counters: {}, converted_formats: [], ...more,
});

describe("snapshotStatus", () => {
  it("says how far a snapshot got", () => {
    const now = Date.parse("2026-12-07T12:00:00Z");
    expect(snapshotStatus(snapshot({}), now)).toBe("Being made…");
    expect(snapshotStatus(snapshot({ status: "in_progress" }), now)).toBe("Being made…");
    expect(snapshotStatus(snapshot({ status: "in_progress", counters: { task_number: 3000 } }), now)).toBe("Being made… 3,000 tasks so far");
    expect(snapshotStatus(snapshot({ status: "failed" }), now)).toBe("Failed");
    expect(snapshotStatus(snapshot({ status: "completed", counters: { task_number: 1200 } }), now)).toBe("1,200 tasks · made 1 hour ago");
  });
});
