//! The client's address, as the entry point knows it. The handler only uses it as the key of a
//! rate limit (pseudonymised with the key ring, never stored or logged in clear).
//!
//! Each entry point inserts a [`ClientAddress`] in the request's extensions: the Lambda one from
//! the API Gateway request context or CloudFront's viewer-address header (see `lambda`), a local
//! server from the TCP peer, or from `X-Forwarded-For` when the peer is one of its
//! [`TrustedProxies`]. Without it the handler falls back to axum's `ConnectInfo`.

use std::net::{IpAddr, SocketAddr};

use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, Request};
use ipnet::IpNet;

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

/// The reverse proxies whose `X-Forwarded-For` is believed: exact addresses or CIDR networks.
/// Empty (the default) trusts nobody: the client is always the TCP peer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    /// Nobody is trusted.
    pub fn none() -> Self {
        Self::default()
    }

    /// A list of addresses (`127.0.0.1`, `::1`) and networks (`10.0.0.0/8`, `fd00::/8`), separated
    /// by commas or spaces. An empty list trusts nobody.
    pub fn parse(list: &str) -> Result<Self, String> {
        let mut networks = Vec::new();
        for entry in list
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|e| !e.is_empty())
        {
            let network = match entry.parse::<IpNet>() {
                Ok(network) => network.trunc(),
                Err(_) => match entry.parse::<IpAddr>() {
                    Ok(address) => IpNet::from(address.to_canonical()),
                    Err(_) => {
                        return Err(format!(
                            "Proxy de confiance invalide : « {entry} ». Écrivez des adresses IP (127.0.0.1, ::1) ou des réseaux (10.0.0.0/8), séparés par des virgules."
                        ));
                    }
                },
            };
            networks.push(network);
        }
        Ok(Self(networks))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether `address` is one of the trusted proxies.
    pub fn contains(&self, address: IpAddr) -> bool {
        let address = address.to_canonical();
        self.0.iter().any(|network| network.contains(&address))
    }

    /// The client of a request whose TCP peer is `peer`, with these `X-Forwarded-For` headers.
    pub fn client(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        if !self.contains(peer) {
            // Whatever an untrusted peer writes is ignored: it could name anyone.
            return peer.to_canonical();
        }
        let mut values = Vec::new();
        for value in headers.get_all("x-forwarded-for") {
            match value.to_str() {
                Ok(text) => values.push(text),
                Err(_) => return peer.to_canonical(),
            }
        }
        self.client_of(peer, &values)
    }

    /// The client, given the `X-Forwarded-For` values (each a comma-separated list, the client
    /// first and each proxy appending the address it received from). Each proxy may lie about
    /// what it received only if it is trusted, so the client is the right-most address that is not
    /// a trusted proxy: anything left of it was written by the client itself. An untrusted peer, no
    /// header, or an entry that is not an address where the walk stops: the peer.
    pub fn client_of(&self, peer: IpAddr, forwarded_for: &[&str]) -> IpAddr {
        let peer = peer.to_canonical();
        if !self.contains(peer) {
            return peer;
        }
        let entries: Vec<&str> = forwarded_for
            .iter()
            .flat_map(|value| value.split(','))
            .map(str::trim)
            .collect();
        let mut leftmost = peer;
        for entry in entries.iter().rev() {
            let Some(address) = forwarded_address(entry) else {
                return peer;
            };
            if !self.contains(address) {
                return address;
            }
            leftmost = address;
        }
        // Every hop is a trusted proxy (or there is no header): the farthest one we know of.
        leftmost
    }
}

/// One `X-Forwarded-For` entry: an address, possibly with a port (`192.0.2.1:443`,
/// `[2001:db8::1]:443`), as some proxies write it.
fn forwarded_address(entry: &str) -> Option<IpAddr> {
    entry
        .parse::<IpAddr>()
        .or_else(|_| entry.parse::<SocketAddr>().map(|s| s.ip()))
        .ok()
        .map(|address| address.to_canonical())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn trusted_proxies_parse_addresses_and_networks() {
        let proxies = TrustedProxies::parse(" 127.0.0.1, ::1 10.0.0.0/8,,fd00::/8 ").unwrap();
        assert!(proxies.contains(ip("127.0.0.1")));
        assert!(proxies.contains(ip("::1")));
        assert!(proxies.contains(ip("10.200.3.4")));
        assert!(proxies.contains(ip("fd12::7")));
        assert!(proxies.contains(ip("::ffff:127.0.0.1")), "IPv4-mapped peer");
        assert!(!proxies.contains(ip("127.0.0.2")));
        assert!(!proxies.contains(ip("192.0.2.1")));
        assert!(TrustedProxies::parse("").unwrap().is_empty());
        assert!(TrustedProxies::parse(" , ").unwrap().is_empty());
        // Host bits in a network are dropped, not an error.
        assert!(
            TrustedProxies::parse("192.168.1.9/24")
                .unwrap()
                .contains(ip("192.168.1.200"))
        );
        for bad in ["localhost", "10.0.0.0/33", "1.2.3", "127.0.0.1;10.0.0.1"] {
            let error = TrustedProxies::parse(&format!("127.0.0.1, {bad}")).unwrap_err();
            assert!(error.contains(&format!("« {bad} »")), "{error}");
            assert!(
                error.contains("10.0.0.0/8"),
                "says how to write it: {error}"
            );
        }
    }

    #[test]
    fn forwarded_for_is_believed_only_from_a_trusted_peer() {
        let proxies = TrustedProxies::parse("127.0.0.1").unwrap();
        // Through the proxy.
        assert_eq!(
            proxies.client_of(ip("127.0.0.1"), &["203.0.113.9"]),
            ip("203.0.113.9")
        );
        // Straight from a visitor: the header is hers, ignored.
        assert_eq!(
            proxies.client_of(ip("198.51.100.4"), &["203.0.113.9"]),
            ip("198.51.100.4")
        );
        // Nobody trusted: always the peer.
        assert_eq!(
            TrustedProxies::none().client_of(ip("127.0.0.1"), &["203.0.113.9"]),
            ip("127.0.0.1")
        );
        // No header, or an empty one, from the proxy: the proxy.
        assert_eq!(proxies.client_of(ip("127.0.0.1"), &[]), ip("127.0.0.1"));
        assert_eq!(proxies.client_of(ip("127.0.0.1"), &[""]), ip("127.0.0.1"));
    }

    #[test]
    fn a_spoofed_forwarded_for_names_the_real_client() {
        let proxies = TrustedProxies::parse("127.0.0.1, 10.0.0.0/8").unwrap();
        // The visitor sent `X-Forwarded-For: 1.2.3.4`; the proxy appended her real address.
        assert_eq!(
            proxies.client_of(ip("127.0.0.1"), &["1.2.3.4, 203.0.113.9"]),
            ip("203.0.113.9")
        );
        // She claims to be a trusted proxy: still the address the proxy saw.
        assert_eq!(
            proxies.client_of(ip("127.0.0.1"), &["10.0.0.5, 203.0.113.9"]),
            ip("203.0.113.9")
        );
        // Two headers (one hers, one the proxy's) read as one list.
        assert_eq!(
            proxies.client_of(ip("127.0.0.1"), &["1.2.3.4", "203.0.113.9"]),
            ip("203.0.113.9")
        );
    }

    #[test]
    fn several_hops_spaces_ports_and_ipv6() {
        let proxies = TrustedProxies::parse("127.0.0.1, 10.0.0.0/8, 2001:db8:ffff::/48").unwrap();
        assert_eq!(
            proxies.client_of(ip("127.0.0.1"), &["203.0.113.9 ,10.1.1.1,  10.2.2.2 "]),
            ip("203.0.113.9")
        );
        assert_eq!(
            proxies.client_of(ip("::ffff:127.0.0.1"), &["2001:db8::42, 2001:db8:ffff::1"]),
            ip("2001:db8::42")
        );
        assert_eq!(
            proxies.client_of(ip("127.0.0.1"), &["[2001:db8::42]:5555"]),
            ip("2001:db8::42")
        );
        assert_eq!(
            proxies.client_of(ip("127.0.0.1"), &["203.0.113.9:5555"]),
            ip("203.0.113.9")
        );
        assert_eq!(
            proxies.client_of(ip("127.0.0.1"), &["::ffff:203.0.113.9"]),
            ip("203.0.113.9")
        );
        // Every hop is a proxy: the farthest one.
        assert_eq!(
            proxies.client_of(ip("127.0.0.1"), &["10.0.0.7, 10.0.0.8"]),
            ip("10.0.0.7")
        );
    }

    #[test]
    fn garbage_in_forwarded_for_gives_the_peer() {
        let proxies = TrustedProxies::parse("127.0.0.1, 10.0.0.0/8").unwrap();
        for garbage in [
            "unknown",
            "203.0.113.9, ",
            "203.0.113.9,,10.0.0.1",
            "<script>",
            "203.0.113.9 10.0.0.1",
            "999.1.1.1",
        ] {
            assert_eq!(
                proxies.client_of(ip("127.0.0.1"), &[garbage]),
                ip("127.0.0.1"),
                "{garbage}"
            );
        }
        // Garbage left of the client is not reached.
        assert_eq!(
            proxies.client_of(ip("127.0.0.1"), &["nonsense, 203.0.113.9"]),
            ip("203.0.113.9")
        );
        // A header that is not text: the peer.
        let mut headers = HeaderMap::new();
        headers.insert(
            "x-forwarded-for",
            axum::http::HeaderValue::from_bytes(b"203.0.113.9\xff").unwrap(),
        );
        assert_eq!(proxies.client(ip("127.0.0.1"), &headers), ip("127.0.0.1"));
        headers.insert(
            "x-forwarded-for",
            axum::http::HeaderValue::from_static("203.0.113.9"),
        );
        assert_eq!(proxies.client(ip("127.0.0.1"), &headers), ip("203.0.113.9"));
        assert_eq!(proxies.client(ip("127.0.0.2"), &headers), ip("127.0.0.2"));
    }

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
