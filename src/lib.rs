//! certready: may this CA issue a certificate for this name right now, is the certificate that
//! is served or about to be uploaded sound, and if not, what fixes it? A library with a thin
//! binary (`src/main.rs`).
//!
//! Functional core, imperative shell; the folders are the layers:
//! - the cores, pure functions of what was fetched: `caa` (the CAA rulebook, the verdict and
//!   its fixes), `cert` (a certificate bundle or a served chain: PEM framing, the key, the
//!   chain, validity and names), `linkshortening` (a Twilio domain's certificate beside what
//!   the world shows), `dnssec` (validation: signatures, keys, denial, the chain of trust).
//! - the shells, which fetch and judge nothing: `dns` (asks DNS), `tls` (reads the chain a
//!   server serves, and checks a chain against a trust store), `twilio` (Twilio's API).
//! - `commands`: each command's job, a shell's fetch handed to a core.
//! - `cli`: the command line; `runner`: a whole run of a job over its inputs, in order, with a
//!   summary, stopped cleanly by signals and by output or input that fails.
//! - `render`: reports for people and scripts, formatting a finished diagnosis.
//! - shared: `name` (what the user typed, as the name the CA checks), `endpoint` (a TLS
//!   server as typed, and `--connect-to`), `escape` (untrusted bytes made printable), `exit`
//!   (exit statuses), `diagnostics` (stderr), `clock` (now).

pub mod caa;
pub mod cert;
pub mod cli;
pub mod clock;
pub mod commands;
pub mod diagnostics;
pub mod dns;
pub mod dnssec;
pub mod endpoint;
pub mod escape;
pub mod exit;
pub mod linkshortening;
pub mod name;
pub mod render;
pub mod runner;
pub mod tls;
pub mod twilio;
