//! One CAA question, one reply: UDP first, TCP when the reply is truncated (rule 11), a timeout
//! per attempt and retries that rotate through the servers (rule 10); within an attempt, a
//! datagram that is probably lost is sent again (see `udp`), within a budget that grows with
//! the replies received, so that resends back off when loss rises and never add more than
//! half to the load (`ResendBudget`). Every attempt waits for a place among the queries in
//! flight (`window`: `--concurrency` as a ceiling, narrowed while datagrams go missing), every
//! sending for its turn under the rate cap (`--qps`), and every sending is counted.
//!
//! Only timeouts and unreachable servers are retried, as the CA does: an RCODE is an answer.

use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::{Instant, sleep_until, timeout, timeout_at};

use super::udp::UdpPool;
use super::window::Window;
use super::wire::{Ask, Reply, decode_reply, encode_query};

/// Where and how to ask.
#[derive(Clone, Debug)]
pub struct Transport {
    pub servers: Vec<SocketAddr>,
    /// Per attempt, for UDP and again for a TCP follow-up.
    pub timeout: Duration,
    /// Attempts per question: 1 + retries.
    pub attempts: u32,
    limits: Arc<Limits>,
}

/// What all attempts of a run share: the sockets, places in flight, the pace, the count.
#[derive(Debug)]
struct Limits {
    /// One pool per server, in the order of `Transport::servers`.
    pools: Vec<UdpPool>,
    window: Window,
    pace: Option<Pace>,
    sent: AtomicU64,
    resends: ResendBudget,
}

/// Resends earned by replies: half a resend per reply received, some to start with, a bounded
/// amount banked. Random loss costs resends in proportion to the replies that do come back
/// (10% of datagrams lost each way needs about a quarter more); heavier loss or a dead server
/// soon exhausts the budget, and queries then wait for their answer (or their attempt's
/// timeout) instead of adding load.
#[derive(Debug)]
struct ResendBudget {
    /// In quarters of a resend.
    quarters: AtomicI64,
}

impl ResendBudget {
    /// Quarters of a resend earned per reply.
    const EARNED_PER_REPLY: i64 = 2;
    /// Quarters one resend costs.
    const COST: i64 = 4;
    /// Resends a run may make before any reply (at the start, or from a dead server).
    const INITIAL: i64 = 32 * Self::COST;
    /// Resends banked at most.
    const MOST: i64 = 1024 * Self::COST;

    fn new() -> ResendBudget {
        ResendBudget {
            quarters: AtomicI64::new(Self::INITIAL),
        }
    }

    fn earn(&self) {
        let _ = self
            .quarters
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |quarters| {
                (quarters < Self::MOST).then_some(quarters + Self::EARNED_PER_REPLY)
            });
    }

    /// Takes one resend from the budget, if there is one.
    fn spend(&self) -> bool {
        self.quarters
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |quarters| {
                (quarters >= Self::COST).then_some(quarters - Self::COST)
            })
            .is_ok()
    }
}

/// A rate cap: attempts start at least `interval` apart.
#[derive(Debug)]
struct Pace {
    interval: Duration,
    next: Mutex<Instant>,
}

impl Pace {
    /// Takes the next free turn and says when it comes.
    fn reserve_turn(&self) -> Instant {
        let mut next = self.next.lock().unwrap_or_else(PoisonError::into_inner);
        let turn = (*next).max(Instant::now());
        *next = turn + self.interval;
        turn
    }

    async fn wait_turn(&self) {
        sleep_until(self.reserve_turn()).await;
    }
}

/// Why no reply could be had.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExchangeError {
    /// No reply to any attempt.
    Timeout,
    /// The server refused the connection or could not be reached.
    Unreachable(String),
    /// TC=1 over UDP, and TCP did not deliver the whole answer.
    Truncated(String),
    /// A reply that is not a DNS message we can read.
    BadResponse(String),
    /// This machine ran out of open files or buffers: nothing was learnt about the server.
    LocalLimit(String),
}

/// The server last asked, and what came of it.
#[derive(Clone, Debug)]
pub struct Exchange {
    pub server: SocketAddr,
    pub result: Result<Reply, ExchangeError>,
}

impl Exchange {
    /// The exchange of a query that was given up before it ended.
    pub fn abandoned() -> Exchange {
        Exchange {
            server: SocketAddr::from((Ipv4Addr::UNSPECIFIED, 0)),
            result: Err(ExchangeError::Unreachable("the query was abandoned".into())),
        }
    }
}

impl Transport {
    /// At most `in_flight` attempts at once (at least 1), and at most `qps` a second if given.
    pub fn new(
        servers: Vec<SocketAddr>,
        timeout: Duration,
        attempts: u32,
        in_flight: usize,
        qps: Option<u32>,
    ) -> Transport {
        let pace = qps.filter(|&qps| qps > 0).map(|qps| Pace {
            interval: Duration::from_secs(1) / qps,
            next: Mutex::new(Instant::now()),
        });
        Transport {
            servers: servers.clone(),
            timeout,
            attempts,
            limits: Arc::new(Limits {
                pools: servers
                    .iter()
                    .map(|&server| UdpPool::new(server, in_flight.max(1)))
                    .collect(),
                window: Window::new(in_flight),
                pace,
                sent: AtomicU64::new(0),
                resends: ResendBudget::new(),
            }),
        }
    }

    /// How many queries may be in flight at once.
    pub fn in_flight(&self) -> usize {
        self.limits.window.most()
    }

    /// Queries sent so far over UDP and TCP, retries and TCP follow-ups included.
    pub fn queries_sent(&self) -> u64 {
        self.limits.sent.load(Ordering::Relaxed)
    }

    /// Asks `ask` (the CAA records of a name, mostly), retrying timeouts and unreachable
    /// servers on the next server in turn.
    pub async fn query(&self, ask: Ask<'_>) -> Exchange {
        let attempts = self.attempts.max(1) as usize;
        let servers = self.servers.iter().zip(&self.limits.pools).cycle();
        let mut last = None;
        for (&server, pool) in servers.take(attempts) {
            let result = self.attempt(server, pool, ask).await;
            match result {
                Err(ExchangeError::Timeout | ExchangeError::Unreachable(_)) => {
                    last = Some(Exchange { server, result });
                }
                result => return Exchange { server, result },
            }
        }
        last.unwrap_or_else(|| Exchange {
            result: Err(ExchangeError::Unreachable(
                "no nameserver configured".into(),
            )),
            ..Exchange::abandoned()
        })
    }

    async fn attempt(
        &self,
        server: SocketAddr,
        pool: &UdpPool,
        ask: Ask<'_>,
    ) -> Result<Reply, ExchangeError> {
        let _place = self
            .limits
            .window
            .acquire()
            .await
            .map_err(|_| ExchangeError::Unreachable("the run is shutting down".into()))?;
        if let Some(pace) = &self.limits.pace {
            pace.wait_turn().await;
        }
        let mut query = encode_query(ask, 0);
        self.limits.sent.fetch_add(1, Ordering::Relaxed);
        let reply = timeout(self.timeout, self.udp_exchange(pool, &mut query, ask))
            .await
            .map_err(|_| ExchangeError::Timeout)??;
        if !reply.truncated {
            return Ok(reply);
        }
        // The query now carries the id its UDP send used; TCP asks again under it.
        let id = u16::from_be_bytes([query[0], query[1]]);
        self.limits.sent.fetch_add(1, Ordering::Relaxed);
        let over_tcp = timeout(self.timeout, tcp_exchange(server, &query, ask))
            .await
            .map_err(|_| ExchangeError::Timeout)
            .and_then(|reply| reply);
        match over_tcp {
            Ok(reply) if answers(&reply, id) && !reply.truncated => Ok(reply),
            Ok(_) => Err(ExchangeError::Truncated(
                "the TCP reply did not complete the truncated UDP answer".into(),
            )),
            Err(error) => Err(ExchangeError::Truncated(format!(
                "TCP follow-up failed: {}",
                describe(&error)
            ))),
        }
    }
}

/// Whether `reply` answers our query: its id, a response, and our question if it repeats one.
fn answers(reply: &Reply, id: u16) -> bool {
    reply.id == id && reply.is_response && reply.answers_question
}

/// The longest wait between two sendings of a query within an attempt.
const LONGEST_RETRANSMIT: Duration = Duration::from_secs(1);
/// The backoff stops doubling here (the wait is capped by `LONGEST_RETRANSMIT` anyway).
const LONGEST_RETRANSMIT_FACTOR: u32 = 64;
/// While a query waits, it looks at the round-trip estimate again at least this often.
const RECHECK: Duration = Duration::from_millis(50);

impl Transport {
    /// Sends the query on one of the server's shared sockets and waits for the reply that
    /// answers it, sending it again (under the same id) whenever it is probably lost and the
    /// budget allows: after a few round-trip times, then twice as long each time (at most a
    /// second). Each suspected loss narrows the window of queries in flight. Stray
    /// datagrams with the same id are ignored. The caller bounds the whole attempt by the
    /// timeout.
    async fn udp_exchange(
        &self,
        pool: &UdpPool,
        query: &mut [u8],
        ask: Ask<'_>,
    ) -> Result<Reply, ExchangeError> {
        let started = Instant::now();
        let mut waiting = pool.send(query).await.map_err(unreachable)?;
        let id = u16::from_be_bytes([query[0], query[1]]);
        let mut sent_at = started;
        let mut backoff = 1;
        let mut sent_again = false;
        // A resend waiting for its turn under `--qps`: the reply is still read meanwhile.
        let mut resend_at: Option<Instant> = None;
        loop {
            // Read the estimate afresh each time: the first queries of a run start before
            // any round trip is known, and adopt the estimate as soon as one is.
            let due = sent_at + (pool.retransmit_after() * backoff).min(LONGEST_RETRANSMIT);
            let wake = resend_at.unwrap_or_else(|| due.min(Instant::now() + RECHECK));
            match timeout_at(wake, waiting.next()).await {
                Ok(datagram) => {
                    let reply =
                        decode_reply(&datagram.map_err(unreachable)?, ask).map_err(bad_response)?;
                    if answers(&reply, id) {
                        if !sent_again {
                            pool.observe_rtt(started.elapsed());
                        }
                        self.limits.resends.earn();
                        self.limits.window.on_reply();
                        return Ok(reply);
                    }
                }
                Err(_) => {
                    if resend_at.take().is_some() {
                        // The resend's turn has come.
                        waiting.resend(query).await.map_err(unreachable)?;
                        self.limits.sent.fetch_add(1, Ordering::Relaxed);
                        sent_again = true;
                        sent_at = Instant::now();
                        continue;
                    }
                    if Instant::now() < due {
                        continue;
                    }
                    self.limits.window.on_loss(pool.retransmit_after());
                    if self.limits.resends.spend() {
                        resend_at = Some(
                            self.limits
                                .pace
                                .as_ref()
                                .map_or_else(Instant::now, Pace::reserve_turn),
                        );
                    }
                    sent_at = Instant::now();
                    backoff = (backoff * 2).min(LONGEST_RETRANSMIT_FACTOR);
                }
            }
        }
    }
}

async fn tcp_exchange(
    server: SocketAddr,
    query: &[u8],
    ask: Ask<'_>,
) -> Result<Reply, ExchangeError> {
    let reply = tcp_roundtrip(server, query).await.map_err(unreachable)?;
    decode_reply(&reply, ask).map_err(bad_response)
}

/// RFC 1035 §4.2.2: the query and the reply over TCP, each behind a two-octet length.
pub async fn tcp_roundtrip(server: SocketAddr, query: &[u8]) -> io::Result<Vec<u8>> {
    let mut stream = TcpStream::connect(server).await?;
    let length = u16::try_from(query.len())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "query too long"))?;
    let mut framed = Vec::with_capacity(query.len() + 2);
    framed.extend(length.to_be_bytes());
    framed.extend(query);
    stream.write_all(&framed).await?;
    let length = stream.read_u16().await?;
    let mut reply = vec![0; usize::from(length)];
    stream.read_exact(&mut reply).await?;
    Ok(reply)
}

/// A socket error as the exchange's failure: this machine's own limits apart from the
/// server's silence or refusal.
fn unreachable(error: io::Error) -> ExchangeError {
    if let Some(limit) = local_limit(&error) {
        return ExchangeError::LocalLimit(limit.to_owned());
    }
    let text = match error.kind() {
        io::ErrorKind::ConnectionRefused => "connection refused".to_owned(),
        io::ErrorKind::UnexpectedEof => "connection closed before the reply was complete".into(),
        _ => error.to_string(),
    };
    ExchangeError::Unreachable(text)
}

/// The local resource an OS error says ran out, if it is one. ENFILE and EMFILE are 23 and 24
/// on every Unix; ENOBUFS is 105 on Linux only.
fn local_limit(error: &io::Error) -> Option<&'static str> {
    const ENFILE: i32 = 23;
    const EMFILE: i32 = 24;
    const LINUX_ENOBUFS: i32 = 105;
    match error.raw_os_error()? {
        EMFILE => Some("too many open files in this process (EMFILE)"),
        ENFILE => Some("too many open files on this machine (ENFILE)"),
        LINUX_ENOBUFS if cfg!(target_os = "linux") => Some("no buffer space (ENOBUFS)"),
        _ => None,
    }
}

fn bad_response(error: impl ToString) -> ExchangeError {
    ExchangeError::BadResponse(error.to_string())
}

/// The error in a few words, for a report.
pub fn describe(error: &ExchangeError) -> String {
    match error {
        ExchangeError::Timeout => "no reply".into(),
        ExchangeError::Unreachable(why) => why.clone(),
        ExchangeError::Truncated(why) => why.clone(),
        ExchangeError::BadResponse(why) => format!("unreadable reply: {why}"),
        ExchangeError::LocalLimit(why) => format!("this machine's limit: {why}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resends_are_earned_by_replies_and_bounded() {
        let budget = ResendBudget::new();
        let initial = (0..1000).take_while(|_| budget.spend()).count();
        assert_eq!(initial, 32, "some resends before any reply");
        for _ in 0..400 {
            budget.earn();
        }
        assert_eq!(
            (0..1000).take_while(|_| budget.spend()).count(),
            200,
            "half a resend per reply"
        );
        for _ in 0..100_000 {
            budget.earn();
        }
        assert_eq!(
            (0..5000).take_while(|_| budget.spend()).count(),
            1024,
            "banked at most"
        );
    }

    #[test]
    fn running_out_of_file_descriptors_is_a_local_limit_not_an_unreachable_server() {
        assert!(matches!(
            unreachable(io::Error::from_raw_os_error(24)),
            ExchangeError::LocalLimit(why) if why.contains("EMFILE")
        ));
        assert_eq!(
            unreachable(io::ErrorKind::ConnectionRefused.into()),
            ExchangeError::Unreachable("connection refused".into())
        );
    }
}
