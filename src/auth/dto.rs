//! Request and response bodies of the OAuth endpoints.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A token request (RFC 6749 §4.3, §4.4, §6). Sent form-encoded (the OAuth way) or as JSON.
/// Unknown parameters are ignored, as RFC 6749 §3.2 requires.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct TokenRequest {
    /// `password`, `client_credentials` or `refresh_token`.
    #[schema(example = "password")]
    pub grant_type: String,
    /// `password` grant: the user's e-mail.
    #[schema(example = "admin@agrupa.local")]
    pub username: Option<String>,
    /// `password` grant: the password.
    pub password: Option<String>,
    /// `refresh_token` grant: the refresh token.
    pub refresh_token: Option<String>,
    /// `client_credentials` grant (when not sent with HTTP Basic): the client id.
    pub client_id: Option<String>,
    /// `client_credentials` grant (when not sent with HTTP Basic): the client secret.
    pub client_secret: Option<String>,
    /// Space-separated scopes to narrow the token to (default: all the caller may hold).
    pub scope: Option<String>,
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
    #[schema(min_length = 1)]
    pub token: String,
    /// `access_token` or `refresh_token` (a hint; both kinds are recognised anyway).
    pub token_type_hint: Option<String>,
}
