//! UDP sockets shared by a run's queries to one server. A socket per query costs five system
//! calls beyond the send and the receive (socket, bind, connect, register, close), which
//! halves what a bulk audit can ask per second; so each server gets a few long-lived sockets,
//! and one task per socket hands each reply to the query waiting for its message id.
//!
//! A query with no answer after a few round-trip times is sent again (see `Rtt`): a lost
//! datagram then costs a fraction of a second, not the whole timeout, which matters when
//! results come out in order and one missing answer holds back every name behind it.
//!
//! Sockets are connected: only the server's datagrams arrive, and an ICMP "port unreachable"
//! comes back as an error (it fails the queries then waiting on that socket). Ids are drawn
//! from a keyed pseudo-random sequence and never reused while in flight on a socket. A run
//! thus uses a few random source ports rather than one per query: less entropy against an
//! off-path spoofer, which is acceptable for a tool asking its own resolver.

use std::collections::HashMap;
use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::io;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::net::UdpSocket;
use tokio::sync::{OnceCell, oneshot};

/// Sockets per server: spreads the ids in flight and the receive work.
const SOCKETS: usize = 2;

/// What a query waiting on a socket receives: a datagram carrying its id, or the socket's error.
type Delivery = Result<Vec<u8>, io::ErrorKind>;

/// The sockets to one server, opened on first use, and how quickly the server answers.
#[derive(Debug)]
pub struct UdpPool {
    server: SocketAddr,
    sockets: OnceCell<Vec<Arc<PooledSocket>>>,
    next: AtomicUsize,
    rtt: Rtt,
}

/// The server's smoothed round-trip time (RFC 6298's estimator, without the variance term),
/// from exchanges that were not sent again (Karn's rule): it says when a query with no
/// answer yet is most likely lost and worth sending again.
#[derive(Debug, Default)]
struct Rtt {
    /// Microseconds; 0 until the first sample.
    smoothed: AtomicU64,
}

impl Rtt {
    /// Before any sample: long enough for a distant resolver.
    const INITIAL: Duration = Duration::from_millis(500);
    /// Not sooner: a busy server, or a busy machine, can hold an answer for tens of
    /// milliseconds, and a needless resend is one more query.
    const SHORTEST: Duration = Duration::from_millis(200);

    fn retransmit_after(&self) -> Duration {
        match self.smoothed.load(Ordering::Relaxed) {
            0 => Rtt::INITIAL,
            smoothed => (Duration::from_micros(smoothed) * 4).max(Rtt::SHORTEST),
        }
    }

    fn observe(&self, sample: Duration) {
        let sample = u64::try_from(sample.as_micros()).unwrap_or(u64::MAX).max(1);
        let smoothed = self.smoothed.load(Ordering::Relaxed);
        let updated = if smoothed == 0 {
            sample
        } else {
            smoothed - smoothed / 8 + sample / 8
        };
        self.smoothed.store(updated.max(1), Ordering::Relaxed);
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
    pub fn new(server: SocketAddr) -> UdpPool {
        UdpPool {
            server,
            sockets: OnceCell::new(),
            next: AtomicUsize::new(0),
            rtt: Rtt::default(),
        }
    }

    /// How long to wait for an answer before sending the query again.
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
            .get_or_try_init(|| open_sockets(self.server))
            .await?;
        let socket = &sockets[self.next.fetch_add(1, Ordering::Relaxed) % sockets.len()];
        let (sender, next) = oneshot::channel();
        let id = {
            let mut waiting = socket
                .waiting
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            let id = std::iter::repeat_with(|| socket.next_id())
                .find(|id| !waiting.contains_key(id))
                .unwrap_or_default();
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

    /// The next datagram carrying this query's id; an error if the socket failed.
    pub async fn next(&mut self) -> io::Result<Vec<u8>> {
        let next = match self.next.take() {
            Some(next) => next,
            // Asked for another datagram: the last one with this id was not the answer.
            None => {
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
                next
            }
        };
        match next.await {
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

async fn open_sockets(server: SocketAddr) -> io::Result<Vec<Arc<PooledSocket>>> {
    let local = match server {
        SocketAddr::V4(_) => SocketAddr::from((Ipv4Addr::UNSPECIFIED, 0)),
        SocketAddr::V6(_) => SocketAddr::from((Ipv6Addr::UNSPECIFIED, 0)),
    };
    let mut sockets = Vec::with_capacity(SOCKETS);
    for _ in 0..SOCKETS {
        let socket = UdpSocket::bind(local).await?;
        socket.connect(server).await?;
        let pooled = Arc::new(PooledSocket {
            socket,
            waiting: Mutex::new(HashMap::new()),
            ids: AtomicU64::new(0),
            id_key: RandomState::new(),
        });
        tokio::spawn(deliver(pooled.clone()));
        sockets.push(pooled);
    }
    Ok(sockets)
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
