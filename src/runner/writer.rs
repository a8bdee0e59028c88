//! The report's way to standard output. A thread of its own writes it, so a reader that stalls
//! (a stuck pager, a pipe nobody drains) blocks only that thread: the run goes on seeing
//! signals and stops within a second. Reports are gathered into chunks (one write per chunk,
//! not per name) that go out when large, when a fraction of a second old, or at once when
//! stdout is a terminal; a bounded queue between the run and the thread keeps memory flat.
//!
//! Each chunk carries what the run had reached when it was cut (`M`: counts, the input line),
//! and the thread keeps the mark of the last chunk it wrote whole: a run that stops early
//! says how far its written report goes, not how far its checks went.
//!
//! When stdout and the progress line share a terminal, each chunk is written with the progress
//! line lifted (indicatif's `suspend`), so the two never interleave.

use std::io::{self, Write};
use std::sync::{Arc, Mutex, PoisonError};
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

/// Reports, and what the run had reached once they are written.
pub struct Chunk<M> {
    reports: Vec<u8>,
    reached: M,
}

/// The run's end of the writer thread.
pub struct ReportWriter<M> {
    chunks: mpsc::Sender<Chunk<M>>,
    /// What the thread said when it stopped: its write error, if any.
    ended: oneshot::Receiver<io::Result<()>>,
    /// The mark of the last chunk written whole.
    written: Arc<Mutex<M>>,
    pending: Vec<u8>,
    /// When the oldest pending report was added.
    pending_since: Option<Instant>,
    /// Stdout is a terminal: every report goes out at once.
    immediate: bool,
}

/// Why the report could not be written.
#[derive(Debug)]
pub struct WriteFailure(pub io::Error);

impl<M: Clone + Default + Send + 'static> ReportWriter<M> {
    /// Starts the thread. `lift` is the progress line to lift while writing, when it shares
    /// stdout's terminal.
    pub fn start(immediate: bool, lift: Option<ProgressBar>) -> ReportWriter<M> {
        let (chunks, mut queued) = mpsc::channel::<Chunk<M>>(QUEUED_CHUNKS);
        let (report_end, ended) = oneshot::channel();
        let written = Arc::new(Mutex::new(M::default()));
        let mark = written.clone();
        std::thread::spawn(move || {
            let mut stdout = io::stdout().lock();
            let mut result = Ok(());
            while let Some(chunk) = queued.blocking_recv() {
                let mut write = || {
                    stdout
                        .write_all(&chunk.reports)
                        .and_then(|()| stdout.flush())
                };
                result = match &lift {
                    Some(bar) => bar.suspend(write),
                    None => write(),
                };
                if result.is_err() {
                    break;
                }
                *mark.lock().unwrap_or_else(PoisonError::into_inner) = chunk.reached;
            }
            // Closed before the result is sent, so a waiting sender learns of it at once.
            drop(queued);
            let _ = report_end.send(result);
        });
        ReportWriter {
            chunks,
            ended,
            written,
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
    fn due(&self) -> Option<Instant> {
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
    ) -> impl Future<Output = Result<mpsc::OwnedPermit<Chunk<M>>, ()>> + use<M> {
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

    /// Hands the pending chunk to the thread through a place `send_when_due` reserved;
    /// `reached` is what the run has reached with it.
    pub fn send(&mut self, place: mpsc::OwnedPermit<Chunk<M>>, reached: M) {
        let reports = std::mem::replace(&mut self.pending, Vec::with_capacity(CHUNK));
        self.pending_since = None;
        place.send(Chunk { reports, reached });
    }

    /// Sends what is pending and waits until everything is written, or the write failed.
    pub async fn finish(mut self, reached: M) -> Result<(), WriteFailure> {
        if !self.pending.is_empty() {
            match self.chunks.clone().reserve_owned().await {
                Ok(place) => self.send(place, reached),
                Err(_) => return Err(self.failure().await),
            }
        }
        drop(self.chunks);
        match (&mut self.ended).await {
            Ok(Ok(())) => Ok(()),
            ended => Err(failure_of(ended)),
        }
    }

    /// Why the thread stopped taking chunks.
    pub async fn failure(&mut self) -> WriteFailure {
        failure_of((&mut self.ended).await)
    }

    /// Where the written report reaches: the mark of the last chunk written whole.
    pub fn written(&self) -> Arc<Mutex<M>> {
        self.written.clone()
    }
}

/// The thread's end as a failure: its write error, or its having ended without one.
fn failure_of(ended: Result<io::Result<()>, oneshot::error::RecvError>) -> WriteFailure {
    match ended {
        Ok(Err(error)) => WriteFailure(error),
        _ => WriteFailure(io::Error::other("the writer thread ended")),
    }
}
