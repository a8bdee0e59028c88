//! The run as a hostile or careless user meets it, against the real binary: a reader that
//! closes the pipe, a full disk, a broken stderr, an input that fails partway, signals while
//! stdout is stalled, and a terminal shared by the reports and the progress line.

use std::fs::File;
use std::io::{BufRead, BufReader, Read, Write};
use std::os::fd::OwnedFd;
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::support::{Behaviour, DnsServer, status};
use rustix::process::{Pid, Signal, kill_process};
use serde_json::Value;
use tokio::io::AsyncReadExt;

/// `certready check --no-name-policy --nameserver SERVER ARGS` with stdin, stdout and stderr
/// as given.
fn spawn(
    server: &DnsServer,
    args: &[&str],
    stdin: Stdio,
    stdout: Stdio,
    stderr: Stdio,
) -> tokio::process::Child {
    tokio::process::Command::new(env!("CARGO_BIN_EXE_certready"))
        .args([
            "check",
            "--no-name-policy",
            "--nameserver",
            &server.nameserver(),
        ])
        .args(args)
        .env("NO_COLOR", "1")
        .stdin(stdin)
        .stdout(stdout)
        .stderr(stderr)
        .kill_on_drop(true)
        .spawn()
        .expect("the certready binary runs")
}

/// `count` names under allowed.example.test, one per line.
fn names(count: usize) -> String {
    (0..count)
        .map(|i| format!("n{i}.allowed.example.test\n"))
        .collect()
}

/// A file of names that lives as long as the test needs it.
struct InputFile(std::path::PathBuf);

impl InputFile {
    fn new(text: &str) -> InputFile {
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let path = std::env::temp_dir().join(format!(
            "certready-plumbing-{}-{}.txt",
            std::process::id(),
            NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        ));
        std::fs::write(&path, text).unwrap();
        InputFile(path)
    }

    fn arg(&self) -> &str {
        self.0.to_str().unwrap()
    }
}

impl Drop for InputFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn send(child: &tokio::process::Child, signal: Signal) {
    let pid = Pid::from_raw(i32::try_from(child.id().unwrap()).unwrap()).unwrap();
    kill_process(pid, signal).unwrap();
}

async fn read_all(mut pipe: impl tokio::io::AsyncRead + Unpin) -> String {
    let mut text = String::new();
    let _ = pipe.read_to_string(&mut text).await;
    text
}

/// Waits at most `limit` for the child to exit; its status code.
async fn exits_within(child: &mut tokio::process::Child, limit: Duration) -> i32 {
    tokio::time::timeout(limit, child.wait())
        .await
        .expect("certready exits in time")
        .unwrap()
        .code()
        .expect("exited with a status")
}

/// Status 5, and one line on stderr saying `why`, with no panic.
fn assert_unfinished_in_one_line(code: i32, stderr: &str, why: &str) {
    assert_eq!(code, 5, "{stderr}");
    assert_no_panic(stderr);
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    assert!(stderr.contains(why), "{stderr}");
}

fn assert_no_panic(stderr: &str) {
    for sign in ["panicked", "backtrace", "RUST_BACKTRACE"] {
        assert!(!stderr.contains(sign), "{sign} on stderr: {stderr}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_reader_that_closes_the_pipe_ends_the_run_quietly_with_status_5() {
    let server = DnsServer::start(Behaviour::default()).await;
    let input = InputFile::new(&names(3000));
    // Several rounds: the cancelled-task panic this guards against came one run in ten.
    for _ in 0..5 {
        let mut child = spawn(
            &server,
            &["--json", "--input", input.arg()],
            Stdio::null(),
            Stdio::piped(),
            Stdio::piped(),
        );
        let stderr = tokio::spawn(read_all(child.stderr.take().unwrap()));
        {
            // `| head -1`: one line, then the pipe is closed.
            let stdout = child.stdout.take().unwrap();
            let mut lines = tokio::io::BufReader::new(stdout);
            let mut first = String::new();
            tokio::io::AsyncBufReadExt::read_line(&mut lines, &mut first)
                .await
                .unwrap();
            assert!(first.starts_with('{'), "{first}");
        }
        let code = exits_within(&mut child, Duration::from_secs(10)).await;
        let stderr = stderr.await.unwrap();
        assert_unfinished_in_one_line(code, &stderr, "stopped: the reader of the report went away");
        assert!(
            stderr.contains(" written"),
            "the summary counts what was written: {stderr}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_full_disk_is_one_clear_line_and_status_5() {
    let server = DnsServer::start(Behaviour::default()).await;
    let full = File::options().write(true).open("/dev/full").unwrap();
    let child = spawn(
        &server,
        &["allowed.example.test"],
        Stdio::null(),
        Stdio::from(full),
        Stdio::piped(),
    );
    let output = child.wait_with_output().await.unwrap();
    assert_unfinished_in_one_line(
        status(&output),
        &String::from_utf8_lossy(&output.stderr),
        "cannot write the report to standard output: No space left on device",
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_broken_stderr_never_changes_the_status() {
    let server = DnsServer::start(Behaviour::default()).await;
    let input = InputFile::new(&names(3));
    let mut child = spawn(
        &server,
        &["--json", "--input", input.arg()],
        Stdio::null(),
        Stdio::piped(),
        Stdio::piped(),
    );
    // The summary will meet a closed pipe.
    drop(child.stderr.take());
    let stdout = read_all(child.stdout.take().unwrap()).await;
    let code = exits_within(&mut child, Duration::from_secs(10)).await;
    assert_eq!(code, 0);
    assert_eq!(stdout.lines().count(), 3);
}

/// A pseudo-terminal: the master to drive it, the slave's path to give a child.
fn pty() -> (OwnedFd, String) {
    use rustix::pty::{OpenptFlags, grantpt, openpt, ptsname, unlockpt};
    let master = openpt(OpenptFlags::RDWR | OpenptFlags::NOCTTY | OpenptFlags::CLOEXEC).unwrap();
    grantpt(&master).unwrap();
    unlockpt(&master).unwrap();
    let slave = ptsname(&master, Vec::new()).unwrap();
    (master, slave.into_string().unwrap())
}

/// The pty's slave end, opened without becoming anyone's controlling terminal.
fn open_slave(path: &str) -> OwnedFd {
    use rustix::fs::{Mode, OFlags, open};
    open(
        path,
        OFlags::RDWR | OFlags::NOCTTY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn an_input_that_fails_partway_is_fatal_naming_the_line_with_status_5() {
    let server = DnsServer::start(Behaviour::default()).await;
    let (master, slave) = pty();
    // The names come through a terminal that goes away: reading it then fails (EIO).
    let mut child = spawn(
        &server,
        &["--json", "--input", "-"],
        Stdio::from(open_slave(&slave)),
        Stdio::piped(),
        Stdio::piped(),
    );
    let stderr = tokio::spawn(read_all(child.stderr.take().unwrap()));
    let mut typing = File::from(master);
    typing
        .write_all(b"a.allowed.example.test\nb.allowed.example.test\n")
        .unwrap();
    let mut lines = tokio::io::BufReader::new(child.stdout.take().unwrap());
    for _ in 0..2 {
        let mut line = String::new();
        tokio::io::AsyncBufReadExt::read_line(&mut lines, &mut line)
            .await
            .unwrap();
        assert!(line.contains("allowed.example.test"), "{line}");
    }
    drop(typing);
    let code = exits_within(&mut child, Duration::from_secs(10)).await;
    let stderr = stderr.await.unwrap();
    assert_eq!(code, 5, "{stderr}");
    assert_no_panic(&stderr);
    assert!(
        stderr.contains("cannot read --input - at line 3"),
        "{stderr}"
    );
    assert!(!stderr.contains("invalid:"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_input_directory_is_bad_usage_before_anything_is_checked() {
    let server = DnsServer::start(Behaviour::default()).await;
    let dir = std::env::temp_dir();
    let child = spawn(
        &server,
        &["allowed.example.test", "--input", dir.to_str().unwrap()],
        Stdio::null(),
        Stdio::piped(),
        Stdio::piped(),
    );
    let output = child.wait_with_output().await.unwrap();
    assert_eq!(status(&output), 2);
    assert!(output.stdout.is_empty());
    assert!(String::from_utf8_lossy(&output.stderr).contains("is a directory"));
    assert_eq!(server.stats.query_count(), 0);
}

/// Starts a run whose stdout nobody reads, and waits until it is stalled on it.
async fn stalled_run(server: &DnsServer, input: &InputFile) -> tokio::process::Child {
    let mut child = spawn(
        server,
        &["--json", "--input", input.arg()],
        Stdio::null(),
        Stdio::piped(),
        Stdio::piped(),
    );
    // Thousands of 1.5 KB reports fill the pipe within a fraction of a second.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(child.try_wait().unwrap().is_none(), "still running");
    child
}

#[tokio::test(flavor = "multi_thread")]
async fn ctrl_c_stops_within_a_second_while_stdout_is_stalled() {
    let server = DnsServer::start(Behaviour::default()).await;
    let input = InputFile::new(&names(5000));
    let mut child = stalled_run(&server, &input).await;
    let _stalled = child.stdout.take();
    let stderr = tokio::spawn(read_all(child.stderr.take().unwrap()));
    let sent = Instant::now();
    send(&child, Signal::INT);
    let code = exits_within(&mut child, Duration::from_secs(5)).await;
    let took = sent.elapsed();
    let stderr = stderr.await.unwrap();
    assert_eq!(code, 130, "{stderr}");
    assert!(took < Duration::from_secs(1), "stopped after {took:?}");
    assert!(stderr.contains("stopped by SIGINT"), "{stderr}");
    assert_no_panic(&stderr);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_second_ctrl_c_exits_at_once() {
    let server = DnsServer::start(Behaviour::default()).await;
    let input = InputFile::new(&names(5000));
    let mut child = stalled_run(&server, &input).await;
    let _stalled = child.stdout.take();
    let sent = Instant::now();
    send(&child, Signal::INT);
    send(&child, Signal::INT);
    let code = exits_within(&mut child, Duration::from_secs(5)).await;
    assert_eq!(code, 130);
    assert!(sent.elapsed() < Duration::from_secs(1));
}

#[tokio::test(flavor = "multi_thread")]
async fn sigint_sigterm_and_sighup_stop_with_the_prefix_a_summary_and_128_plus_signal() {
    for (signal, code, name) in [
        (Signal::INT, 130, "SIGINT"),
        (Signal::TERM, 143, "SIGTERM"),
        (Signal::HUP, 129, "SIGHUP"),
    ] {
        let server = DnsServer::start(Behaviour::default().fault(
            "stuck.example.test",
            crate::support::Fault::Delay(Duration::from_secs(30)),
        ))
        .await;
        let mut child = spawn(
            &server,
            &[
                "--json",
                "--deadline",
                "60",
                "allowed.example.test",
                "denied.example.test",
                "stuck.example.test",
                "nothing.example.test",
            ],
            Stdio::null(),
            Stdio::piped(),
            Stdio::piped(),
        );
        let stdout = tokio::spawn(read_all(child.stdout.take().unwrap()));
        let stderr = tokio::spawn(read_all(child.stderr.take().unwrap()));
        while !server
            .stats
            .queries()
            .iter()
            .any(|(name, _)| name == "stuck.example.test")
        {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
        send(&child, signal);
        let exit = exits_within(&mut child, Duration::from_secs(5)).await;
        let (stdout, stderr) = (stdout.await.unwrap(), stderr.await.unwrap());
        assert_eq!(exit, code, "{name}: {stderr}");
        let written: Vec<String> = stdout
            .lines()
            .map(|line| serde_json::from_str::<Value>(line).unwrap()["name"].to_string())
            .collect();
        assert_eq!(
            written,
            ["\"allowed.example.test\"", "\"denied.example.test\""],
            "{name}: the in-order prefix"
        );
        assert!(
            stderr.contains(&format!("stopped by {name}: 2 names")),
            "{stderr}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn on_a_terminal_reports_and_the_progress_line_never_interleave() {
    let server = DnsServer::start(Behaviour::default().delay(Duration::from_millis(40))).await;
    let (master, slave) = pty();
    let input = InputFile::new(&names(60));
    let mut child = spawn(
        &server,
        &["--json", "--concurrency", "2", "--input", input.arg()],
        Stdio::null(),
        Stdio::from(open_slave(&slave)),
        Stdio::from(open_slave(&slave)),
    );
    // Everything the terminal shows, until the child has gone and closed its end.
    let screen = std::thread::spawn(move || {
        let mut text = Vec::new();
        let mut master = File::from(master);
        let mut buffer = [0; 4096];
        while let Ok(read) = master.read(&mut buffer) {
            if read == 0 {
                break;
            }
            text.extend_from_slice(&buffer[..read]);
        }
        text
    });
    let code = exits_within(&mut child, Duration::from_secs(30)).await;
    assert_eq!(code, 0);
    let screen = String::from_utf8_lossy(&screen.join().unwrap()).into_owned();
    let plain = strip_escapes(&screen);
    let mut reports = 0;
    let mut progress_lines = 0;
    for line in BufReader::new(plain.as_bytes()).lines() {
        for segment in line.unwrap().split('\r') {
            if segment.contains("names/s") {
                progress_lines += 1;
                assert!(
                    segment.contains("allowed,") && segment.contains("invalid;"),
                    "every verdict counted: {segment}"
                );
            }
            if segment.contains("\"name\"") {
                let report: Value = serde_json::from_str(segment)
                    .unwrap_or_else(|error| panic!("{error}: a report interleaved: {segment:?}"));
                assert_eq!(report["verdict"], "allowed");
                reports += 1;
            }
        }
    }
    assert_eq!(reports, 60, "{plain}");
    assert!(progress_lines > 0, "the progress line showed: {plain}");
}

/// The text without terminal control sequences (CSI `ESC [ ... letter`).
fn strip_escapes(text: &str) -> String {
    let mut plain = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            if chars.next() == Some('[') {
                for c in chars.by_ref() {
                    if c.is_ascii_alphabetic() {
                        break;
                    }
                }
            }
        } else {
            plain.push(c);
        }
    }
    plain
}

#[tokio::test(flavor = "multi_thread")]
async fn running_out_of_file_descriptors_is_a_local_limit_never_unreachable() {
    let server = DnsServer::start(Behaviour::default()).await;
    let mut local_limits = 0;
    // The runtime needs a few descriptors of its own: try limits around where sockets run out.
    for limit in 6..=16 {
        let command = format!(
            "ulimit -n {limit}; exec {} check --no-name-policy --json --nameserver {} allowed.example.test",
            env!("CARGO_BIN_EXE_certready"),
            server.nameserver()
        );
        let output = tokio::process::Command::new("sh")
            .args(["-c", &command])
            .output()
            .await
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_no_panic(&stderr);
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            !stdout.contains("\"unreachable\""),
            "limit {limit}: {stdout}"
        );
        if stdout.contains("\"local-limit\"") {
            local_limits += 1;
            assert_eq!(status(&output), 3, "limit {limit}: undetermined");
            assert!(stdout.contains("EMFILE"), "{stdout}");
        }
    }
    assert!(
        local_limits > 0,
        "some limit left no descriptor for a socket"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_signal_stops_the_run_within_a_second_on_a_stalled_terminal() {
    let server = DnsServer::start(Behaviour::default()).await;
    let (master, slave) = pty();
    let input = InputFile::new(&names(5000));
    // Nobody reads the terminal: once its buffer is full, every write to stdout and stderr
    // (reports, progress line, summary) blocks, as under a pager stopped with Ctrl-S.
    let mut child = spawn(
        &server,
        &["--json", "--input", input.arg()],
        Stdio::null(),
        Stdio::from(open_slave(&slave)),
        Stdio::from(open_slave(&slave)),
    );
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(child.try_wait().unwrap().is_none(), "still running");
    let sent = Instant::now();
    send(&child, Signal::TERM);
    let code = exits_within(&mut child, Duration::from_secs(5)).await;
    assert_eq!(code, 143);
    assert!(
        sent.elapsed() < Duration::from_secs(1),
        "stopped after {:?}",
        sent.elapsed()
    );
    drop(master);
}

#[tokio::test(flavor = "multi_thread")]
async fn expiry_stops_on_ctrl_c_behind_a_silent_server_keeping_the_prefix() {
    let silent = crate::support::tls::SilentServer::start();
    let dead = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_certready"))
        .args(["expiry", "--json", "--deadline", "60"])
        .args([
            dead.to_string(),
            silent.address().to_string(),
            dead.to_string(),
        ])
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("the certready binary runs");
    let mut stdout = tokio::io::BufReader::new(child.stdout.take().unwrap());
    let stderr = tokio::spawn(read_all(child.stderr.take().unwrap()));
    // The dead port's report is out; the silent server holds back the rest.
    let mut first = String::new();
    tokio::io::AsyncBufReadExt::read_line(&mut stdout, &mut first)
        .await
        .unwrap();
    assert_eq!(
        serde_json::from_str::<Value>(&first).unwrap()["error"]["code"],
        "connection-refused"
    );
    send(&child, Signal::INT);
    let sent = Instant::now();
    let exit = exits_within(&mut child, Duration::from_secs(5)).await;
    assert!(sent.elapsed() < Duration::from_secs(1));
    let stderr = stderr.await.unwrap();
    assert_eq!(exit, 130, "{stderr}");
    assert_no_panic(&stderr);
    assert!(
        stderr.contains("stopped by SIGINT: 1 host written"),
        "{stderr}"
    );
}
