//! Every response of the handler's Router carries the security headers: the CSP (no
//! `unsafe-inline`, never framed), nosniff, X-Frame-Options and a Referrer-Policy; the pages behind
//! emailed links keep their own `same-origin`.

mod common;

use common::*;
use functions::web::respond::{CONTENT_SECURITY_POLICY, SECURITY_HEADERS};

fn assert_secured(response: &axum::http::Response<axum::body::Body>, what: &str) {
    let headers = response.headers();
    for (name, value) in SECURITY_HEADERS {
        let got = headers.get(name).and_then(|v| v.to_str().ok());
        if name == "referrer-policy" {
            assert!(
                matches!(got, Some("same-origin" | "strict-origin-when-cross-origin")),
                "{what}: {name} is {got:?}"
            );
        } else {
            assert_eq!(got, Some(value), "{what}: {name}");
        }
    }
}

#[test]
fn the_policy_allows_nothing_inline_and_no_framing() {
    assert!(!CONTENT_SECURITY_POLICY.contains("unsafe"));
    assert!(CONTENT_SECURITY_POLICY.contains("frame-ancestors 'none'"));
}

#[tokio::test]
async fn every_answer_of_the_router_carries_the_security_headers() {
    let h = Harness::new(quick_limits());
    for uri in [
        "/api/health",
        "/api/form-token",
        "/espace/",
        "/api/demandes/ABCDEFGH?jeton=faux",
        "/api/nulle-part",
    ] {
        let (response, _) = h.get(uri).await;
        assert_secured(&response, uri);
    }
    // A POST refused for its origin too.
    let (response, _) = h.post_form("").await;
    assert_secured(&response, "POST /api/registrations");
}
