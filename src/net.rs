//! Outbound HTTP to user-supplied URLs (webhook targets, remote data sources) without letting
//! users reach private networks: addresses are checked after DNS resolution (so a public name
//! that resolves to 10.0.0.1 is refused too), IP literals are checked before sending, and
//! redirects are not followed.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

/// Longest URL accepted for webhooks and remote data (the de-facto browser limit): longer ones
/// are refused before they are stored and repeated in every list response.
pub const MAX_URL_BYTES: usize = 2048;

/// Whether a data source is an http(s) URL (rather than a path or a dataset id).
pub fn is_url(source: &str) -> bool {
    let lower = source.get(..8).unwrap_or(source).to_ascii_lowercase();
    lower.starts_with("http://") || lower.starts_with("https://")
}

/// Whether an address is globally routable (not loopback, private, link-local, CGNAT,
/// unique-local, multicast, documentation or unspecified). IPv6 forms that embed or translate to
/// an IPv4 address (IPv4-mapped `::ffff:0:0/96`, IPv4-compatible `::/96`, NAT64 `64:ff9b::/96`
/// and `64:ff9b:1::/48`, 6to4 `2002::/16`, Teredo `2001::/32`) are judged by that address, so
/// `[::127.0.0.1]` or `[2002:7f00:1::]` cannot reach loopback.
pub fn is_public_ip(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v6(v6: Ipv6Addr) -> bool {
    if v6.is_loopback() || v6.is_unspecified() || v6.is_multicast() {
        return false;
    }
    let seg = v6.segments();
    let octets = v6.octets();
    let low_v4 = Ipv4Addr::new(octets[12], octets[13], octets[14], octets[15]);
    // IPv4-mapped ::ffff:a.b.c.d and the deprecated IPv4-compatible ::a.b.c.d.
    if seg[..5] == [0, 0, 0, 0, 0] && (seg[5] == 0xffff || seg[5] == 0) {
        return is_public_v4(low_v4);
    }
    // IPv4/IPv6 translation (RFC 6052 well-known prefix, RFC 8215 local-use prefix): a NAT64
    // gateway turns these into connections to the embedded IPv4 address; the local-use prefix
    // is private by definition.
    if seg[0] == 0x64 && seg[1] == 0xff9b {
        return seg[2] != 1 && is_public_v4(low_v4);
    }
    // 6to4 2002:AABB:CCDD::/48 carries the IPv4 address AA.BB.CC.DD.
    if seg[0] == 0x2002 {
        return is_public_v4(Ipv4Addr::new(octets[2], octets[3], octets[4], octets[5]));
    }
    // Teredo 2001:0::/32 tunnels to an obfuscated IPv4 client; refuse it outright.
    if seg[0] == 0x2001 && seg[1] == 0 {
        return false;
    }
    !((seg[0] & 0xfe00) == 0xfc00 // unique local fc00::/7
        || (seg[0] & 0xffc0) == 0xfe80 // link-local fe80::/10
        || (seg[0] & 0xffc0) == 0xfec0 // deprecated site-local fec0::/10
        || seg[0] == 0x2001 && seg[1] == 0x0db8 // documentation 2001:db8::/32
        || seg[0] == 0x3fff && seg[1] < 0x1000 // documentation 3fff::/20
        || seg[0] == 0x0100 && seg[1..4] == [0, 0, 0] // discard-only 100::/64
        || seg[0] == 0x5f00) // segment routing 5f00::/16
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_private()
        || ip.is_loopback()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0
        || (a == 100 && (64..128).contains(&b)) // CGNAT 100.64.0.0/10
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments 192.0.0.0/24
        || (a == 192 && b == 88 && c == 99) // 6to4 relay anycast 192.88.99.0/24
        || (a == 198 && (b == 18 || b == 19)) // benchmarking 198.18.0.0/15
        || a >= 240)
}

/// Whether a host name is a loopback name: `localhost`, `*.localhost` (RFC 6761), with or
/// without the trailing root dot (`localhost.` resolves like `localhost`).
fn is_loopback_name(host: &str) -> bool {
    let name = host.trim_end_matches('.').to_ascii_lowercase();
    name == "localhost" || name.ends_with(".localhost")
}

/// Checks a URL before any request: http(s), a host, and (for IP literals) a public address
/// unless private targets are allowed. Returns a user-facing reason on refusal.
pub fn check_url(url: &str, allow_private: bool) -> Result<reqwest::Url, String> {
    if url.len() > MAX_URL_BYTES {
        return Err(format!(
            "the URL is {} bytes long; the limit is {MAX_URL_BYTES}",
            url.len()
        ));
    }
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
        } else if is_loopback_name(host) {
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
    fn urls_are_recognised_by_scheme() {
        assert!(is_url("https://x.test/a.csv"));
        assert!(is_url("HTTP://x.test/a.csv"));
        assert!(!is_url("/data/http/a.csv"));
        assert!(!is_url("ftp://x.test/a.csv"));
    }

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
            "::127.0.0.1",
            "::10.0.0.1",
            "64:ff9b::7f00:1",
            "64:ff9b::a9fe:a9fe",
            "64:ff9b:1::1",
            "2002:7f00:1::",
            "2002:a00:1::1",
            "2001::1",
            "fec0::1",
            "192.0.0.8",
            "192.88.99.1",
        ] {
            assert!(!is_public_ip(ip.parse().unwrap()), "{ip}");
        }
        for ip in [
            "93.184.216.34",
            "1.1.1.1",
            "2606:4700:4700::1111",
            "64:ff9b::101:101",
            "2002:101:101::1",
        ] {
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
        assert!(check_url("http://localhost.:9/x", false).is_err());
        assert!(check_url("http://a.LOCALHOST./x", false).is_err());
        assert!(check_url("http://[::127.0.0.1]:9/x", false).is_err());
        assert!(check_url("http://[64:ff9b::7f00:1]/x", false).is_err());
        assert!(check_url("http://[2002:7f00:1::]/x", false).is_err());
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
