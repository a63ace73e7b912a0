//! S3 presigned URLs checked against AWS's published SigV4 example: the signing steps below are
//! pinned to that vector, then recompute the signature of a URL the S3 storage presigns (the
//! emulator accepts any signature, so only this tells a wrong one).

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use tessera_storage::remote::{Remote, S3Bucket};

fn hmac(key: &[u8], data: &str) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).unwrap();
    mac.update(data.as_bytes());
    mac.finalize().into_bytes().to_vec()
}

/// SigV4's query-string signature of a GET of `path` on `host` (`query`: the signed
/// parameters, encoded and sorted).
fn signature(secret: &str, region: &str, host: &str, path: &str, query: &str, at: &str) -> String {
    let canonical = format!("GET\n{path}\n{query}\nhost:{host}\n\nhost\nUNSIGNED-PAYLOAD");
    let date = &at[..8];
    let to_sign = format!(
        "AWS4-HMAC-SHA256\n{at}\n{date}/{region}/s3/aws4_request\n{}",
        hex::encode(Sha256::digest(canonical.as_bytes()))
    );
    let key = [date, region, "s3", "aws4_request"]
        .iter()
        .fold(format!("AWS4{secret}").into_bytes(), |key, part| {
            hmac(&key, part)
        });
    hex::encode(hmac(&key, &to_sign))
}

#[test]
fn the_signing_steps_reproduce_awss_example() {
    // "Authenticating Requests: Using Query Parameters (AWS Signature Version 4)", the example
    // GET of examplebucket/test.txt.
    let query = "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host";
    assert_eq!(
        signature(
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            "us-east-1",
            "examplebucket.s3.amazonaws.com",
            "/test.txt",
            query,
            "20130524T000000Z"
        ),
        "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"
    );
}

#[tokio::test]
async fn s3_storages_presign_urls_with_valid_signatures() {
    let outbound = tessera_outbound::Outbound::new(tessera_outbound::OutboundConfig::default());
    let secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    let remote = Remote::s3(
        &S3Bucket {
            bucket: "examplebucket".into(),
            region: Some("eu-west-3".into()),
            endpoint: None,
            access_key_id: Some("AKIAIOSFODNN7EXAMPLE".into()),
            secret_access_key: Some(secret.into()),
            session_token: None,
        },
        &outbound,
    )
    .unwrap();
    let url = remote
        .signed_url("images/cat 1.jpg", std::time::Duration::from_secs(300))
        .await
        .unwrap()
        .unwrap();
    let mut pairs: Vec<(String, String)> = url
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let given = pairs
        .iter()
        .find(|(k, _)| k == "X-Amz-Signature")
        .map(|(_, v)| v.clone())
        .expect("signed");
    let at = pairs
        .iter()
        .find(|(k, _)| k == "X-Amz-Date")
        .map(|(_, v)| v.clone())
        .unwrap();
    assert!(pairs
        .iter()
        .any(|(k, v)| k == "X-Amz-Expires" && v == "300"));
    pairs.retain(|(k, _)| k != "X-Amz-Signature");
    pairs.sort();
    let encode = |text: &str| percent_encoding::utf8_percent_encode(text, &UNRESERVED).to_string();
    let query = pairs
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&");
    let host = url.host_str().unwrap();
    assert_eq!(
        given,
        signature(secret, "eu-west-3", host, url.path(), &query, &at)
    );
}

const UNRESERVED: percent_encoding::AsciiSet = percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');
