//! A DNS universe on loopback for `check --source` and `wait`: separate authoritative servers,
//! as on the real internet, each serving the zones it is given, from a root down.
//!
//! - **Addresses.** Each server has an address of its own, 127.0.0.10, 127.0.0.11, … in the
//!   order the builder declares them (Linux routes all of 127.0.0.0/8 to loopback), known as
//!   soon as the server is declared, so zone text can carry it as glue.
//! - **One port per universe.** Every server of a universe listens on the same port, UDP and
//!   TCP: glue and root hints carry addresses, not ports, so a resolver walking the universe
//!   must send every authoritative query to one port (certready's testing option). The port is
//!   probed when the universe starts: free on every address at once, UDP and TCP. Universes of
//!   tests running side by side share addresses but not ports. Nothing listens on IPv6;
//!   AAAA glue can still be written (it is zone content).
//! - **Zones** are zone-file text (`$TTL 300` is assumed), read by hickory's zone-file parser
//!   and served by hickory-server's in-memory zone handler, behind a wrapper that answers
//!   referrals itself: hickory answers a name below a zone cut with the NS set in the
//!   authority section but sets AA and gives no glue; real servers clear AA and add the glue
//!   the zone holds (`Fault::HickoryReferrals` leaves them to hickory, for the test that
//!   watches hickory's behaviour). What the zones say (NS sets, glue, a private address such as 10.0.0.1)
//!   is the test's to write; a server given no zone for a name answers REFUSED (lame).
//! - **Faults** are per server (`Fault`): a version of a zone of its own, REFUSED to all, an
//!   RCODE or silence to CAA only, no TCP, the question's case flipped, FORMERR to EDNS, CAA
//!   truncated over UDP, silence.
//! - Each server records the queries it saw (`SeenQuery`); a zone can be replaced while the
//!   universe runs (`Universe::set_zone`).
//!
//! All servers run on one thread with its own tokio runtime (`tls::Runner`), so they keep
//! answering while a test blocks on the real binary; dropping the universe stops them.

#![allow(dead_code)] // Only the harness's own tests use it until `check --source` and `wait` do.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::str::FromStr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use hickory_server::Server;
use hickory_server::dnssec::NxProofKind;
use hickory_server::net::runtime::{Time, TokioRuntimeProvider};
use hickory_server::net::xfer::Protocol;
use hickory_server::proto::dnssec::rdata::DNSSECRData;
use hickory_server::proto::op::{Edns, Metadata, ResponseCode};
use hickory_server::proto::rr::{LowerName, Name, RData, Record, RecordSet, RecordType, RrKey};
use hickory_server::proto::serialize::txt::Parser;
use hickory_server::server::{Request, RequestHandler, ResponseHandler, ResponseInfo};
use hickory_server::store::in_memory::InMemoryZoneHandler;
use hickory_server::zone_handler::{AxfrPolicy, MessageResponseBuilder, ZoneHandler, ZoneType};
use tokio::net::{TcpListener, UdpSocket};

use super::no_response;
use super::signed::{Routing, ZoneKey};
use super::tls::Runner;

/// The last octet of the first server's address (127.0.0.10); 1 and 53 are left alone.
const FIRST_HOST: u8 = 10;

/// How one server misbehaves. A server may have several.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Answer REFUSED to every query, whatever zones it holds (lame).
    Refused,
    /// Answer CAA queries with this RCODE and no records; other types as the zones say.
    CaaRcode(ResponseCode),
    /// Never answer CAA queries, over UDP or TCP; other types as the zones say.
    DropsCaa,
    /// Never answer DNSKEY queries; other types as the zones say.
    DropsDnskey,
    /// Do not listen on TCP: a connection is refused.
    NoTcp,
    /// Accept TCP connections and close them at once, unread.
    TcpClosed,
    /// Send the question back with the case of every letter flipped (`wWW.EXAMPLE.TEST.` for
    /// `Www.example.test.`): 0x20 not preserved. The records are as the zone writes them.
    CaseNotPreserved,
    /// Answer FORMERR (without an OPT record) to any query with EDNS; normally without.
    EdnsFormErr,
    /// Answer CAA queries over UDP as a server does when the RRset does not fit: TC=1, AA, no
    /// records; over TCP as the zones say.
    TruncatesCaa,
    /// Never answer anything.
    Silent,
    /// Leave referrals to hickory-server alone, which sets AA on them and gives no glue (and
    /// answers an NS query at a cut as if the zone were its own): the canary that says whether
    /// the wrapper's referrals are still needed.
    HickoryReferrals,
    /// Serve the signed zones it holds without their signatures (`UniverseBuilder::sign`).
    ServesUnsigned,
    /// Sign the signed zones it holds with signatures that expire a second after it starts.
    SignaturesExpiring,
    /// Sign this zone (`example.test`) with a key of its own, which the zone's other servers
    /// do not publish: a secondary still serving the keys from before a rollover.
    SignsWithAnotherKey(&'static str),
    /// Serve the signed zones it holds with their DNSKEY records but no signatures, as a
    /// resolver that strips DNSSEC hands them on.
    StripsSignatures,
}

/// How long signatures are valid for, from the start, unless a fault says otherwise.
const SIGNATURES_VALID: Duration = Duration::from_secs(7 * 86_400);

/// A query a server saw.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeenQuery {
    /// The query name exactly as sent (case kept), with its trailing dot.
    pub name: String,
    pub qtype: RecordType,
    pub protocol: Protocol,
    /// The RD bit.
    pub recursion_desired: bool,
    /// Whether the query carried an OPT record.
    pub edns: bool,
}

/// One server as declared.
struct Spec {
    name: String,
    address: Ipv4Addr,
    zones: Vec<Zone>,
    faults: Vec<Fault>,
}

/// Declares the servers, the zones each serves and their faults; `start` starts them.
#[derive(Default)]
pub struct UniverseBuilder {
    servers: Vec<Spec>,
    /// The zones signed, each with its key and the key its parent's DS is of (the same, unless
    /// `sign_with_a_wrong_ds`).
    keys: Vec<(LowerName, ZoneKey, ZoneKey)>,
    /// Servers that hold every zone as first declared (`resolver`).
    resolvers: Vec<String>,
}

impl UniverseBuilder {
    /// Declares a server by its host name (as the NS records will name it) and gives its
    /// address, the next free one of 127.0.0.10 and up.
    pub fn server(&mut self, name: &str) -> Ipv4Addr {
        let name = absolute(name);
        assert!(
            self.servers.iter().all(|spec| spec.name != name),
            "{name} is declared twice"
        );
        let host = u8::try_from(self.servers.len())
            .ok()
            .and_then(|index| FIRST_HOST.checked_add(index))
            .filter(|host| *host < 255)
            .expect("at most 245 servers in a universe");
        let address = Ipv4Addr::new(127, 0, 0, host);
        self.servers.push(Spec {
            name,
            address,
            zones: Vec::new(),
            faults: Vec::new(),
        });
        address
    }

    /// A root on `a.root.test` and `test.` on `ns.nic.test`, delegating each zone of
    /// `delegations` (its name under `test.`, and its name servers) with glue; each name
    /// server is declared here, and the zones' own text is the caller's to give.
    pub fn under_test(delegations: &[(&str, &[&str])]) -> UniverseBuilder {
        let mut builder = UniverseBuilder::default();
        let root = builder.server("a.root.test");
        let nic = builder.server("ns.nic.test");
        let mut test = format!(
            "@ SOA ns.nic hostmaster 1 3600 600 86400 300
@ NS ns.nic
ns.nic A {nic}
"
        );
        for (zone, servers) in delegations {
            for server in *servers {
                let address = builder.server(server);
                test.push_str(&format!("{zone}. NS {server}.\n{server}. A {address}\n"));
            }
        }
        builder.zone(
            ".",
            &format!(
                ". SOA a.root.test. hostmaster.root.test. 1 3600 600 86400 300
. NS a.root.test.
a.root.test. A {root}
test. NS ns.nic.test.
ns.nic.test. A {nic}
"
            ),
            &["a.root.test"],
        );
        builder.zone("test", &test, &["ns.nic.test"]);
        builder
    }

    /// Has each of `servers` serve zone `origin` as `text` says.
    pub fn zone(&mut self, origin: &str, text: &str, servers: &[&str]) -> &mut Self {
        for server in servers {
            self.zone_on(server, origin, text);
        }
        self
    }

    /// Has `server` serve zone `origin` as `text` says, in place of any version it had: a
    /// stale secondary, a server that disagrees.
    pub fn zone_on(&mut self, server: &str, origin: &str, text: &str) -> &mut Self {
        let zone = Zone::parse(origin, text);
        let spec = self.spec(server);
        spec.zones.retain(|held| held.origin != zone.origin);
        spec.zones.push(zone);
        self
    }

    /// Signs zone `origin` wherever it is served, with one key made for it; its parent zone
    /// (the nearest zone above it that some server holds) gets its DS record. Faults change
    /// what one server serves (`ServesUnsigned`, `SignaturesExpiring`, `SignsWithAnotherKey`,
    /// `StripsSignatures`).
    pub fn sign(&mut self, origin: &str) -> &mut Self {
        let key = ZoneKey::generate();
        self.signed(origin, key.clone(), key)
    }

    /// Signs zone `origin` as `sign` does, but its parent's DS is of another key: the chain
    /// of trust to it is broken, whatever its servers serve.
    pub fn sign_with_a_wrong_ds(&mut self, origin: &str) -> &mut Self {
        self.signed(origin, ZoneKey::generate(), ZoneKey::generate())
    }

    fn signed(&mut self, origin: &str, key: ZoneKey, ds_of: ZoneKey) -> &mut Self {
        let origin = LowerName::new(&Name::from_str(&absolute(origin)).expect("a zone origin"));
        self.keys.retain(|(signed, _, _)| *signed != origin);
        self.keys.push((origin, key, ds_of));
        self
    }

    /// Declares a server that answers as a non-validating resolver in front of the universe
    /// would: every zone as first declared, signed as declared, and a DS question from the
    /// zone above the cut. `--nameserver` for `--dnssec`.
    pub fn resolver(&mut self, name: &str) -> Ipv4Addr {
        let address = self.server(name);
        self.resolvers.push(absolute(name));
        address
    }

    /// The address a declared server was given.
    pub fn address(&mut self, server: &str) -> Ipv4Addr {
        self.spec(server).address
    }

    /// Gives `server` a fault.
    pub fn fault(&mut self, server: &str, fault: Fault) -> &mut Self {
        self.spec(server).faults.push(fault);
        self
    }

    fn spec(&mut self, server: &str) -> &mut Spec {
        let name = absolute(server);
        self.servers
            .iter_mut()
            .find(|spec| spec.name == name)
            .unwrap_or_else(|| panic!("{name} is not declared (UniverseBuilder::server)"))
    }

    /// Each zone's first declared version to every resolver; each signed zone's DS into its
    /// parent; each server's signed zones signed as its faults say.
    fn sign_zones(&mut self) {
        let mut first: Vec<Zone> = Vec::new();
        for spec in self
            .servers
            .iter()
            .filter(|spec| !self.resolvers.contains(&spec.name))
        {
            for zone in &spec.zones {
                if first.iter().all(|held| held.origin != zone.origin) {
                    first.push(zone.clone());
                }
            }
        }
        for spec in &mut self.servers {
            if self.resolvers.contains(&spec.name) {
                spec.zones = first.clone();
            }
        }
        for (child, _, ds_of) in &self.keys {
            let parent = first
                .iter()
                .map(|zone| &zone.origin)
                .filter(|zone| *zone != child && zone.zone_of(child))
                .max_by_key(|zone| zone.num_labels())
                .cloned();
            let ds = ds_of.ds_record(&Name::from(child.clone()));
            for zone in self.servers.iter_mut().flat_map(|spec| &mut spec.zones) {
                if Some(&zone.origin) == parent.as_ref() {
                    zone.records
                        .entry(RrKey::new(child.clone(), RecordType::DS))
                        .or_insert_with(|| RecordSet::new(ds.name.clone(), RecordType::DS, 0))
                        .insert(ds.clone(), 0);
                }
            }
        }
        for spec in &mut self.servers {
            for zone in &mut spec.zones {
                let Some((_, key, _)) = self
                    .keys
                    .iter()
                    .find(|(signed, _, _)| *signed == zone.origin)
                else {
                    continue;
                };
                let has = |fault: &Fault| spec.faults.contains(fault);
                zone.signing = if has(&Fault::ServesUnsigned) {
                    None
                } else if has(&Fault::StripsSignatures) {
                    let origin = Name::from(zone.origin.clone());
                    let dnskey = Record::from_rdata(
                        origin.clone(),
                        300,
                        RData::DNSSEC(DNSSECRData::DNSKEY(key.dnskey.clone())),
                    );
                    zone.records
                        .entry(RrKey::new(zone.origin.clone(), RecordType::DNSKEY))
                        .or_insert_with(|| RecordSet::new(origin, RecordType::DNSKEY, 0))
                        .insert(dnskey, 0);
                    None
                } else if has(&Fault::SignaturesExpiring) {
                    Some((key.clone(), Duration::from_secs(1)))
                } else if spec.faults.iter().any(|fault| {
                    matches!(fault, Fault::SignsWithAnotherKey(origin)
                        if absolute(origin) == zone.origin.to_string())
                }) {
                    Some((ZoneKey::generate(), SIGNATURES_VALID))
                } else {
                    Some((key.clone(), SIGNATURES_VALID))
                };
            }
        }
    }

    /// Starts every server on the universe's port; returns once all listen.
    pub fn start(mut self) -> Universe {
        self.sign_zones();
        let root_key = self
            .keys
            .iter()
            .find(|(origin, _, _)| origin.is_root())
            .map(|(_, key, _)| key.clone());
        let servers: Vec<Running> = self
            .servers
            .iter()
            .map(|spec| Running {
                name: spec.name.clone(),
                address: spec.address,
                resolver: self.resolvers.contains(&spec.name),
                shared: Arc::new(Shared {
                    served: Mutex::new(Arc::new(Served::new(spec.zones.clone()))),
                    seen: Mutex::default(),
                }),
            })
            .collect();
        let handlers: Vec<(Ipv4Addr, Vec<Fault>, Arc<Shared>)> = self
            .servers
            .into_iter()
            .zip(&servers)
            .map(|(spec, running)| (spec.address, spec.faults, Arc::clone(&running.shared)))
            .collect();
        let (port, runner) = Runner::spawn(move || async move {
            let (port, sockets) = bind_all(&handlers).await;
            let mut held = Vec::new();
            for ((_, faults, shared), (udp, tcp)) in handlers.into_iter().zip(sockets) {
                let closes_tcp = faults.contains(&Fault::TcpClosed);
                let mut server = Server::new(Handler { faults, shared });
                server.register_socket(udp);
                match tcp {
                    Some(tcp) if closes_tcp => {
                        tokio::spawn(async move {
                            while let Ok((connection, _)) = tcp.accept().await {
                                drop(connection);
                            }
                        });
                    }
                    Some(tcp) => server.register_listener(tcp, Duration::from_secs(10), 64 * 1024),
                    None => {}
                }
                held.push(server);
            }
            (port, async move {
                // The servers serve while held; dropping them ends their tasks.
                let _held = held;
                std::future::pending::<()>().await;
            })
        });
        Universe {
            port,
            servers,
            root_key,
            _runner: runner,
        }
    }
}

/// Binds each server's UDP socket and (unless it has `NoTcp`) TCP listener on one port, the
/// same on every address, probing ports until one is free on all.
async fn bind_all(
    servers: &[(Ipv4Addr, Vec<Fault>, Arc<Shared>)],
) -> (u16, Vec<(UdpSocket, Option<TcpListener>)>) {
    'probe: for _ in 0..100 {
        let Some((first, _, _)) = servers.first() else {
            return (0, Vec::new());
        };
        let probe = TcpListener::bind((*first, 0)).await.expect("bind loopback");
        let port = probe.local_addr().expect("a bound address").port();
        drop(probe);
        let mut sockets = Vec::new();
        for (address, faults, _) in servers {
            let Ok(udp) = UdpSocket::bind((*address, port)).await else {
                continue 'probe;
            };
            let tcp = if faults.contains(&Fault::NoTcp) {
                None
            } else {
                match TcpListener::bind((*address, port)).await {
                    Ok(tcp) => Some(tcp),
                    Err(_) => continue 'probe,
                }
            };
            sockets.push((udp, tcp));
        }
        return (port, sockets);
    }
    panic!("no port free on every address of the universe");
}

/// A running universe; dropping it stops every server.
pub struct Universe {
    port: u16,
    servers: Vec<Running>,
    /// The root's key, when the root is signed.
    root_key: Option<ZoneKey>,
    _runner: Runner,
}

struct Running {
    name: String,
    address: Ipv4Addr,
    /// A resolver (`UniverseBuilder::resolver`): in no root hints, though it holds the root.
    resolver: bool,
    shared: Arc<Shared>,
}

impl Universe {
    pub fn builder() -> UniverseBuilder {
        UniverseBuilder::default()
    }

    /// The port every server of this universe listens on, UDP and TCP.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Where `server` listens.
    pub fn address(&self, server: &str) -> SocketAddr {
        SocketAddr::new(IpAddr::V4(self.running(server).address), self.port)
    }

    /// The options that send a command's walk to this universe: `--root-hints` (written to a
    /// scratch file) and `--authoritative-port`.
    pub fn walk_args(&self) -> Vec<String> {
        let hints = super::scratch_file("root.hints", self.root_hints().as_bytes());
        vec![
            "--root-hints".into(),
            hints.to_string_lossy().into_owned(),
            "--authoritative-port".into(),
            self.port.to_string(),
        ]
    }

    /// Root hints in zone-file form (as `--root-hints` and `read_root_hints` read them): the
    /// root's NS records naming every server that serves the root zone, and their addresses.
    /// The port is not in them: see `port`.
    pub fn root_hints(&self) -> String {
        let roots: Vec<&Running> = self
            .servers
            .iter()
            .filter(|running| {
                !running.resolver
                    && lock(&running.shared.served)
                        .zones
                        .iter()
                        .any(|zone| zone.origin.is_root())
            })
            .collect();
        let mut hints = format!(
            "; The root servers of a test universe on loopback, all on port {}.\n",
            self.port
        );
        for root in &roots {
            hints.push_str(&format!(".\t3600000\tNS\t{}\n", root.name));
        }
        for root in &roots {
            hints.push_str(&format!("{}\t3600000\tA\t{}\n", root.name, root.address));
        }
        hints
    }

    /// A trust-anchor file with the root's key (the root signed), for `--trust-anchor`.
    pub fn anchor_file(&self) -> String {
        self.root_key
            .as_ref()
            .expect("the root is signed (UniverseBuilder::sign)")
            .anchor_file()
    }

    /// The queries `server` saw, in arrival order.
    pub fn queries(&self, server: &str) -> Vec<SeenQuery> {
        lock(&self.running(server).shared.seen).clone()
    }

    /// Has `server` serve zone `origin` as `text` says from now on (records and serial), in
    /// place of the version it served, or as a zone it did not serve.
    pub fn set_zone(&self, server: &str, origin: &str, text: &str) {
        let mut zone = Zone::parse(origin, text);
        let shared = &self.running(server).shared;
        let mut served = lock(&shared.served);
        // Signed as the version it replaces was.
        zone.signing = served
            .zones
            .iter()
            .find(|held| held.origin == zone.origin)
            .and_then(|held| held.signing.clone());
        let mut zones: Vec<Zone> = served
            .zones
            .iter()
            .filter(|held| held.origin != zone.origin)
            .cloned()
            .collect();
        zones.push(zone);
        *served = Arc::new(Served::new(zones));
    }

    fn running(&self, server: &str) -> &Running {
        let name = absolute(server);
        self.servers
            .iter()
            .find(|running| running.name == name)
            .unwrap_or_else(|| panic!("{name} is not a server of this universe"))
    }
}

/// What a server serves and saw, shared between the universe and the server's handler.
struct Shared {
    /// Swapped whole when a zone changes; a query in flight keeps the version it began with.
    served: Mutex<Arc<Served>>,
    seen: Mutex<Vec<SeenQuery>>,
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// One zone as a server holds it.
#[derive(Clone)]
struct Zone {
    origin: LowerName,
    records: BTreeMap<RrKey, RecordSet>,
    /// The key it is signed with and for how long, if it is signed.
    signing: Option<(ZoneKey, Duration)>,
}

impl Zone {
    fn parse(origin: &str, text: &str) -> Self {
        let name = Name::from_str(&absolute(origin)).expect("a zone origin");
        let (_, records) = Parser::new(format!("$TTL 300\n{text}"), None, Some(name.clone()))
            .parse()
            .unwrap_or_else(|error| panic!("zone {origin}: {error}"));
        Self {
            origin: LowerName::new(&name),
            records,
            signing: None,
        }
    }
}

/// A server's zones, and the catalogs hickory serves them from.
struct Served {
    zones: Vec<Zone>,
    routing: Routing,
}

impl Served {
    fn new(zones: Vec<Zone>) -> Self {
        let mut handlers: Vec<(LowerName, Arc<dyn ZoneHandler>)> = Vec::new();
        for zone in &zones {
            let origin = Name::from(zone.origin.clone());
            let signed = zone.signing.is_some();
            let mut handler = InMemoryZoneHandler::<TokioRuntimeProvider>::new(
                origin.clone(),
                zone.records.clone(),
                ZoneType::Primary,
                AxfrPolicy::Deny,
                signed.then_some(NxProofKind::Nsec),
            )
            .unwrap_or_else(|error| panic!("zone {}: {error}", zone.origin));
            if let Some((key, validity)) = &zone.signing {
                key.sign(&mut handler, &origin, *validity);
            }
            handlers.push((zone.origin.clone(), Arc::new(handler)));
        }
        Self {
            zones,
            routing: Routing::new(&handlers),
        }
    }

    /// A referral, if `name` is at or below a zone cut of the deepest zone served that holds
    /// it: the NS set of the topmost cut, and the glue the zone holds for its names (A and
    /// AAAA). None for a DS query at the cut itself, which the parent answers.
    fn referral(&self, name: &LowerName, qtype: RecordType) -> Option<(Vec<Record>, Vec<Record>)> {
        let zone = self
            .zones
            .iter()
            .filter(|zone| zone.origin.zone_of(name))
            .max_by_key(|zone| zone.origin.num_labels())?;
        let mut cut = None;
        let mut below = name.clone();
        while below.num_labels() > zone.origin.num_labels() {
            if zone
                .records
                .contains_key(&RrKey::new(below.clone(), RecordType::NS))
            {
                cut = Some(below.clone());
            }
            below = below.base_name();
        }
        let cut = cut?;
        if qtype == RecordType::DS && cut == *name {
            return None;
        }
        let ns: Vec<Record> = zone.records[&RrKey::new(cut, RecordType::NS)]
            .records_without_rrsigs()
            .cloned()
            .collect();
        let mut glue = Vec::new();
        for record in &ns {
            let RData::NS(target) = &record.data else {
                continue;
            };
            let target = LowerName::new(&target.0);
            for rtype in [RecordType::A, RecordType::AAAA] {
                if let Some(set) = zone.records.get(&RrKey::new(target.clone(), rtype)) {
                    glue.extend(set.records_without_rrsigs().cloned());
                }
            }
        }
        Some((ns, glue))
    }
}

struct Handler {
    faults: Vec<Fault>,
    shared: Arc<Shared>,
}

#[async_trait::async_trait]
impl RequestHandler for Handler {
    async fn handle_request<R: ResponseHandler, T: Time>(
        &self,
        request: &Request,
        response_handle: R,
    ) -> ResponseInfo {
        let served = Arc::clone(&lock(&self.shared.served));
        let Ok(info) = request.request_info() else {
            return served
                .routing
                .catalog_for(request)
                .handle_request::<R, T>(request, response_handle)
                .await;
        };
        let qtype = info.query.query_type();
        let qname = info.query.name().clone();
        lock(&self.shared.seen).push(SeenQuery {
            name: info.query.original().name().to_string(),
            qtype,
            protocol: request.protocol(),
            recursion_desired: request.metadata.recursion_desired,
            edns: request.edns.is_some(),
        });
        let has = |fault: &Fault| self.faults.contains(fault);
        let mut metadata = Metadata::response_from_request(&request.metadata);
        let caa = qtype == RecordType::CAA;
        if has(&Fault::Silent)
            || (caa && has(&Fault::DropsCaa))
            || (qtype == RecordType::DNSKEY && has(&Fault::DropsDnskey))
        {
            return no_response(metadata);
        }
        let flipped;
        let request = if has(&Fault::CaseNotPreserved) {
            flipped = flip_case(request);
            &flipped
        } else {
            request
        };
        if has(&Fault::EdnsFormErr) && request.edns.is_some() {
            metadata.response_code = ResponseCode::FormErr;
            return respond(request, response_handle, metadata, &[], &[], false).await;
        }
        let rcode = self.faults.iter().find_map(|fault| match fault {
            Fault::Refused => Some(ResponseCode::Refused),
            Fault::CaaRcode(rcode) if caa => Some(*rcode),
            _ => None,
        });
        if let Some(rcode) = rcode {
            metadata.response_code = rcode;
            return respond(request, response_handle, metadata, &[], &[], true).await;
        }
        if caa && has(&Fault::TruncatesCaa) && request.protocol() == Protocol::Udp {
            metadata.truncation = true;
            metadata.authoritative = true;
            return respond(request, response_handle, metadata, &[], &[], true).await;
        }
        if has(&Fault::HickoryReferrals) {
            // Straight to the catalog below.
        } else if let Some((ns, glue)) = served.referral(&qname, qtype) {
            return respond(request, response_handle, metadata, &ns, &glue, true).await;
        }
        served
            .routing
            .catalog_for(request)
            .handle_request::<R, T>(request, response_handle)
            .await
    }
}

/// Sends a response (AA as `metadata` says) with these authority and additional records, and an OPT record
/// when the query had one and `edns` allows.
async fn respond<R: ResponseHandler>(
    request: &Request,
    mut response_handle: R,
    metadata: Metadata,
    authorities: &[Record],
    additionals: &[Record],
    edns: bool,
) -> ResponseInfo {
    let opt = request.edns.as_ref().filter(|_| edns).map(|asked| {
        let mut opt = Edns::new();
        opt.set_max_payload(asked.max_payload().max(512));
        opt
    });
    let mut builder = MessageResponseBuilder::from_message_request(request);
    if let Some(opt) = &opt {
        builder.edns(opt);
    }
    let response = builder.build(metadata, [], authorities.iter(), [], additionals.iter());
    response_handle
        .send_response(response)
        .await
        .unwrap_or_else(|_| no_response(metadata))
}

/// The request with the case of every letter of its question flipped; hickory sends back the
/// question's bytes as they came.
fn flip_case(request: &Request) -> Request {
    let mut raw = request.as_slice().to_vec();
    let mut at = 12;
    while let Some(&length) = raw.get(at) {
        if length == 0 || length & 0xc0 != 0 {
            break;
        }
        let end = (at + 1 + usize::from(length)).min(raw.len());
        for byte in &mut raw[at + 1..end] {
            if byte.is_ascii_alphabetic() {
                *byte ^= 0x20;
            }
        }
        at = end;
    }
    Request::from_bytes(raw, request.src(), request.protocol())
        .expect("the same request, its case flipped")
}

/// A name with its trailing dot.
fn absolute(name: &str) -> String {
    if name.ends_with('.') {
        name.to_owned()
    } else {
        format!("{name}.")
    }
}
