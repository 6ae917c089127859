//! Logging setup: human-readable lines by default, one JSON object per line with
//! `AGRUPA_LOG_FORMAT=json`. Never log passwords, tokens or personal data.
//!
//! Lines are written to standard output by a thread of their own, not by the thread that logs
//! them: writing each access line from an actix worker took the process-wide lock of standard
//! output and made a `write(2)` per request there, so a slow reader of the output (a pipe to a
//! container runtime or journald) stalled the workers, and the two workers queued on the lock.
//! Now a worker formats its line and queues it; the writer thread writes what is queued in
//! one go. Nothing is dropped: when [`QUEUE_LINES`] lines wait, a worker that logs waits for
//! room (the old behaviour, after that much slack), and the [`LogGuard`] that `main` holds
//! writes out every queued line when the process ends (after the server has stopped), and
//! lines logged after that are written directly.

use std::{
    io::{self, BufWriter, Write},
    sync::{Arc, Mutex, PoisonError, RwLock, mpsc},
    thread::JoinHandle,
};

use tracing_subscriber::{EnvFilter, fmt, fmt::MakeWriter};

use crate::config::LogFormat;

/// Lines queued for the writer thread at most (a few hundred bytes each): past that, a
/// thread that logs waits for room rather than drop a line.
pub const QUEUE_LINES: usize = 4096;

/// How long the writer thread lets lines gather after the first before it writes them (at
/// most this much later than logged; a full queue still makes loggers wait, losing nothing).
const GATHER: std::time::Duration = std::time::Duration::from_millis(20);

/// Installs the global subscriber, writing through a thread of its own (a second call does
/// nothing, which tests rely on). Keep the guard until the process ends: dropping it writes
/// out the queued lines.
pub fn init(format: LogFormat, filter: &str) -> LogGuard {
    let filter = EnvFilter::try_new(filter).unwrap_or_else(|_| EnvFilter::new("info"));
    let (writer, guard) = non_blocking(Box::new(io::stdout()));
    let result = match format {
        LogFormat::Pretty => fmt()
            .with_env_filter(filter)
            .with_target(true)
            .with_writer(writer)
            .try_init(),
        LogFormat::Json => fmt()
            .json()
            .with_env_filter(filter)
            .with_current_span(true)
            .with_span_list(false)
            .flatten_event(true)
            .with_writer(writer)
            .try_init(),
    };
    // Already installed (tests build several applications in one process): the guard then
    // ends a writer thread that nothing uses.
    drop(result);
    guard
}

/// What the loggers and the writer thread share.
struct Shared {
    /// The queue to the writer thread; `None` once the guard closed it.
    queue: RwLock<Option<mpsc::SyncSender<Vec<u8>>>>,
    /// The output: written by the writer thread, and directly once the queue is closed.
    out: Mutex<BufWriter<Box<dyn Write + Send>>>,
}

impl Shared {
    fn write_now(&self, line: &[u8]) {
        let mut out = self.out.lock().unwrap_or_else(PoisonError::into_inner);
        // A log line that cannot be written has nowhere else to go.
        let _ = out.write_all(line).and_then(|()| out.flush());
    }
}

/// A [`MakeWriter`] that queues each line for the writer thread.
#[derive(Clone)]
pub struct NonBlocking(Arc<Shared>);

/// Writes the lines queued to `out` on a thread of its own; see the module's documentation.
pub fn non_blocking(out: Box<dyn Write + Send>) -> (NonBlocking, LogGuard) {
    let (sender, receiver) = mpsc::sync_channel::<Vec<u8>>(QUEUE_LINES);
    let shared = Arc::new(Shared {
        queue: RwLock::new(Some(sender)),
        out: Mutex::new(BufWriter::with_capacity(64 * 1024, out)),
    });
    let writer = shared.clone();
    let thread = std::thread::Builder::new()
        .name("agrupa-log".into())
        .spawn(move || {
            // Ends once the guard dropped the only sender and every queued line is written.
            while let Ok(line) = receiver.recv() {
                // Let the lines of the next moment gather before writing: woken for every
                // line, this thread cost each request a wake-up and a write(2) on 2 cores.
                // Loggers do not wake a thread that sleeps rather than waits on the queue.
                std::thread::sleep(GATHER);
                let mut out = writer.out.lock().unwrap_or_else(PoisonError::into_inner);
                let _ = out.write_all(&line);
                // What else is queued goes out in the same write(2).
                while let Ok(line) = receiver.try_recv() {
                    let _ = out.write_all(&line);
                }
                let _ = out.flush();
            }
        });
    match thread {
        Ok(thread) => (
            NonBlocking(shared.clone()),
            LogGuard {
                shared,
                thread: Some(thread),
            },
        ),
        // No thread (the system refused one): write directly, as before.
        Err(_) => {
            shared
                .queue
                .write()
                .unwrap_or_else(PoisonError::into_inner)
                .take();
            (
                NonBlocking(shared.clone()),
                LogGuard {
                    shared,
                    thread: None,
                },
            )
        }
    }
}

impl<'a> MakeWriter<'a> for NonBlocking {
    type Writer = Line<'a>;

    fn make_writer(&'a self) -> Self::Writer {
        Line {
            shared: &self.0,
            buf: Vec::new(),
        }
    }
}

/// One log line (the formatter writes it whole, then drops the writer): queued when dropped.
pub struct Line<'a> {
    shared: &'a Shared,
    buf: Vec<u8>,
}

impl Write for Line<'_> {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Drop for Line<'_> {
    fn drop(&mut self) {
        if self.buf.is_empty() {
            return;
        }
        let line = std::mem::take(&mut self.buf);
        let unsent = {
            // Held while sending, so the guard cannot close the queue under a line in flight.
            let queue = self
                .shared
                .queue
                .read()
                .unwrap_or_else(PoisonError::into_inner);
            match queue.as_ref() {
                // Waits for room when the queue is full: no line is dropped.
                Some(sender) => sender.send(line).err().map(|e| e.0),
                None => Some(line),
            }
        };
        if let Some(line) = unsent {
            self.shared.write_now(&line);
        }
    }
}

/// Keeps the writer thread; dropping it writes out every queued line (it waits for them)
/// and makes later lines be written directly.
#[must_use = "dropping the guard stops the log writer thread"]
pub struct LogGuard {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl Drop for LogGuard {
    fn drop(&mut self) {
        // Dropping the only sender: the thread writes what is queued, then ends.
        drop(
            self.shared
                .queue
                .write()
                .unwrap_or_else(PoisonError::into_inner)
                .take(),
        );
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An output that writes slowly (a reader that keeps up badly) into a shared buffer.
    #[derive(Clone, Default)]
    struct Slow(Arc<Mutex<Vec<u8>>>);

    impl Write for Slow {
        fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
            std::thread::sleep(std::time::Duration::from_micros(200));
            self.0
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .extend_from_slice(bytes);
            Ok(bytes.len())
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    fn log(writer: &NonBlocking, line: &str) {
        let mut w = writer.make_writer();
        w.write_all(line.as_bytes()).unwrap();
    }

    #[test]
    fn dropping_the_guard_writes_every_queued_line_in_order_per_thread() {
        let out = Slow::default();
        // 8 threads × 2,000 lines: more than the queue holds, so loggers also wait for room.
        let (writer, guard) = non_blocking(Box::new(BufWriter::with_capacity(64, out.clone())));
        let threads: Vec<_> = (0..8)
            .map(|t| {
                let writer = writer.clone();
                std::thread::spawn(move || {
                    for i in 0..2_000 {
                        log(&writer, &format!("{t} {i}\n"));
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        drop(guard);
        let text = String::from_utf8(out.0.lock().unwrap().clone()).unwrap();
        let mut next = [0; 8];
        for line in text.lines() {
            let (t, i) = line.split_once(' ').unwrap();
            let t: usize = t.parse().unwrap();
            assert_eq!(
                i.parse::<usize>().unwrap(),
                next[t],
                "thread {t} out of order"
            );
            next[t] += 1;
        }
        assert_eq!(next, [2_000; 8]);
    }

    #[test]
    fn lines_logged_after_the_guard_is_dropped_are_written_directly() {
        let out = Slow::default();
        let (writer, guard) = non_blocking(Box::new(out.clone()));
        log(&writer, "before\n");
        drop(guard);
        log(&writer, "after\n");
        assert_eq!(&*out.0.lock().unwrap(), b"before\nafter\n");
    }
}
