//! Stopping a run from outside. SIGINT (Ctrl-C), SIGTERM and SIGHUP ask the run to stop: it
//! keeps the in-order prefix it has written, says how far it got, and exits 128+signal, so a
//! cancelled CI job still leaves a clean report. A second signal ends the process at once,
//! whatever the run is doing (a stalled stdout, a slow server).

use std::io;

use tokio::sync::watch;

use crate::exit::{ExitStatus, StopSignal};

/// The first stop signal received, once one has been.
pub struct StopRequests {
    received: watch::Receiver<Option<StopSignal>>,
}

impl StopRequests {
    /// Takes over SIGINT, SIGTERM and SIGHUP for the rest of the process; a thread of its own
    /// waits for them, so a busy or stalled run never delays the second one.
    pub fn install() -> io::Result<StopRequests> {
        let mut signals = Signals::new()?;
        let (sender, received) = watch::channel(None);
        std::thread::Builder::new()
            .name("signals".into())
            .spawn(move || {
                let Some(first) = signals.next() else { return };
                let _ = sender.send(Some(first));
                let Some(second) = signals.next() else { return };
                // Nothing is written first: stderr may be the very thing that is stalled.
                std::process::exit(i32::from(ExitStatus::Stopped(second).code()));
            })?;
        Ok(StopRequests { received })
    }

    /// The stop signal received so far, if any, without waiting.
    pub fn received(&self) -> Option<StopSignal> {
        *self.received.borrow()
    }

    /// Waits until a stop signal has been received, and says which.
    pub async fn requested(&mut self) -> StopSignal {
        loop {
            if let Some(signal) = *self.received.borrow_and_update() {
                return signal;
            }
            if self.received.changed().await.is_err() {
                // The watching thread is gone: no signal will come.
                std::future::pending::<()>().await;
            }
        }
    }
}

/// The three signals, as signal-hook delivers them (registration fails with an error rather
/// than a panic when the process is out of file descriptors).
#[cfg(unix)]
struct Signals(signal_hook::iterator::Signals);

#[cfg(unix)]
impl Signals {
    fn new() -> io::Result<Signals> {
        use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
        signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP]).map(Signals)
    }

    /// The next stop signal; none if the signals can no longer be read.
    fn next(&mut self) -> Option<StopSignal> {
        use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
        self.0.forever().find_map(|number| match number {
            SIGINT => Some(StopSignal::Interrupt),
            SIGTERM => Some(StopSignal::Terminate),
            SIGHUP => Some(StopSignal::Hangup),
            _ => None,
        })
    }
}

/// Elsewhere only Ctrl-C can be watched.
#[cfg(not(unix))]
struct Signals(tokio::runtime::Runtime);

#[cfg(not(unix))]
impl Signals {
    fn new() -> io::Result<Signals> {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map(Signals)
    }

    fn next(&mut self) -> Option<StopSignal> {
        self.0
            .block_on(tokio::signal::ctrl_c())
            .ok()
            .map(|()| StopSignal::Interrupt)
    }
}
