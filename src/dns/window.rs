//! The places for queries in flight: `--concurrency` is a ceiling, not a promise. A server
//! (or a resolver) flooded with more queries than its receive buffer holds drops them, and
//! every drop costs a resend and a wait: at `--concurrency 1024` a local server dropped one
//! query in seven and the run slowed by half. So the window adapts as TCP's congestion window
//! does (RFC 5681's additive increase, multiplicative decrease). It starts at the ceiling, or
//! at 1024 if that is lower (a thousand queries in flight saturate any one server measured,
//! and starting higher only floods it first); it loses a quarter of its places when a datagram
//! goes missing (at most once per round trip, as one burst causes many losses), and gains a
//! place back for every window's worth of replies. It never shrinks below 64 places (the
//! default): random loss on a path, which no backing off cures, then costs no more than it
//! does at the default.

use std::sync::Mutex;
use std::sync::PoisonError;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::sync::{AcquireError, Semaphore, SemaphorePermit};
use tokio::time::Instant;

/// The smallest window a cut leaves (or the ceiling, if lower).
const LEAST: usize = 64;
/// The largest window a run starts with; it may grow beyond, up to the ceiling.
const START_AT_MOST: usize = 1024;

/// The adaptive limit on queries in flight.
#[derive(Debug)]
pub struct Window {
    places: Semaphore,
    /// The ceiling: `--concurrency`.
    most: usize,
    least: usize,
    state: Mutex<State>,
    /// Places to take out of circulation as they come back, after a cut.
    owed: AtomicUsize,
}

#[derive(Debug)]
struct State {
    size: usize,
    /// Replies since the window last grew.
    replies: usize,
    /// When the window was last cut: one loss event per round trip.
    last_cut: Option<Instant>,
}

/// A place in the window, given back (or retired, after a cut) when dropped.
pub struct Place<'a> {
    window: &'a Window,
    permit: Option<SemaphorePermit<'a>>,
}

impl Window {
    pub fn new(most: usize) -> Window {
        let most = most.max(1);
        let start = most.min(START_AT_MOST);
        Window {
            places: Semaphore::new(start),
            most,
            least: LEAST.min(most),
            state: Mutex::new(State {
                size: start,
                replies: 0,
                last_cut: None,
            }),
            owed: AtomicUsize::new(0),
        }
    }

    /// The ceiling.
    pub fn most(&self) -> usize {
        self.most
    }

    /// The current size.
    #[cfg(test)]
    fn size(&self) -> usize {
        self.state().size
    }

    pub async fn acquire(&self) -> Result<Place<'_>, AcquireError> {
        let permit = self.places.acquire().await?;
        Ok(Place {
            window: self,
            permit: Some(permit),
        })
    }

    /// A reply came back: every `size` replies, one more place (up to the ceiling).
    pub fn on_reply(&self) {
        let mut state = self.state();
        state.replies += 1;
        if state.replies >= state.size && state.size < self.most {
            state.replies = 0;
            state.size += 1;
            if !self.forgive_one() {
                self.places.add_permits(1);
            }
        }
    }

    /// A datagram went missing: a quarter of the places go, unless the window was cut less
    /// than `round_trip` ago (the same burst) or is at its floor.
    pub fn on_loss(&self, round_trip: Duration) {
        let mut state = self.state();
        let now = Instant::now();
        if state
            .last_cut
            .is_some_and(|last| now.duration_since(last) < round_trip)
        {
            return;
        }
        let smaller = (state.size - state.size / 4).max(self.least);
        let cut = state.size - smaller;
        if cut == 0 {
            return;
        }
        state.size = smaller;
        state.replies = 0;
        state.last_cut = Some(now);
        let retired = self.places.forget_permits(cut);
        self.owed.fetch_add(cut - retired, Ordering::Relaxed);
    }

    /// Takes one place off what is owed, if anything is: true if it did.
    fn forgive_one(&self) -> bool {
        self.owed
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |owed| {
                owed.checked_sub(1)
            })
            .is_ok()
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Drop for Place<'_> {
    fn drop(&mut self) {
        // A place owed to a cut is retired instead of given back.
        if let Some(permit) = self.permit.take()
            && self.window.forgive_one()
        {
            permit.forget();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_window_starts_at_the_ceiling_is_cut_by_a_quarter_per_round_trip_and_grows_back() {
        let window = Window::new(1024);
        assert_eq!(window.size(), 1024);
        window.on_loss(Duration::from_millis(10));
        assert_eq!(window.size(), 768);
        // The same burst: no second cut within a round trip.
        window.on_loss(Duration::from_secs(60));
        assert_eq!(window.size(), 768);
        for _ in 0..768 {
            window.on_reply();
        }
        assert_eq!(window.size(), 769);
        assert_eq!(window.places.available_permits(), 769);
    }

    #[tokio::test]
    async fn places_in_use_during_a_cut_are_retired_as_they_come_back() {
        let window = Window::new(100);
        let held: Vec<Place<'_>> = {
            let mut held = Vec::new();
            for _ in 0..100 {
                held.push(window.acquire().await.unwrap());
            }
            held
        };
        window.on_loss(Duration::ZERO);
        assert_eq!(window.size(), 75);
        drop(held);
        assert_eq!(window.places.available_permits(), 75);
    }

    #[tokio::test]
    async fn a_high_ceiling_starts_at_1024() {
        let window = Window::new(65_536);
        assert_eq!(window.size(), 1024);
        assert_eq!(window.places.available_permits(), 1024);
        assert_eq!(window.most(), 65_536);
    }

    #[tokio::test]
    async fn it_never_shrinks_below_64_or_the_ceiling() {
        let window = Window::new(1024);
        for _ in 0..100 {
            window.on_loss(Duration::ZERO);
        }
        assert_eq!(window.size(), 64);
        let small = Window::new(8);
        small.on_loss(Duration::ZERO);
        assert_eq!(small.size(), 8);
    }
}
