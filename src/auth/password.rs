//! Password hashing: argon2id with OWASP's parameters (m = 19456 KiB, t = 2, p = 1).
//!
//! Hashing is deliberately slow (tens of milliseconds), so callers run these functions
//! inside `spawn_blocking`, never on an async worker.

use argon2::{Algorithm, Argon2, Params, PasswordHash, PasswordHasher, PasswordVerifier, Version};

/// Shortest accepted password.
pub const MIN_LENGTH: usize = 12;
/// Longest accepted password (bounds the hashing work one request can cause).
pub const MAX_LENGTH: usize = 1024;

const M_COST: u32 = 19_456;
const T_COST: u32 = 2;
const P_COST: u32 = 1;

fn hasher() -> Result<Argon2<'static>, argon2::Error> {
    Ok(Argon2::new(
        Algorithm::Argon2id,
        Version::V0x13,
        Params::new(M_COST, T_COST, P_COST, None)?,
    ))
}

/// Checks the length rules; the message is meant for the client.
pub fn check_policy(password: &str) -> Result<(), String> {
    let chars = password.chars().count();
    if chars < MIN_LENGTH {
        return Err(format!("must be at least {MIN_LENGTH} characters long"));
    }
    if chars > MAX_LENGTH {
        return Err(format!("must be at most {MAX_LENGTH} characters long"));
    }
    Ok(())
}

/// Hashes a password into a PHC string (random salt).
pub fn hash(password: &str) -> anyhow::Result<String> {
    let hash = hasher()
        .map_err(|e| anyhow::anyhow!("argon2 params: {e}"))?
        .hash_password(password.as_bytes())
        .map_err(|e| anyhow::anyhow!("argon2 hash: {e}"))?;
    Ok(hash.to_string())
}

/// The outcome of checking a password.
#[derive(Debug, PartialEq, Eq)]
pub enum Verified {
    /// Wrong password (or an unreadable stored hash).
    No,
    /// Right password, stored hash is current.
    Yes,
    /// Right password, but the stored hash uses other parameters: store this new hash.
    YesRehashed(String),
}

/// Checks `password` against a stored PHC hash, and rehashes when the parameters changed.
pub fn verify(password: &str, stored: &str) -> Verified {
    let Ok(parsed) = PasswordHash::new(stored) else {
        return Verified::No;
    };
    let Ok(argon) = hasher() else {
        return Verified::No;
    };
    if argon.verify_password(password.as_bytes(), &parsed).is_err() {
        return Verified::No;
    }
    if is_current(&parsed) {
        return Verified::Yes;
    }
    match hash(password) {
        Ok(new) => Verified::YesRehashed(new),
        Err(_) => Verified::Yes,
    }
}

fn is_current(parsed: &PasswordHash) -> bool {
    let same_alg = parsed.algorithm.as_str() == "argon2id";
    let same_params = Params::try_from(parsed)
        .map(|p| p.m_cost() == M_COST && p.t_cost() == T_COST && p.p_cost() == P_COST)
        .unwrap_or(false);
    same_alg && same_params
}

/// A hash of a random password, verified against when the account does not exist, so an
/// unknown e-mail costs the same time as a wrong password.
pub fn dummy_hash() -> String {
    hash(&super::tokens::random_token()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_use_owasp_parameters_and_verify() {
        let h = hash("correct horse battery").unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert_eq!(verify("correct horse battery", &h), Verified::Yes);
        assert_eq!(verify("wrong horse battery", &h), Verified::No);
        assert_eq!(verify("x", "not a hash"), Verified::No);
    }

    #[test]
    fn weaker_hashes_are_upgraded_on_login() {
        let weak = Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(8192, 1, 1, None).unwrap(),
        )
        .hash_password(b"correct horse battery")
        .unwrap()
        .to_string();
        match verify("correct horse battery", &weak) {
            Verified::YesRehashed(new) => assert!(new.contains("m=19456,t=2,p=1")),
            other => panic!("expected a rehash, got {other:?}"),
        }
    }

    #[test]
    fn the_policy_counts_characters_not_bytes() {
        assert!(check_policy("ñññññññññññ").is_err()); // 11 characters
        assert!(check_policy("ñññññññññññn").is_ok());
        assert!(check_policy(&"a".repeat(MAX_LENGTH + 1)).is_err());
    }
}
