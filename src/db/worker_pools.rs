//! The requests' connections, kept apart from the background tasks'.
//!
//! diesel-async drives each connection's socket in a task spawned on the runtime that opened
//! it, and a statement on a connection driven by another thread costs two thread wake-ups
//! (the request's thread hands it to the driver's thread and waits to be woken with the
//! rows). The background tasks (housekeeping, webhook deliveries) run on the main thread:
//! when they shared the requests' pool, the connections they opened were driven by the main
//! thread ever after, for every request that took them. So the requests have a pool of their
//! own, whose connections are only ever opened by the HTTP workers.
//!
//! With `AGRUPA_DB_POOL_PER_WORKER`, each worker keeps its own share instead, so every
//! statement stays on the thread that runs it: more requests per second, but on a machine
//! whose cores the database shares, a worker that gets less of the CPU than the other has
//! nobody to share its load with, and the slowest requests wait longer (docs/BENCHMARKS.md,
//! measured both ways).

use std::{
    sync::{Arc, Mutex, PoisonError},
    time::Duration,
};

use super::{DbPool, build_pool};

/// The requests' pools of an instance: the one the workers share, or how to open one per
/// worker; and every one opened (for the metrics and for closing them at shutdown).
pub struct WorkerPools {
    url: String,
    per_worker: usize,
    timeout: Duration,
    shared: Option<DbPool>,
    opened: Mutex<Vec<DbPool>>,
}

/// The summed state of the workers' pools.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Status {
    /// Largest number of connections, all workers together.
    pub max_size: usize,
    /// Open connections.
    pub size: usize,
    /// Of them, idle.
    pub available: usize,
    /// Requests waiting for a connection.
    pub waiting: usize,
}

impl WorkerPools {
    /// `total` connections for `workers` workers: one pool they share, or with `per_worker`
    /// an equal share of them for each (rounded down, but at least one: with more workers
    /// than connections, one each). The per-worker settings are checked here, by building
    /// one pool, so that a worker's own never fails later.
    pub fn new(
        url: &str,
        total: usize,
        workers: usize,
        per_worker: bool,
        timeout: Duration,
    ) -> anyhow::Result<Arc<Self>> {
        let shared = if per_worker {
            drop(build_pool(url, (total / workers.max(1)).max(1), timeout)?);
            None
        } else {
            Some(build_pool(url, total, timeout)?)
        };
        Ok(Arc::new(Self {
            url: url.to_owned(),
            per_worker: (total / workers.max(1)).max(1),
            timeout,
            opened: Mutex::new(shared.iter().cloned().collect()),
            shared,
        }))
    }

    /// The pool for the calling worker: the shared one, or a new one of its own. Either way
    /// connections open lazily, on first use, on a worker's runtime.
    pub fn open(&self) -> anyhow::Result<DbPool> {
        if let Some(shared) = &self.shared {
            return Ok(shared.clone());
        }
        let pool = build_pool(&self.url, self.per_worker, self.timeout)?;
        self.opened
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(pool.clone());
        Ok(pool)
    }

    /// The requests' pools summed.
    pub fn status(&self) -> Status {
        let opened = self.opened.lock().unwrap_or_else(PoisonError::into_inner);
        opened.iter().fold(Status::default(), |s, pool| {
            let p = pool.status();
            Status {
                max_size: s.max_size + p.max_size,
                size: s.size + p.size,
                available: s.available + p.available,
                waiting: s.waiting + p.waiting,
            }
        })
    }

    /// Closes the requests' connections not handed out for `idle`, but each pool's `keep`
    /// most recently returned (see [`super::close_idle`]); returns how many it closed.
    pub fn close_idle(&self, idle: Duration, keep: usize) -> usize {
        self.opened
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .map(|pool| super::close_idle(pool, idle, keep))
            .sum()
    }

    /// Closes the requests' pools (at shutdown, after the server stopped).
    pub fn close(&self) {
        for pool in self
            .opened
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
        {
            pool.close();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const URL: &str = "postgres://nobody@127.0.0.1:1/none";
    const T: Duration = Duration::from_millis(10);

    fn per_worker(total: usize, workers: usize) -> usize {
        match WorkerPools::new(URL, total, workers, true, T) {
            Ok(p) => p.per_worker,
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn the_connections_are_shared_out_among_the_workers() {
        assert_eq!(per_worker(16, 2), 8);
        assert_eq!(per_worker(5, 2), 2);
        assert_eq!(per_worker(16, 3), 5);
        assert_eq!(per_worker(1, 4), 1);
        assert_eq!(per_worker(4, 0), 4);
    }

    #[tokio::test]
    async fn shared_by_default_one_pool_for_every_worker() {
        let Ok(pools) = WorkerPools::new(URL, 6, 2, false, T) else {
            panic!("pools");
        };
        assert_eq!(pools.status().max_size, 6);
        let (Ok(a), Ok(b)) = (pools.open(), pools.open()) else {
            panic!("open");
        };
        assert_eq!(pools.status().max_size, 6, "still one pool");
        pools.close();
        assert!(a.is_closed() && b.is_closed());
    }

    #[tokio::test]
    async fn per_worker_each_opens_its_share_and_the_status_sums_them() {
        let Ok(pools) = WorkerPools::new(URL, 6, 2, true, T) else {
            panic!("pools");
        };
        assert_eq!(pools.status(), Status::default());
        let (Ok(a), Ok(b)) = (pools.open(), pools.open()) else {
            panic!("open");
        };
        assert_eq!(pools.status().max_size, 6);
        assert_eq!(pools.status().size, 0, "nothing opened before use");
        pools.close();
        assert!(a.is_closed() && b.is_closed());
    }
}
