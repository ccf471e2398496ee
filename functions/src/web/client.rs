//! The client's address, as the entry point knows it. The handler only uses it as the key of a
//! rate limit (pseudonymised with the key ring, never stored or logged in clear).
//!
//! Each entry point inserts a [`ClientAddress`] in the request's extensions: the Lambda one from
//! the API Gateway request context or CloudFront's viewer-address header (see `lambda`), a local
//! server from the TCP peer. Without it the handler falls back to axum's `ConnectInfo`.

use std::net::{IpAddr, SocketAddr};

use axum::extract::ConnectInfo;
use axum::http::Request;

/// Address of the client that sent the request, as text (an IPv4 or IPv6 address, no port).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientAddress(pub String);

/// The address of the request's client: the entry point's [`ClientAddress`], else the TCP peer
/// from `ConnectInfo`, else "inconnue".
pub fn of<B>(request: &Request<B>) -> String {
    let extensions = request.extensions();
    if let Some(ClientAddress(address)) = extensions.get::<ClientAddress>() {
        return address.clone();
    }
    extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string())
        .unwrap_or_else(|| "inconnue".into())
}

/// The IP address in a `CloudFront-Viewer-Address` value: `ip:port`, where an IPv6 address is
/// written without brackets (`2001:db8::1:443`), so the port is whatever follows the last colon.
pub fn parse_viewer_address(value: &str) -> Option<IpAddr> {
    let value = value.trim();
    if let Ok(socket) = value.parse::<SocketAddr>() {
        return Some(socket.ip());
    }
    let (ip, port) = value.rsplit_once(':')?;
    port.parse::<u16>().ok()?;
    ip.trim_start_matches('[')
        .trim_end_matches(']')
        .parse::<IpAddr>()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn viewer_address_ipv4_and_ipv6() {
        assert_eq!(
            parse_viewer_address("192.0.2.10:46532"),
            Some("192.0.2.10".parse().unwrap())
        );
        assert_eq!(
            parse_viewer_address("2001:db8:85a3::8a2e:370:7334:46532"),
            Some("2001:db8:85a3::8a2e:370:7334".parse().unwrap())
        );
        assert_eq!(
            parse_viewer_address("[2001:db8::1]:443"),
            Some("2001:db8::1".parse().unwrap())
        );
        assert_eq!(parse_viewer_address("192.0.2.10"), None, "no port");
        assert_eq!(parse_viewer_address("nonsense:12"), None);
        assert_eq!(parse_viewer_address(""), None);
    }

    #[test]
    fn extension_first_then_connect_info() {
        let mut request = Request::new(());
        assert_eq!(of(&request), "inconnue");
        request
            .extensions_mut()
            .insert(ConnectInfo(SocketAddr::from(([10, 0, 0, 1], 5000))));
        assert_eq!(of(&request), "10.0.0.1");
        request
            .extensions_mut()
            .insert(ClientAddress("192.0.2.7".into()));
        assert_eq!(of(&request), "192.0.2.7");
    }
}
