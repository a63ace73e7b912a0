//! SCIM 2.0 provisioning: the token, discovery, users (create, find, deactivate, remove) and
//! groups (roles and workspaces), the way identity providers such as Okta and Entra ID call them.

use reqwest::{Client, Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::TestApp;

struct Scim<'a> {
    app: &'a TestApp,
    token: String,
}

impl Scim<'_> {
    async fn call(&self, method: Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        let mut request = Client::new()
            .request(method, format!("{}/scim/v2{path}", self.app.base))
            .header("Authorization", format!("Bearer {}", self.token));
        if let Some(body) = body {
            request = request
                .header("Content-Type", "application/scim+json")
                .body(body.to_string());
        }
        let reply = request.send().await.unwrap();
        let status = reply.status();
        if status != StatusCode::NO_CONTENT {
            assert_eq!(reply.headers()["content-type"], "application/scim+json");
        }
        (status, reply.json().await.unwrap_or(Value::Null))
    }
}

async fn scim(app: &TestApp) -> Scim<'_> {
    let token = app
        .post("/api/scim/token/", json!({}))
        .await
        .expect(201)
        .body["token"]
        .as_str()
        .unwrap()
        .to_string();
    Scim { app, token }
}

fn patch(operations: Value) -> Value {
    json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": operations})
}

/// A member's role code from the memberships list, or "gone".
async fn role_of(app: &TestApp, user: &str) -> String {
    let org = app.get("/api/organizations/").await.body[0]["id"]
        .as_i64()
        .unwrap();
    let members = app
        .get(&format!(
            "/api/organizations/{org}/memberships?page_size=-1"
        ))
        .await
        .expect(200)
        .body;
    let list = members
        .get("results")
        .unwrap_or(&members)
        .as_array()
        .unwrap()
        .clone();
    let member = list
        .iter()
        .find(|m| m["user"]["id"] == user.parse::<i64>().unwrap());
    member.map_or("gone".to_string(), |m| {
        m["role"].as_str().unwrap().to_string()
    })
}

#[tokio::test]
async fn scim_needs_its_own_token() {
    let app = TestApp::spawn().await;
    let anonymous = Client::new()
        .get(format!("{}/scim/v2/Users", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    let body: Value = anonymous.json().await.unwrap();
    assert_eq!(
        body["schemas"][0],
        "urn:ietf:params:scim:api:messages:2.0:Error"
    );
    assert_eq!(body["status"], "401");
    let with_user_token = Scim {
        app: &app,
        token: crate::helpers::TOKEN.into(),
    };
    assert_eq!(
        with_user_token.call(Method::GET, "/Users", None).await.0,
        StatusCode::UNAUTHORIZED
    );

    let annotator = app.signup("ann@example.com").await;
    app.call_as(
        &annotator,
        Method::POST,
        "/api/scim/token/",
        Some(json!({})),
    )
    .await
    .expect(403);
    let client = scim(&app).await;
    assert_eq!(
        client.call(Method::GET, "/Users", None).await.0,
        StatusCode::OK
    );
    app.delete("/api/scim/token/").await.expect(204);
    assert_eq!(
        client.call(Method::GET, "/Users", None).await.0,
        StatusCode::UNAUTHORIZED,
        "revoked"
    );

    // A token opens only its own organization.
    let stranger = app.other_organization().await;
    let theirs = app
        .call_as(&stranger, Method::POST, "/api/scim/token/", Some(json!({})))
        .await
        .expect(201)
        .body["token"]
        .as_str()
        .unwrap()
        .to_string();
    let theirs = Scim {
        app: &app,
        token: theirs,
    };
    let (_, listed) = theirs.call(Method::GET, "/Users", None).await;
    assert_eq!(listed["totalResults"], 1);
    let admin_id = app.get("/api/current-user/whoami").await.body["id"]
        .as_i64()
        .unwrap();
    assert_eq!(
        theirs
            .call(Method::GET, &format!("/Users/{admin_id}"), None)
            .await
            .0,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn discovery_documents() {
    let app = TestApp::spawn().await;
    let client = scim(&app).await;
    let (status, config) = client
        .call(Method::GET, "/ServiceProviderConfig", None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        (
            config["patch"]["supported"].as_bool(),
            config["bulk"]["supported"].as_bool()
        ),
        (Some(true), Some(false))
    );
    assert_eq!(
        config["authenticationSchemes"][0]["type"],
        "oauthbearertoken"
    );
    let (_, types) = client.call(Method::GET, "/ResourceTypes", None).await;
    let names: Vec<&str> = types["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["User", "Group"]);
    let (_, schemas) = client.call(Method::GET, "/Schemas", None).await;
    assert_eq!(
        schemas["Resources"][0]["id"],
        "urn:ietf:params:scim:schemas:core:2.0:User"
    );
    assert_eq!(schemas["totalResults"], 2);
}

#[tokio::test]
async fn users_are_provisioned_deactivated_and_removed() {
    let app = TestApp::spawn().await;
    let client = scim(&app).await;
    let (status, created) = client
        .call(Method::POST, "/Users", Some(json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": "Grace.Hopper@Example.com", "name": {"givenName": "Grace", "familyName": "Hopper"},
            "emails": [{"value": "grace.hopper@example.com", "primary": true}], "active": true, "externalId": "00u1"
        })))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["id"].as_str().unwrap().to_string();
    assert_eq!(
        (created["userName"].as_str(), created["active"].as_bool()),
        (Some("grace.hopper@example.com"), Some(true))
    );
    assert_eq!(created["meta"]["location"], format!("/scim/v2/Users/{id}"));
    assert_eq!(
        role_of(&app, &id).await,
        "AN",
        "provisioned users join as annotators"
    );
    let profile = app.get(&format!("/api/users/{id}/")).await.expect(200).body;
    assert_eq!(
        (
            profile["first_name"].as_str(),
            profile["last_name"].as_str()
        ),
        (Some("Grace"), Some("Hopper"))
    );

    let (status, again) = client
        .call(
            Method::POST,
            "/Users",
            Some(json!({"userName": "grace.hopper@example.com"})),
        )
        .await;
    assert_eq!(
        (status, again["scimType"].as_str()),
        (StatusCode::CONFLICT, Some("uniqueness"))
    );

    // The lookup identity providers make before creating.
    let (_, found) = client
        .call(
            Method::GET,
            "/Users?filter=userName%20eq%20%22grace.hopper%40example.com%22",
            None,
        )
        .await;
    assert_eq!(
        (
            found["totalResults"].as_i64(),
            found["Resources"][0]["id"].as_str()
        ),
        (Some(1), Some(id.as_str()))
    );
    let (_, none) = client
        .call(
            Method::GET,
            "/Users?filter=userName%20eq%20%22nobody%40example.com%22",
            None,
        )
        .await;
    assert_eq!(none["totalResults"], 0);
    let (status, bad) = client
        .call(Method::GET, "/Users?filter=title%20co%20%22x%22", None)
        .await;
    assert_eq!(
        (status, bad["scimType"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalidFilter"))
    );
    let (_, page) = client
        .call(Method::GET, "/Users?startIndex=2&count=1", None)
        .await;
    assert_eq!(
        (
            page["totalResults"].as_i64(),
            page["itemsPerPage"].as_i64(),
            page["startIndex"].as_i64()
        ),
        (Some(2), Some(1), Some(2))
    );

    // Entra ID deactivates with a PATCH; Okta with a PUT.
    let (status, patched) = client
        .call(
            Method::PATCH,
            &format!("/Users/{id}"),
            Some(patch(
                json!([{"op": "Replace", "path": "active", "value": "False"}]),
            )),
        )
        .await;
    assert_eq!(
        (status, patched["active"].as_bool()),
        (StatusCode::OK, Some(false))
    );
    assert_eq!(role_of(&app, &id).await, "DI");
    let (_, replaced) = client.call(Method::PUT, &format!("/Users/{id}"), Some(json!({"userName": "grace.hopper@example.com", "name": {"givenName": "Amazing", "familyName": "Grace"}, "active": true}))).await;
    assert_eq!(
        (
            replaced["active"].as_bool(),
            replaced["name"]["givenName"].as_str()
        ),
        (Some(true), Some("Amazing"))
    );
    assert_eq!(role_of(&app, &id).await, "AN");
    let (status, _) = client
        .call(
            Method::PUT,
            &format!("/Users/{id}"),
            Some(json!({"userName": "someone.else@example.com"})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    let (status, _) = client
        .call(Method::DELETE, &format!("/Users/{id}"), None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(
        client
            .call(Method::GET, &format!("/Users/{id}"), None)
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    app.get(&format!("/api/users/{id}/")).await.expect(404);
    let owner = app.get("/api/current-user/whoami").await.body["id"]
        .as_i64()
        .unwrap();
    assert_eq!(
        client
            .call(Method::DELETE, &format!("/Users/{owner}"), None)
            .await
            .0,
        StatusCode::BAD_REQUEST,
        "the owner stays"
    );

    // Provisioned again later: the same account comes back.
    let db = app.database().await;
    let gone = tessera_db::queries::users::find_by_email(db.conn(), "grace.hopper@example.com")
        .await
        .unwrap()
        .unwrap();
    assert!(
        !gone.is_active,
        "removed from its only organization, the account is deactivated"
    );
    let (status, back) = client
        .call(
            Method::POST,
            "/Users",
            Some(json!({"userName": "grace.hopper@example.com"})),
        )
        .await;
    assert_eq!(
        (status, back["id"].as_str()),
        (StatusCode::CREATED, Some(id.as_str()))
    );
    let revived = tessera_db::queries::users::find_by_email(db.conn(), "grace.hopper@example.com")
        .await
        .unwrap()
        .unwrap();
    assert!(
        revived.is_active,
        "provisioned again, the account may sign in and call the API again"
    );
}

#[tokio::test]
async fn groups_give_roles_and_workspaces() {
    let app = TestApp::spawn().await;
    let client = scim(&app).await;
    let (_, ada) = client
        .call(
            Method::POST,
            "/Users",
            Some(json!({"userName": "ada@example.com"})),
        )
        .await;
    let (_, alan) = client
        .call(
            Method::POST,
            "/Users",
            Some(json!({"userName": "alan@example.com"})),
        )
        .await;
    let (ada, alan) = (
        ada["id"].as_str().unwrap().to_string(),
        alan["id"].as_str().unwrap().to_string(),
    );

    let (_, listed) = client.call(Method::GET, "/Groups", None).await;
    let names: Vec<&str> = listed["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["displayName"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["Administrators", "Managers", "Reviewers", "Annotators"]
    );

    // Role groups.
    let (status, managers) = client
        .call(
            Method::PATCH,
            "/Groups/role-ma",
            Some(patch(
                json!([{"op": "add", "path": "members", "value": [{"value": ada}]}]),
            )),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{managers}");
    assert_eq!(managers["members"][0]["value"], ada);
    assert_eq!(role_of(&app, &ada).await, "MA");
    let remove = patch(json!([{"op": "remove", "path": format!("members[value eq \"{ada}\"]")}]));
    client
        .call(Method::PATCH, "/Groups/role-ma", Some(remove))
        .await;
    assert_eq!(
        role_of(&app, &ada).await,
        "AN",
        "leaving a role group makes an annotator"
    );
    assert_eq!(
        client.call(Method::DELETE, "/Groups/role-ma", None).await.0,
        StatusCode::BAD_REQUEST
    );

    // Workspace groups.
    let (status, team) = client
        .call(
            Method::POST,
            "/Groups",
            Some(json!({"displayName": "Team Babbage", "members": [{"value": ada}]})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{team}");
    let group = team["id"].as_str().unwrap().to_string();
    let workspace: i64 = group.strip_prefix("workspace-").unwrap().parse().unwrap();
    let members: Vec<i64> = app
        .get(&format!("/api/workspaces/{workspace}/memberships/"))
        .await
        .expect(200)
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["user"]["id"].as_i64().or(m["user"].as_i64()).unwrap())
        .collect();
    assert_eq!(
        members,
        [ada.parse::<i64>().unwrap()],
        "exactly the group's members"
    );
    let (_, filtered) = client
        .call(
            Method::GET,
            "/Groups?filter=displayName%20eq%20%22Team%20Babbage%22",
            None,
        )
        .await;
    assert_eq!(filtered["totalResults"], 1);
    let (_, replaced) = client
        .call(
            Method::PUT,
            &format!("/Groups/{group}"),
            Some(json!({"displayName": "Team Lovelace", "members": [{"value": alan}]})),
        )
        .await;
    assert_eq!(
        (
            replaced["displayName"].as_str(),
            replaced["members"].as_array().unwrap().len()
        ),
        (Some("Team Lovelace"), 1)
    );
    assert_eq!(
        app.get(&format!("/api/workspaces/{workspace}/")).await.body["title"],
        "Team Lovelace"
    );
    let (status, _) = client
        .call(
            Method::POST,
            "/Groups",
            Some(json!({"displayName": "Team Lovelace"})),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, _) = client
        .call(
            Method::PATCH,
            &format!("/Groups/{group}"),
            Some(patch(
                json!([{"op": "add", "path": "members", "value": [{"value": "999999"}]}]),
            )),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "only the organization's members"
    );

    assert_eq!(
        client
            .call(Method::DELETE, &format!("/Groups/{group}"), None)
            .await
            .0,
        StatusCode::NO_CONTENT
    );
    app.get(&format!("/api/workspaces/{workspace}/"))
        .await
        .expect(404);
}
