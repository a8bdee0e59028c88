//! The report's way to standard output. A thread of its own writes it, so a reader that stalls
//! (a stuck pager, a pipe nobody drains) blocks only that thread: the run goes on seeing
//! signals and stops within a second. Reports are gathered into chunks (one write per chunk,
//! not per name) that go out when large, when a fraction of a second old, or at once when
//! stdout is a terminal; a bounded queue between the run and the thread keeps memory flat.
//!
//! When stdout and the progress line share a terminal, each chunk is written with the progress
//! line lifted (indicatif's `suspend`), so the two never interleave.

use std::io::{self, Write};
use std::time::Duration;

use indicatif::ProgressBar;
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

/// A chunk goes out once it holds this much (a JSON report is about 1.5 KB).
const CHUNK: usize = 64 * 1024;
/// Buffered reports reach the reader at least this often.
const FLUSH_EVERY: Duration = Duration::from_millis(200);
/// Chunks queued for the thread at most; then the run waits (and stops taking new results).
const QUEUED_CHUNKS: usize = 4;

/// The run's end of the writer thread.
pub struct ReportWriter {
    chunks: mpsc::Sender<Vec<u8>>,
    /// What the thread said when it stopped: its write error, if any.
    ended: oneshot::Receiver<io::Result<()>>,
    pending: Vec<u8>,
    /// When the oldest pending report was added.
    pending_since: Option<Instant>,
    /// Stdout is a terminal: every report goes out at once.
    immediate: bool,
}

/// Why the report could not be written.
#[derive(Debug)]
pub struct WriteFailure(pub io::Error);

impl ReportWriter {
    /// Starts the thread. `lift` is the progress line to lift while writing, when it shares
    /// stdout's terminal.
    pub fn start(immediate: bool, lift: Option<ProgressBar>) -> ReportWriter {
        let (chunks, mut queued) = mpsc::channel::<Vec<u8>>(QUEUED_CHUNKS);
        let (report_end, ended) = oneshot::channel();
        std::thread::spawn(move || {
            let mut stdout = io::stdout().lock();
            let mut result = Ok(());
            while let Some(chunk) = queued.blocking_recv() {
                let mut write = || stdout.write_all(&chunk).and_then(|()| stdout.flush());
                result = match &lift {
                    Some(bar) => bar.suspend(write),
                    None => write(),
                };
                if result.is_err() {
                    break;
                }
            }
            // Closed before the result is sent, so a waiting sender learns of it at once.
            drop(queued);
            let _ = report_end.send(result);
        });
        ReportWriter {
            chunks,
            ended,
            pending: Vec::with_capacity(CHUNK),
            pending_since: None,
            immediate,
        }
    }

    /// Adds one report and its newline to the pending chunk; writes nothing yet.
    pub fn push(&mut self, report: &str) {
        self.pending.extend_from_slice(report.as_bytes());
        self.pending.push(b'\n');
        self.pending_since.get_or_insert_with(Instant::now);
    }

    /// Whether enough is pending that the run should wait for the writer before taking more.
    pub fn backlogged(&self) -> bool {
        self.pending.len() >= CHUNK
    }

    /// When the pending chunk should go: now if it is full or stdout is a terminal, else when
    /// its oldest report has waited long enough; none when nothing is pending.
    pub fn due(&self) -> Option<Instant> {
        let since = self.pending_since?;
        Some(if self.immediate || self.backlogged() {
            since
        } else {
            since + FLUSH_EVERY
        })
    }

    /// Waits until the pending chunk is due and the thread has room for it, then hands it over.
    /// A future that borrows nothing, for `select!` beside the other branches.
    pub fn send_when_due(
        &self,
    ) -> impl Future<Output = Result<mpsc::OwnedPermit<Vec<u8>>, ()>> + use<> {
        let due = self.due();
        let chunks = self.chunks.clone();
        async move {
            match due {
                Some(due) => {
                    tokio::time::sleep_until(due).await;
                    chunks.reserve_owned().await.map_err(|_| ())
                }
                None => std::future::pending().await,
            }
        }
    }

    /// Hands the pending chunk to the thread through a place `send_when_due` reserved.
    pub fn send(&mut self, place: mpsc::OwnedPermit<Vec<u8>>) {
        let chunk = std::mem::replace(&mut self.pending, Vec::with_capacity(CHUNK));
        self.pending_since = None;
        place.send(chunk);
    }

    /// Sends what is pending and waits until everything is written, or the write failed.
    pub async fn finish(mut self) -> Result<(), WriteFailure> {
        if !self.pending.is_empty() {
            match self.chunks.clone().reserve_owned().await {
                Ok(place) => self.send(place),
                Err(_) => return Err(self.failure().await),
            }
        }
        drop(self.chunks);
        match self.ended.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(error)) => Err(WriteFailure(error)),
            Err(_) => Err(WriteFailure(io::Error::other("the writer thread ended"))),
        }
    }

    /// Why the thread stopped taking chunks.
    pub async fn failure(&mut self) -> WriteFailure {
        match (&mut self.ended).await {
            Ok(Err(error)) => WriteFailure(error),
            _ => WriteFailure(io::Error::other("the writer thread ended")),
        }
    }
}
