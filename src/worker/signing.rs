//! Webhook request signing and headers. Pure functions: the dispatcher calls them with the exact
//! body bytes stored in the outbox, so every retry of a delivery carries identical bytes and, as
//! long as the secret is unchanged, an identical signature.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

pub const EVENT_HEADER: &str = "X-Persona-Event";
pub const DELIVERY_HEADER: &str = "X-Persona-Delivery";
pub const SIGNATURE_HEADER: &str = "X-Persona-Signature";
pub const USER_AGENT: &str = concat!("persona-webhooks/", env!("CARGO_PKG_VERSION"));

const SIGNATURE_PREFIX: &str = "sha256=";

fn mac(secret: &[u8]) -> Hmac<Sha256> {
    // HMAC accepts keys of any length (long keys are hashed), so this cannot fail.
    Hmac::<Sha256>::new_from_slice(secret).expect("HMAC-SHA256 accepts keys of any length")
}

/// `sha256=<lowercase hex HMAC-SHA256 of body keyed with secret>`, the `X-Persona-Signature` value.
pub fn sign(secret: &[u8], body: &[u8]) -> String {
    let mut mac = mac(secret);
    mac.update(body);
    format!("{SIGNATURE_PREFIX}{}", hex::encode(mac.finalize().into_bytes()))
}

/// Whether `header` is a valid signature of `body` under `secret`. The comparison is constant-time
/// so that receivers written against this crate do not leak how many bytes matched.
pub fn verify(secret: &[u8], body: &[u8], header: &str) -> bool {
    let Some(hex_digest) = header.trim().strip_prefix(SIGNATURE_PREFIX) else {
        return false;
    };
    let Ok(expected) = hex::decode(hex_digest) else {
        return false;
    };
    let mut mac = mac(secret);
    mac.update(body);
    mac.verify_slice(&expected).is_ok()
}

/// The headers of one delivery request, in a fixed order. `signature` is the output of [`sign`]
/// when a secret applies; without one the signature header is left out entirely.
pub fn delivery_headers(event: &str, delivery_id: &str, signature: Option<String>) -> Vec<(&'static str, String)> {
    let mut headers = vec![
        ("Content-Type", "application/json".to_string()),
        ("User-Agent", USER_AGENT.to_string()),
        (EVENT_HEADER, event.to_string()),
        (DELIVERY_HEADER, delivery_id.to_string()),
    ];
    if let Some(signature) = signature {
        headers.push((SIGNATURE_HEADER, signature));
    }
    headers
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_matches_a_published_hmac_sha256_vector() {
        // RFC 4231, test case 2.
        assert_eq!(
            sign(b"Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn verify_accepts_the_signature_and_rejects_tampering() {
        let body = br#"{"event":"ping","timestamp":"2026-01-01T00:00:00.000Z","data":{}}"#;
        let header = sign(b"s3cret", body);
        assert!(verify(b"s3cret", body, &header));
        assert!(!verify(b"other", body, &header));
        assert!(!verify(b"s3cret", b"{}", &header));
        assert!(!verify(b"s3cret", body, header.trim_start_matches("sha256=")));
        assert!(!verify(b"s3cret", body, "sha256=zz"));
    }

    #[test]
    fn headers_carry_event_delivery_and_optional_signature() {
        let unsigned = delivery_headers("ping", "delivery-0123456789abcdef", None);
        let names: Vec<&str> = unsigned.iter().map(|(n, _)| *n).collect();
        assert_eq!(names, ["Content-Type", "User-Agent", EVENT_HEADER, DELIVERY_HEADER]);
        assert!(unsigned[1].1.starts_with("persona-webhooks/"));
        let signed = delivery_headers("ping", "delivery-0123456789abcdef", Some("sha256=ab".into()));
        assert_eq!(signed.last().unwrap(), &(SIGNATURE_HEADER, "sha256=ab".to_string()));
    }
}
