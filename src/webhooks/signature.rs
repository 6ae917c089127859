//! Standard Webhooks v1 signatures: `v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`
//! keyed with the endpoint's secret (`whsec_` + base64 of the key).

use base64::{Engine, engine::general_purpose::STANDARD};
use hmac::{KeyInit, Mac};
use sha2::Sha256;
use uuid::Uuid;

/// The secrets' prefix.
pub const PREFIX: &str = "whsec_";

/// A new secret: `whsec_` + base64 of 32 bytes (244 of them random bits: two UUIDv4s from
/// the operating system's generator, as the API clients' secrets).
pub fn new_secret() -> String {
    let mut key = [0u8; 32];
    key[..16].copy_from_slice(Uuid::new_v4().as_bytes());
    key[16..].copy_from_slice(Uuid::new_v4().as_bytes());
    format!("{PREFIX}{}", STANDARD.encode(key))
}

/// The signature of one message with one secret; `None` when the secret is not
/// `whsec_<base64>` (never the case for secrets this module made).
pub fn sign(secret: &str, msg_id: &str, timestamp: i64, body: &str) -> Option<String> {
    let key = STANDARD
        .decode(secret.strip_prefix(PREFIX).unwrap_or(secret))
        .ok()?;
    let mut mac = hmac::Hmac::<Sha256>::new_from_slice(&key).ok()?;
    mac.update(format!("{msg_id}.{timestamp}.{body}").as_bytes());
    Some(format!(
        "v1,{}",
        STANDARD.encode(mac.finalize().into_bytes())
    ))
}

/// The `webhook-signature` header: one signature per current secret, space-separated
/// (during a rotation the new secret's first, then the previous one's).
pub fn header(secrets: &[&str], msg_id: &str, timestamp: i64, body: &str) -> String {
    secrets
        .iter()
        .filter_map(|s| sign(s, msg_id, timestamp, body))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signs_the_specifications_published_example() {
        assert_eq!(
            sign(
                "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
                "msg_p5jXN8AQM9LWM0D4loKWxJek",
                1_614_265_330,
                r#"{"test": 2432232314}"#
            )
            .unwrap(),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
    }

    #[test]
    fn secrets_are_prefixed_base64_of_at_least_24_bytes_and_differ() {
        let (a, b) = (new_secret(), new_secret());
        assert_ne!(a, b);
        let key = STANDARD.decode(a.strip_prefix(PREFIX).unwrap()).unwrap();
        assert!(key.len() >= 24);
    }

    #[test]
    fn a_rotation_signs_with_both_secrets() {
        let (new, old) = (new_secret(), new_secret());
        let h = header(&[&new, &old], "msg_1", 1, "{}");
        let parts: Vec<&str> = h.split(' ').collect();
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0], sign(&new, "msg_1", 1, "{}").unwrap());
        assert_eq!(parts[1], sign(&old, "msg_1", 1, "{}").unwrap());
    }
}
