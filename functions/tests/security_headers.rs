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

/// The headers CloudFront adds (`infra/template.yaml`'s response-headers policy), as (name, value),
/// read from the template; each with its `Override` flag.
fn cloudfront_headers() -> Vec<(String, String, bool)> {
    use yaml_serde::Value;
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../infra/template.yaml");
    let text = std::fs::read_to_string(&path).unwrap();
    let template: Value = yaml_serde::from_str(&text).unwrap();
    let resources = template["Resources"].as_mapping().expect("Resources");
    let policies: Vec<(&str, &Value)> = resources
        .iter()
        .filter(|(_, r)| r["Type"].as_str() == Some("AWS::CloudFront::ResponseHeadersPolicy"))
        .map(|(name, r)| (name.as_str().unwrap(), r))
        .collect();
    assert_eq!(
        policies.len(),
        1,
        "infra/template.yaml declares one AWS::CloudFront::ResponseHeadersPolicy"
    );
    let (policy_name, policy) = policies[0];
    // Every cache behaviour of the distribution uses it.
    let distribution = &resources
        .iter()
        .find(|(_, r)| r["Type"].as_str() == Some("AWS::CloudFront::Distribution"))
        .expect("a distribution")
        .1["Properties"]["DistributionConfig"];
    let mut behaviours = vec![&distribution["DefaultCacheBehavior"]];
    behaviours.extend(distribution["CacheBehaviors"].as_sequence().unwrap());
    for behaviour in behaviours {
        let id = &behaviour["ResponseHeadersPolicyId"];
        let refers = matches!(id, Value::Tagged(t) if t.tag == "Ref" && t.value.as_str() == Some(policy_name));
        assert!(
            refers,
            "{:?}: ResponseHeadersPolicyId must be !Ref {policy_name}, is {id:?}",
            behaviour["PathPattern"]
        );
    }
    let config = &policy["Properties"]["ResponseHeadersPolicyConfig"];
    let security = &config["SecurityHeadersConfig"];
    let text = |v: &Value| v.as_str().unwrap().to_string();
    let flag = |v: &Value| v.as_bool().unwrap();
    let mut headers = Vec::new();
    let mut add = |name: &str, value: String, over: &Value| {
        headers.push((name.to_string(), value, flag(&over["Override"])))
    };
    for (field, header) in security.as_mapping().into_iter().flatten() {
        match field.as_str().unwrap() {
            "ContentSecurityPolicy" => add(
                "content-security-policy",
                text(&header["ContentSecurityPolicy"]),
                header,
            ),
            "ContentTypeOptions" => add("x-content-type-options", "nosniff".into(), header),
            "FrameOptions" => add("x-frame-options", text(&header["FrameOption"]), header),
            "ReferrerPolicy" => add("referrer-policy", text(&header["ReferrerPolicy"]), header),
            "StrictTransportSecurity" => {
                let mut value = format!(
                    "max-age={}",
                    header["AccessControlMaxAgeSec"].as_u64().unwrap()
                );
                if header["IncludeSubdomains"].as_bool() == Some(true) {
                    value.push_str("; includeSubDomains");
                }
                if header["Preload"].as_bool() == Some(true) {
                    value.push_str("; preload");
                }
                add("strict-transport-security", value, header)
            }
            other => panic!("infra/template.yaml: SecurityHeadersConfig.{other} is not compared"),
        }
    }
    for item in config["CustomHeadersConfig"]["Items"]
        .as_sequence()
        .into_iter()
        .flatten()
    {
        add(
            &text(&item["Header"]).to_ascii_lowercase(),
            text(&item["Value"]),
            item,
        );
    }
    headers
}

/// CloudFront sends the site's pages (from S3) with the handler's headers, values identical; it
/// never overrides the handler's own (a link page's `same-origin`); beyond them only HSTS.
#[test]
fn the_cloudfront_policy_sends_the_same_headers() {
    let sent = cloudfront_headers();
    for (name, value) in SECURITY_HEADERS {
        let found: Vec<_> = sent.iter().filter(|(n, _, _)| n == name).collect();
        assert_eq!(
            found.len(),
            1,
            "infra/template.yaml sends {name} once: {sent:?}"
        );
        assert_eq!(
            found[0].1, value,
            "infra/template.yaml's {name} differs from SECURITY_HEADERS"
        );
    }
    for (name, _, over) in &sent {
        assert!(!over, "infra/template.yaml: {name} has Override: true");
        assert!(
            SECURITY_HEADERS.iter().any(|(n, _)| n == name) || name == "strict-transport-security",
            "infra/template.yaml sends {name}, which SECURITY_HEADERS lacks"
        );
    }
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
