//! Shared lookups for a run: each distinct query name is asked at most once. The first asker
//! starts the query as a task of its own, concurrent askers wait for that task, and later
//! askers find its reply in a per-run cache; so a hundred thousand names under one zone share
//! the zone's and the TLD's answers, and a name whose deadline passes does not cancel a query
//! others are waiting for.
//!
//! The cache honours nothing beyond the run (no TTLs: a run is a snapshot). A run of any size,
//! at any concurrency, must stay under 100 MB, which general-purpose caches do not allow
//! (measured: 55 bytes an entry before the replies themselves); so entries are a 128-bit keyed
//! digest of the name and a pointer, and the many replies without records (NODATA, NXDOMAIN,
//! REFUSED from one server) share one allocation. It is bounded by two generations: when the
//! current one fills, the previous one is dropped, so a reply survives at least one
//! generation's worth of new names after its last use, and one in use (a zone's, a TLD's) moves
//! to the current generation and survives for good. A run of up to about 900,000 distinct
//! names (two generations) asks every name exactly once; a longer one may ask a name again
//! that nothing needed for 450,000 names.

use std::collections::HashMap;
use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, BuildHasherDefault, Hasher};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};

use futures::FutureExt;
use futures::future::{BoxFuture, Shared};
use hickory_resolver::proto::op::ResponseCode;

use super::transport::{Exchange, Transport};
use super::wire::{AnswerRecord, Ask, Reply, WireName};

/// Shards, so that concurrent askers rarely wait for each other's lock.
const SHARDS: usize = 16;
/// Names per shard and generation: 7/8 of a power of two, so that a full generation fills its
/// hash table exactly. A generation holds 458,752 names in about 13 MB; memory is bounded by
/// two generations (measured: a 6,000,000-name run peaked at 97.5 MB with twice this, which
/// left too little room for a run at high concurrency).
const PER_GENERATION: usize = (1 << 15) / 8 * 7;

/// A 128-bit keyed digest of a name's lowercase wire form: collisions are out of reach (about
/// 2^-88 for a million names) and cannot be provoked without the run's keys.
type Digest = (u64, u64);

/// A query in flight, which every asker may await.
type Asking = Shared<BoxFuture<'static, Arc<Exchange>>>;

/// Maps keyed by digests, which are already keyed random numbers: hashing them again is waste.
type DigestMap<V> = HashMap<Digest, V, BuildHasherDefault<FirstWord>>;

/// A hasher that takes the first word written: a digest's own first half. (Shards are chosen
/// by the second half, so that the keys of one shard do not share their low bits.)
#[derive(Default)]
struct FirstWord(Option<u64>);

impl Hasher for FirstWord {
    fn finish(&self) -> u64 {
        self.0.unwrap_or_default()
    }

    fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.write_u64(u64::from(byte));
        }
    }

    fn write_u64(&mut self, word: u64) {
        self.0.get_or_insert(word);
    }
}

#[derive(Default)]
struct Shard {
    current: DigestMap<Arc<Exchange>>,
    previous: DigestMap<Arc<Exchange>>,
    /// Queries in flight: as many as the run has names in its window, no more.
    asking: DigestMap<Asking>,
}

/// The transport behind a per-run cache with in-flight de-duplication.
pub struct Resolver {
    inner: Arc<Inner>,
}

struct Inner {
    transport: Transport,
    shards: Vec<Mutex<Shard>>,
    keys: (RandomState, RandomState),
    /// Replies without records or aliases, one per server and RCODE.
    empty: Mutex<HashMap<(SocketAddr, ResponseCode), Arc<Exchange>>>,
}

impl std::fmt::Debug for Resolver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Resolver")
            .field("transport", &self.inner.transport)
            .finish_non_exhaustive()
    }
}

impl Resolver {
    pub fn new(transport: Transport) -> Resolver {
        Resolver {
            inner: Arc::new(Inner {
                transport,
                shards: (0..SHARDS).map(|_| Mutex::default()).collect(),
                keys: (RandomState::new(), RandomState::new()),
                empty: Mutex::default(),
            }),
        }
    }

    pub fn transport(&self) -> &Transport {
        &self.inner.transport
    }

    /// The reply to a CAA query for the name `wire`: from the cache, from the query already in
    /// flight, or from a new query.
    pub async fn query(&self, wire: &WireName) -> Arc<Exchange> {
        let wire_octets: &[u8] = wire;
        let digest = (
            self.inner.keys.0.hash_one(wire_octets),
            self.inner.keys.1.hash_one(wire_octets),
        );
        let asking = {
            let mut shard = self.inner.shard(digest);
            if let Some(exchange) = shard.known(digest) {
                return exchange;
            }
            match shard.asking.get(&digest) {
                Some(asking) => asking.clone(),
                None => {
                    let asking = self.inner.clone().ask(*wire, digest);
                    shard.asking.insert(digest, asking.clone());
                    asking
                }
            }
        };
        asking.await
    }
}

impl Inner {
    fn shard(&self, digest: Digest) -> std::sync::MutexGuard<'_, Shard> {
        self.shards[usize::from(digest.1.to_le_bytes()[0]) % SHARDS]
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Starts the query for `name` as a task of its own, which files the reply when done.
    fn ask(self: Arc<Self>, wire: WireName, digest: Digest) -> Asking {
        let task = tokio::spawn(async move {
            let exchange = self.compact(self.transport.query(Ask::caa(&wire)).await);
            let mut shard = self.shard(digest);
            shard.asking.remove(&digest);
            shard.remember(digest, exchange.clone());
            exchange
        });
        task.map(|finished| match finished {
            Ok(exchange) => exchange,
            // A bug in the query task stays a bug in every asker.
            Err(error) if error.is_panic() => std::panic::resume_unwind(error.into_panic()),
            // Cancelled: the runtime is shutting down under a stopped run; nobody reads this.
            Err(_) => Arc::new(Exchange::abandoned()),
        })
        .boxed()
        .shared()
    }

    /// Keeps only what a lookup reads again: not the SOA owners unless an alias chain may need
    /// them; and replies without records share one allocation.
    fn compact(&self, mut exchange: Exchange) -> Arc<Exchange> {
        let Ok(reply) = &mut exchange.result else {
            return Arc::new(exchange);
        };
        reply.id = 0;
        if reply.answers.is_empty() && reply.extended_error.is_none() {
            let key = (exchange.server, reply.rcode);
            let mut empty = self.empty.lock().unwrap_or_else(PoisonError::into_inner);
            return empty
                .entry(key)
                .or_insert_with(|| {
                    Arc::new(Exchange {
                        server: exchange.server,
                        result: Ok(Reply {
                            soa_owners: Vec::new(),
                            ..reply.clone()
                        }),
                    })
                })
                .clone();
        }
        let has_aliases = reply
            .answers
            .iter()
            .any(|record| !matches!(record, AnswerRecord::Caa { .. }));
        if !has_aliases {
            reply.soa_owners = Vec::new();
        }
        reply.answers.shrink_to_fit();
        Arc::new(exchange)
    }
}

impl Shard {
    /// The reply known for `digest`, promoted to the current generation if it was in the
    /// previous one.
    fn known(&mut self, digest: Digest) -> Option<Arc<Exchange>> {
        if let Some(exchange) = self.current.get(&digest) {
            return Some(exchange.clone());
        }
        let exchange = self.previous.remove(&digest)?;
        self.remember(digest, exchange.clone());
        Some(exchange)
    }

    /// Files a reply in the current generation, starting a new one when it is full. The new
    /// generation reuses the table of the one dropped: after the first two, no table grows
    /// again, and memory stays flat however long the run.
    fn remember(&mut self, digest: Digest, exchange: Arc<Exchange>) {
        if self.current.len() >= PER_GENERATION {
            self.previous.clear();
            std::mem::swap(&mut self.previous, &mut self.current);
        }
        self.current.insert(digest, exchange);
    }
}
