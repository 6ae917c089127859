//! Access tokens (short-lived JWTs, HS256 pinned by the server, keys with `kid` so they can
//! rotate) and opaque secrets (refresh tokens, client secrets: random, stored as SHA-256).

use std::{
    collections::{HashMap, HashSet},
    sync::{Arc, Mutex},
};

use base64::{
    Engine,
    engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD},
};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::policy::Role;

/// The JWT `typ` header of access tokens (RFC 9068).
const TOKEN_TYPE: &str = "at+jwt";
/// Clock tolerance for `exp`, `nbf` and `iat`.
const LEEWAY_SECS: u64 = 30;
/// How many verified tokens [`KeySet::verify`] remembers (each about 600 bytes: the token
/// and its claims, so at most about 2.5 MB).
const VERIFIED_CAPACITY: usize = 4_096;

/// One signing key.
#[derive(Clone)]
struct Key {
    kid: String,
    secret: Vec<u8>,
    encoding: EncodingKey,
    decoding: DecodingKey,
}

/// The configured keys: the first signs, all verify (so a retired key keeps its tokens
/// valid until they expire).
#[derive(Clone)]
pub struct KeySet {
    keys: Vec<Key>,
    issuer: String,
    audience: String,
    /// The checks every access token passes (built once: verification runs on every request).
    validation: Validation,
    /// Tokens already verified, with their claims: see [`Verified`].
    verified: Arc<Verified>,
}

/// Access tokens whose header, signature and claims [`KeySet::verify`] has checked, with
/// their claims, so that a repeat request skips base64, HMAC-SHA256 and the claims' JSON
/// (issue 18: about 130,000 instructions of a GET by id). Keyed by the whole token, compared
/// byte for byte, so only the very string that was verified is found. It holds only what the
/// token itself proves, which cannot change while the key set stays the same: whether the
/// token was revoked and the caller's role, session epoch and active flag are still read
/// from the database on every request, so they act on the next request on every replica.
/// An entry is used only until the token expires; at [`VERIFIED_CAPACITY`] the expired
/// entries go, and if none had expired, all of them.
///
/// Tokens are hashed with foldhash, seeded per process, not SipHash (2,300 instructions a
/// request for a 700-byte token): only tokens whose signature was verified are ever
/// inserted, so nobody can choose the keys. The claims are shared, not copied, with each
/// request that uses them.
#[derive(Default)]
struct Verified(Mutex<HashMap<Box<str>, Arc<Claims>, foldhash::fast::RandomState>>);

impl Verified {
    fn get(&self, token: &str, now: i64) -> Option<Arc<Claims>> {
        let map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        map.get(token)
            .filter(|c| now <= c.exp.saturating_add(LEEWAY_SECS as i64))
            .cloned()
    }

    fn insert(&self, token: &str, claims: &Arc<Claims>, now: i64) {
        let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() >= VERIFIED_CAPACITY {
            map.retain(|_, c| now <= c.exp.saturating_add(LEEWAY_SECS as i64));
            if map.len() >= VERIFIED_CAPACITY {
                map.clear();
            }
        }
        map.insert(token.into(), Arc::clone(claims));
    }
}

impl std::fmt::Debug for KeySet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeySet")
            .field(
                "kids",
                &self.keys.iter().map(|k| k.kid.as_str()).collect::<Vec<_>>(),
            )
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .finish()
    }
}

impl KeySet {
    /// Parses `kid:base64-secret[,kid:base64-secret…]` (each secret at least 32 bytes).
    pub fn parse(spec: &str, issuer: &str, audience: &str) -> Result<Self, String> {
        let mut keys = Vec::new();
        for item in spec.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let (kid, secret) = item
                .split_once(':')
                .ok_or("each key must be `kid:base64-secret`")?;
            let valid_kid = !kid.is_empty()
                && kid.len() <= 64
                && kid
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
            if !valid_kid {
                return Err(format!("key id `{kid}` must be 1-64 of A-Z a-z 0-9 . _ -"));
            }
            let bytes = [STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD]
                .iter()
                .find_map(|engine| engine.decode(secret).ok())
                .ok_or_else(|| format!("the secret of key `{kid}` is not base64"))?;
            if bytes.len() < 32 {
                return Err(format!(
                    "the secret of key `{kid}` must be at least 32 bytes"
                ));
            }
            if keys.iter().any(|k: &Key| k.kid == kid) {
                return Err(format!("key id `{kid}` appears twice"));
            }
            keys.push(Key {
                kid: kid.to_owned(),
                encoding: EncodingKey::from_secret(&bytes),
                decoding: DecodingKey::from_secret(&bytes),
                secret: bytes,
            });
        }
        if keys.is_empty() {
            return Err("no keys".into());
        }
        Ok(Self {
            keys,
            issuer: issuer.to_owned(),
            audience: audience.to_owned(),
            validation: validation(issuer, audience),
            verified: Arc::default(),
        })
    }

    /// A random key for development (tokens do not survive a restart).
    pub fn generate(issuer: &str, audience: &str) -> Self {
        let secret = random_token();
        // A generated 256-bit key always parses.
        Self::parse(&format!("dev:{secret}"), issuer, audience).unwrap_or_else(|_| Self {
            keys: Vec::new(),
            issuer: issuer.to_owned(),
            audience: audience.to_owned(),
            validation: validation(issuer, audience),
            verified: Arc::default(),
        })
    }

    /// Key material for other HMACs (cursors): derived from the signing key, never the key.
    pub fn derive(&self, purpose: &str) -> Vec<u8> {
        use hmac::{KeyInit, Mac};
        let secret = self
            .keys
            .first()
            .map(|k| k.secret.as_slice())
            .unwrap_or_default();
        match hmac::Hmac::<Sha256>::new_from_slice(secret) {
            Ok(mut mac) => {
                mac.update(purpose.as_bytes());
                mac.finalize().into_bytes().to_vec()
            }
            Err(_) => Sha256::digest(purpose.as_bytes()).to_vec(),
        }
    }

    /// Signs an access token.
    pub fn sign(&self, claims: &Claims) -> anyhow::Result<String> {
        let key = self
            .keys
            .first()
            .ok_or_else(|| anyhow::anyhow!("no signing key"))?;
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some(key.kid.clone());
        header.typ = Some(TOKEN_TYPE.to_owned());
        Ok(jsonwebtoken::encode(&header, claims, &key.encoding)?)
    }

    /// Verifies an access token: known `kid`, HS256 only, `typ`, signature, `iss`, `aud`,
    /// `exp`, `nbf`, `iat`; returns its claims. A token verified before and not expired is
    /// answered from memory ([`Verified`]).
    pub fn verify(&self, token: &str) -> Result<Arc<Claims>, TokenError> {
        let now = chrono::Utc::now().timestamp();
        if let Some(claims) = self.verified.get(token, now) {
            return Ok(claims);
        }
        let claims = Arc::new(self.verify_uncached(token)?);
        self.verified.insert(token, &claims, now);
        Ok(claims)
    }

    fn verify_uncached(&self, token: &str) -> Result<Claims, TokenError> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| TokenError::Malformed)?;
        if header.alg != Algorithm::HS256 {
            return Err(TokenError::Algorithm);
        }
        if header.typ.as_deref() != Some(TOKEN_TYPE) {
            return Err(TokenError::Type);
        }
        let kid = header.kid.ok_or(TokenError::UnknownKey)?;
        let key = self
            .keys
            .iter()
            .find(|k| k.kid == kid)
            .ok_or(TokenError::UnknownKey)?;
        let data = jsonwebtoken::decode::<Claims>(token, &key.decoding, &self.validation)
            .map_err(|e| TokenError::Invalid(e.to_string()))?;
        let now = chrono::Utc::now().timestamp();
        if data.claims.iat > now + LEEWAY_SECS as i64 {
            return Err(TokenError::Invalid("issued in the future".into()));
        }
        Ok(data.claims)
    }

    /// The issuer (`iss`).
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The audience (`aud`).
    pub fn audience(&self) -> &str {
        &self.audience
    }
}

/// HS256 only; `iss` and `aud` must be ours; `exp`, `nbf`, `iat`, `iss`, `aud` and `sub` are
/// required; `exp` and `nbf` are checked with [`LEEWAY_SECS`].
fn validation(issuer: &str, audience: &str) -> Validation {
    let mut validation = Validation::new(Algorithm::HS256);
    validation.set_issuer(&[issuer]);
    validation.set_audience(&[audience]);
    validation.validate_nbf = true;
    validation.leeway = LEEWAY_SECS;
    validation.required_spec_claims = ["exp", "nbf", "iat", "iss", "aud", "sub"]
        .into_iter()
        .map(str::to_owned)
        .collect::<HashSet<_>>();
    validation
}

/// Why a token was refused (logged, never sent in detail).
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// Not a JWT.
    #[error("malformed token")]
    Malformed,
    /// Not the pinned algorithm.
    #[error("algorithm not accepted")]
    Algorithm,
    /// Not an access token.
    #[error("not an access token")]
    Type,
    /// No `kid`, or one we do not know.
    #[error("unknown key id")]
    UnknownKey,
    /// Signature, issuer, audience or time checks failed.
    #[error("invalid token: {0}")]
    Invalid(String),
}

/// Who a token speaks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PrincipalKind {
    /// A person signed in with a password.
    User,
    /// A partner system signed in with client credentials.
    Client,
}

/// The claims of an access token.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    /// Issuer.
    pub iss: String,
    /// Audience.
    pub aud: String,
    /// The user's or API client's id.
    pub sub: Uuid,
    /// Expiry (seconds since the epoch).
    pub exp: i64,
    /// Not before.
    pub nbf: i64,
    /// Issued at.
    pub iat: i64,
    /// Token id (for revocation).
    pub jti: Uuid,
    /// The role at issue time (the current role is read from the database on each request).
    pub role: Role,
    /// Space-separated OAuth scopes.
    pub scope: String,
    /// User or API client.
    pub kind: PrincipalKind,
    /// The user's session epoch at issue time (0 for clients).
    #[serde(default)]
    pub epoch: i32,
}

/// 244 random bits (two UUIDv4s from the OS generator), base64url (43 characters).
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    bytes[..16].copy_from_slice(Uuid::new_v4().as_bytes());
    bytes[16..].copy_from_slice(Uuid::new_v4().as_bytes());
    URL_SAFE_NO_PAD.encode(bytes)
}

/// SHA-256 of an opaque secret, as stored.
pub fn hash_secret(secret: &str) -> Vec<u8> {
    Sha256::digest(secret.as_bytes()).to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> KeySet {
        KeySet::parse(&format!("k1:{}", random_token()), "agrupa", "agrupa-api").unwrap()
    }

    fn claims(now: i64) -> Claims {
        Claims {
            iss: "agrupa".into(),
            aud: "agrupa-api".into(),
            sub: Uuid::now_v7(),
            exp: now + 900,
            nbf: now,
            iat: now,
            jti: Uuid::now_v7(),
            role: Role::Staff,
            scope: String::new(),
            kind: PrincipalKind::User,
            epoch: 0,
        }
    }

    #[test]
    fn signed_tokens_verify_and_foreign_ones_do_not() {
        let k = keys();
        let now = chrono::Utc::now().timestamp();
        let token = k.sign(&claims(now)).unwrap();
        assert!(k.verify(&token).is_ok());
        assert!(matches!(keys().verify(&token), Err(TokenError::Invalid(_))));
    }

    #[test]
    fn a_remembered_token_is_answered_until_it_expires_and_no_other_string_is() {
        let k = keys();
        let now = chrono::Utc::now().timestamp();
        let token = k.sign(&claims(now)).unwrap();
        let first = k.verify(&token).unwrap();
        // The second answer comes from memory: the same claims.
        let again = k.verify(&token).unwrap();
        assert_eq!((again.jti, again.exp), (first.jti, first.exp));
        assert!(Arc::ptr_eq(&first, &again), "shared, not copied");
        assert!(k.verified.get(&token, now).is_some());
        // Past its expiry (and the leeway) the remembered entry is not used, and the token
        // itself is refused.
        let expired = k
            .sign(&Claims {
                exp: now - 120,
                nbf: now - 900,
                iat: now - 900,
                ..claims(now)
            })
            .unwrap();
        let mut stale = Claims::clone(&first);
        stale.exp = now - 120;
        k.verified.insert(&expired, &Arc::new(stale), now);
        assert!(k.verified.get(&expired, now).is_none());
        assert!(matches!(k.verify(&expired), Err(TokenError::Invalid(_))));
        // Another string (a tampered signature) is verified afresh and refused.
        let dot = token.rfind('.').unwrap() + 1;
        let swapped = if token[dot..].starts_with('A') {
            "B"
        } else {
            "A"
        };
        let tampered = format!("{}{swapped}{}", &token[..dot], &token[dot + 1..]);
        assert!(k.verify(&tampered).is_err());
        // A copy of the key set shares the memory; another key set does not trust it.
        assert!(k.clone().verified.get(&token, now).is_some());
        assert!(matches!(keys().verify(&token), Err(TokenError::Invalid(_))));
    }

    #[test]
    fn verified_tokens_are_bounded() {
        let v = Verified::default();
        let now = chrono::Utc::now().timestamp();
        let c = Arc::new(claims(now));
        for i in 0..VERIFIED_CAPACITY + 5 {
            v.insert(&format!("t{i}"), &c, now);
        }
        assert!(v.0.lock().unwrap().len() <= VERIFIED_CAPACITY);
    }

    #[test]
    fn short_or_malformed_keys_are_refused() {
        assert!(KeySet::parse("k1:c2hvcnQ", "i", "a").is_err());
        assert!(KeySet::parse("nokid", "i", "a").is_err());
        assert!(KeySet::parse("", "i", "a").is_err());
        let s = random_token();
        assert!(KeySet::parse(&format!("a:{s},a:{s}"), "i", "a").is_err());
    }

    #[test]
    fn random_tokens_differ_and_hash_to_32_bytes() {
        assert_ne!(random_token(), random_token());
        assert_eq!(random_token().len(), 43);
        assert_eq!(hash_secret("x").len(), 32);
    }
}
