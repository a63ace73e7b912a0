import { describe, expect, it } from "vitest";
import { assignableRoles, errorMessages, managesPeople, pageCount, progress, snippet, dataKeys, htmlKeys, parseUrlList, formatBytes, sampleData, plural, articled, renameDataKey, missingColumns, timeAgo } from "./lib";
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

  it("has sample data for every key its config reads", () => {
    for (const template of TEMPLATES) {
      for (const key of dataKeys(template.config)) expect(template.sample, `${template.id}.${key}`).toHaveProperty(key);
    }
    expect(sampleData(`<View><Image name="i" value="$photo"/><Text name="t" value="$body"/></View>`)).toEqual({ photo: "/samples/image.svg", body: expect.any(String) });
  });
});

describe("import helpers", () => {
  it("reads data keys and URL lists", () => {
    expect(dataKeys(`<View><Text name="a" value="$text"/><Image name="b" value="$image"/><Text name="c" value="$text"/></View>`)).toEqual(["text", "image"]);
    expect(htmlKeys(`<View><HyperText name="p" value="$page"/><Text name="t" value="$text"/></View>`)).toEqual(["page"]);
    expect(parseUrlList("https://a.example/1.jpg\n\n  http://b.example/2.png \nftp://c/3\nnot a url")).toEqual({
      urls: ["https://a.example/1.jpg", "http://b.example/2.png"],
      rejected: ["ftp://c/3", "not a url"],
    });
    expect(formatBytes(999)).toBe("999 B");
    expect(formatBytes(12_345_678)).toBe("12.3 MB");
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

describe("words", () => {
  it("pluralizes counts with thousands separators", () => {
    expect(plural(1, "task")).toBe("1 task");
    expect(plural(0, "task")).toBe("0 tasks");
    expect(plural(20000, "task")).toBe("20,000 tasks");
    expect(plural(2, "person", "people")).toBe("2 people");
  });
  it("puts the right article before a role", () => {
    expect(articled("Annotator")).toBe("an Annotator");
    expect(articled("Manager")).toBe("a Manager");
  });
});

describe("data columns", () => {
  const config = '<View><Text name="text" value="$text"/><Header value="$text_title"/><Choices name="c" toName="text"><Choice value="a"/></Choices></View>';
  it("renames a data variable everywhere it is read, and only it", () => {
    expect(renameDataKey(config, "text", "review")).toBe(config.replace('value="$text"', 'value="$review"'));
  });
  it("names the variables an upload's columns lack, with the columns that could stand in", () => {
    expect(missingColumns(config, ["review", "stars", "text_title"])).toEqual([{ key: "text", candidates: ["review", "stars"] }]);
    expect(missingColumns(config, ["text", "text_title"])).toEqual([]);
    expect(missingColumns(config, ["$undefined$"])).toEqual([]);
    expect(missingColumns(config, [])).toEqual([]);
  });
});

describe("timeAgo", () => {
  const now = Date.parse("2026-12-06T12:00:00Z");
  it("says how long ago, in words", () => {
    expect(timeAgo("2026-12-06T11:59:30Z", now)).toBe("just now");
    expect(timeAgo("2026-12-06T11:55:00Z", now)).toBe("5 minutes ago");
    expect(timeAgo("2026-12-06T11:00:00Z", now)).toBe("1 hour ago");
    expect(timeAgo("2026-12-03T12:00:00Z", now)).toBe("3 days ago");
    expect(timeAgo(null, now)).toBe("never");
  });
});
