//! DRF page-number pagination: `{count, next, previous, results}` with absolute page links.

use axum::http::{header, HeaderMap};
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

/// Resolves the page window; a page that is not a positive number is DRF's 404 `Invalid page.`.
pub fn page_window(params: &PageParams, default_size: u64, max_size: u64) -> ApiResult<Window> {
    let page = match params.page.as_deref() {
        None | Some("") => 1,
        Some("last") => 1,
        Some(text) => text.parse::<u64>().ok().filter(|p| *p >= 1).ok_or_else(|| ApiError::NotFound("Invalid page.".into()))?,
    };
    let size = params
        .page_size
        .as_deref()
        .and_then(|s| s.parse::<u64>().ok())
        .filter(|s| *s > 0)
        .map_or(default_size, |s| s.min(max_size));
    Ok(Window { page, size, offset: (page - 1) * size, limit: size })
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
    /// Builds the page with `next`/`previous` links on the request's host.
    pub fn new(headers: &HeaderMap, path: &str, params: &PageParams, window: Window, count: u64, results: Vec<T>) -> Page<T> {
        let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("localhost");
        let link = |page: u64| {
            let size = params.page_size.as_deref().map(|s| format!("&page_size={s}")).unwrap_or_default();
            if page == 1 && size.is_empty() {
                format!("http://{host}{path}")
            } else {
                format!("http://{host}{path}?page={page}{size}")
            }
        };
        let next = (window.offset + window.size < count).then(|| link(window.page + 1));
        let previous = (window.page > 1).then(|| link(window.page - 1));
        Page { count, next, previous, results }
    }
}
