//! Outbound HTTP to user-supplied URLs (webhook targets, remote data sources) without letting
//! users reach private networks: addresses are checked after DNS resolution (so a public name
//! that resolves to 10.0.0.1 is refused too), IP literals are checked before sending, and
//! redirects are not followed.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

/// Whether an address is globally routable (not loopback, private, link-local, CGNAT,
/// unique-local, multicast, documentation or unspecified).
pub fn is_public_ip(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public_v4(v4);
            }
            let seg0 = v6.segments()[0];
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (seg0 & 0xfe00) == 0xfc00 // unique local fc00::/7
                || (seg0 & 0xffc0) == 0xfe80 // link-local fe80::/10
                || seg0 == 0x2001 && v6.segments()[1] == 0x0db8 // documentation
                || v6 == Ipv6Addr::new(0x64, 0xff9b, 1, 0, 0, 0, 0, 0))
        }
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    !(ip.is_private()
        || ip.is_loopback()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0
        || (a == 100 && (64..128).contains(&b)) // CGNAT 100.64.0.0/10
        || (a == 198 && (b == 18 || b == 19)) // benchmarking 198.18.0.0/15
        || a >= 240)
}

/// Checks a URL before any request: http(s), a host, and (for IP literals) a public address
/// unless private targets are allowed. Returns a user-facing reason on refusal.
pub fn check_url(url: &str, allow_private: bool) -> Result<reqwest::Url, String> {
    let parsed = reqwest::Url::parse(url).map_err(|e| format!("not an absolute URL: {e}"))?;
    if parsed.scheme() != "http" && parsed.scheme() != "https" {
        return Err(format!(
            "scheme {:?} is not allowed; use http or https",
            parsed.scheme()
        ));
    }
    let host = parsed.host_str().ok_or_else(|| "URL has no host".to_string())?;
    if !allow_private {
        let literal = host.trim_start_matches('[').trim_end_matches(']');
        if let Ok(ip) = literal.parse::<IpAddr>() {
            if !is_public_ip(ip) {
                return Err(format!("{ip} is a private, loopback or link-local address"));
            }
        } else if host.eq_ignore_ascii_case("localhost") || host.to_ascii_lowercase().ends_with(".localhost") {
            return Err(format!("{host} is a loopback host"));
        }
    }
    Ok(parsed)
}

/// A DNS resolver that drops non-public addresses (and fails when none remain), so that the
/// check happens on the address actually connected to.
#[derive(Debug, Clone, Copy)]
pub struct GuardedResolver {
    pub allow_private: bool,
}

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let allow_private = self.allow_private;
        let host = name.as_str().to_string();
        Box::pin(async move {
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let allowed: Vec<SocketAddr> = addrs
                .into_iter()
                .filter(|a| allow_private || is_public_ip(a.ip()))
                .collect();
            if allowed.is_empty() {
                return Err(format!("{host} resolves only to private, loopback or link-local addresses").into());
            }
            let iter: reqwest::dns::Addrs = Box::new(allowed.into_iter());
            Ok(iter)
        })
    }
}

/// A client for user-supplied URLs: guarded resolver, no redirects, the given timeouts.
pub fn guarded_client(allow_private: bool, timeout: Duration, connect_timeout: Duration) -> reqwest::Client {
    reqwest::Client::builder()
        .dns_resolver(GuardedResolver { allow_private })
        .redirect(reqwest::redirect::Policy::none())
        .timeout(timeout)
        .connect_timeout(connect_timeout)
        .user_agent(concat!("persona/", env!("CARGO_PKG_VERSION")))
        .build()
        .expect("a reqwest client with static settings always builds")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_and_special_addresses_are_not_public() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
        ] {
            assert!(!is_public_ip(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["93.184.216.34", "1.1.1.1", "2606:4700:4700::1111"] {
            assert!(is_public_ip(ip.parse().unwrap()), "{ip}");
        }
    }

    #[test]
    fn urls_are_checked_for_scheme_host_and_literal_addresses() {
        assert!(check_url("https://example.com/hook", false).is_ok());
        assert!(check_url("ftp://example.com/x", false).unwrap_err().contains("scheme"));
        assert!(
            check_url("http://127.0.0.1:9/x", false)
                .unwrap_err()
                .contains("127.0.0.1")
        );
        assert!(check_url("http://[::1]:9/x", false).is_err());
        assert!(
            check_url("http://localhost:9/x", false)
                .unwrap_err()
                .contains("loopback")
        );
        assert!(check_url("http://127.0.0.1:9/x", true).is_ok());
        assert!(check_url("not a url", false).is_err());
    }

    #[tokio::test]
    async fn the_guarded_client_refuses_names_resolving_to_loopback() {
        let client = guarded_client(false, Duration::from_secs(2), Duration::from_secs(1));
        let err = client.get("http://localhost:9/").send().await.unwrap_err();
        let chain = format!("{err:?}");
        assert!(chain.contains("private, loopback"), "{chain}");
    }
}
