import { describe, expect, it } from "vitest";
import { choosableActions, deliveryState, failureNote, formOf, listensFor, webhookBody, type Delivery, type Webhook } from "./webhooks";

const hook = (more: Partial<Webhook>): Webhook => ({
  id: 1, project: 3, url: "https://example.com/hook", send_payload: true, send_for_all_actions: true, headers: {}, is_active: true,
  actions: [], created_at: "2026-12-07T10:00:00Z", consecutive_failures: 0, last_failure_at: null, last_failure: null, signed: false, ...more,
});

const INFO = {
  PROJECT_CREATED: { name: "Project created", key: "project", "organization-only": true },
  TASKS_CREATED: { name: "Task created", key: "tasks", "organization-only": false },
};

describe("webhook form", () => {
  it("makes the create body with the project, headers without blank names, no actions for all", () => {
    const form = { ...formOf(), url: " https://x.example/h ", headers: [{ name: "X-Key", value: "v" }, { name: " ", value: "skip" }], actions: ["TASKS_CREATED"] };
    expect(webhookBody(7, form, false)).toEqual({
      url: "https://x.example/h", headers: { "X-Key": "v" }, send_payload: true, send_for_all_actions: true, actions: [], is_active: true, project: 7,
    });
  });

  it("sends the chosen actions, a new secret or its removal, and no project when editing", () => {
    const form = { ...formOf(hook({ send_for_all_actions: false, actions: ["TASKS_CREATED"] })), secret: "s" };
    const body = webhookBody(3, form, true);
    expect(body.actions).toEqual(["TASKS_CREATED"]);
    expect(body.secret).toBe("s");
    expect("project" in body).toBe(false);
    expect(webhookBody(3, { ...form, removeSecret: true }, true).secret).toBeNull();
    expect("secret" in webhookBody(3, { ...form, secret: "" }, true)).toBe(false);
  });

  it("offers a project's webhook no organization-only action", () => {
    expect(choosableActions(INFO, true).map(([name]) => name)).toEqual(["TASKS_CREATED"]);
    expect(choosableActions(INFO, false)).toHaveLength(2);
  });

  it("says what a webhook listens for", () => {
    expect(listensFor(hook({}))).toBe("Every event");
    expect(listensFor(hook({ send_for_all_actions: false }))).toBe("No events chosen");
    expect(listensFor(hook({ send_for_all_actions: false, actions: ["TASKS_CREATED", "X"] }), INFO)).toBe("Task created, X");
  });
});

describe("deliveries in words", () => {
  const now = Date.parse("2026-12-07T10:00:10Z");
  const delivery = (more: Partial<Delivery>): Delivery => ({
    id: 1, action: "TASKS_CREATED", status: "pending", attempts: 0, response_status: null, error: null, created_at: "2026-12-07T10:00:00Z",
    next_attempt_at: null, finished_at: null, ...more,
  });

  it("tells delivered, waiting, retrying and given up apart", () => {
    expect(deliveryState(delivery({ status: "delivered", attempts: 1, response_status: 204 }), now)).toBe("Delivered (204) after 1 attempt");
    expect(deliveryState(delivery({}), now)).toBe("Waiting to be sent");
    expect(deliveryState(delivery({ attempts: 2, error: "the receiver answered 500", next_attempt_at: "2026-12-07T10:01:00Z" }), now)).toBe(
      "Retrying soon (2 attempts failed: the receiver answered 500)",
    );
    expect(deliveryState(delivery({ status: "failed", attempts: 6, error: "timeout" }), now)).toBe("Given up after 6 attempts: timeout");
  });

  it("notes a run of failures", () => {
    expect(failureNote(hook({}))).toBeNull();
    expect(failureNote(hook({ consecutive_failures: 3, last_failure: "refused", last_failure_at: "2026-12-07T10:00:00Z" }), now)).toMatch(/^3 failed attempts in a row; the last .*: refused$/);
  });
});
