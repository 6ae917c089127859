//! The client's address, for rate limits and sign-in throttles.
//!
//! Behind a reverse proxy every request comes from the proxy, so every user would share one
//! address (and one throttle). The forwarding headers (`Forwarded`, RFC 7239, else
//! `X-Forwarded-For`) name the real client, but anyone can send them: they are believed only
//! when the peer is a proxy listed in `AGRUPA_TRUSTED_PROXIES`. Then the address is the
//! right-most one in the chain that is not itself a trusted proxy (the left-most entries are
//! whatever the client chose to send). Otherwise it is the peer's address.

use std::{fmt, net::IpAddr, str::FromStr};

use actix_web::{HttpRequest, http::header};

/// An IP network (`10.0.0.0/8`, `2001:db8::/32`) or one address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    network: IpAddr,
    prefix: u8,
}

impl Cidr {
    /// Whether `ip` is in this network (an IPv4-mapped IPv6 address counts as IPv4).
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        match (self.network, ip) {
            (IpAddr::V4(n), IpAddr::V4(a)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(n) & mask == u32::from(a) & mask
            }
            (IpAddr::V6(n), IpAddr::V6(a)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(n) & mask == u128::from(a) & mask
            }
            _ => false,
        }
    }
}

impl FromStr for Cidr {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let network = canonical(
            addr.trim()
                .parse::<IpAddr>()
                .map_err(|_| format!("`{s}` is not an IP address or network"))?,
        );
        let max = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some(p) => p
                .trim()
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(|| format!("`{s}`: the prefix length must be 0–{max}"))?,
        };
        Ok(Self { network, prefix })
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.network, self.prefix)
    }
}

/// Parses `AGRUPA_TRUSTED_PROXIES`: comma-separated addresses and networks.
pub fn parse_list(raw: &str) -> Result<Vec<Cidr>, String> {
    raw.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::parse)
        .collect()
}

fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// The client's address: from the forwarding headers when the peer is a trusted proxy,
/// else the peer's; `None` only when the peer is unknown (a test request).
pub fn client_ip(req: &HttpRequest, trusted: &[Cidr]) -> Option<IpAddr> {
    let peer = canonical(req.peer_addr()?.ip());
    let is_trusted = |ip: IpAddr| trusted.iter().any(|c| c.contains(ip));
    if !is_trusted(peer) {
        return Some(peer);
    }
    let chain = forwarded_chain(req);
    // Right to left: the first hop no trusted proxy vouches for is the client.
    let mut client = peer;
    for hop in chain.iter().rev() {
        let Some(ip) = *hop else {
            // An unreadable entry (`unknown`, an obfuscated name): stop at the last known.
            break;
        };
        client = ip;
        if !is_trusted(ip) {
            break;
        }
    }
    Some(client)
}

/// [`client_ip`] as text ("unknown" when there is no peer).
pub fn client_address(req: &HttpRequest, trusted: &[Cidr]) -> String {
    client_ip(req, trusted).map_or_else(|| "unknown".to_owned(), |ip| ip.to_string())
}

/// The addresses the forwarding headers list, left (client) to right (last proxy); `None` for
/// entries that are not addresses. `Forwarded` wins over `X-Forwarded-For` when both came.
fn forwarded_chain(req: &HttpRequest) -> Vec<Option<IpAddr>> {
    let values = |name| {
        req.headers()
            .get_all(name)
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    let forwarded = values(header::FORWARDED);
    if !forwarded.is_empty() {
        return forwarded
            .iter()
            .map(|element| {
                element
                    .split(';')
                    .filter_map(|pair| pair.trim().split_once('='))
                    .find(|(k, _)| k.trim().eq_ignore_ascii_case("for"))
                    .and_then(|(_, v)| parse_node(v))
            })
            .collect();
    }
    values(header::HeaderName::from_static("x-forwarded-for"))
        .iter()
        .map(|v| parse_node(v))
        .collect()
}

/// An address as forwarding headers write it: `192.0.2.1`, `192.0.2.1:4711`, `"[2001:db8::1]:80"`.
fn parse_node(raw: &str) -> Option<IpAddr> {
    let v = raw.trim().trim_matches('"');
    if let Ok(ip) = v.parse::<IpAddr>() {
        return Some(canonical(ip));
    }
    if let Some(rest) = v.strip_prefix('[') {
        return rest.split(']').next()?.parse().ok().map(canonical);
    }
    v.rsplit_once(':')
        .and_then(|(host, _)| host.parse().ok())
        .map(canonical)
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn networks_contain_their_addresses() {
        let net: Cidr = "10.1.0.0/16".parse().unwrap();
        assert!(net.contains(ip("10.1.200.3")));
        assert!(!net.contains(ip("10.2.0.1")));
        assert!(net.contains(ip("::ffff:10.1.0.9")), "IPv4-mapped");
        let one: Cidr = "2001:db8::1".parse().unwrap();
        assert!(one.contains(ip("2001:db8::1")) && !one.contains(ip("2001:db8::2")));
        assert!("0.0.0.0/0".parse::<Cidr>().unwrap().contains(ip("8.8.8.8")));
        assert!("10.0.0.0/33".parse::<Cidr>().is_err());
        assert!(parse_list("127.0.0.1, 10.0.0.0/8").unwrap().len() == 2);
        assert!(parse_list("proxy.local").is_err());
    }

    #[test]
    fn forwarding_headers_count_only_from_trusted_peers() {
        let trusted = parse_list("10.0.0.0/8").unwrap();
        let req = |peer: &str, name: &str, value: &str| {
            TestRequest::default()
                .peer_addr(format!("{peer}:5000").parse().unwrap())
                .insert_header((name, value))
                .to_http_request()
        };
        let xff = "x-forwarded-for";
        // Untrusted peer: the header is ignored.
        assert_eq!(
            client_address(&req("203.0.113.9", xff, "198.51.100.1"), &trusted),
            "203.0.113.9"
        );
        // Trusted peer: the right-most untrusted hop (the client cannot spoof past it).
        assert_eq!(
            client_address(
                &req("10.0.0.2", xff, "1.1.1.1, 198.51.100.1, 10.0.0.7"),
                &trusted
            ),
            "198.51.100.1"
        );
        assert_eq!(
            client_address(
                &req(
                    "10.0.0.2",
                    "forwarded",
                    r#"for="[2001:db8::5]:443";proto=https"#
                ),
                &trusted
            ),
            "2001:db8::5"
        );
        // No header: the proxy itself.
        let bare = TestRequest::default()
            .peer_addr("10.0.0.2:5000".parse().unwrap())
            .to_http_request();
        assert_eq!(client_address(&bare, &trusted), "10.0.0.2");
    }
}
