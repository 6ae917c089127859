//! Cursor pagination: `limit` (1–100, default 25) and an opaque, signed `cursor`.
//!
//! A cursor carries the sort key of the last item of a page, the resource and the sort it
//! belongs to, signed with an HMAC. A forged, truncated or foreign cursor (another
//! resource or another sort) is a 400, never a 500. Queries are keyset queries: the next
//! page starts after the cursor's key, never at an OFFSET.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use hmac::{KeyInit, Mac};
use serde::{Deserialize, Serialize, de::DeserializeOwned};
use sha2::Sha256;
use utoipa::{IntoParams, ToSchema};

use crate::error::{ApiError, FieldError};

/// Default page size.
pub const DEFAULT_LIMIT: i64 = 25;
/// Largest page size.
pub const MAX_LIMIT: i64 = 100;

/// The paging parameters of a list without filters of its own (`limit`, `cursor`); lists
/// with filters repeat these two fields in their own query type.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Page size (1–100, default 25).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    /// Cursor from the previous page.
    #[param(max_length = 1000)]
    pub cursor: Option<String>,
}

/// A page of results.
#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T> {
    /// The items of this page.
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// Signs and checks cursors.
#[derive(Clone)]
pub struct CursorCodec {
    key: Vec<u8>,
}

impl std::fmt::Debug for CursorCodec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CursorCodec")
    }
}

#[derive(Serialize, Deserialize)]
struct Envelope<K> {
    /// Resource.
    r: String,
    /// Sort.
    s: String,
    /// Key of the last item.
    k: K,
}

fn bad_cursor() -> ApiError {
    ApiError::bad_request(
        "invalid_cursor",
        "The cursor is invalid, expired or belongs to another list.",
    )
    .with_errors(vec![FieldError::new(
        "cursor",
        "invalid",
        "not a cursor of this list",
    )])
}

impl CursorCodec {
    /// A codec with its HMAC key.
    pub fn new(key: Vec<u8>) -> Self {
        Self { key }
    }

    fn mac(&self, payload: &[u8]) -> Vec<u8> {
        match hmac::Hmac::<Sha256>::new_from_slice(&self.key) {
            Ok(mut mac) => {
                mac.update(payload);
                mac.finalize().into_bytes()[..16].to_vec()
            }
            Err(_) => Vec::new(),
        }
    }

    /// Encodes the key of the last item of a page.
    pub fn encode<K: Serialize>(&self, resource: &str, sort: &str, key: &K) -> String {
        let payload = serde_json::to_vec(&Envelope {
            r: resource.to_owned(),
            s: sort.to_owned(),
            k: key,
        })
        .unwrap_or_default();
        format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(&payload),
            URL_SAFE_NO_PAD.encode(self.mac(&payload))
        )
    }

    /// Decodes a cursor of `resource` sorted by `sort`.
    pub fn decode<K: DeserializeOwned>(
        &self,
        resource: &str,
        sort: &str,
        cursor: &str,
    ) -> Result<K, ApiError> {
        let (payload, mac) = cursor.split_once('.').ok_or_else(bad_cursor)?;
        let payload = URL_SAFE_NO_PAD.decode(payload).map_err(|_| bad_cursor())?;
        let mac = URL_SAFE_NO_PAD.decode(mac).map_err(|_| bad_cursor())?;
        let expected = self.mac(&payload);
        if expected.is_empty()
            || !bool::from(subtle::ConstantTimeEq::ct_eq(
                expected.as_slice(),
                mac.as_slice(),
            ))
        {
            return Err(bad_cursor());
        }
        let envelope: Envelope<K> = serde_json::from_slice(&payload).map_err(|_| bad_cursor())?;
        if envelope.r != resource || envelope.s != sort {
            return Err(bad_cursor());
        }
        Ok(envelope.k)
    }
}

/// Checks `limit` (1–100, default 25).
pub fn limit(raw: Option<i64>) -> Result<i64, ApiError> {
    match raw {
        None => Ok(DEFAULT_LIMIT),
        Some(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
        Some(_) => Err(ApiError::bad_request(
            "invalid_limit",
            format!("`limit` must be between 1 and {MAX_LIMIT}."),
        )
        .with_errors(vec![FieldError::new(
            "limit",
            "out_of_range",
            format!("1..={MAX_LIMIT}"),
        )])),
    }
}

/// Builds a page from `limit + 1` fetched rows: the extra row only says there is more.
pub fn page<R, T, K: Serialize>(
    codec: &CursorCodec,
    resource: &str,
    sort: &str,
    mut rows: Vec<R>,
    limit: i64,
    key_of: impl Fn(&R) -> K,
    to_item: impl Fn(R) -> T,
) -> Page<T> {
    let limit = usize::try_from(limit).unwrap_or(0);
    let more = rows.len() > limit;
    rows.truncate(limit);
    let next_cursor = if more {
        rows.last()
            .map(|last| codec.encode(resource, sort, &key_of(last)))
    } else {
        None
    };
    Page {
        items: rows.into_iter().map(to_item).collect(),
        next_cursor,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_resist_tampering() {
        let codec = CursorCodec::new(b"0123456789abcdef0123456789abcdef".to_vec());
        let c = codec.encode("users", "email", &("ana@x.es".to_owned(), 7));
        let back: (String, i32) = codec.decode("users", "email", &c).unwrap();
        assert_eq!(back, ("ana@x.es".to_owned(), 7));
        // Foreign resource or sort.
        assert!(
            codec
                .decode::<(String, i32)>("members", "email", &c)
                .is_err()
        );
        assert!(
            codec
                .decode::<(String, i32)>("users", "-email", &c)
                .is_err()
        );
        // Tampered payload.
        let (p, m) = c.split_once('.').unwrap();
        let mut bytes = URL_SAFE_NO_PAD.decode(p).unwrap();
        bytes[10] ^= 1;
        let forged = format!("{}.{m}", URL_SAFE_NO_PAD.encode(bytes));
        assert!(
            codec
                .decode::<(String, i32)>("users", "email", &forged)
                .is_err()
        );
        // Another key.
        let other = CursorCodec::new(b"another key, another key, anoth".to_vec());
        assert!(other.decode::<(String, i32)>("users", "email", &c).is_err());
        for junk in ["", ".", "abc", "a.b", "💥.💥"] {
            assert!(
                codec
                    .decode::<(String, i32)>("users", "email", junk)
                    .is_err()
            );
        }
    }

    #[test]
    fn limits_are_checked() {
        assert_eq!(limit(None).unwrap(), 25);
        assert_eq!(limit(Some(100)).unwrap(), 100);
        assert!(limit(Some(0)).is_err());
        assert!(limit(Some(101)).is_err());
    }
}
