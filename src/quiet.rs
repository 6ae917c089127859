//! What the server does when it goes quiet: it gives back the memory its work freed, and
//! closes the database connections nobody uses.

use std::sync::Arc;

use crate::{db, db::DbPool, http};

/// Gives freed heap back to the system (`malloc_trim`): after start-up (building the OpenAPI
/// document takes a tree of structs many times the size of its JSON, which is kept only
/// serialised) and when the server goes quiet after work. glibc keeps freed heap pages for
/// reuse unless asked, so the idle process carried them. Measured with
/// `bench/signin_memory.sh` and `bench/memory.sh` (docs/BENCHMARKS.md).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[expect(unsafe_code, reason = "malloc_trim(3) has no safe wrapper")]
pub fn release_freed_memory() {
    // SAFETY: malloc_trim only returns free pages to the kernel; it takes no pointers.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Makes glibc give every block of 128 KiB or more a mapping of its own, returned to the
/// system when freed, unless `MALLOC_MMAP_THRESHOLD_` says otherwise. By default glibc raises
/// that threshold each time it frees such a block (up to 32 MiB), after which a report's
/// or a PDF's megabyte buffers are carved from the workers' heaps and leave them fragmented:
/// `bench/memory.sh` measured 4 MiB less at every phase with the threshold fixed (idle after
/// the reports 60.3 against 64.4 MiB; docs/BENCHMARKS.md). Call it before the workers start.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[expect(unsafe_code, reason = "mallopt(3) has no safe wrapper")]
pub fn map_large_blocks() {
    if std::env::var_os("MALLOC_MMAP_THRESHOLD_").is_some() {
        return;
    }
    // SAFETY: mallopt only changes the allocator's tuning; it takes no pointers.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 128 * 1024);
    }
}

/// Nothing to do where the allocator is not glibc's.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn map_large_blocks() {}

/// Nothing to do where the allocator is not glibc's.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn release_freed_memory() {}

/// How long the server must have been quiet before it gives freed memory back.
const QUIET: std::time::Duration = std::time::Duration::from_secs(2);

/// How many unused connections each pool keeps open past `AGRUPA_DB_IDLE_TIMEOUT_SECS`.
const KEEP_IDLE: usize = 1;

/// The connections [`release_memory_when_quiet`] looks after: the requests' and the
/// background tasks'.
pub struct Connections {
    /// The requests' pools.
    pub requests: Arc<db::worker_pools::WorkerPools>,
    /// The background tasks' pool.
    pub background: DbPool,
    /// `AGRUPA_DB_IDLE_TIMEOUT_SECS`.
    pub idle: std::time::Duration,
}

/// Gives freed memory back to the system once the server goes quiet after work. A request
/// that reads much (a report over every member of a large register) frees what it read when
/// it ends, but glibc keeps the pages in the arena of the worker thread that used them, so
/// the idle process stayed at its busiest (docs/BENCHMARKS.md). When a whole [`QUIET`]
/// interval passed with no request finished and none running, after some had finished, the
/// server trims once; under steady load, or idle, it does not trim.
///
/// The connections' buffers are only given back when a connection closes, so every
/// interval it also closes the connections not handed out for `AGRUPA_DB_IDLE_TIMEOUT_SECS`
/// (each pool keeps [`KEEP_IDLE`]; a scan of the pools' idle queues under their locks), and
/// trims again at the next quiet interval after it closed some.
pub async fn release_memory_when_quiet(
    metrics: Arc<http::metrics::Metrics>,
    connections: Connections,
) {
    let mut seen = metrics.activity().0;
    let mut worked = false;
    let mut ticks = tokio::time::interval(QUIET);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        let closed = connections.requests.close_idle(connections.idle, KEEP_IDLE)
            + db::close_idle(&connections.background, connections.idle, KEEP_IDLE);
        if closed > 0 {
            tracing::debug!(closed, "idle database connections closed");
            // Their buffers are freed by their drivers, on the workers: trim next interval.
            worked = true;
        }
        let (finished, busy) = metrics.activity();
        if finished != seen || busy {
            seen = finished;
            worked = true;
        } else if worked && closed == 0 {
            worked = false;
            // malloc_trim walks every arena: off the async workers.
            let _ = tokio::task::spawn_blocking(release_freed_memory).await;
        }
    }
}
