//! The Lambda path, offline: API Gateway HTTP API (payload 2.0) events, written as JSON the way
//! API Gateway sends them, go through lambda_http's own adapter (the one `lambda_http::run` wraps
//! the Router in: JSON event → `lambda_http::Request` → Router → API Gateway response JSON).
//! The store is SQLite here: these tests check the adapter, the client address and the mail sent
//! before answering, not the store.

#![cfg(feature = "aws")]

mod common;

use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use common::*;
use functions::Limits;
use functions::aws::client::{ORIGIN_SECRET_HEADER, VIEWER_ADDRESS_HEADER};
use functions::aws::lambda_router;
use functions::store::Store;
use lambda_http::lambda_runtime::{Context, LambdaEvent};
use lambda_http::request::LambdaRequest;
use lambda_http::tower::Service;
use serde_json::{Value, json};

const SECRET: &str = "origin-secret-of-the-test";
const API_HOST: &str = "a1b2c3d4e5.execute-api.eu-west-3.amazonaws.com";
const CLOUDFRONT_EDGE: &str = "130.176.12.34";

/// An API Gateway HTTP API event (payload format 2.0).
fn event(method: &str, path: &str, query: &str, headers: Value, body: Option<&str>) -> Value {
    let mut headers = headers;
    let h = headers.as_object_mut().unwrap();
    h.insert("host".into(), json!(API_HOST));
    h.entry("user-agent").or_insert(json!("Mozilla/5.0 (test)"));
    let (body, encoded) = match body {
        Some(b) => (json!(STANDARD.encode(b)), true),
        None => (Value::Null, false),
    };
    json!({
        "version": "2.0",
        "routeKey": "ANY /api/{proxy+}",
        "rawPath": path,
        "rawQueryString": query,
        "headers": headers,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "a1b2c3d4e5",
            "domainName": API_HOST,
            "domainPrefix": "a1b2c3d4e5",
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": CLOUDFRONT_EDGE,
                "userAgent": "Amazon CloudFront"
            },
            "requestId": "JKJaXmPLvHcESHA=",
            "routeKey": "ANY /api/{proxy+}",
            "stage": "$default",
            "time": "10/Mar/2025:13:40:52 +0000",
            "timeEpoch": 1741614052000_i64
        },
        "pathParameters": {"proxy": path.trim_start_matches("/api/")},
        "body": body,
        "isBase64Encoded": encoded
    })
}

/// The form's headers as CloudFront forwards them (everything but Host, plus its own).
fn form_headers(viewer: Option<&str>, secret: Option<&str>) -> Value {
    let mut headers = json!({
        "content-type": "application/x-www-form-urlencoded",
        "origin": "http://127.0.0.1:8000",
        "sec-fetch-site": "same-origin",
    });
    let h = headers.as_object_mut().unwrap();
    if let Some(v) = viewer {
        h.insert(VIEWER_ADDRESS_HEADER.into(), json!(v));
    }
    if let Some(s) = secret {
        h.insert(ORIGIN_SECRET_HEADER.into(), json!(s));
    }
    headers
}

/// What API Gateway gets back: the adapter's response, as the JSON the runtime would post.
struct Answer {
    status: u16,
    headers: Value,
    body: String,
}

async fn invoke(h: &Harness, event: Value) -> Answer {
    let request: LambdaRequest =
        serde_json::from_value(event).expect("lambda_http reads the event");
    let mut adapter =
        lambda_http::Adapter::from(lambda_router(Arc::clone(&h.app), Some(SECRET.to_string())));
    let response = adapter
        .call(LambdaEvent::new(request, Context::default()))
        .await
        .expect("the Router never fails");
    let json = serde_json::to_value(&response).unwrap();
    let body = match (&json["body"], json["isBase64Encoded"].as_bool()) {
        (Value::String(b), Some(true)) => String::from_utf8(STANDARD.decode(b).unwrap()).unwrap(),
        (Value::String(b), _) => b.clone(),
        _ => String::new(),
    };
    Answer {
        status: json["statusCode"].as_u64().unwrap() as u16,
        headers: json["headers"].clone(),
        body,
    }
}

fn valid_with_phone(token: &str, phone: &str) -> String {
    encode(&with(
        valid(),
        &[("token", Some(token)), ("phone", Some(phone))],
    ))
}

async fn post_registration(h: &Harness, phone: &str, headers: Value) -> Answer {
    let body = valid_with_phone(&h.token_aged(60), phone);
    invoke(
        h,
        event("POST", "/api/registrations", "", headers, Some(&body)),
    )
    .await
}

#[tokio::test]
async fn health_answers_in_the_api_gateway_v2_shape() {
    let h = Harness::new(Limits::default());
    let answer = invoke(
        &h,
        event("GET", "/api/health", "", json!({"accept": "*/*"}), None),
    )
    .await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.headers["content-type"], "application/json");
    assert_eq!(answer.headers["cache-control"], "no-store");
    let health: Value = serde_json::from_str(&answer.body).unwrap();
    assert_eq!(health["status"], "ok");
    assert_eq!(health["pending_mails"], 0);
}

#[tokio::test]
async fn base64_form_is_stored_and_its_mail_sent_before_the_answer() {
    let h = Harness::new(Limits::default());
    let answer = post_registration(&h, "06 12 34 56 78", form_headers(None, None)).await;
    assert_eq!(answer.status, 303, "{}", answer.body);
    let location = answer.headers["location"].as_str().unwrap().to_string();
    assert!(location.starts_with("/api/registrations/") && location.contains("/merci?jeton="));
    let reference = reference_of(&location);
    let stored = h.app.store.request(&reference).await.unwrap();
    let stored = stored.expect("the request is stored");
    assert_eq!(stored.registration.phone.as_str(), "+33612345678");
    // On Lambda nothing runs after the answer: the coordinator mail has already gone.
    assert_eq!(h.pending().await, 0);
    let mails = outbox_files(&h.outbox_dir());
    assert_eq!(mails.len(), 1);
    assert!(decode_mail(&mails[0]).contains(&reference));

    // The thank-you page behind the redirect, and the coordinator's signed link with its query.
    let thanks = invoke(&h, event("GET", &location, "", json!({}), None)).await;
    assert_eq!(thanks.status, 200);
    assert!(thanks.body.contains(&reference));
    let link = decode_mail(&mails[0])
        .lines()
        .find(|l| l.starts_with("http") && l.contains("jeton="))
        .expect("a signed link")
        .trim()
        .to_string();
    let path_and_query = link.trim_start_matches("http://127.0.0.1:8000");
    let (path, query) = path_and_query.split_once('?').unwrap();
    let view = invoke(&h, event("GET", path, query, json!({}), None)).await;
    assert_eq!(view.status, 200, "{}", view.body);
    assert!(view.body.contains(&format!("Demande {reference}")));
    // The handler's own headers come back through the adapter.
    assert!(
        view.headers["referrer-policy"].is_string(),
        "{}",
        view.headers
    );
}

#[tokio::test]
async fn form_from_another_site_is_refused() {
    let h = Harness::new(Limits::default());
    let mut headers = form_headers(None, None);
    headers["origin"] = json!("https://evil.example");
    headers["sec-fetch-site"] = json!("cross-site");
    let answer = post_registration(&h, "06 12 34 56 78", headers).await;
    assert_eq!(answer.status, 403);
    assert!(answer.body.contains("depuis un autre site"));
    assert_eq!(h.pending().await, 0);
}

/// One request per address and hour: which address the handler saw shows in who gets through.
fn one_per_address() -> Limits {
    Limits {
        per_address_per_hour: 1,
        ..Limits::default()
    }
}

#[tokio::test]
async fn through_cloudfront_each_viewer_has_its_own_limit() {
    let h = Harness::new(one_per_address());
    let viewers = ["198.51.100.7:50312", "2001:db8:85a3::8a2e:370:7334:443"];
    for (viewer, phone) in viewers.iter().zip(["06 12 34 56 71", "06 12 34 56 72"]) {
        let answer = post_registration(&h, phone, form_headers(Some(viewer), Some(SECRET))).await;
        assert_eq!(answer.status, 303, "{viewer}: {}", answer.body);
    }
    // The same viewer again (another port): limited, though every request came from one edge.
    let again = post_registration(
        &h,
        "06 12 34 56 73",
        form_headers(Some("198.51.100.7:61000"), Some(SECRET)),
    )
    .await;
    assert_eq!(again.status, 429, "{}", again.body);
    assert_eq!(outbox_files(&h.outbox_dir()).len(), 2);
}

#[tokio::test]
async fn viewer_address_without_the_origin_secret_is_not_trusted() {
    let h = Harness::new(one_per_address());
    // A caller of the API's own URL writes the header itself, a new value each time: the limit
    // still applies to the address API Gateway saw.
    let first = post_registration(
        &h,
        "06 12 34 56 71",
        form_headers(Some("203.0.113.1:1000"), None),
    )
    .await;
    assert_eq!(first.status, 303, "{}", first.body);
    let forged = post_registration(
        &h,
        "06 12 34 56 72",
        form_headers(Some("203.0.113.2:1000"), Some("guessed")),
    )
    .await;
    assert_eq!(forged.status, 429, "{}", forged.body);
    assert_eq!(outbox_files(&h.outbox_dir()).len(), 1);
}

#[tokio::test]
async fn too_large_body_is_refused() {
    let h = Harness::new(Limits::default());
    let body = format!(
        "{}&filler={}",
        valid_with_phone(&h.token_aged(60), "06 12 34 56 78"),
        "x".repeat(functions::web::respond::BODY_LIMIT)
    );
    let answer = invoke(
        &h,
        event(
            "POST",
            "/api/registrations",
            "",
            form_headers(None, None),
            Some(&body),
        ),
    )
    .await;
    assert_eq!(answer.status, 413);
    assert_eq!(h.pending().await, 0);
}
