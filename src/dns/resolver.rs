//! Shared lookups for a run: each distinct query name is asked at most once. Concurrent askers
//! wait for the one query in flight, and later askers find its reply in a per-run cache, so a
//! hundred thousand names under one zone share the zone's and the TLD's answers.
//!
//! The cache honours nothing beyond the run (no TTLs: a run is a snapshot), and it is bounded
//! so that memory does not grow with the input: least-used replies (in practice the full names,
//! each asked once) are evicted, while the parents shared by many names stay. One exception to
//! "at most once": when a name's deadline cancels the lookup that was asking on behalf of
//! others, the next waiter asks again.

use std::sync::Arc;

use hickory_resolver::proto::rr::Name;
use quick_cache::sync::Cache;

use super::transport::{Exchange, Transport};
use super::wire::AnswerRecord;

/// Replies kept per run. Each takes a few hundred bytes; parents stay, leaves come and go.
pub const CACHED_REPLIES: usize = 100_000;

/// The transport behind a per-run cache with in-flight de-duplication.
#[derive(Debug)]
pub struct Resolver {
    transport: Transport,
    cache: Cache<Name, Arc<Exchange>>,
}

impl Resolver {
    pub fn new(transport: Transport) -> Resolver {
        Resolver {
            transport,
            cache: Cache::new(CACHED_REPLIES),
        }
    }

    pub fn transport(&self) -> &Transport {
        &self.transport
    }

    /// The reply to a CAA query for `name`: from the cache, from the query already in flight,
    /// or from a new query.
    pub async fn query(&self, name: &Name) -> Arc<Exchange> {
        let Ok(exchange) = self
            .cache
            .get_or_insert_async(name, async {
                let exchange = self.transport.query(name).await;
                Ok::<_, std::convert::Infallible>(Arc::new(compact(exchange)))
            })
            .await;
        exchange
    }
}

/// Drops what a lookup will not read again, to keep cached replies small: the question, and
/// the SOA owners unless an alias chain may need them.
fn compact(mut exchange: Exchange) -> Exchange {
    if let Ok(reply) = &mut exchange.result {
        reply.question = None;
        let has_aliases = reply
            .answers
            .iter()
            .any(|record| !matches!(record, AnswerRecord::Caa(_)));
        if !has_aliases {
            reply.soa_owners = Vec::new();
        }
        reply.answers.shrink_to_fit();
    }
    exchange
}
