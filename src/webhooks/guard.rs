//! The SSRF guard: a webhook goes only where the public internet is. In production an
//! endpoint's URL must be `https`, and every address it connects to must be public: not
//! loopback, private, link-local (cloud metadata services live there), shared, multicast or
//! unspecified. The check is made on the addresses actually connected to: IP literals are
//! checked before each request, and names are resolved by [`GuardedResolver`], which drops
//! forbidden addresses (so a name that resolves to `127.0.0.1` reaches nothing, even when
//! it resolved elsewhere when the endpoint was saved). Proxies are not used.
//!
//! `AGRUPA_WEBHOOKS_ALLOW_LOOPBACK` (on by default in development) also allows `http` and
//! loopback addresses, for local receivers and tests; never anything else private.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use reqwest::{
    Url,
    dns::{Addrs, Name, Resolve, Resolving},
};

/// Whether `ip` is one a webhook must never reach (loopback is allowed with
/// `allow_loopback`).
pub fn forbidden(ip: IpAddr, allow_loopback: bool) -> bool {
    match ip {
        IpAddr::V4(v4) => forbidden_v4(v4, allow_loopback),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return forbidden_v4(v4, allow_loopback);
            }
            let first = v6.segments()[0];
            (v6.is_loopback() && !allow_loopback)
                || v6.is_unspecified()
                || v6.is_multicast()
                // Unique local (fc00::/7, includes the fd00:ec2::254 metadata address).
                || (first & 0xfe00) == 0xfc00
                // Link-local (fe80::/10).
                || (first & 0xffc0) == 0xfe80
                // IPv4-compatible and NAT64 forms of private addresses: refused whole.
                || (v6.segments()[..6] == [0, 0, 0, 0, 0, 0] && !v6.is_loopback())
                || v6.segments()[..2] == [0x64, 0xff9b]
                // Documentation (2001:db8::/32).
                || v6.segments()[..2] == [0x2001, 0xdb8]
        }
    }
}

fn forbidden_v4(ip: Ipv4Addr, allow_loopback: bool) -> bool {
    let [a, b, ..] = ip.octets();
    (ip.is_loopback() && !allow_loopback)
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        // 0.0.0.0/8 ("this network"), 100.64.0.0/10 (shared, carrier-grade NAT),
        // 192.0.0.0/24 (protocol assignments), 198.18.0.0/15 (benchmarking), 240.0.0.0/4.
        || a == 0
        || (a == 100 && (64..128).contains(&b))
        || (a == 192 && b == 0 && ip.octets()[2] == 0)
        || (a == 198 && (b == 18 || b == 19))
        || a >= 240
}

/// Why `url` may not be an endpoint (`None`: it may). Names are checked again, on every
/// connection, by [`GuardedResolver`].
pub fn check_url(url: &str, allow_loopback: bool) -> Option<String> {
    let Ok(parsed) = Url::parse(url) else {
        return Some("not an absolute URL".into());
    };
    match parsed.scheme() {
        "https" => {}
        "http" if allow_loopback => {}
        _ => {
            return Some(if allow_loopback {
                "must be an https (or, here, http) URL".into()
            } else {
                "must be an https URL".into()
            });
        }
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Some("must not carry credentials".into());
    }
    if parsed.fragment().is_some() {
        return Some("must not have a fragment".into());
    }
    let Some(host) = parsed.host_str() else {
        return Some("has no host".into());
    };
    let ip = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .parse::<IpAddr>()
        .ok();
    if ip.is_some_and(|ip| forbidden(ip, allow_loopback)) {
        return Some(
            "must not point at a loopback, private, link-local or metadata address".into(),
        );
    }
    None
}

/// A DNS resolver that keeps only the addresses a webhook may reach; a name with none left
/// fails to resolve, so nothing is connected to.
#[derive(Debug, Clone, Copy)]
pub struct GuardedResolver {
    /// Loopback addresses allowed too (development, tests).
    pub allow_loopback: bool,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow_loopback = self.allow_loopback;
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let allowed: Vec<SocketAddr> = found
                .into_iter()
                .filter(|a| !forbidden(a.ip(), allow_loopback))
                .collect();
            if allowed.is_empty() {
                return Err(format!(
                    "{host} resolves only to addresses a webhook may not reach (loopback, \
                     private, link-local or metadata)"
                )
                .into());
            }
            let addrs: Addrs = Box::new(allowed.into_iter());
            Ok(addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn private_and_metadata_addresses_are_forbidden() {
        for a in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fd00:ec2::254",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
        ] {
            assert!(forbidden(ip(a), false), "{a}");
        }
        for a in ["8.8.8.8", "151.101.1.69", "2a00:1450:4003:80e::200e"] {
            assert!(!forbidden(ip(a), false), "{a}");
        }
    }

    #[test]
    fn loopback_is_allowed_only_when_asked_and_private_never() {
        assert!(!forbidden(ip("127.0.0.1"), true));
        assert!(!forbidden(ip("::1"), true));
        assert!(forbidden(ip("10.0.0.1"), true));
        assert!(forbidden(ip("169.254.169.254"), true));
    }

    #[test]
    fn production_urls_are_https_to_public_hosts() {
        assert_eq!(check_url("https://hooks.example.org/agrupa", false), None);
        assert!(check_url("http://hooks.example.org/", false).is_some());
        assert!(check_url("https://127.0.0.1/", false).is_some());
        assert!(check_url("https://[::1]/", false).is_some());
        assert!(check_url("https://169.254.169.254/latest/meta-data", false).is_some());
        assert!(check_url("https://user:pw@hooks.example.org/", false).is_some());
        assert!(check_url("ftp://hooks.example.org/", false).is_some());
        assert_eq!(check_url("http://127.0.0.1:9000/hook", true), None);
        assert!(check_url("http://10.0.0.1/hook", true).is_some());
    }

    #[tokio::test]
    async fn the_resolver_drops_forbidden_addresses() {
        let strict = GuardedResolver {
            allow_loopback: false,
        };
        let name: Name = "localhost".parse().unwrap();
        assert!(strict.resolve(name).await.is_err());
        let lax = GuardedResolver {
            allow_loopback: true,
        };
        let name: Name = "localhost".parse().unwrap();
        let addrs: Vec<SocketAddr> = lax.resolve(name).await.unwrap().collect();
        assert!(addrs.iter().all(|a| a.ip().is_loopback()) && !addrs.is_empty());
    }
}
