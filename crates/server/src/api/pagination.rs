//! DRF page-number pagination: `{count, next, previous, results}` with absolute page links.

use axum::http::{header, HeaderMap, Uri};
use serde::{Deserialize, Serialize};

use crate::error::{ApiError, ApiResult};

/// `page` and `page_size` query parameters (strings, so bad values get DRF's answer).
#[derive(Debug, Default, Deserialize)]
pub struct PageParams {
    pub page: Option<String>,
    pub page_size: Option<String>,
}

/// The rows a page covers.
#[derive(Debug, Clone, Copy)]
pub struct Window {
    pub page: u64,
    pub size: u64,
    pub offset: u64,
    pub limit: u64,
}

/// Resolves the page window; a page that is not a positive number, or lies beyond any table
/// (its first row past `i64::MAX`, the databases' limit), is DRF's 404 `Invalid page.`.
pub fn page_window(params: &PageParams, default_size: u64, max_size: u64) -> ApiResult<Window> {
    let invalid = || ApiError::NotFound("Invalid page.".into());
    let page = match params.page.as_deref() {
        None | Some("") => 1,
        Some(text) => text
            .parse::<u64>()
            .ok()
            .filter(|p| *p >= 1)
            .ok_or_else(invalid)?,
    };
    let size = params
        .page_size
        .as_deref()
        .and_then(|s| s.parse::<u64>().ok())
        .filter(|s| *s > 0)
        .map_or(default_size, |s| s.min(max_size));
    let offset = (page - 1)
        .checked_mul(size)
        .filter(|offset| i64::try_from(*offset).is_ok())
        .ok_or_else(invalid)?;
    Ok(Window {
        page,
        size,
        offset,
        limit: size,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn window(page: &str, size: &str) -> ApiResult<Window> {
        page_window(
            &PageParams {
                page: Some(page.into()),
                page_size: Some(size.into()),
            },
            30,
            100,
        )
    }

    #[test]
    fn pages_beyond_any_table_are_invalid_not_a_panic() {
        for page in [
            "18446744073709551615",
            "9223372036854775807",
            "0",
            "-1",
            "x",
        ] {
            assert!(
                matches!(window(page, "100"), Err(ApiError::NotFound(_))),
                "{page}"
            );
        }
        let last = window("92233720368547759", "100").unwrap();
        assert_eq!(last.offset, 9_223_372_036_854_775_800);
        assert_eq!(window("3", "10").unwrap().offset, 20);
    }
}

/// A DRF page.
#[derive(Serialize)]
pub struct Page<T> {
    pub count: u64,
    pub next: Option<String>,
    pub previous: Option<String>,
    pub results: Vec<T>,
}

impl<T> Page<T> {
    /// Builds the page with DRF's `next`/`previous` links: the request's own URL with `page`
    /// replaced (and dropped for the first page), on the request's host.
    pub fn new(
        headers: &HeaderMap,
        uri: &Uri,
        window: Window,
        count: u64,
        results: Vec<T>,
    ) -> Page<T> {
        let header = |name: &str| headers.get(name).and_then(|h| h.to_str().ok());
        let host = header(header::HOST.as_str()).unwrap_or("localhost");
        let scheme = header("x-forwarded-proto").unwrap_or("http");
        let pairs: Vec<(String, String)> =
            serde_urlencoded::from_str(uri.query().unwrap_or("")).unwrap_or_default();
        let link = |page: u64| {
            let mut query: Vec<(String, String)> =
                pairs.iter().filter(|(k, _)| k != "page").cloned().collect();
            if page > 1 {
                query.push(("page".to_string(), page.to_string()));
            }
            let query = serde_urlencoded::to_string(&query).unwrap_or_default();
            let separator = if query.is_empty() { "" } else { "?" };
            format!("{scheme}://{host}{}{separator}{query}", uri.path())
        };
        let next = (window.offset + window.size < count).then(|| link(window.page + 1));
        let previous = (window.page > 1).then(|| link(window.page - 1));
        Page {
            count,
            next,
            previous,
            results,
        }
    }

    /// [`Page::new`], or DRF's 404 `Invalid page.` for an empty page past the first.
    pub fn filled(
        headers: &HeaderMap,
        uri: &Uri,
        window: Window,
        count: u64,
        results: Vec<T>,
    ) -> ApiResult<Page<T>> {
        window.reached(results.len())?;
        Ok(Page::new(headers, uri, window, count, results))
    }
}

impl Window {
    /// DRF's 404 `Invalid page.` when a page other than the first has no rows.
    pub fn reached(&self, rows: usize) -> ApiResult<()> {
        if rows == 0 && self.page > 1 {
            return Err(ApiError::NotFound("Invalid page.".into()));
        }
        Ok(())
    }
}
