//! The web app's files: served for every GET no route answers, `index.html` for the app's own
//! paths, JSON 404s for API paths, nothing outside the app's folder.

use reqwest::StatusCode;

use crate::helpers::TestApp;

/// A GET sent byte for byte, path as given; answers the whole response as text.
async fn raw_get(base: &str, path: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(base.trim_start_matches("http://"))
        .await
        .unwrap();
    stream
        .write_all(
            format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
                .as_bytes(),
        )
        .await
        .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    response
}

#[tokio::test]
async fn serves_the_built_app_and_leaves_api_misses_json() {
    // The app's folder inside another, whose secret.txt must stay out of reach.
    let outer = tempfile::tempdir().unwrap();
    let dist = outer.path().join("dist");
    std::fs::create_dir_all(dist.join("assets")).unwrap();
    std::fs::write(
        dist.join("index.html"),
        "<!doctype html><div id=root></div>",
    )
    .unwrap();
    std::fs::write(dist.join("assets/app-1234.js"), "console.log(1)").unwrap();
    std::fs::write(outer.path().join("secret.txt"), "no").unwrap();
    let folder = dist.clone();
    let app = TestApp::spawn_with(move |config| config.web_dir = Some(folder)).await;
    let client = reqwest::Client::new();
    let get = |path: &str| client.get(format!("{}{path}", app.base)).send();

    for path in ["/", "/projects", "/projects/12?page=2"] {
        let page = get(path).await.unwrap();
        assert_eq!(page.status(), StatusCode::OK, "{path}");
        let policy = page.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .to_string();
        assert!(
            policy.contains("script-src 'self';") && policy.contains("object-src 'none'"),
            "{path}: {policy}"
        );
        assert!(
            page.text().await.unwrap().contains("id=root"),
            "{path} gets index.html"
        );
    }
    let asset = get("/assets/app-1234.js").await.unwrap();
    assert_eq!(asset.headers()["content-type"], "text/javascript");
    assert!(asset.headers()["cache-control"]
        .to_str()
        .unwrap()
        .contains("immutable"));
    assert_eq!(asset.headers()["vary"], "Accept-Encoding");
    assert!(asset.headers().get("content-encoding").is_none());
    assert_eq!(asset.text().await.unwrap(), "console.log(1)");
    // A gzip copy written by the build goes to browsers that accept gzip (set by hand, the
    // header also turns off the client's own decoding, so the raw bytes are compared).
    std::fs::write(dist.join("assets/app-1234.js.gz"), b"gzipped bytes").unwrap();
    let gzipped = client
        .get(format!("{}/assets/app-1234.js", app.base))
        .header("Accept-Encoding", "br;q=1, gzip;q=0.8")
        .send()
        .await
        .unwrap();
    assert_eq!(gzipped.headers()["content-encoding"], "gzip");
    assert_eq!(gzipped.headers()["content-type"], "text/javascript");
    assert_eq!(gzipped.bytes().await.unwrap().as_ref(), b"gzipped bytes");
    let plain = client
        .get(format!("{}/assets/app-1234.js", app.base))
        .header("Accept-Encoding", "identity")
        .send()
        .await
        .unwrap();
    assert!(plain.headers().get("content-encoding").is_none());
    assert_eq!(plain.text().await.unwrap(), "console.log(1)");

    assert_eq!(
        get("/assets/gone-9999.js").await.unwrap().status(),
        StatusCode::NOT_FOUND,
        "a missing asset is not the app's page"
    );
    assert_eq!(
        get("/projects").await.unwrap().headers()["x-frame-options"],
        "DENY"
    );
    let api = get("/api/no-such-route/").await.unwrap();
    assert_eq!(api.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        api.json::<serde_json::Value>().await.unwrap()["detail"],
        "Not found."
    );
    // Sent raw: an HTTP client would remove the `..` segments before sending.
    for escape in ["/assets/../../secret.txt", "/x/../../secret.txt"] {
        let response = raw_get(&app.base, escape).await;
        let body = response
            .split_once("\r\n\r\n")
            .map(|(_, body)| body)
            .unwrap_or_default();
        assert_ne!(body, "no", "nothing outside the app's folder: {escape}");
    }
    let post = client
        .post(format!("{}/projects", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(post.status(), StatusCode::NOT_FOUND);

    let unbuilt =
        TestApp::spawn_with(|config| config.web_dir = Some("/nonexistent/web/dist".into())).await;
    let page = reqwest::get(format!("{}/projects", unbuilt.base))
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(page.text().await.unwrap().contains("npm --prefix web"));
}
