//! Django's `URLValidator`, as far as webhooks meet it: an `http(s)` or `ftp(s)` URL whose host
//! is an IP address, `localhost`, or a domain name with a top-level domain.

use url::{Host, Url};

/// Whether Django would take `text` as a URL.
pub(super) fn is_valid(text: &str) -> bool {
    if text.chars().any(char::is_whitespace) {
        return false;
    }
    let Ok(url) = Url::parse(text) else {
        return false;
    };
    if !matches!(url.scheme(), "http" | "https" | "ftp" | "ftps") {
        return false;
    }
    match url.host() {
        Some(Host::Ipv4(_) | Host::Ipv6(_)) => true,
        Some(Host::Domain(domain)) => domain_is_valid(domain.trim_end_matches('.')),
        None => false,
    }
}

/// `localhost`, or labels of letters, digits and inner hyphens ending in a top-level domain
/// of two or more letters (or an IDNA `xn--` one).
fn domain_is_valid(domain: &str) -> bool {
    if domain == "localhost" {
        return true;
    }
    let labels: Vec<&str> = domain.split('.').collect();
    let Some((tld, rest)) = labels.split_last() else {
        return false;
    };
    let label_ok = |label: &&str| {
        !label.is_empty()
            && label.len() <= 63
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label.chars().all(|c| c.is_alphanumeric() || c == '-')
    };
    let tld_ok = (tld.len() >= 2 && tld.chars().all(char::is_alphabetic))
        || (tld.starts_with("xn--") && label_ok(tld));
    !rest.is_empty() && rest.iter().all(label_ok) && tld_ok
}

#[cfg(test)]
mod tests {
    use super::is_valid;

    #[test]
    fn takes_what_django_takes() {
        for good in [
            "http://example.com/hook",
            "https://hooks.example.co.uk:8443/a?b=c",
            "http://127.0.0.1:9000/x",
            "http://[::1]:80/",
            "http://localhost:8080/hook",
            "ftp://files.example.org/",
        ] {
            assert!(is_valid(good), "{good}");
        }
        for bad in [
            "example.com",
            "http://receiver:9000/",
            "mailto:a@example.com",
            "http://exa mple.com/",
            "http://-bad.example.com/",
            "http://example.c0m/",
            "",
        ] {
            assert!(!is_valid(bad), "{bad}");
        }
    }
}
