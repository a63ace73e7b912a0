//! The SSRF corpus: targets that must be refused by default and reached (or at least not
//! refused by the guard) when the operator allows them; redirects re-checked; size limits.

use std::time::Duration;

use tessera_outbound::{Allow, Outbound, OutboundConfig, OutboundError};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// Tricks that point at the machine itself, its network or the cloud's metadata service.
const CORPUS: &[(&str, &str)] = &[
    ("http://127.0.0.1/", "127.0.0.0/8"),
    ("http://localhost/", "127.0.0.0/8"),
    ("http://2130706433/", "127.0.0.0/8"),
    ("http://0x7f000001/", "127.0.0.0/8"),
    ("http://0177.0.0.1/", "127.0.0.0/8"),
    ("http://127.1/", "127.0.0.0/8"),
    ("http://127.0.0.1.:8080/", "127.0.0.0/8"),
    ("http://user:pass@127.0.0.1/", "127.0.0.0/8"),
    ("http://example.com@127.0.0.1/", "127.0.0.0/8"),
    ("http://0.0.0.0/", "0.0.0.0/8"),
    ("http://[::]/", "::/128"),
    ("http://[::1]/", "::1/128"),
    ("http://[::ffff:127.0.0.1]/", "127.0.0.0/8"),
    ("http://[::ffff:7f00:1]/", "127.0.0.0/8"),
    ("http://[0:0:0:0:0:ffff:a9fe:a9fe]/", "169.254.0.0/16"),
    ("http://[64:ff9b::7f00:1]/", "127.0.0.0/8"),
    ("http://[2002:7f00:1::]/", "127.0.0.0/8"),
    ("http://169.254.169.254/latest/meta-data/", "169.254.0.0/16"),
    ("http://[fd00:ec2::254]/latest/meta-data/", "fc00::/7"),
    ("http://100.100.100.200/latest/meta-data/", "100.64.0.0/10"),
    ("http://10.0.0.1/", "10.0.0.0/8"),
    ("http://172.16.5.4/", "172.16.0.0/12"),
    ("http://192.168.1.1/", "192.168.0.0/16"),
    ("http://[fe80::1]/", "fe80::/10"),
    ("http://[fc00::1]/", "fc00::/7"),
    ("http://224.0.0.1/", "224.0.0.0/4"),
    ("https://255.255.255.255/", "240.0.0.0/4"),
];

fn client(allow: Allow) -> Outbound {
    Outbound::new(OutboundConfig {
        allow,
        connect_timeout: Duration::from_millis(300),
        timeout: Duration::from_secs(5),
        ..OutboundConfig::default()
    })
}

#[tokio::test]
async fn every_trick_is_refused_by_default_with_the_range_it_hit() {
    let outbound = client(Allow::PublicOnly);
    for (url, range) in CORPUS {
        match outbound.get(url, 1024).await {
            Err(OutboundError::Blocked(net)) => assert_eq!(net.to_string(), *range, "{url}"),
            other => panic!("{url} was not refused: {other:?}"),
        }
    }
}

#[tokio::test]
async fn every_trick_passes_the_guard_when_the_operator_allows_everything() {
    let outbound = client(Allow::Everything);
    let tries = CORPUS.iter().map(|&(url, _)| {
        let outbound = &outbound;
        async move {
            // Nothing listens on most of these; what matters is that the guard let them through.
            if let Err(err @ OutboundError::Blocked(_)) = outbound.get(url, 1024).await {
                panic!("{url} refused although everything is allowed: {err}");
            }
        }
    });
    futures_util::future::join_all(tries).await;
}

#[tokio::test]
async fn other_schemes_and_malformed_urls_are_refused_even_when_everything_is_allowed() {
    let outbound = client(Allow::Everything);
    for url in [
        "file:///etc/passwd",
        "ftp://127.0.0.1/x",
        "gopher://127.0.0.1:6379/_INFO",
        "/relative/path",
        "javascript:alert(1)",
    ] {
        assert!(
            matches!(outbound.get(url, 1024).await, Err(OutboundError::Scheme)),
            "{url}"
        );
    }
    assert!(matches!(
        outbound.get("http://[::1/", 1024).await,
        Err(OutboundError::InvalidUrl(_))
    ));
}

/// Serves each connection `answer(request line)` on 127.0.0.1; returns the port.
async fn serve(answer: fn(&str, u16) -> Vec<u8>) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            tokio::spawn(async move {
                let mut buf = vec![0u8; 4096];
                let n = socket.read(&mut buf).await.unwrap_or(0);
                let request = String::from_utf8_lossy(&buf[..n]).to_string();
                let line = request.lines().next().unwrap_or("").to_string();
                let _ = socket.write_all(&answer(&line, port)).await;
                let _ = socket.shutdown().await;
            });
        }
    });
    port
}

fn http(status: &str, headers: &str, body: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n{headers}\r\n",
        body.len()
    )
    .into_bytes();
    out.extend_from_slice(body);
    out
}

fn routes(line: &str, port: u16) -> Vec<u8> {
    match line.split(' ').nth(1).unwrap_or("") {
        "/tasks.json" => http(
            "200 OK",
            "Content-Type: application/json\r\n",
            br#"[{"text":"hi"}]"#,
        ),
        "/hop" => http(
            "302 Found",
            &format!("Location: http://127.0.0.1:{port}/tasks.json\r\n"),
            b"",
        ),
        "/to-other-loopback" => http(
            "302 Found",
            &format!("Location: http://127.0.0.2:{port}/tasks.json\r\n"),
            b"",
        ),
        "/to-metadata" => http(
            "302 Found",
            "Location: http://169.254.169.254/latest/meta-data/\r\n",
            b"",
        ),
        "/big" => http("200 OK", "", &[b'x'; 5000]),
        "/unannounced" => {
            // No Content-Length: the limit is enforced while reading.
            let mut out = b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n".to_vec();
            out.extend_from_slice(&[b'y'; 5000]);
            out
        }
        "/missing" => http("404 Not Found", "", b"nope"),
        _ => http("500 Internal Server Error", "", b""),
    }
}

#[tokio::test]
async fn an_allowed_range_is_reached_and_redirects_are_checked_at_every_hop() {
    let port = serve(routes).await;
    let outbound = client("127.0.0.1/32".parse().unwrap());
    let fetched = outbound
        .get(&format!("http://127.0.0.1:{port}/tasks.json"), 1024)
        .await
        .unwrap();
    assert_eq!(&fetched.body[..], br#"[{"text":"hi"}]"#);
    assert_eq!(fetched.content_type.as_deref(), Some("application/json"));

    // A redirect to the allowed address is followed.
    let fetched = outbound
        .get(&format!("http://127.0.0.1:{port}/hop"), 1024)
        .await
        .unwrap();
    assert_eq!(fetched.url.path(), "/tasks.json");

    // Redirects to addresses outside the allowed range are refused.
    let refused = outbound
        .get(&format!("http://127.0.0.1:{port}/to-other-loopback"), 1024)
        .await;
    assert!(
        matches!(&refused, Err(OutboundError::Blocked(net)) if net.to_string() == "127.0.0.0/8"),
        "{refused:?}"
    );
    let refused = outbound
        .get(&format!("http://127.0.0.1:{port}/to-metadata"), 1024)
        .await;
    assert!(
        matches!(&refused, Err(OutboundError::Blocked(net)) if net.to_string() == "169.254.0.0/16"),
        "{refused:?}"
    );
}

#[tokio::test]
async fn bodies_over_the_limit_and_error_statuses_are_refused() {
    let port = serve(routes).await;
    let outbound = client(Allow::Everything);
    let base = format!("http://127.0.0.1:{port}");
    assert!(matches!(
        outbound.get(&format!("{base}/big"), 4096).await,
        Err(OutboundError::TooLarge {
            limit: 4096,
            size: 5000
        })
    ));
    assert!(matches!(
        outbound.get(&format!("{base}/unannounced"), 4096).await,
        Err(OutboundError::TooLarge { limit: 4096, .. })
    ));
    assert_eq!(
        outbound
            .get(&format!("{base}/big"), 5000)
            .await
            .unwrap()
            .body
            .len(),
        5000
    );
    assert!(matches!(
        outbound.get(&format!("{base}/missing"), 4096).await,
        Err(OutboundError::Status { status: 404, .. })
    ));
    // Nothing listens on port 1.
    assert!(matches!(
        outbound.get("http://127.0.0.1:1/", 4096).await,
        Err(OutboundError::Failed { .. })
    ));
}
