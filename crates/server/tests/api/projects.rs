use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{choice, TestApp, TEXT_CONFIG};

/// Every field of the seed's project payload, with non-default values (an existing
/// organization: Label Studio refuses unknown ones).
fn seed_payload(workspace: i64, organization: i64) -> Value {
    json!({
        "title": "Seed project", "description": "desc", "label_config": TEXT_CONFIG,
        "expert_instruction": "<b>Read</b><script>alert(1)</script>", "show_instruction": true, "show_skip_button": false,
        "enable_empty_annotation": false, "show_annotation_history": true, "organization": organization, "color": "#FF0000",
        "maximum_annotations": 2, "is_published": true, "model_version": "string", "is_draft": true,
        "created_by": {"id": 999, "first_name": "", "last_name": "", "email": "x@y.z"},
        "min_annotations_to_start_training": 5, "show_collab_predictions": true, "sampling": "Uniform sampling",
        "show_ground_truth_first": true, "show_overlap_first": true, "overlap_cohort_percentage": 50,
        "task_data_login": "login", "task_data_password": "secret", "control_weights": {"sentiment": {"overall": 2.0}},
        "evaluate_predictions_automatically": true, "workspace": workspace
    })
}

#[tokio::test]
async fn create_accepts_every_seed_field_and_computes_the_rest() {
    let app = TestApp::spawn().await;
    let workspace = app
        .post("/api/workspaces/", json!({"title": "Seed workspace"}))
        .await
        .expect(201)
        .body["id"]
        .as_i64()
        .unwrap();
    let organization = app.get("/api/current-user/whoami").await.expect(200).body
        ["active_organization"]
        .as_i64()
        .unwrap();
    let created = app
        .post("/api/projects/", seed_payload(workspace, organization))
        .await
        .expect(201)
        .body;
    for counter in [
        "task_number",
        "total_annotations_number",
        "num_tasks_with_annotations",
        "finished_task_number",
    ] {
        assert!(
            created[counter].is_null(),
            "{counter} is null on create, as Label Studio"
        );
    }
    let id = created["id"].as_i64().unwrap();
    let project = app.project(id).await;
    assert_eq!(project["title"], "Seed project");
    assert_eq!(
        project["expert_instruction"], "<b>Read</b>",
        "instructions are sanitized"
    );
    assert_eq!(project["show_skip_button"], false);
    assert_eq!(project["color"], "#FF0000");
    assert_eq!(project["maximum_annotations"], 2);
    assert_eq!(
        project["is_draft"], false,
        "published projects are not drafts"
    );
    assert_eq!(
        project["organization"], 1,
        "organization comes from the caller"
    );
    assert_eq!(project["created_by"]["email"], "admin@example.com");
    assert_eq!(project["min_annotations_to_start_training"], 5);
    assert_eq!(project["start_training_on_annotation_update"], true);
    assert_eq!(project["sampling"], "Uniform sampling");
    assert_eq!(project["overlap_cohort_percentage"], 50);
    assert_eq!(project["task_data_login"], "login");
    assert_eq!(project["workspace"], workspace);
    assert_eq!(
        project["model_version"], "string",
        "Label Studio checks the version only on updates"
    );
    assert_eq!(
        project["control_weights"]["sentiment"],
        json!({"overall": 2.0, "type": "Choices", "labels": {"Positive": 1.0, "Negative": 1.0}})
    );
    assert_eq!(project["control_weights"]["ner"]["overall"], 1.0);
    assert_eq!(
        project["parsed_label_config"]["sentiment"]["labels"],
        json!(["Positive", "Negative"])
    );
    assert_eq!(project["config_has_control_tags"], true);
    assert_eq!(project["config_suitable_for_bulk_annotation"], false);
    assert_eq!(project["task_number"], 0);
    assert_eq!(project["skip_queue"], "REQUEUE_FOR_OTHERS");
    assert_eq!(project["queue_total"], 0);
}

#[tokio::test]
async fn defaults_match_label_studio() {
    let app = TestApp::spawn().await;
    let created = app.post("/api/projects/", json!({})).await.expect(201).body;
    assert_eq!(created["label_config"], "<View></View>");
    assert_eq!(created["title"], "");
    assert_eq!(created["color"], "#FFFFFF");
    assert_eq!(created["maximum_annotations"], 1);
    assert_eq!(created["sampling"], "Sequential sampling");
    assert_eq!(created["show_collab_predictions"], true);
    assert_eq!(created["parsed_label_config"], json!({}));
    assert_eq!(created["control_weights"], json!({}));
    assert!(created["state"].is_null());
}

#[tokio::test]
async fn bad_fields_are_refused_together_and_change_nothing() {
    let app = TestApp::spawn().await;
    let id = app.create_project(TEXT_CONFIG).await;
    let reply = app
        .patch(
            &format!("/api/projects/{id}/"),
            json!({"title": "ab", "color": "red", "maximum_annotations": "x", "show_instruction": "maybe", "sampling": "Random", "label_config": "<View>"}),
        )
        .await
        .expect(400);
    assert_eq!(reply.body["detail"], "Validation error");
    let errors = &reply.body["validation_errors"];
    assert_eq!(
        errors["title"],
        json!(["Ensure this field has at least 3 characters."])
    );
    assert_eq!(
        errors["color"],
        json!(["Color must be in \"#RRGGBB\" format"])
    );
    assert_eq!(
        errors["maximum_annotations"],
        json!(["A valid integer is required."])
    );
    assert_eq!(
        errors["show_instruction"],
        json!(["Must be a valid boolean."])
    );
    assert_eq!(
        errors["sampling"],
        json!(["\"Random\" is not a valid choice."])
    );
    assert_eq!(
        errors["label_config"],
        json!(["no element found: line 1, column 6"])
    );
    let project = app.project(id).await;
    assert_eq!(project["title"], "Test project");
    assert_eq!(project["color"], "#FFFFFF");

    let long = app
        .patch(
            &format!("/api/projects/{id}/"),
            json!({"title": "x".repeat(51)}),
        )
        .await
        .expect(400);
    assert_eq!(
        long.body["validation_errors"]["title"],
        json!(["Ensure this field has no more than 50 characters."])
    );
    let malformed = app
        .client
        .post(format!("{}/api/projects/", app.base))
        .header("Authorization", format!("Token {}", crate::helpers::TOKEN))
        .body("{oops")
        .send()
        .await
        .unwrap();
    assert_eq!(malformed.status(), 400);
    let body: Value = malformed.json().await.unwrap();
    assert!(body["detail"]
        .as_str()
        .unwrap()
        .starts_with("JSON parse error"));
    let not_object = app.post("/api/projects/", json!([1, 2])).await.expect(400);
    assert_eq!(
        not_object.body["validation_errors"]["non_field_errors"],
        json!(["Invalid data. Expected a dictionary, but got list."])
    );
    app.patch(
        &format!("/api/projects/{id}/"),
        json!({"unknown_field": 1, "title": "Renamed"}),
    )
    .await
    .expect(200);
    assert_eq!(app.project(id).await["title"], "Renamed");
    assert_eq!(app.get("/api/projects/").await.body["count"], 1);
}

#[tokio::test]
async fn list_paginates_like_drf_and_filters() {
    let app = TestApp::spawn().await;
    let mut ids = Vec::new();
    for title in ["Alpha one", "Beta two", "Gamma three"] {
        ids.push(
            app.post("/api/projects/", json!({"title": title}))
                .await
                .expect(201)
                .body["id"]
                .as_i64()
                .unwrap(),
        );
    }
    let first = app.get("/api/projects/?page_size=2").await.expect(200).body;
    assert_eq!(first["count"], 3);
    assert_eq!(first["results"].as_array().unwrap().len(), 2);
    assert_eq!(first["results"][0]["id"], ids[2], "newest first");
    assert!(first["next"]
        .as_str()
        .unwrap()
        .ends_with("/api/projects/?page_size=2&page=2"));
    assert!(first["previous"].is_null());
    let second = app
        .get("/api/projects?page=2&page_size=2&ordering=-id")
        .await
        .expect(200)
        .body;
    assert_eq!(second["results"].as_array().unwrap().len(), 1);
    assert!(second["next"].is_null());
    assert!(
        second["previous"]
            .as_str()
            .unwrap()
            .ends_with("/api/projects?page_size=2&ordering=-id"),
        "filters kept, page 1 unnumbered"
    );
    let past = app
        .get("/api/projects/?page=3&page_size=2")
        .await
        .expect(404);
    assert_eq!(past.body["detail"], "Invalid page.");
    let titled = app.get("/api/projects/?title=beta").await.body;
    assert_eq!(titled["count"], 1);
    app.post("/api/projects/", json!({"title": "100% done_ok"}))
        .await
        .expect(201);
    assert_eq!(
        app.get("/api/projects/?title=100%25%20done_").await.body["count"],
        1,
        "% and _ match literally"
    );
    assert_eq!(app.get("/api/projects/?title=0_d").await.body["count"], 0);
    app.delete(&format!(
        "/api/projects/{}/",
        app.get("/api/projects/?title=done_ok").await.body["results"][0]["id"]
    ))
    .await
    .expect(204);
    let by_ids = app
        .get(&format!("/api/projects/?ids={},{}", ids[0], ids[1]))
        .await
        .body;
    assert_eq!(by_ids["count"], 2);
    let ordered = app.get("/api/projects/?ordering=id").await.body;
    assert_eq!(ordered["results"][0]["id"], ids[0]);
    let narrow = app.get("/api/projects/?include=id,title").await.body;
    assert_eq!(narrow["results"][0].as_object().unwrap().len(), 2);
    app.import(ids[0], json!([{"text": "a"}, {"text": "b"}]))
        .await;
    let counts = app
        .get(&format!("/api/projects/counts/?ids={}", ids[0]))
        .await
        .expect(200)
        .body;
    assert_eq!(counts["count"], 1);
    assert_eq!(counts["results"][0]["task_number"], 2);
    assert_eq!(
        counts["results"][0].as_object().unwrap().len(),
        9,
        "id and the eight counters"
    );
    let queued = app
        .get(&format!(
            "/api/projects/?ids={}&include=id,queue_total",
            ids[0]
        ))
        .await
        .body;
    assert_eq!(
        queued["results"][0],
        json!({"id": ids[0], "queue_total": 2}),
        "the queue is still counted when asked for"
    );
    let one = app
        .get(&format!(
            "/api/projects/{}/?include=id,title,task_number",
            ids[0]
        ))
        .await
        .expect(200)
        .body;
    let mut keys: Vec<&String> = one.as_object().unwrap().keys().collect();
    keys.sort();
    assert_eq!(keys, ["id", "task_number", "title"]);
    let full = app.get(&format!("/api/projects/{}/", ids[0])).await.body;
    assert_eq!(
        (full["queue_total"].clone(), full["queue_done"].clone()),
        (json!(2), json!(0))
    );
}

#[tokio::test]
async fn delete_cascades_and_other_organizations_see_nothing() {
    let app = TestApp::spawn().await;
    let id = app.create_project(TEXT_CONFIG).await;
    app.import(id, json!([{"text": "a"}, {"text": "b"}])).await;
    let other = app.other_organization().await;
    for path in [
        format!("/api/projects/{id}/"),
        format!("/api/projects/{id}/tasks/"),
        format!("/api/projects/{id}/export"),
    ] {
        let reply = app
            .call_as(&other, Method::GET, &path, None)
            .await
            .expect(404);
        assert_eq!(reply.body["detail"], "No Project matches the given query.");
    }
    assert_eq!(
        app.call_as(&other, Method::GET, "/api/projects/", None)
            .await
            .body["count"],
        0
    );
    app.call_as(
        &other,
        Method::DELETE,
        &format!("/api/projects/{id}/"),
        None,
    )
    .await
    .expect(404);
    app.call_as(
        &other,
        Method::PATCH,
        &format!("/api/projects/{id}/"),
        Some(json!({"title": "Hijack"})),
    )
    .await
    .expect(404);
    assert_eq!(app.project(id).await["title"], "Test project");

    app.delete(&format!("/api/projects/{id}/"))
        .await
        .expect(204);
    app.get(&format!("/api/projects/{id}/")).await.expect(404);
    let wrong_method = app
        .call(
            Method::POST,
            &format!("/api/projects/{id}/"),
            Some(json!({})),
        )
        .await
        .expect(405);
    assert_eq!(wrong_method.body["detail"], "Method \"POST\" not allowed.");
}

#[tokio::test]
async fn validate_endpoints() {
    let app = TestApp::spawn().await;
    let client = reqwest::Client::new();
    let ok = client
        .post(format!("{}/api/projects/validate/", app.base))
        .json(&json!({"label_config": TEXT_CONFIG}))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 204, "no authentication needed, empty 204");
    let bad = client
        .post(format!("{}/api/projects/validate", app.base))
        .json(&json!({"label_config": "<View><Choices name=\"c\" toName=\"missing\"><Choice value=\"a\"/></Choices></View>"}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    assert_eq!(
        bad.json::<Value>().await.unwrap(),
        json!({"label_config": ["toName=\"missing\" not found in names: ['c']"]})
    );
    let blank = client
        .post(format!("{}/api/projects/validate/", app.base))
        .json(&json!({"label_config": ""}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        blank.json::<Value>().await.unwrap(),
        json!({"label_config": ["This field may not be blank."]})
    );

    let id = app.create_project(TEXT_CONFIG).await;
    let same = app
        .post(
            &format!("/api/projects/{id}/validate/"),
            json!({"label_config": TEXT_CONFIG}),
        )
        .await
        .expect(200);
    assert_eq!(
        same.body,
        json!({"config_essential_data_has_changed": null})
    );
    let fewer = TEXT_CONFIG.replace("<Label value=\"ORG\"/>", "");
    let changed = app
        .post(
            &format!("/api/projects/{id}/validate/"),
            json!({"label_config": fewer}),
        )
        .await
        .expect(200);
    assert_eq!(
        changed.body,
        json!({"config_essential_data_has_changed": true})
    );
}

/// The project's own validate route files its refusals as Label Studio 1.23.2 does (answers
/// taken from the reference server): rule violations and an empty config under
/// `non_field_errors`, XML that does not parse in `detail` alone.
#[tokio::test]
async fn project_validate_errors_have_label_studios_keys() {
    let app = TestApp::spawn().await;
    let id = app.create_project(TEXT_CONFIG).await;
    let path = format!("/api/projects/{id}/validate/");
    let validate = |config: &str| app.post(&path, json!({"label_config": config}));
    let nowhere = r#"<View><Text name="t" value="$t"/><Choices name="c" toName="nope"><Choice value="a"/></Choices></View>"#;
    let reply = validate(nowhere).await.expect(400);
    assert_eq!(
        reply.body["validation_errors"],
        json!({"non_field_errors": ["toName=\"nope\" not found in names: ['c', 't']"]})
    );
    let reply = validate(r#"<View><Text name="t"/></View>"#)
        .await
        .expect(400);
    assert_eq!(
        reply.body["validation_errors"],
        json!({"non_field_errors": ["Validation failed on : 'value' is a required property"]})
    );
    let reply = validate(r#"<View><Text name="t" value="$t"/><Text name="t" value="$u"/></View>"#)
        .await
        .expect(400);
    assert_eq!(
        reply.body["validation_errors"],
        json!({"non_field_errors": ["Label config contains non-unique names"]})
    );
    let reply = validate("").await.expect(400);
    assert_eq!(
        reply.body["validation_errors"],
        json!({"non_field_errors": ["Label config is not set or is empty"]})
    );
    let reply = app
        .post(&format!("/api/projects/{id}/validate/"), json!({}))
        .await
        .expect(400);
    assert_eq!(
        reply.body["validation_errors"],
        json!({"non_field_errors": ["Label config is not set or is empty"]})
    );
    for broken in ["<View>", "<View></Vew>", "junk"] {
        let reply = validate(broken).await.expect(400);
        assert!(
            reply.body.get("validation_errors").is_none() && reply.body["detail"].is_string(),
            "{broken}: {}",
            reply.text
        );
    }
    // Project writes keep the field's name, as Label Studio's serializer does.
    let reply = app
        .patch(
            &format!("/api/projects/{id}/"),
            json!({"label_config": nowhere}),
        )
        .await
        .expect(400);
    assert_eq!(
        reply.body["validation_errors"],
        json!({"label_config": ["toName=\"nope\" not found in names: ['c', 't']"]})
    );
}

#[tokio::test]
async fn config_changes_that_orphan_annotations_are_refused() {
    let app = TestApp::spawn().await;
    let id = app.create_project(TEXT_CONFIG).await;
    let imported = app.import(id, json!([{"text": "John"}])).await;
    let task = imported["task_ids"][0].as_i64().unwrap();
    let ner = json!([{"from_name": "ner", "to_name": "text", "type": "labels", "value": {"start": 0, "end": 4, "text": "John", "labels": ["PER"]}}]);
    app.post(
        &format!("/api/tasks/{task}/annotations/"),
        json!({"result": ner}),
    )
    .await
    .expect(201);
    app.post(
        &format!("/api/tasks/{task}/annotations/"),
        json!({"result": choice("Negative")}),
    )
    .await
    .expect(201);

    let without_ner = r#"<View><Text name="text" value="$text"/><Choices name="sentiment" toName="text"><Choice value="Positive"/><Choice value="Negative"/></Choices></View>"#;
    let refused = app
        .patch(
            &format!("/api/projects/{id}/"),
            json!({"label_config": without_ner}),
        )
        .await
        .expect(400);
    assert_eq!(
        refused.body["validation_errors"]["label_config"],
        json!(["Created annotations are incompatible with provided labeling schema, we found:\n1 with from_name=ner, to_name=text, type=labels"])
    );
    assert_eq!(app.project(id).await["label_config"], TEXT_CONFIG);

    let without_negative = TEXT_CONFIG.replace("<Choice value=\"Negative\"/>", "");
    let strict = app
        .post(
            &format!("/api/projects/{id}/validate/"),
            json!({"label_config": without_negative}),
        )
        .await
        .expect(400);
    assert_eq!(
        strict.body["validation_errors"]["non_field_errors"],
        json!(["These labels still exist in annotations or drafts:\nNegative (1 annotation)\nPlease add labels to tag with name=\"sentiment\"."])
    );
    app.patch(
        &format!("/api/projects/{id}/"),
        json!({"label_config": without_negative}),
    )
    .await
    .expect(200);

    let summary = app
        .get(&format!("/api/projects/{id}/summary/"))
        .await
        .expect(200)
        .body;
    assert_eq!(
        summary["created_annotations"],
        json!({"ner|text|labels": 1, "sentiment|text|choices": 1})
    );
    assert_eq!(
        summary["created_labels"],
        json!({"ner": {"PER": 1}, "sentiment": {"Negative": 1}})
    );
    assert_eq!(summary["common_data_columns"], json!(["text"]));

    // Once the annotated task is gone, nothing holds the config back any more.
    let other = app.import(id, json!([{"text": "Other"}])).await["task_ids"][0]
        .as_i64()
        .unwrap();
    app.delete(&format!("/api/tasks/{task}/")).await.expect(204);
    let summary = app
        .get(&format!("/api/projects/{id}/summary/"))
        .await
        .expect(200)
        .body;
    assert_eq!(summary["created_annotations"], json!({}));
    app.patch(
        &format!("/api/projects/{id}/"),
        json!({"label_config": without_ner}),
    )
    .await
    .expect(200);
    app.delete(&format!("/api/tasks/{other}/"))
        .await
        .expect(204);
    assert_eq!(
        app.get(&format!("/api/projects/{id}/summary/")).await.body["common_data_columns"],
        json!([])
    );
}

#[tokio::test]
async fn model_version_must_exist() {
    let app = TestApp::spawn().await;
    let id = app.create_project(TEXT_CONFIG).await;
    let refused = app
        .patch(
            &format!("/api/projects/{id}/"),
            json!({"model_version": "ghost"}),
        )
        .await
        .expect(400);
    assert_eq!(
        refused.body["validation_errors"]["model_version"],
        json!(["Model version doesn't exist either as live model or as static predictions."])
    );
    app.import(id, json!([{"data": {"text": "a"}, "predictions": [{"result": "Positive", "model_version": "m2"}]}])).await;
    assert_eq!(
        app.project(id).await["model_version"],
        "m2",
        "set from imported predictions"
    );
    app.patch(
        &format!("/api/projects/{id}/"),
        json!({"model_version": "m2"}),
    )
    .await
    .expect(200);
    let hidden = app
        .patch(
            &format!("/api/projects/{id}/"),
            json!({"show_collab_predictions": false}),
        )
        .await
        .expect(200);
    assert_eq!(hidden.body["model_version"], "");
}
