//! Password hashing: argon2id with one of OWASP's equivalent parameter sets (m = 7168 KiB,
//! t = 5, p = 1; the Password Storage Cheat Sheet lists it beside m = 19 MiB, t = 2 as giving
//! the same defence, trading memory for passes). We take the low-memory one because the
//! service's memory budget is small (64 MB through a burst of 1,000 sign-ins, issue 14): two
//! concurrent checks hold 14 MiB instead of 38 MiB, for about the same CPU time per check.
//! Hashes stored with other parameters still verify, and are replaced on the next successful
//! sign-in ([`Verified::YesRehashed`]).
//!
//! Hashing is deliberately slow (tens of milliseconds) and takes 7 MiB of memory per check,
//! so every hash and verification goes through [`hash`] / [`verify`] here, which bound both:
//!
//! - **One global semaphore** with one permit per core (`available_parallelism`): more checks
//!   at once would only share the same cores more slowly. A check that cannot start within
//!   the wait (`AGRUPA_PASSWORD_HASH_WAIT_MS`, 2 s) answers 503 with `Retry-After`, instead of
//!   queueing without end.
//! - **Reused memory**: each running check borrows a block from a pool of at most one per
//!   permit, allocated once and kept (argon2's `hash_password_into_with_memory`); a stored
//!   hash with a larger `m` grows the block it borrowed, and the pool keeps it grown, so the
//!   memory stays bounded by permits × the largest `m` in use. Without
//!   it, every check on a blocking thread allocated its own 19 MiB, and glibc's per-thread
//!   arenas kept them: 1,000 sign-ins from 16 clients took the process to 2.5 GB and left it
//!   there (`bench/signin_memory.sh`, docs/BENCHMARKS.md).
//!
//! The work itself runs in `spawn_blocking`, never on an async worker.

use std::{
    sync::{Mutex, OnceLock},
    time::Duration,
};

use argon2::{
    Algorithm, Argon2, Block, Params, Version,
    password_hash::phc::{Output, ParamsString, PasswordHash, Salt},
};
use tokio::sync::Semaphore;

use crate::error::ApiError;

/// Shortest accepted password.
pub const MIN_LENGTH: usize = 12;
/// Longest accepted password (bounds the hashing work one request can cause).
pub const MAX_LENGTH: usize = 1024;

const M_COST: u32 = 7_168;
const T_COST: u32 = 5;
const P_COST: u32 = 1;
/// The size of a pooled block, in argon2 blocks of 1 KiB (grown for a stored hash with a larger
/// `m`).
const POOLED_BLOCKS: usize = M_COST as usize;
/// The largest `m` (KiB) of a stored hash we check: four times OWASP's largest set (46 MiB), so
/// a corrupted or hostile row cannot make one check allocate gigabytes.
const MAX_M_COST: usize = 4 * 47_104;

fn params() -> Result<Params, argon2::Error> {
    Params::new(M_COST, T_COST, P_COST, None)
}

/// Bounds password hashing: permits for concurrent checks and the memory they reuse.
#[derive(Debug)]
pub struct Limiter {
    permits: Semaphore,
    wait: Duration,
    pool: Mutex<Vec<Vec<Block>>>,
}

impl Limiter {
    /// `permits` checks at once, each waiting at most `wait` to start.
    pub fn new(permits: usize, wait: Duration) -> Self {
        Self {
            permits: Semaphore::new(permits.max(1)),
            wait,
            pool: Mutex::new(Vec::new()),
        }
    }

    /// Runs `work` with a memory block of at least `blocks` blocks, on a blocking thread,
    /// once a permit is free; 503 when none frees up within the wait.
    async fn run<T: Send + 'static>(
        &'static self,
        blocks: usize,
        work: impl FnOnce(&mut [Block]) -> T + Send + 'static,
    ) -> Result<T, ApiError> {
        let permit = tokio::time::timeout(self.wait, self.permits.acquire())
            .await
            .map_err(|_| {
                tracing::warn!("password check refused: all hashing slots busy");
                ApiError::unavailable("Too many sign-ins at once; retry in a moment.")
                    .with_retry_after(1)
            })?
            .map_err(ApiError::internal)?;
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            let mut memory = self.take(blocks);
            let out = work(&mut memory[..blocks]);
            self.give_back(memory);
            out
        })
        .await
        .map_err(ApiError::internal)
    }

    /// A block of at least `blocks` (pooled, grown if needed, or new while the pool is empty).
    fn take(&self, blocks: usize) -> Vec<Block> {
        let pooled = self
            .pool
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .pop();
        let mut memory = pooled.unwrap_or_default();
        if memory.len() < blocks.max(POOLED_BLOCKS) {
            memory.resize(blocks.max(POOLED_BLOCKS), Block::default());
        }
        memory
    }

    fn give_back(&self, memory: Vec<Block>) {
        self.pool
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(memory);
    }

    /// Memory blocks allocated and kept for reuse (at most one per permit).
    pub fn pooled(&self) -> usize {
        self.pool
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .len()
    }
}

static LIMITER: OnceLock<Limiter> = OnceLock::new();

/// Sets how long a check waits for a free slot (`AGRUPA_PASSWORD_HASH_WAIT_MS`); the first
/// call wins, as there is one limiter per process (memory and cores are per process).
pub fn configure(wait: Duration) {
    let _ = LIMITER.set(Limiter::new(cores(), wait));
}

/// The process's limiter.
pub fn limiter() -> &'static Limiter {
    LIMITER.get_or_init(|| Limiter::new(cores(), Duration::from_secs(2)))
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(2, std::num::NonZero::get)
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

/// Hashes a password into a PHC string (random salt), within the process's bounds.
pub async fn hash(password: String) -> Result<String, ApiError> {
    limiter()
        .run(POOLED_BLOCKS, move |memory| hash_with(&password, memory))
        .await?
        .map_err(ApiError::internal)
}

/// Hashes with the given memory (at least `M_COST` blocks).
pub fn hash_with(password: &str, memory: &mut [Block]) -> anyhow::Result<String> {
    let params = params().map_err(|e| anyhow::anyhow!("argon2 params: {e}"))?;
    let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
    let salt = Salt::generate();
    let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
    argon
        .hash_password_into_with_memory(password.as_bytes(), salt.as_ref(), &mut out, memory)
        .map_err(|e| anyhow::anyhow!("argon2 hash: {e}"))?;
    let hash = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&params).map_err(|e| anyhow::anyhow!("argon2: {e}"))?,
        salt: Some(salt),
        hash: Some(Output::new(&out).map_err(|e| anyhow::anyhow!("argon2: {e}"))?),
    };
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

/// Checks `password` against a stored PHC hash within the process's bounds, and rehashes
/// when the parameters changed. 503 when no slot frees up in time.
pub async fn verify(password: String, stored: String) -> Result<Verified, ApiError> {
    let Some(blocks) = memory_for(&stored) else {
        tracing::warn!("stored password hash asks for more memory than allowed");
        return Ok(Verified::No);
    };
    limiter()
        .run(blocks, move |memory| {
            verify_with(&password, &stored, memory)
        })
        .await
}

/// The blocks checking against `stored` needs (at least a pooled block's), or `None` when its
/// `m` is beyond [`MAX_M_COST`]. An unreadable hash needs a pooled block (and fails).
fn memory_for(stored: &str) -> Option<usize> {
    let blocks = PasswordHash::new(stored)
        .ok()
        .and_then(|p| Params::try_from(&p).ok())
        .map_or(POOLED_BLOCKS, |p| p.block_count());
    (blocks <= MAX_M_COST).then_some(blocks.max(POOLED_BLOCKS))
}

/// Checks with the given memory (at least as many blocks as the stored hash's `m`).
pub fn verify_with(password: &str, stored: &str, memory: &mut [Block]) -> Verified {
    let Ok(parsed) = PasswordHash::new(stored) else {
        return Verified::No;
    };
    let (Some(salt), Some(expected)) = (&parsed.salt, &parsed.hash) else {
        return Verified::No;
    };
    let Ok(algorithm) = Algorithm::try_from(parsed.algorithm.as_str()) else {
        return Verified::No;
    };
    let version = match parsed.version.map(Version::try_from) {
        None => Version::default(),
        Some(Ok(v)) => v,
        Some(Err(_)) => return Verified::No,
    };
    let Ok(params) = Params::try_from(&parsed) else {
        return Verified::No;
    };
    let Ok(params) = Params::new(
        params.m_cost(),
        params.t_cost(),
        params.p_cost(),
        Some(expected.len()),
    ) else {
        return Verified::No;
    };
    let argon = Argon2::new(algorithm, version, params);
    let mut out = vec![0u8; expected.len()];
    if argon
        .hash_password_into_with_memory(password.as_bytes(), salt.as_ref(), &mut out, &mut *memory)
        .is_err()
    {
        return Verified::No;
    }
    // `Output`'s equality is constant-time.
    if Output::new(&out).ok().as_ref() != Some(expected) {
        return Verified::No;
    }
    if is_current(&parsed) {
        return Verified::Yes;
    }
    match hash_with(password, memory) {
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
pub async fn dummy_hash() -> Result<String, ApiError> {
    hash(super::tokens::random_token()).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use argon2::PasswordHasher;

    fn memory() -> Vec<Block> {
        vec![Block::default(); POOLED_BLOCKS]
    }

    #[test]
    fn hashes_use_owasp_parameters_and_verify() {
        let m = &mut memory();
        let h = hash_with("correct horse battery", m).unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=7168,t=5,p=1$"), "{h}");
        assert_eq!(verify_with("correct horse battery", &h, m), Verified::Yes);
        assert_eq!(verify_with("wrong horse battery", &h, m), Verified::No);
        assert_eq!(verify_with("x", "not a hash", m), Verified::No);
        // Hashes made by the argon2 crate's own API (as stored so far) still verify.
        let theirs = Argon2::new(Algorithm::Argon2id, Version::V0x13, params().unwrap())
            .hash_password(b"correct horse battery")
            .unwrap()
            .to_string();
        assert_eq!(
            verify_with("correct horse battery", &theirs, m),
            Verified::Yes
        );
    }

    #[tokio::test]
    async fn checks_beyond_the_permits_wait_then_get_503_and_memory_is_reused() {
        let limiter: &'static Limiter =
            Box::leak(Box::new(Limiter::new(1, Duration::from_millis(50))));
        let (started, release) = std::sync::mpsc::channel::<()>();
        let (hold, held) = std::sync::mpsc::channel::<()>();
        let first = tokio::spawn(limiter.run(10, move |_| {
            started.send(()).unwrap();
            held.recv().unwrap();
        }));
        tokio::task::spawn_blocking(move || release.recv().unwrap())
            .await
            .unwrap();
        let refused = limiter.run(10, |_| ()).await.unwrap_err();
        assert_eq!(refused.code(), "service_unavailable");
        hold.send(()).unwrap();
        first.await.unwrap().unwrap();
        for _ in 0..3 {
            limiter.run(10, |_| ()).await.unwrap();
        }
        assert_eq!(limiter.pooled(), 1, "one block per permit, reused");
    }

    #[test]
    fn hashes_with_other_parameters_are_upgraded_on_login() {
        // The parameters stored before issue 14 (m = 19 MiB, t = 2) and a weaker set.
        for (m, t) in [(19_456, 2), (4_096, 1)] {
            let old = Argon2::new(
                Algorithm::Argon2id,
                Version::V0x13,
                Params::new(m, t, 1, None).unwrap(),
            )
            .hash_password(b"correct horse battery")
            .unwrap()
            .to_string();
            let mut memory = vec![Block::default(); (m as usize).max(POOLED_BLOCKS)];
            match verify_with("correct horse battery", &old, &mut memory) {
                Verified::YesRehashed(new) => assert!(new.contains("m=7168,t=5,p=1"), "{new}"),
                other => panic!("expected a rehash of m={m}, got {other:?}"),
            }
            assert_eq!(
                verify_with("wrong horse battery", &old, &mut memory),
                Verified::No
            );
        }
    }

    #[tokio::test]
    async fn a_larger_stored_hash_grows_the_pooled_block_once() {
        let limiter: &'static Limiter =
            Box::leak(Box::new(Limiter::new(1, Duration::from_secs(5))));
        let sizes = std::sync::Arc::new(Mutex::new(Vec::new()));
        for blocks in [POOLED_BLOCKS, 19_456, POOLED_BLOCKS, 19_456] {
            let sizes = sizes.clone();
            limiter
                .run(blocks, move |memory| {
                    sizes.lock().unwrap().push(memory.len())
                })
                .await
                .unwrap();
        }
        assert_eq!(
            *sizes.lock().unwrap(),
            [POOLED_BLOCKS, 19_456, POOLED_BLOCKS, 19_456]
        );
        assert_eq!(limiter.pooled(), 1);
        let kept = limiter.pool.lock().unwrap()[0].len();
        assert_eq!(
            kept, 19_456,
            "the grown block is kept, not reallocated per check"
        );
    }

    #[tokio::test]
    async fn a_stored_hash_asking_for_gigabytes_is_refused_without_allocating() {
        let small = Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(4_096, 1, 1, None).unwrap(),
        )
        .hash_password(b"correct horse battery")
        .unwrap()
        .to_string();
        assert_eq!(memory_for(&small), Some(POOLED_BLOCKS));
        let old = small.replace("m=4096", "m=19456");
        assert_eq!(memory_for(&old), Some(19_456));
        let huge = small.replace("m=4096", "m=4194304"); // 4 GiB
        assert_eq!(memory_for(&huge), None);
        let outcome = verify("correct horse battery".into(), huge).await.unwrap();
        assert_eq!(outcome, Verified::No);
    }

    #[test]
    fn the_policy_counts_characters_not_bytes() {
        assert!(check_policy("ñññññññññññ").is_err()); // 11 characters
        assert!(check_policy("ñññññññññññn").is_ok());
        assert!(check_policy(&"a".repeat(MAX_LENGTH + 1)).is_err());
    }
}
