//! Stopping a run from outside. SIGINT (Ctrl-C), SIGTERM and SIGHUP ask the run to stop: it
//! keeps the in-order prefix it has written, says how far it got, and exits 128+signal, so a
//! cancelled CI job still leaves a clean report. A second signal ends the process at once,
//! whatever the run is doing (a stalled stdout, a slow server).

use std::io;

use tokio::sync::watch;

use crate::diagnostics::warn;
use crate::exit::{ExitStatus, StopSignal};

/// The first stop signal received, once one has been.
pub struct StopRequests {
    received: watch::Receiver<Option<StopSignal>>,
}

impl StopRequests {
    /// Takes over SIGINT, SIGTERM and SIGHUP for the rest of the process. Call inside the
    /// runtime.
    pub fn install() -> io::Result<StopRequests> {
        let mut signals = Signals::new()?;
        let (sender, received) = watch::channel(None);
        tokio::spawn(async move {
            let first = signals.next().await;
            let _ = sender.send(Some(first));
            let second = signals.next().await;
            warn(format_args!("{} again: stopping at once", second.name()));
            std::process::exit(i32::from(ExitStatus::Stopped(second).code()));
        });
        Ok(StopRequests { received })
    }

    /// Waits until a stop signal has been received, and says which.
    pub async fn requested(&mut self) -> StopSignal {
        loop {
            if let Some(signal) = *self.received.borrow_and_update() {
                return signal;
            }
            if self.received.changed().await.is_err() {
                // The watcher task is gone (the runtime is shutting down): no signal will come.
                std::future::pending::<()>().await;
            }
        }
    }
}

#[cfg(unix)]
struct Signals {
    interrupt: tokio::signal::unix::Signal,
    terminate: tokio::signal::unix::Signal,
    hangup: tokio::signal::unix::Signal,
}

#[cfg(unix)]
impl Signals {
    fn new() -> io::Result<Signals> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(Signals {
            interrupt: signal(SignalKind::interrupt())?,
            terminate: signal(SignalKind::terminate())?,
            hangup: signal(SignalKind::hangup())?,
        })
    }

    async fn next(&mut self) -> StopSignal {
        tokio::select! {
            _ = self.interrupt.recv() => StopSignal::Interrupt,
            _ = self.terminate.recv() => StopSignal::Terminate,
            _ = self.hangup.recv() => StopSignal::Hangup,
        }
    }
}

/// Elsewhere only Ctrl-C can be watched.
#[cfg(not(unix))]
struct Signals;

#[cfg(not(unix))]
impl Signals {
    fn new() -> io::Result<Signals> {
        Ok(Signals)
    }

    async fn next(&mut self) -> StopSignal {
        let _ = tokio::signal::ctrl_c().await;
        StopSignal::Interrupt
    }
}
