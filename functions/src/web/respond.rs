//! What every route answers with: HTML and JSON responses that are never cached, the body limit,
//! and the same-origin check of the forms.

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// Largest accepted request body.
pub const BODY_LIMIT: usize = 16 * 1024;

pub fn html(status: StatusCode, body: String) -> Response {
    (
        status,
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body,
    )
        .into_response()
}

pub fn json_response(status: StatusCode, value: serde_json::Value) -> Response {
    (
        status,
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        value.to_string(),
    )
        .into_response()
}

/// Whether the request comes from a page of this site: its `Origin`, when sent, is one of the
/// configured origins (`allowed`, which holds the public URL). The `Host` header is never trusted:
/// after a DNS rebinding, a foreign page sends its own name in both `Host` and `Origin`.
pub fn same_origin(headers: &HeaderMap, allowed: &[String]) -> bool {
    let text = |name| {
        headers
            .get(name)
            .and_then(|v: &HeaderValue| v.to_str().ok())
    };
    if let Some(site) = text("sec-fetch-site")
        && !matches!(site, "same-origin" | "none")
    {
        return false;
    }
    match text("origin") {
        None => true,
        Some(origin) => allowed.iter().any(|a| a == origin),
    }
}
