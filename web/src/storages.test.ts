import { describe, expect, it } from "vitest";
import { initialValues, isSyncing, storageBody, storagePath, storageStatus, type FormField, type Storage } from "./storages";

const FIELDS: FormField[] = [
  { type: "text", name: "title", label: "Storage title", required: true },
  { type: "text", name: "bucket", label: "Bucket name", required: true },
  { type: "toggle", name: "use_blob_urls", label: "Files", value: false },
  { type: "counter", name: "presign_ttl", label: "Lifetime", min: 1, value: 15 },
  { type: "password", name: "aws_secret_access_key", label: "Secret" },
];

const storage = (more: Partial<Storage>): Storage => ({
  id: 1, type: "s3", title: "Bucket", status: "initialized", last_sync: null, last_sync_count: null, traceback: null, meta: {}, ...more,
});

describe("storage routes", () => {
  it("puts target storages under export", () => {
    expect(storagePath("import", "s3")).toBe("/api/storages/s3");
    expect(storagePath("export", "gcs")).toBe("/api/storages/export/gcs");
  });
});

describe("storageStatus", () => {
  const now = Date.parse("2026-12-07T12:00:00Z");
  it("says what the last sync did", () => {
    expect(storageStatus(storage({}), "import", now)).toBe("Not synced yet");
    const synced = storage({ status: "completed", last_sync: "2026-12-07T11:55:00Z", last_sync_count: 3, meta: { tasks_existed: 2 } });
    expect(storageStatus(synced, "import", now)).toBe("Synced 5 minutes ago: 3 new tasks, 2 already synced objects left alone");
    const partly = storage({ status: "completed_with_errors", last_sync: "2026-12-07T11:59:30Z", last_sync_count: 1, meta: { tasks_failed_validation: 1 } });
    expect(storageStatus(partly, "import", now)).toBe("Synced just now: 1 new task, 1 object could not be read");
    expect(storageStatus(storage({ status: "completed", last_sync: "2026-12-07T11:00:00Z", last_sync_count: 4 }), "export", now)).toBe("Synced 1 hour ago: 4 annotations written");
  });
  it("follows a sync while it runs", () => {
    expect(isSyncing(storage({ status: "queued" }))).toBe(true);
    expect(storageStatus(storage({ status: "in_progress", last_sync_count: 1000 }), "import", now)).toBe("Syncing… 1,000 tasks so far");
    expect(isSyncing(storage({ status: "failed" }))).toBe(false);
    expect(storageStatus(storage({ status: "failed" }), "import", now)).toBe("Sync failed");
  });
});

describe("storage forms", () => {
  it("start from the defaults, or from the storage without its secrets", () => {
    expect(initialValues(FIELDS)).toEqual({ title: "", bucket: "", use_blob_urls: false, presign_ttl: 15, aws_secret_access_key: "" });
    const edited = initialValues(FIELDS, storage({ title: "Mine", bucket: "pets", presign_ttl: 30, use_blob_urls: true }));
    expect(edited).toEqual({ title: "Mine", bucket: "pets", use_blob_urls: true, presign_ttl: 30, aws_secret_access_key: "" });
  });
  it("send secrets only when typed, and numbers as numbers", () => {
    const values = { title: "Mine", bucket: "pets", use_blob_urls: true, presign_ttl: "30", aws_secret_access_key: "" };
    expect(storageBody(7, FIELDS, values)).toEqual({ project: 7, title: "Mine", bucket: "pets", use_blob_urls: true, presign_ttl: 30 });
    expect(storageBody(7, FIELDS, { ...values, aws_secret_access_key: "s3cret" }).aws_secret_access_key).toBe("s3cret");
  });
});
