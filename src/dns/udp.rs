//! UDP sockets shared by a run's queries to one server. A socket per query costs five system
//! calls beyond the send and the receive (socket, bind, connect, register, close), which
//! halves what a bulk audit can ask per second; so each server gets a few long-lived sockets,
//! and one task per socket hands each reply to the query waiting for its message id.
//!
//! A query with no answer after the round-trip time and four of its deviations (at least two
//! round trips) is sent again
//! (see `Rtt`): a lost datagram then costs a few round trips, not the whole timeout, which
//! matters when results come out in order and one missing answer holds back every name behind
//! it, and when each query waiting for a lost answer holds a place among those in flight.
//!
//! Sockets are connected: only the server's datagrams arrive, and an ICMP "port unreachable"
//! comes back as an error (it fails the queries then waiting on that socket). Ids are drawn
//! from a keyed pseudo-random sequence and never reused while in flight on a socket. A run
//! thus uses a few random source ports rather than one per query: less entropy against an
//! off-path spoofer, which is acceptable for a tool asking its own resolver.
//!
//! The number of sockets grows with the queries a run may have in flight (one per 128, from 2
//! to 8), and each asks the kernel for a 1 MiB receive buffer: a burst of replies to a
//! thousand queries then waits in the kernel instead of being dropped, which a default buffer
//! (about 200 KB, some 150 datagrams) did at `--concurrency 1024`.

use std::collections::HashMap;
use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::io;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use socket2::{Domain, Protocol, Socket, Type};
use tokio::net::UdpSocket;
use tokio::sync::{OnceCell, oneshot};

/// Queries in flight per socket: spreads the ids in flight and the receive work.
const IN_FLIGHT_PER_SOCKET: usize = 128;
/// Sockets per server, at least and at most.
const SOCKETS: (usize, usize) = (2, 8);
/// Receive and send buffer asked of the kernel per socket (it may grant less).
const SOCKET_BUFFER: usize = 1 << 20;

/// What a query waiting on a socket receives: a datagram carrying its id, or the socket's error.
type Delivery = Result<Vec<u8>, io::ErrorKind>;

/// The sockets to one server, opened on first use, and how quickly the server answers.
#[derive(Debug)]
pub struct UdpPool {
    server: SocketAddr,
    /// How many sockets to open on first use.
    size: usize,
    sockets: OnceCell<Vec<Arc<PooledSocket>>>,
    next: AtomicUsize,
    rtt: Rtt,
}

/// The server's round-trip time, smoothed, and its variation (RFC 6298's estimator), from
/// exchanges that were not sent again (Karn's rule): it says when a query with no answer yet
/// is most likely lost and worth sending again. Loss is thus noticed in round trips, a few
/// milliseconds on a local network, rather than in fixed fractions of a second.
#[derive(Debug, Default)]
struct Rtt {
    /// Microseconds; 0 until the first sample.
    smoothed: AtomicU64,
    /// Microseconds: the mean deviation.
    variation: AtomicU64,
}

impl Rtt {
    /// Before any sample: long enough for a distant resolver.
    const INITIAL: Duration = Duration::from_millis(500);
    /// Not sooner: a few milliseconds is what a busy machine's scheduling adds to any reply
    /// (measured: at 5 ms, a clean run against a local server resends 0.1% of its queries).
    const SHORTEST: Duration = Duration::from_millis(5);

    /// RFC 6298 §2: the smoothed time plus four deviations; but at least twice the smoothed
    /// time, since a server answering steadily has almost no deviation and replies a little
    /// late are not lost; and at least `SHORTEST`.
    fn retransmit_after(&self) -> Duration {
        match self.smoothed.load(Ordering::Relaxed) {
            0 => Rtt::INITIAL,
            smoothed => {
                let variation = self.variation.load(Ordering::Relaxed);
                let micros = smoothed
                    .saturating_add(variation.saturating_mul(4))
                    .max(smoothed.saturating_mul(2));
                Duration::from_micros(micros).max(Rtt::SHORTEST)
            }
        }
    }

    /// RFC 6298 §2.2 and §2.3, with its gains of 1/8 and 1/4. Concurrent updates may lose a
    /// sample now and then, which an estimate can afford.
    fn observe(&self, sample: Duration) {
        let sample = u64::try_from(sample.as_micros()).unwrap_or(u64::MAX).max(1);
        let smoothed = self.smoothed.load(Ordering::Relaxed);
        if smoothed == 0 {
            self.smoothed.store(sample, Ordering::Relaxed);
            self.variation.store(sample / 2, Ordering::Relaxed);
            return;
        }
        let variation = self.variation.load(Ordering::Relaxed);
        let deviation = smoothed.abs_diff(sample);
        self.variation
            .store(variation - variation / 4 + deviation / 4, Ordering::Relaxed);
        self.smoothed.store(
            (smoothed - smoothed / 8 + sample / 8).max(1),
            Ordering::Relaxed,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loss_is_suspected_after_a_few_round_trips_not_a_fixed_fraction_of_a_second() {
        let rtt = Rtt::default();
        assert_eq!(rtt.retransmit_after(), Rtt::INITIAL);
        for _ in 0..50 {
            rtt.observe(Duration::from_millis(30));
        }
        // Steady: twice the round trip.
        let steady = rtt.retransmit_after();
        assert!((Duration::from_millis(59)..=Duration::from_millis(61)).contains(&steady));
        for sample in [10, 50, 10, 50, 10, 50] {
            rtt.observe(Duration::from_millis(sample));
        }
        assert!(rtt.retransmit_after() > steady, "jitter widens it");
        let fast = Rtt::default();
        fast.observe(Duration::from_micros(100));
        assert_eq!(fast.retransmit_after(), Rtt::SHORTEST);
    }
}

#[derive(Debug)]
struct PooledSocket {
    socket: UdpSocket,
    /// Ids in flight, each with where its next datagram goes (none while its owner reads the
    /// last one: the id stays taken until the query ends).
    waiting: Mutex<HashMap<u16, Option<oneshot::Sender<Delivery>>>>,
    ids: AtomicU64,
    id_key: RandomState,
}

/// A query's claim on an id of a socket, given back when the query ends however it ends.
pub struct Waiting {
    socket: Arc<PooledSocket>,
    id: u16,
    next: Option<oneshot::Receiver<Delivery>>,
}

impl UdpPool {
    /// A pool sized for `in_flight` queries at once.
    pub fn new(server: SocketAddr, in_flight: usize) -> UdpPool {
        UdpPool {
            server,
            size: in_flight
                .div_ceil(IN_FLIGHT_PER_SOCKET)
                .clamp(SOCKETS.0, SOCKETS.1),
            sockets: OnceCell::new(),
            next: AtomicUsize::new(0),
            rtt: Rtt::default(),
        }
    }

    /// How long to wait for an answer before sending the query again (first time).
    pub fn retransmit_after(&self) -> Duration {
        self.rtt.retransmit_after()
    }

    /// Feeds the round-trip time of an exchange that was sent once.
    pub fn observe_rtt(&self, sample: Duration) {
        self.rtt.observe(sample);
    }

    /// Claims a free id on one of the sockets, in turn, and sends `query` under that id (its
    /// first two octets are overwritten).
    pub async fn send(&self, query: &mut [u8]) -> io::Result<Waiting> {
        let sockets = self
            .sockets
            .get_or_try_init(|| open_sockets(self.server, self.size))
            .await?;
        let socket = &sockets[self.next.fetch_add(1, Ordering::Relaxed) % sockets.len()];
        let (sender, next) = oneshot::channel();
        let id = {
            let mut waiting = socket
                .waiting
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            // Ids in flight per socket stay far below 65,536 (names checked at once are
            // capped), so a free one is found within a few draws.
            let mut id = socket.next_id();
            while waiting.contains_key(&id) {
                id = socket.next_id();
            }
            waiting.insert(id, Some(sender));
            id
        };
        let waiting = Waiting {
            socket: socket.clone(),
            id,
            next: Some(next),
        };
        query[..2].copy_from_slice(&id.to_be_bytes());
        socket.socket.send(query).await?;
        Ok(waiting)
    }
}

impl Waiting {
    /// Sends the query again, under the same id on the same socket: either answer will do.
    pub async fn resend(&self, query: &[u8]) -> io::Result<()> {
        self.socket.socket.send(query).await.map(|_| ())
    }

    /// The next datagram carrying this query's id; an error if the socket failed. Safe to
    /// cancel (a timeout around it): the place it waits at stays, so a datagram arriving
    /// meanwhile waits for the next call rather than being dropped.
    pub async fn next(&mut self) -> io::Result<Vec<u8>> {
        if self.next.is_none() {
            // Asked for another datagram: the last one with this id was not the answer.
            let (sender, next) = oneshot::channel();
            if let Some(slot) = self
                .socket
                .waiting
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .get_mut(&self.id)
            {
                *slot = Some(sender);
            }
            self.next = Some(next);
        }
        let Some(next) = self.next.as_mut() else {
            return Err(io::ErrorKind::BrokenPipe.into());
        };
        let delivered = next.await;
        self.next = None;
        match delivered {
            Ok(Ok(datagram)) => Ok(datagram),
            Ok(Err(kind)) => Err(kind.into()),
            Err(_) => Err(io::ErrorKind::BrokenPipe.into()),
        }
    }
}

impl Drop for Waiting {
    fn drop(&mut self) {
        self.socket
            .waiting
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&self.id);
    }
}

impl PooledSocket {
    /// Ids from a keyed sequence: unpredictable without the key.
    fn next_id(&self) -> u16 {
        let count = self.ids.fetch_add(1, Ordering::Relaxed);
        let [low, high, ..] = self.id_key.hash_one(count).to_le_bytes();
        u16::from_le_bytes([low, high])
    }
}

/// Opens all the sockets first and only then starts their delivery tasks: a socket opened
/// before another failed (out of file descriptors) is closed again rather than kept alive by a
/// task, so a later attempt can succeed.
async fn open_sockets(server: SocketAddr, count: usize) -> io::Result<Vec<Arc<PooledSocket>>> {
    let sockets = (0..count)
        .map(|_| {
            connected_socket(server).map(|socket| {
                Arc::new(PooledSocket {
                    socket,
                    waiting: Mutex::new(HashMap::new()),
                    ids: AtomicU64::new(0),
                    id_key: RandomState::new(),
                })
            })
        })
        .collect::<io::Result<Vec<_>>>()?;
    for pooled in &sockets {
        tokio::spawn(deliver(pooled.clone()));
    }
    Ok(sockets)
}

/// A non-blocking UDP socket connected to `server`, with large kernel buffers.
fn connected_socket(server: SocketAddr) -> io::Result<UdpSocket> {
    let (domain, local) = match server {
        SocketAddr::V4(_) => (Domain::IPV4, SocketAddr::from((Ipv4Addr::UNSPECIFIED, 0))),
        SocketAddr::V6(_) => (Domain::IPV6, SocketAddr::from((Ipv6Addr::UNSPECIFIED, 0))),
    };
    let socket = Socket::new(domain, Type::DGRAM, Some(Protocol::UDP))?;
    // A smaller buffer than asked for is still a working socket.
    let _ = socket.set_recv_buffer_size(SOCKET_BUFFER);
    let _ = socket.set_send_buffer_size(SOCKET_BUFFER);
    socket.set_nonblocking(true)?;
    socket.bind(&local.into())?;
    socket.connect(&server.into())?;
    UdpSocket::from_std(socket.into())
}

/// Hands every datagram to the query waiting for its id; a socket error goes to every query
/// waiting on the socket (a connected socket reports an ICMP error this way, not per query).
async fn deliver(pooled: Arc<PooledSocket>) {
    let mut buffer = vec![0; 65_535];
    loop {
        let received = pooled.socket.recv(&mut buffer).await;
        let mut waiting = pooled
            .waiting
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        match received {
            Ok(length) if length >= 2 => {
                let id = u16::from_be_bytes([buffer[0], buffer[1]]);
                if let Some(sender) = waiting.get_mut(&id).and_then(Option::take) {
                    let _ = sender.send(Ok(buffer[..length].to_vec()));
                }
            }
            Ok(_) => {}
            Err(error) => {
                for sender in waiting.values_mut().filter_map(Option::take) {
                    let _ = sender.send(Err(error.kind()));
                }
            }
        }
    }
}
