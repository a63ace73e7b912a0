//! The labeling stream: `/next` with locks, sampling, overlap and skip queues; the label-stream
//! history; drafts and convert-to-draft.

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{choice, TestApp, TEXT_CONFIG};

/// A project with `count` text tasks and the given settings; returns (project, task ids).
async fn project_with(app: &TestApp, count: usize, settings: Value) -> (i64, Vec<i64>) {
    let project = app.create_project(TEXT_CONFIG).await;
    if settings.as_object().is_some_and(|s| !s.is_empty()) {
        app.patch(&format!("/api/projects/{project}/"), settings)
            .await
            .expect(200);
    }
    let tasks: Vec<Value> = (1..=count)
        .map(|i| json!({"text": format!("t{i}")}))
        .collect();
    let ids = app.import_ids(project, json!(tasks)).await;
    (project, ids)
}

async fn next_as(app: &TestApp, token: &str, project: i64) -> (u16, Value) {
    let reply = app
        .call_as(
            token,
            Method::GET,
            &format!("/api/projects/{project}/next"),
            None,
        )
        .await;
    (reply.status.as_u16(), reply.body)
}

async fn annotate_as(app: &TestApp, token: &str, task: i64, body: Value) -> Value {
    app.call_as(
        token,
        Method::POST,
        &format!("/api/tasks/{task}/annotations/"),
        Some(body),
    )
    .await
    .expect(201)
    .body
}

fn served(reply: &(u16, Value)) -> (i64, &str) {
    assert_eq!(reply.0, 200, "{}", reply.1);
    (
        reply.1["id"].as_i64().unwrap(),
        reply.1["queue"].as_str().unwrap(),
    )
}

const ADMIN: &str = crate::helpers::TOKEN;

#[tokio::test]
async fn sequential_stream_locks_tasks_per_annotator() {
    let app = TestApp::spawn().await;
    let (project, t) = project_with(&app, 4, json!({})).await;
    let second = app.annotator_of("second@example.com", project).await;

    let first = next_as(&app, ADMIN, project).await;
    assert_eq!(served(&first), (t[0], "Sequence queue"));
    let lock = first.1["unique_lock_id"].as_str().unwrap().to_string();
    let keys: Vec<&str> = first
        .1
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "id",
            "predictions",
            "annotations",
            "drafts",
            "updated_by",
            "unique_lock_id",
            "data",
            "meta",
            "created_at",
            "updated_at",
            "is_labeled",
            "overlap",
            "inner_id",
            "total_annotations",
            "cancelled_annotations",
            "total_predictions",
            "comment_count",
            "unresolved_comment_count",
            "last_comment_updated_at",
            "project",
            "file_upload",
            "comment_authors",
            "queue"
        ]
    );
    let again = next_as(&app, ADMIN, project).await;
    assert_eq!(served(&again), (t[0], "Task lock"));
    assert_eq!(again.1["unique_lock_id"], lock.as_str());
    let slashed = app
        .get(&format!("/api/projects/{project}/next/"))
        .await
        .expect(200)
        .body;
    assert_eq!(slashed["id"], t[0]);

    assert_eq!(
        served(&next_as(&app, &second, project).await),
        (t[1], "Sequence queue")
    );
    annotate_as(
        &app,
        ADMIN,
        t[0],
        json!({"result": choice("Positive"), "lead_time": 2.5}),
    )
    .await;
    assert_eq!(
        served(&next_as(&app, ADMIN, project).await),
        (t[2], "Sequence queue")
    );
    // A skip releases the lock; under REQUEUE_FOR_OTHERS the skipper never sees it again...
    annotate_as(
        &app,
        &second,
        t[1],
        json!({"result": [], "was_cancelled": true}),
    )
    .await;
    assert_eq!(
        served(&next_as(&app, &second, project).await),
        (t[3], "Sequence queue")
    );
    // ...but others do.
    annotate_as(&app, ADMIN, t[2], json!({"result": choice("Negative")})).await;
    let requeued = next_as(&app, ADMIN, project).await;
    assert_eq!(served(&requeued), (t[1], "Sequence queue"));
    assert_eq!(requeued.1["cancelled_annotations"], 1);
    annotate_as(&app, &second, t[3], json!({"result": choice("Negative")})).await;
    let done = next_as(&app, &second, project).await;
    assert_eq!(done.0, 404);
    assert_eq!(
        done.1["detail"],
        "There are no tasks for second@example.com"
    );

    let history = app
        .get(&format!("/api/projects/{project}/label-stream-history/"))
        .await
        .expect(200)
        .body;
    let annotations = app
        .get(&format!("/api/tasks/{}/annotations/", t[0]))
        .await
        .expect(200)
        .body;
    assert_eq!(
        history,
        json!([{"taskId": t[0], "annotationId": annotations[0]["id"]}, {"taskId": t[2], "annotationId": history[1]["annotationId"]}, {"taskId": t[1], "annotationId": null}])
    );
    assert!(history[1]["annotationId"].is_i64());
    app.delete(&format!("/api/tasks/{}/", t[2]))
        .await
        .expect(204);
    let pruned = app
        .get(&format!("/api/projects/{project}/label-stream-history"))
        .await
        .expect(200)
        .body;
    assert_eq!(pruned.as_array().unwrap().len(), 2);
    app.call(Method::POST, &format!("/api/projects/{project}/next"), None)
        .await
        .expect(405);
    let stranger = app.other_organization().await;
    assert_eq!(next_as(&app, &stranger, project).await.0, 404);
}

#[tokio::test]
async fn skip_queue_modes() {
    let app = TestApp::spawn().await;
    // (mode, admin's next once the other tasks are done, is the skipped task labeled)
    for (mode, last, labeled) in [
        ("REQUEUE_FOR_ME", Some("Skipped queue"), false),
        ("REQUEUE_FOR_OTHERS", None, false),
        ("IGNORE_SKIPPED", None, true),
    ] {
        let (project, t) = project_with(&app, 2, json!({"skip_queue": mode})).await;
        assert_eq!(served(&next_as(&app, ADMIN, project).await).0, t[0]);
        annotate_as(
            &app,
            ADMIN,
            t[0],
            json!({"result": [], "was_cancelled": true}),
        )
        .await;
        assert_eq!(
            app.get(&format!("/api/tasks/{}/", t[0]))
                .await
                .expect(200)
                .body["is_labeled"],
            labeled,
            "{mode}"
        );
        assert_eq!(
            served(&next_as(&app, ADMIN, project).await),
            (t[1], "Sequence queue")
        );
        annotate_as(&app, ADMIN, t[1], json!({"result": choice("Positive")})).await;
        let reply = next_as(&app, ADMIN, project).await;
        match last {
            Some(queue) => {
                assert_eq!(served(&reply), (t[0], queue), "{mode}");
                assert!(reply.1["unique_lock_id"].is_string());
            }
            None => assert_eq!(reply.0, 404, "{mode}: {}", reply.1),
        }
    }
}

#[tokio::test]
async fn overlap_serves_tasks_breadth_first() {
    let app = TestApp::spawn().await;
    let (project, t) = project_with(&app, 3, json!({"maximum_annotations": 2})).await;
    let second = app.annotator_of("second@example.com", project).await;
    let third = app.annotator_of("third@example.com", project).await;
    // Two annotators may hold the same task when it needs two annotations; a third may not.
    assert_eq!(served(&next_as(&app, ADMIN, project).await).0, t[0]);
    assert_eq!(served(&next_as(&app, &second, project).await).0, t[0]);
    assert_eq!(served(&next_as(&app, &third, project).await).0, t[1]);
    annotate_as(&app, ADMIN, t[0], json!({"result": choice("Positive")})).await;
    annotate_as(&app, &third, t[1], json!({"result": choice("Positive")})).await;
    // The admin gets the task others have annotated most that they have not.
    assert_eq!(
        served(&next_as(&app, ADMIN, project).await),
        (t[1], "Breadth first queue")
    );
}

#[tokio::test]
async fn sampling_modes_and_data_manager_selection() {
    let app = TestApp::spawn().await;
    let (project, t) = project_with(&app, 4, json!({"sampling": "Uncertainty sampling"})).await;
    for (task, score) in [(t[0], 0.9), (t[1], 0.2), (t[2], 0.5)] {
        app.post("/api/predictions/", json!({"task": task, "result": choice("Positive"), "score": score, "model_version": "v1"})).await.expect(201);
    }
    app.patch(
        &format!("/api/projects/{project}/"),
        json!({"model_version": "v1"}),
    )
    .await
    .expect(200);
    let least = next_as(&app, ADMIN, project).await;
    assert_eq!(served(&least), (t[1], "Active learning or random queue"));
    assert_eq!(least.1["predictions"][0]["score"], 0.2);

    let (uniform, u) = project_with(&app, 5, json!({"sampling": "Uniform sampling"})).await;
    let reply = next_as(&app, ADMIN, uniform).await;
    let (id, queue) = served(&reply);
    assert!(u.contains(&id));
    assert_eq!(queue, "Uniform random queue");

    // A view's ordering applies to the stream; filters in the body make the Data Manager queue.
    let (ordered, o) = project_with(&app, 3, json!({})).await;
    let view = app
        .post(
            "/api/dm/views/",
            json!({"project": ordered, "data": {"ordering": ["-tasks:id"]}}),
        )
        .await
        .expect(201)
        .body;
    let by_view = app
        .get(&format!("/api/projects/{ordered}/next?view={}", view["id"]))
        .await
        .expect(200)
        .body;
    assert_eq!(
        (
            by_view["id"].as_i64().unwrap(),
            by_view["queue"].as_str().unwrap()
        ),
        (o[2], "Sequence queue")
    );
    let body = json!({"filters": {"conjunction": "and", "items": [{"filter": "filter:tasks:data.text", "operator": "equal", "type": "String", "value": "t3"}]}});
    let second = app.annotator_of("second@example.com", ordered).await;
    let empty_ordering = app
        .call_as(
            &second,
            Method::GET,
            &format!("/api/projects/{ordered}/next"),
            Some(json!({"ordering": []})),
        )
        .await
        .expect(200)
        .body;
    assert_eq!(
        empty_ordering["queue"], "Sequence queue",
        "empty keys are not a Data Manager queue"
    );
    let dm = app
        .call_as(
            &second,
            Method::GET,
            &format!("/api/projects/{ordered}/next"),
            Some(body),
        )
        .await
        .expect(200)
        .body;
    assert_eq!(
        (dm["id"].as_i64().unwrap(), dm["queue"].as_str().unwrap()),
        (o[2], "Data manager queue")
    );
    assert!(
        dm["unique_lock_id"].is_null(),
        "the admin holds the only lock the task allows"
    );
}

#[tokio::test]
async fn concurrent_annotators_never_share_a_task() {
    let app = TestApp::spawn().await;
    let (project, t) = project_with(&app, 30, json!({})).await;
    let mut tokens = vec![ADMIN.to_string()];
    for i in 0..7 {
        tokens.push(
            app.annotator_of(&format!("annotator{i}@example.com"), project)
                .await,
        );
    }
    let app = std::sync::Arc::new(app);
    let mut handles = Vec::new();
    for token in tokens {
        let app = app.clone();
        handles.push(tokio::spawn(async move {
            let mut got = Vec::new();
            loop {
                let (status, body) = next_as(&app, &token, project).await;
                if status == 404 {
                    return got;
                }
                assert_eq!(status, 200, "{body}");
                let id = body["id"].as_i64().unwrap();
                annotate_as(&app, &token, id, json!({"result": choice("Positive")})).await;
                got.push(id);
            }
        }));
    }
    let mut all = Vec::new();
    for handle in handles {
        all.extend(handle.await.unwrap());
    }
    all.sort_unstable();
    assert_eq!(all, t, "every task served exactly once");
    let project = app.project(project).await;
    assert_eq!(
        (
            project["finished_task_number"].clone(),
            project["total_annotations_number"].clone()
        ),
        (json!(30), json!(30))
    );
}

#[tokio::test]
async fn drafts_autosave_and_postpone() {
    let app = TestApp::spawn().await;
    let (project, t) = project_with(&app, 2, json!({})).await;
    let second = app.annotator_of("second@example.com", project).await;
    let created = app
        .call(
            Method::POST,
            &format!("/api/tasks/{}/drafts", t[0]),
            Some(json!({"result": choice("Positive"), "lead_time": 1.5})),
        )
        .await
        .expect(201)
        .body;
    let keys: Vec<&str> = created
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "id",
            "user",
            "created_username",
            "created_ago",
            "result",
            "lead_time",
            "was_postponed",
            "import_id",
            "created_at",
            "updated_at",
            "task",
            "annotation"
        ]
    );
    assert_eq!(created["user"], "admin@example.com");
    assert_eq!(created["created_username"], "admin@example.com, 1");
    let mine = created["id"].as_i64().unwrap();
    let theirs = app
        .call_as(
            &second,
            Method::POST,
            &format!("/api/tasks/{}/drafts", t[0]),
            Some(json!({"result": []})),
        )
        .await
        .expect(201)
        .body;
    app.call(
        Method::POST,
        &format!("/api/tasks/{}/drafts/", t[0]),
        Some(json!({"result": []})),
    )
    .await
    .expect(404);

    // The task list shows the caller's own drafts (with fields=all) and whether anyone has one.
    let listed = app
        .get(&format!("/api/tasks/{}/drafts", t[0]))
        .await
        .expect(200)
        .body;
    assert_eq!(listed.as_array().unwrap().len(), 2);
    let detail = app
        .get(&format!("/api/tasks/{}/", t[0]))
        .await
        .expect(200)
        .body;
    assert_eq!(detail["drafts"].as_array().unwrap().len(), 1);
    assert_eq!(detail["drafts"][0]["id"], mine);
    assert_eq!(detail["draft_exists"], true);
    let page = app
        .get(&format!("/api/tasks/?project={project}&fields=all"))
        .await
        .expect(200)
        .body;
    assert_eq!(page["tasks"][0]["drafts"][0]["id"], mine);
    assert_eq!(page["tasks"][1]["draft_exists"], false);

    let patched = app
        .patch(&format!("/api/drafts/{mine}"), json!({"lead_time": 9.5}))
        .await
        .expect(200)
        .body;
    assert_eq!(patched["lead_time"], 9.5);
    assert_eq!(
        app.call(
            Method::POST,
            &format!("/api/tasks/{}/drafts", t[0]),
            Some(json!({"lead_time": 1}))
        )
        .await
        .expect(400)
        .body["validation_errors"]["result"],
        json!(["This field is required."])
    );
    app.call(
        Method::POST,
        &format!("/api/tasks/{}/drafts", t[0]),
        Some(json!({"result": "text"})),
    )
    .await
    .expect(400);
    app.call(
        Method::POST,
        &format!("/api/tasks/{}/drafts", t[0]),
        Some(json!({"result": [], "lead_time": "abc"})),
    )
    .await
    .expect(400);
    app.get("/api/drafts/999999/").await.expect(404);

    // Submitting with someone else's draft is refused; with one's own, the draft is consumed.
    let refused = app
        .post(
            &format!("/api/tasks/{}/annotations/", t[0]),
            json!({"result": choice("Positive"), "draft_id": theirs["id"]}),
        )
        .await
        .expect(403);
    assert_eq!(
        refused.body["detail"],
        format!("You have no permission to draft id:{}", theirs["id"])
    );
    let annotation = app
        .post(
            &format!("/api/tasks/{}/annotations/", t[0]),
            json!({"result": choice("Positive"), "draft_id": mine}),
        )
        .await
        .expect(201)
        .body;
    assert_eq!(annotation["draft_created_at"], created["created_at"]);
    app.get(&format!("/api/drafts/{mine}/")).await.expect(404);
    app.get(&format!("/api/drafts/{}/", theirs["id"]))
        .await
        .expect(200);

    // Drafts on an annotation go when the annotation is saved again.
    let on_annotation = app
        .call(
            Method::POST,
            &format!(
                "/api/tasks/{}/annotations/{}/drafts",
                t[0], annotation["id"]
            ),
            Some(json!({"result": []})),
        )
        .await
        .expect(201)
        .body;
    assert_eq!(on_annotation["annotation"], annotation["id"]);
    app.patch(
        &format!("/api/annotations/{}/", annotation["id"]),
        json!({"lead_time": 5}),
    )
    .await
    .expect(200);
    app.get(&format!("/api/drafts/{}/", on_annotation["id"]))
        .await
        .expect(404);

    // A postponed draft takes the task out of the stream until everything else is done.
    let (stream, s) = project_with(&app, 2, json!({})).await;
    assert_eq!(served(&next_as(&app, ADMIN, stream).await).0, s[0]);
    app.call(
        Method::POST,
        &format!("/api/tasks/{}/drafts", s[0]),
        Some(json!({"result": [], "was_postponed": true})),
    )
    .await
    .expect(201);
    assert_eq!(
        served(&next_as(&app, ADMIN, stream).await),
        (s[1], "Sequence queue")
    );
    annotate_as(&app, ADMIN, s[1], json!({"result": choice("Positive")})).await;
    let postponed = next_as(&app, ADMIN, stream).await;
    assert_eq!(served(&postponed), (s[0], "Postponed draft queue"));
    assert_eq!(postponed.1["drafts"][0]["was_postponed"], true);

    // Drafts go with their annotation and with their task.
    let kept = app
        .call(
            Method::POST,
            &format!(
                "/api/tasks/{}/annotations/{}/drafts",
                t[0], annotation["id"]
            ),
            Some(json!({"result": []})),
        )
        .await
        .expect(201)
        .body;
    app.delete(&format!("/api/annotations/{}/", annotation["id"]))
        .await
        .expect(204);
    app.get(&format!("/api/drafts/{}/", kept["id"]))
        .await
        .expect(404);
    let on_task = app
        .call(
            Method::POST,
            &format!("/api/tasks/{}/drafts", t[1]),
            Some(json!({"result": []})),
        )
        .await
        .expect(201)
        .body;
    app.delete(&format!("/api/tasks/{}/", t[1]))
        .await
        .expect(204);
    app.get(&format!("/api/drafts/{}/", on_task["id"]))
        .await
        .expect(404);

    let stranger = app.other_organization().await;
    app.call_as(
        &stranger,
        Method::GET,
        &format!("/api/drafts/{}/", theirs["id"]),
        None,
    )
    .await
    .expect(404);
    app.call_as(
        &stranger,
        Method::DELETE,
        &format!("/api/drafts/{}/", theirs["id"]),
        None,
    )
    .await
    .expect(404);
    app.delete(&format!("/api/drafts/{}", theirs["id"]))
        .await
        .expect(204);
}

#[tokio::test]
async fn convert_to_draft_moves_work_back_and_fixes_counters() {
    let app = TestApp::spawn().await;
    let (project, t) = project_with(&app, 2, json!({})).await;
    let annotation = annotate_as(
        &app,
        ADMIN,
        t[0],
        json!({"result": choice("Positive"), "lead_time": 3.3}),
    )
    .await;
    let skip = annotate_as(
        &app,
        ADMIN,
        t[1],
        json!({"result": [], "was_cancelled": true}),
    )
    .await;
    let before = app.project(project).await;
    assert_eq!(
        (
            before["total_annotations_number"].clone(),
            before["skipped_annotations_number"].clone()
        ),
        (json!(1), json!(1))
    );
    let draft = app
        .call(
            Method::POST,
            &format!("/api/annotations/{}/convert-to-draft", annotation["id"]),
            None,
        )
        .await
        .expect(201)
        .body;
    assert_eq!(
        (
            draft["task"].as_i64(),
            draft["annotation"].clone(),
            draft["lead_time"].clone()
        ),
        (Some(t[0]), Value::Null, json!(3.3))
    );
    assert_eq!(draft["result"], choice("Positive"));
    app.get(&format!("/api/annotations/{}/", annotation["id"]))
        .await
        .expect(404);
    app.call(
        Method::POST,
        &format!("/api/annotations/{}/convert-to-draft", skip["id"]),
        None,
    )
    .await
    .expect(201);
    let after = app.project(project).await;
    for key in [
        "total_annotations_number",
        "skipped_annotations_number",
        "finished_task_number",
        "num_tasks_with_annotations",
    ] {
        assert_eq!(after[key], 0, "{key}");
    }
    let task = app
        .get(&format!("/api/tasks/{}/", t[0]))
        .await
        .expect(200)
        .body;
    assert_eq!(
        (task["is_labeled"].clone(), task["draft_exists"].clone()),
        (json!(false), json!(true))
    );
    app.call(
        Method::POST,
        "/api/annotations/999999/convert-to-draft",
        None,
    )
    .await
    .expect(404);
}

#[tokio::test]
async fn overlap_cohort_and_show_overlap_first() {
    let app = TestApp::spawn().await;
    let (project, t) = project_with(&app, 10, json!({})).await;
    annotate_as(&app, ADMIN, t[9], json!({"result": choice("Positive")})).await;
    app.patch(&format!("/api/projects/{project}/"), json!({"maximum_annotations": 2, "overlap_cohort_percentage": 30, "show_overlap_first": true}))
        .await
        .expect(200);
    let overlaps = |page: &Value| -> Vec<i64> {
        page["tasks"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["overlap"].as_i64().unwrap())
            .collect()
    };
    let page = app
        .get(&format!("/api/tasks/?project={project}"))
        .await
        .expect(200)
        .body;
    // The most annotated task joins the cohort first, then the lowest ids.
    assert_eq!(overlaps(&page), [2, 2, 1, 1, 1, 1, 1, 1, 1, 2]);
    assert_eq!(
        app.project(project).await["finished_task_number"],
        0,
        "the annotated task now needs two annotations"
    );
    // Overlapping tasks come first in the stream.
    let second = app.annotator_of("second@example.com", project).await;
    assert_eq!(
        served(&next_as(&app, &second, project).await),
        (t[9], "Breadth first queue")
    );
    assert_eq!(served(&next_as(&app, ADMIN, project).await).0, t[0]);
    // New tasks are spread into the cohort too; back to 100% gives every task the maximum.
    app.import(project, json!([{"text": "late"}])).await;
    let page = app
        .get(&format!("/api/tasks/?project={project}"))
        .await
        .expect(200)
        .body;
    assert_eq!(
        overlaps(&page).iter().filter(|o| **o == 2).count(),
        3,
        "round(11 * 30%) tasks"
    );
    app.patch(
        &format!("/api/projects/{project}/"),
        json!({"overlap_cohort_percentage": 100}),
    )
    .await
    .expect(200);
    let page = app
        .get(&format!("/api/tasks/?project={project}"))
        .await
        .expect(200)
        .body;
    assert!(overlaps(&page).iter().all(|o| *o == 2));
}

#[tokio::test]
async fn expired_locks_free_the_task() {
    let app = TestApp::spawn_with(|config| config.task_lock_ttl = 1).await;
    let (project, t) = project_with(&app, 2, json!({})).await;
    let second = app.annotator_of("second@example.com", project).await;
    let first = next_as(&app, ADMIN, project).await;
    assert_eq!(served(&first).0, t[0]);
    assert_eq!(
        served(&next_as(&app, &second, project).await).0,
        t[1],
        "the admin's lock holds"
    );
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    // Both locks expired: the second annotator now gets the first task.
    let third = app.annotator_of("third@example.com", project).await;
    assert_eq!(
        served(&next_as(&app, &third, project).await),
        (t[0], "Sequence queue")
    );
    // The admin's expired lock no longer counts as theirs either.
    let again = next_as(&app, ADMIN, project).await;
    assert_eq!(served(&again), (t[1], "Sequence queue"));
}
