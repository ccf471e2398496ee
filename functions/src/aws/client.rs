//! The client's address on Lambda, for the per-address rate limit.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::HeaderMap;
use axum::middleware::Next;
use axum::response::Response;
use lambda_http::RequestExt;
use lambda_http::request::RequestContext;
use subtle::ConstantTimeEq;

use crate::web::client::{ClientAddress, parse_viewer_address};

/// Header CloudFront adds to every request it forwards to the API (an origin custom header).
pub const ORIGIN_SECRET_HEADER: &str = "x-cpts-origin-verify";
/// Header in which CloudFront gives the viewer's address, `ip:port`.
pub const VIEWER_ADDRESS_HEADER: &str = "cloudfront-viewer-address";

/// The client's address on Lambda.
///
/// API Gateway's `sourceIp` is the TCP peer it saw. Behind CloudFront that is a CloudFront edge
/// server, shared by thousands of visitors: as the key of the per-address rate limit it would let
/// a handful of people block everyone. The viewer's own address is then in the
/// `CloudFront-Viewer-Address` header — but the API's own URL is public too, and anyone calling it
/// directly can write that header and pick a fresh "address" for every request. So the header is
/// trusted only when the request also carries the origin secret that CloudFront adds to what it
/// forwards (`X-Cpts-Origin-Verify`, compared in constant time); otherwise `sourceIp` is the
/// client's address, which API Gateway sets itself and nobody can forge.
pub fn lambda_client_address(
    headers: &HeaderMap,
    source_ip: Option<&str>,
    origin_secret: Option<&str>,
) -> Option<String> {
    let through_cloudfront = origin_secret.is_some_and(|secret| {
        headers
            .get(ORIGIN_SECRET_HEADER)
            .is_some_and(|v| bool::from(v.as_bytes().ct_eq(secret.as_bytes())))
    });
    if through_cloudfront
        && let Some(ip) = headers
            .get(VIEWER_ADDRESS_HEADER)
            .and_then(|v| v.to_str().ok())
            .and_then(parse_viewer_address)
    {
        return Some(ip.to_string());
    }
    source_ip
        .filter(|ip| !ip.is_empty())
        .map(|ip| ip.to_string())
}

pub async fn insert_client_address(
    State(origin_secret): State<Option<Arc<str>>>,
    mut request: Request,
    next: Next,
) -> Response {
    let source_ip = match request.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(context)) => context.http.source_ip.clone(),
        _ => None,
    };
    if let Some(address) = lambda_client_address(
        request.headers(),
        source_ip.as_deref(),
        origin_secret.as_deref(),
    ) {
        request.extensions_mut().insert(ClientAddress(address));
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn viewer_address_trusted_only_with_the_origin_secret() {
        let mut headers = HeaderMap::new();
        headers.insert(VIEWER_ADDRESS_HEADER, "2001:db8::7:51234".parse().unwrap());
        let cloudfront = Some("130.176.1.1");
        // Without the secret (or with a wrong one), the header may be forged: sourceIp wins.
        assert_eq!(
            lambda_client_address(&headers, cloudfront, Some("s3cret")).as_deref(),
            cloudfront
        );
        headers.insert(ORIGIN_SECRET_HEADER, "wrong".parse().unwrap());
        assert_eq!(
            lambda_client_address(&headers, cloudfront, Some("s3cret")).as_deref(),
            cloudfront
        );
        assert_eq!(
            lambda_client_address(&headers, cloudfront, None).as_deref(),
            cloudfront
        );
        headers.insert(ORIGIN_SECRET_HEADER, "s3cret".parse().unwrap());
        assert_eq!(
            lambda_client_address(&headers, cloudfront, Some("s3cret")).as_deref(),
            Some("2001:db8::7")
        );
        // A malformed header falls back to sourceIp.
        headers.insert(VIEWER_ADDRESS_HEADER, "garbage".parse().unwrap());
        assert_eq!(
            lambda_client_address(&headers, cloudfront, Some("s3cret")).as_deref(),
            cloudfront
        );
    }
}
