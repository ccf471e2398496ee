//! What every route answers with: HTML and JSON responses that are never cached, the security
//! headers, the body limit, and the same-origin check of the forms.

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// The Content-Security-Policy of every page, the site's and the handler's: scripts, styles and
/// workers from this origin only (no `unsafe-inline`: no page has an inline script or style),
/// images also as `data:`/`blob:` (the map draws into canvases), forms posted here, never framed.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
img-src 'self' data: blob:; font-src 'self'; connect-src 'self'; worker-src 'self' blob:; \
child-src 'self' blob:; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

/// The Referrer-Policy of a response that sets none: the origin only, to other sites. Never
/// `no-referrer`: some browsers then send `Origin: null` on a POST, which the origin check
/// refuses. Pages behind emailed links set `same-origin` themselves (their URL has a token).
pub const REFERRER_POLICY: &str = "strict-origin-when-cross-origin";

/// The security headers on every response, as (name, value); a response that already has one
/// (a link page's `Referrer-Policy: same-origin`) keeps its own.
pub const SECURITY_HEADERS: [(&str, &str); 4] = [
    ("content-security-policy", CONTENT_SECURITY_POLICY),
    ("x-content-type-options", "nosniff"),
    ("x-frame-options", "DENY"),
    ("referrer-policy", REFERRER_POLICY),
];

/// `router` with the [`SECURITY_HEADERS`] on each of its responses.
pub fn with_security_headers<S: Clone + Send + Sync + 'static>(
    router: axum::Router<S>,
) -> axum::Router<S> {
    SECURITY_HEADERS
        .iter()
        .fold(router, |router, (name, value)| {
            router.layer(
                tower_http::set_header::SetResponseHeaderLayer::if_not_present(
                    header::HeaderName::from_static(name),
                    HeaderValue::from_static(value),
                ),
            )
        })
}

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
