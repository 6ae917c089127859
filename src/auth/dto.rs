//! Request and response bodies of the OAuth endpoints.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A token request (RFC 6749 §4.3, §4.4, §6). Sent form-encoded (the OAuth way) or as JSON.
/// Unknown parameters are ignored, as RFC 6749 §3.2 requires.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct TokenRequest {
    /// `password`, `client_credentials` or `refresh_token`.
    #[schema(example = "password", max_length = 64)]
    pub grant_type: String,
    /// `password` grant: the user's e-mail.
    #[schema(example = "admin@agrupa.local", max_length = 254)]
    pub username: Option<String>,
    /// `password` grant: the password.
    #[schema(max_length = 1024)]
    pub password: Option<String>,
    /// `refresh_token` grant: the refresh token.
    #[schema(max_length = 512)]
    pub refresh_token: Option<String>,
    /// `client_credentials` grant (when not sent with HTTP Basic): the client id.
    #[schema(max_length = 512)]
    pub client_id: Option<String>,
    /// `client_credentials` grant (when not sent with HTTP Basic): the client secret.
    #[schema(max_length = 512)]
    pub client_secret: Option<String>,
    /// Space-separated scopes to narrow the token to (default: all the caller may hold).
    #[schema(max_length = 2000)]
    pub scope: Option<String>,
}

impl TokenRequest {
    /// The first parameter longer than the OpenAPI document allows, with its limit.
    pub fn too_long(&self) -> Option<(&'static str, usize)> {
        first_too_long([
            ("grant_type", Some(&self.grant_type), 64),
            ("username", self.username.as_ref(), 254),
            ("password", self.password.as_ref(), 1024),
            ("refresh_token", self.refresh_token.as_ref(), 512),
            ("client_id", self.client_id.as_ref(), 512),
            ("client_secret", self.client_secret.as_ref(), 512),
            ("scope", self.scope.as_ref(), 2000),
        ])
    }
}

/// A successful token response (RFC 6749 §5.1).
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenResponse {
    /// The JWT to send as `Authorization: Bearer …`.
    pub access_token: String,
    /// Always `Bearer`.
    #[schema(example = "Bearer")]
    pub token_type: &'static str,
    /// Seconds until the access token expires.
    #[schema(example = 900)]
    pub expires_in: u64,
    /// Single-use refresh token (not issued for `client_credentials`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    /// The granted scopes, space-separated.
    pub scope: String,
}

/// A revocation request (RFC 7009 §2.1).
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct RevokeRequest {
    /// The access or refresh token to revoke.
    #[schema(min_length = 1, max_length = 4096)]
    pub token: String,
    /// `access_token` or `refresh_token` (a hint; both kinds are recognised anyway).
    #[schema(max_length = 64)]
    pub token_type_hint: Option<String>,
}

impl RevokeRequest {
    /// The first parameter longer than the OpenAPI document allows, with its limit.
    pub fn too_long(&self) -> Option<(&'static str, usize)> {
        first_too_long([
            ("token", Some(&self.token), 4096),
            ("token_type_hint", self.token_type_hint.as_ref(), 64),
        ])
    }
}

/// The first `(name, value, max)` whose value has more than `max` characters.
fn first_too_long<const N: usize>(
    fields: [(&'static str, Option<&String>, usize); N],
) -> Option<(&'static str, usize)> {
    fields
        .into_iter()
        .find(|(_, value, max)| value.is_some_and(|v| v.chars().count() > *max))
        .map(|(name, _, max)| (name, max))
}
