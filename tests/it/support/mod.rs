//! A real DNS server on loopback for the integration tests, and a way to run the real binary
//! against it.
//!
//! hickory-server serves the zone files of `testdata/zones` (the file `NAME.zone` holds zone
//! `NAME.`, `root.zone` the root) over UDP and TCP on 127.0.0.1, behind a wrapper that can
//! delay every answer, answer chosen names with an error RCODE, never answer them, answer with
//! records built in memory (ones no zone file can express), truncate without a TCP answer, or
//! synthesise a DNAME (the server has no DNAME type). It counts the queries it sees and how
//! many were in flight at once.
//!
//! `authority.rs` is another kind of DNS: a universe of separate authoritative servers, from a
//! root down, for `check --source`.

/// The test PKI, also the unit tests' (`src/cert`), which use other parts of it.
pub mod authority;
#[allow(dead_code)]
pub mod pki;
pub mod signed;
pub mod tls;
pub mod twilio;

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::path::Path;
use std::process::Output;
use std::str::FromStr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hickory_server::Server;
use hickory_server::net::runtime::{Time, TokioRuntimeProvider};
use hickory_server::net::xfer::Protocol;
use hickory_server::proto::op::{Edns, Header, HeaderCounts, Metadata, ResponseCode};
use hickory_server::proto::rr::rdata::opt::EdnsOption;
use hickory_server::proto::rr::rdata::{CAA, CNAME, NULL};
use hickory_server::proto::rr::{LowerName, Name, RData, Record, RecordSet, RecordType, RrKey};
use hickory_server::proto::serialize::txt::Parser;
use hickory_server::server::{Request, RequestHandler, ResponseHandler, ResponseInfo};
use hickory_server::store::in_memory::InMemoryZoneHandler;
use hickory_server::zone_handler::{AxfrPolicy, Catalog, MessageResponseBuilder, ZoneType};
use tokio::net::{TcpListener, UdpSocket};

/// How the server misbehaves for one name.
#[derive(Clone, Debug)]
pub enum Fault {
    /// Answer with this RCODE and no records.
    Rcode(ResponseCode),
    /// Answer with this RCODE and an Extended DNS Error (RFC 8914) of this info code and text,
    /// as a validating resolver does when DNSSEC validation fails.
    RcodeWithExtendedError(ResponseCode, u16, &'static str),
    /// Never answer, over UDP or TCP.
    Silent,
    /// Answer NOERROR with these CAA records, built in memory: a tag or value no zone file
    /// can express.
    CaaRecords(Vec<CAA>),
    /// Answer NXDOMAIN with these CAA records in the answer section, as a broken server does.
    NxDomainWithCaa(Vec<CAA>),
    /// Answer NOERROR with these CAA records owned by another name than the one asked.
    CaaOwnedBy(&'static str, Vec<CAA>),
    /// Answer over UDP with TC=1 and nothing else; never answer over TCP.
    TruncatedWithoutTcp,
    /// Answer as the zones say, after this long.
    Delay(Duration),
    /// Drop the first query for the name, as a lossy network would; answer the others.
    DropFirst,
}

/// What the server does besides serving the zones.
#[derive(Clone, Debug, Default)]
pub struct Behaviour {
    /// Wait this long before every answer.
    pub delay: Duration,
    /// Faults by query name (lowercase, no trailing dot).
    pub faults: HashMap<String, Fault>,
    /// DNAMEs as (owner, target): a query for a name strictly below the owner is answered
    /// with the DNAME and the CNAME synthesised from it, as an authoritative server does.
    pub dnames: Vec<(String, String)>,
    /// Zone-file lines added to (true) or removed from (false) the zones before serving them,
    /// read by hickory's own zone-file parser.
    pub zone_changes: Vec<(bool, String)>,
}

impl Behaviour {
    pub fn fault(mut self, name: &str, fault: Fault) -> Self {
        self.faults.insert(name.to_owned(), fault);
        self
    }

    pub fn dname(mut self, owner: &str, target: &str) -> Self {
        self.dnames.push((owner.to_owned(), target.to_owned()));
        self
    }

    /// Serves the zones with this zone-file line added (`present`) or removed.
    pub fn zone_change(mut self, present: bool, line: &str) -> Self {
        self.zone_changes.push((present, line.to_owned()));
        self
    }

    pub fn delay(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }
}

/// What the server saw.
#[derive(Debug, Default)]
pub struct Stats {
    queries: Mutex<Vec<(String, Protocol)>>,
    arrivals: Mutex<Vec<Instant>>,
    /// Queries being handled, by name: a resend of a question in flight is the same question.
    in_flight: Mutex<HashMap<String, usize>>,
    max_in_flight: AtomicUsize,
}

impl Stats {
    /// Every query name seen (lowercase, no trailing dot), with its protocol, in arrival order.
    pub fn queries(&self) -> Vec<(String, Protocol)> {
        self.queries.lock().unwrap().clone()
    }

    pub fn query_count(&self) -> usize {
        self.queries.lock().unwrap().len()
    }

    /// How many different names were asked (a resend asks the same name again).
    pub fn distinct_names(&self) -> usize {
        let queries = self.queries.lock().unwrap();
        let names: std::collections::HashSet<&String> =
            queries.iter().map(|(name, _)| name).collect();
        names.len()
    }

    /// When each query arrived, in arrival order.
    pub fn arrivals(&self) -> Vec<Instant> {
        self.arrivals.lock().unwrap().clone()
    }

    /// The most questions (distinct names) the server was handling at one moment.
    pub fn max_in_flight(&self) -> usize {
        self.max_in_flight.load(Ordering::SeqCst)
    }
}

/// Counts a query in flight for as long as it lives.
struct InFlight<'a> {
    stats: &'a Stats,
    name: String,
}

impl<'a> InFlight<'a> {
    fn enter(stats: &'a Stats, name: String, protocol: Protocol) -> Self {
        stats.queries.lock().unwrap().push((name.clone(), protocol));
        stats.arrivals.lock().unwrap().push(Instant::now());
        let mut in_flight = stats.in_flight.lock().unwrap();
        *in_flight.entry(name.clone()).or_default() += 1;
        stats
            .max_in_flight
            .fetch_max(in_flight.len(), Ordering::SeqCst);
        InFlight { stats, name }
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        let mut in_flight = self.stats.in_flight.lock().unwrap();
        if let Some(count) = in_flight.get_mut(&self.name) {
            *count -= 1;
            if *count == 0 {
                in_flight.remove(&self.name);
            }
        }
    }
}

struct Handler {
    catalog: Catalog,
    behaviour: Behaviour,
    stats: Arc<Stats>,
    /// Names whose first query was dropped (`Fault::DropFirst`).
    dropped: Mutex<std::collections::HashSet<String>>,
}

#[async_trait::async_trait]
impl RequestHandler for Handler {
    async fn handle_request<R: ResponseHandler, T: Time>(
        &self,
        request: &Request,
        mut response_handle: R,
    ) -> ResponseInfo {
        let Ok(info) = request.request_info() else {
            return self
                .catalog
                .handle_request::<R, T>(request, response_handle)
                .await;
        };
        let qname = info.query.name().to_string().to_lowercase();
        let qname = qname.trim_end_matches('.').to_owned();
        let in_flight = InFlight::enter(&self.stats, qname.clone(), request.protocol());
        if !self.behaviour.delay.is_zero() {
            tokio::time::sleep(self.behaviour.delay).await;
        }
        let mut metadata = Metadata::response_from_request(&request.metadata);
        metadata.authoritative = true;
        let fault = match self.behaviour.faults.get(&qname) {
            Some(Fault::Delay(delay)) => {
                tokio::time::sleep(*delay).await;
                None
            }
            Some(Fault::DropFirst) => {
                if self.dropped.lock().unwrap().insert(qname.clone()) {
                    return no_response(metadata);
                }
                None
            }
            fault => fault,
        };
        // Out of flight before the answer goes: a client that has its answer may send the
        // next query at once, and must not be counted as having two in flight.
        drop(in_flight);
        let mut edns = None;
        let answers: Vec<Record> = match fault {
            Some(Fault::Silent) => return no_response(metadata),
            Some(Fault::TruncatedWithoutTcp) if request.protocol() == Protocol::Tcp => {
                return no_response(metadata);
            }
            Some(Fault::TruncatedWithoutTcp) => {
                metadata.truncation = true;
                Vec::new()
            }
            Some(Fault::Delay(_) | Fault::DropFirst) => unreachable!("answered above"),
            Some(Fault::Rcode(rcode)) => {
                metadata.response_code = *rcode;
                Vec::new()
            }
            Some(Fault::RcodeWithExtendedError(rcode, info, text)) => {
                metadata.response_code = *rcode;
                let mut option = info.to_be_bytes().to_vec();
                option.extend(text.as_bytes());
                let mut extended = Edns::new();
                extended
                    .options_mut()
                    .insert(EdnsOption::Unknown(15, option));
                edns = Some(extended);
                Vec::new()
            }
            Some(Fault::CaaRecords(records)) => caa_records(&qname, records),
            Some(Fault::NxDomainWithCaa(records)) => {
                metadata.response_code = ResponseCode::NXDomain;
                caa_records(&qname, records)
            }
            Some(Fault::CaaOwnedBy(other, records)) => caa_records(other, records),
            None => match self.dname_answer(&qname) {
                Some(records) => records,
                None => {
                    return self
                        .catalog
                        .handle_request::<R, T>(request, response_handle)
                        .await;
                }
            },
        };
        let mut builder = MessageResponseBuilder::from_message_request(request);
        if let Some(edns) = &edns {
            builder.edns(edns);
        }
        let response = builder.build(metadata, answers.iter(), [], [], []);
        response_handle
            .send_response(response)
            .await
            .unwrap_or_else(|_| no_response(metadata))
    }
}

impl Handler {
    /// RFC 6672: the DNAME and a CNAME synthesised from it, for a name strictly below the owner.
    fn dname_answer(&self, qname: &str) -> Option<Vec<Record>> {
        let (owner_text, target) = self
            .behaviour
            .dnames
            .iter()
            .find(|(owner, _)| qname.ends_with(&format!(".{owner}")))?;
        let prefix = &qname[..qname.len() - owner_text.len() - 1];
        let target_name = owner(target);
        let mut rdata = Vec::new();
        for label in target_name.iter() {
            rdata.push(u8::try_from(label.len()).unwrap());
            rdata.extend(label);
        }
        rdata.push(0);
        let dname = Record::from_rdata(
            owner(owner_text),
            300,
            RData::Unknown {
                code: RecordType::Unknown(39),
                rdata: NULL::with(rdata),
            },
        );
        let synthesised = Record::from_rdata(
            owner(qname),
            300,
            RData::CNAME(CNAME(owner(&format!("{prefix}.{target}")))),
        );
        Some(vec![dname, synthesised])
    }
}

fn caa_records(at: &str, records: &[CAA]) -> Vec<Record> {
    records
        .iter()
        .map(|caa| Record::from_rdata(owner(at), 300, RData::CAA(caa.clone())))
        .collect()
}

fn owner(name: &str) -> Name {
    Name::from_str(&format!("{name}.")).expect("test names are valid")
}

/// What the server reports having "sent" when it deliberately sends nothing.
fn no_response(metadata: Metadata) -> ResponseInfo {
    ResponseInfo::from(Header {
        metadata,
        counts: HeaderCounts::default(),
    })
}

/// A CAA record with any tag and value bytes, as no zone file can write it.
pub fn raw_caa(flags: u8, tag: &str, value: &[u8]) -> CAA {
    let mut caa = CAA::new_issue(false, None, Vec::new());
    caa.issuer_critical = flags & 128 != 0;
    caa.reserved_flags = flags & 127;
    caa.tag = tag.to_owned();
    caa.value = value.to_vec();
    caa
}

/// A DNS server on 127.0.0.1, UDP and TCP on the same port, serving `testdata/zones`.
pub struct DnsServer {
    pub addr: SocketAddr,
    pub stats: Arc<Stats>,
    _server: Server<Handler>,
}

impl DnsServer {
    pub async fn start(behaviour: Behaviour) -> DnsServer {
        let stats = Arc::new(Stats::default());
        let handler = Handler {
            catalog: load_zones(&behaviour.zone_changes),
            behaviour,
            stats: stats.clone(),
            dropped: Mutex::default(),
        };
        let mut server = Server::new(handler);
        let (udp, tcp) = bind_udp_and_tcp().await;
        let addr = udp.local_addr().unwrap();
        server.register_socket(udp);
        server.register_listener(tcp, Duration::from_secs(10), 64 * 1024);
        DnsServer {
            addr,
            stats,
            _server: server,
        }
    }

    /// The `--nameserver` argument that points at this server.
    pub fn nameserver(&self) -> String {
        self.addr.to_string()
    }
}

/// A UDP socket and a TCP listener on one loopback port: TCP bound first, UDP taken on the same
/// port, again on another when UDP's is taken.
pub async fn bind_udp_and_tcp() -> (UdpSocket, TcpListener) {
    loop {
        let tcp = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = tcp.local_addr().unwrap().port();
        if let Ok(udp) = UdpSocket::bind(("127.0.0.1", port)).await {
            return (udp, tcp);
        }
    }
}

/// The zones of `testdata/zones`, read by hickory's zone-file parser, with `changes` made.
fn load_zones(changes: &[(bool, String)]) -> Catalog {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/zones");
    let mut zones: Vec<(Name, BTreeMap<RrKey, RecordSet>)> = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let Some(stem) = path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_suffix(".zone"))
        else {
            continue;
        };
        let origin = if stem == "root" {
            Name::root()
        } else {
            owner(stem)
        };
        let text = std::fs::read_to_string(&path).unwrap();
        let (_, records) = Parser::new(text, Some(path.clone()), Some(origin.clone()))
            .parse()
            .unwrap_or_else(|error| panic!("{}: {error}", path.display()));
        zones.push((origin, records));
    }
    for (present, line) in changes {
        apply_zone_change(&mut zones, *present, line);
    }
    let mut catalog = Catalog::new();
    for (origin, records) in zones {
        let zone = InMemoryZoneHandler::<TokioRuntimeProvider>::new(
            origin.clone(),
            records,
            ZoneType::Primary,
            AxfrPolicy::Deny,
            None,
        )
        .unwrap();
        catalog.upsert(LowerName::new(&origin), vec![Arc::new(zone)]);
    }
    catalog
}

/// Adds or removes one record, given as a zone-file line, in the zone that holds its owner.
fn apply_zone_change(zones: &mut [(Name, BTreeMap<RrKey, RecordSet>)], present: bool, line: &str) {
    let (_, parsed) = Parser::new(format!("$TTL 300\n{line}\n"), None, Some(Name::root()))
        .parse()
        .unwrap_or_else(|error| panic!("hickory cannot read {line:?}: {error}"));
    let record = parsed
        .into_values()
        .flat_map(|set| set.records_without_rrsigs().cloned().collect::<Vec<_>>())
        .next()
        .unwrap_or_else(|| panic!("no record in {line:?}"));
    let (_, records) = zones
        .iter_mut()
        .filter(|(origin, _)| origin.zone_of(&record.name))
        .max_by_key(|(origin, _)| origin.num_labels())
        .expect("some zone holds the owner");
    let key = RrKey::new(LowerName::new(&record.name), record.record_type());
    if present {
        records
            .entry(key)
            .or_insert_with(|| RecordSet::new(record.name.clone(), record.record_type(), 0))
            .insert(record, 0);
    } else {
        let set = records
            .get_mut(&key)
            .unwrap_or_else(|| panic!("nothing to remove for {line:?}"));
        assert!(set.remove(&record, 0), "{line:?} is not in the zone");
        if set.is_empty() {
            records.remove(&key);
        }
    }
}

/// Runs the built certready binary with `args` and returns what it did.
pub async fn certready(args: &[&str]) -> Output {
    tokio::process::Command::new(env!("CARGO_BIN_EXE_certready"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .await
        .expect("the certready binary runs")
}

/// Runs the built certready binary with `args`, `stdin` as its standard input.
pub async fn certready_with_stdin(args: &[&str], stdin: &[u8]) -> Output {
    use tokio::io::AsyncWriteExt;
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_certready"))
        .args(args)
        .env("NO_COLOR", "1")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the certready binary runs");
    let mut input = child.stdin.take().expect("stdin is piped");
    let stdin = stdin.to_vec();
    let writer = tokio::spawn(async move {
        let _ = input.write_all(&stdin).await;
    });
    let output = child.wait_with_output().await.expect("certready finishes");
    writer.await.expect("stdin written");
    output
}

/// JSON Lines on stdout, one object each.
pub fn json_lines(output: &Output) -> Vec<serde_json::Value> {
    String::from_utf8(output.stdout.clone())
        .expect("stdout is UTF-8")
        .lines()
        .map(|line| serde_json::from_str(line).expect("each stdout line is a JSON object"))
        .collect()
}

/// `certready check NAME... --json --nameserver SERVER --no-name-policy` plus `extra` arguments
/// (the test zones are under `.test`, which the CA's name policy refuses).
pub async fn check_json(
    server: &DnsServer,
    names: &[&str],
    extra: &[&str],
) -> (Output, Vec<serde_json::Value>) {
    let nameserver = server.nameserver();
    let mut args = vec![
        "check",
        "--json",
        "--no-name-policy",
        "--nameserver",
        &nameserver,
    ];
    args.extend(extra);
    args.extend(names);
    let output = certready(&args).await;
    let reports = json_lines(&output);
    (output, reports)
}

/// Checks one name with `--json` and returns its report.
pub async fn report(server: &DnsServer, name: &str, extra: &[&str]) -> serde_json::Value {
    let (output, reports) = check_json(server, &[name], extra).await;
    assert_eq!(reports.len(), 1, "stderr: {}", stderr(&output));
    reports.into_iter().next().unwrap()
}

/// The exit status of a run, which must have exited normally.
pub fn status(output: &Output) -> i32 {
    output.status.code().expect("exited with a status")
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Runs each command line, which must be bad usage: exit 2, nothing on stdout, and one line
/// on stderr that says `says`.
pub async fn assert_usage_errors(cases: &[(&[&str], &str)]) {
    for (args, says) in cases {
        let output = certready(args).await;
        assert_eq!(status(&output), 2, "{args:?}");
        assert!(output.stdout.is_empty(), "{args:?}");
        let error = stderr(&output);
        assert_eq!(error.lines().count(), 1, "{error}");
        assert!(error.contains(says), "{args:?}: {error}");
    }
}

/// A file of this test process's own in the temporary directory, holding `contents`.
pub fn scratch_file(name: &str, contents: &[u8]) -> std::path::PathBuf {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let unique = NEXT.fetch_add(1, Ordering::Relaxed);
    let path =
        std::env::temp_dir().join(format!("certready-{}-{unique}-{name}", std::process::id()));
    std::fs::write(&path, contents).expect("the scratch file is written");
    path
}

/// The codes of a report's `findings`, in order.
pub fn finding_codes(report: &serde_json::Value) -> Vec<&str> {
    report["findings"]
        .as_array()
        .expect("findings is a list")
        .iter()
        .map(|finding| finding["code"].as_str().expect("a code"))
        .collect()
}

/// The report's finding with `code`.
pub fn finding<'a>(report: &'a serde_json::Value, code: &str) -> &'a serde_json::Value {
    report["findings"]
        .as_array()
        .and_then(|findings| findings.iter().find(|finding| finding["code"] == code))
        .unwrap_or_else(|| panic!("no {code} in {report}"))
}
