import { describe, expect, it } from "vitest";
import { assignableRoles, errorMessages, managesPeople, pageCount, progress, snippet } from "./lib";
import { TEMPLATES } from "./templates";

describe("errorMessages", () => {
  it("reads field errors and the general detail of Label Studio's envelope", () => {
    const body = { detail: "Validation error", validation_errors: { title: ["Too short."], non_field_errors: ["Bad."] } };
    expect(errorMessages(body, 400)).toEqual({ fields: { title: ["Too short."], non_field_errors: ["Bad."] }, message: "Bad." });
  });
  it("falls back to the status without a body", () => {
    expect(errorMessages(null, 502).message).toBe("Request failed (502)");
    expect(errorMessages({ detail: "Not found." }, 404).message).toBe("Not found.");
  });
});

describe("progress and pages", () => {
  it("rounds finished over total and copes with empty projects", () => {
    expect(progress({ task_number: 3, finished_task_number: 1 })).toBe(33);
    expect(progress({ task_number: 0, finished_task_number: 0 })).toBe(0);
    expect(progress({ task_number: null })).toBe(0);
  });
  it("counts at least one page", () => {
    expect(pageCount(0, 30)).toBe(1);
    expect(pageCount(61, 30)).toBe(3);
  });
});

describe("snippet", () => {
  it("flattens whitespace and cuts long text", () => {
    expect(snippet("a\n  b")).toBe("a b");
    expect(snippet("x".repeat(100), 10)).toBe(`${"x".repeat(9)}…`);
    expect(snippet({ a: 1 })).toBe('{"a":1}');
  });
});

describe("templates", () => {
  it("each has a unique id and a View config", () => {
    expect(new Set(TEMPLATES.map((t) => t.id)).size).toBe(TEMPLATES.length);
    for (const template of TEMPLATES) expect(template.config.trim().startsWith("<View>")).toBe(true);
  });
});

describe("roles", () => {
  it("only owners and administrators manage people, and only owners make owners", () => {
    expect(managesPeople("AD")).toBe(true);
    expect(managesPeople("MA")).toBe(false);
    expect(assignableRoles("AN")).toEqual([]);
    expect(assignableRoles("AD").map((r) => r.code)).toEqual(["AD", "MA", "RE", "AN", "DI"]);
    expect(assignableRoles("OW").map((r) => r.code)).toContain("OW");
  });
});
