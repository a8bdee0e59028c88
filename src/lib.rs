//! certready: may this CA issue a certificate for this name right now, and if not, which DNS
//! record fixes it? A library with a thin binary (`src/main.rs`).
//!
//! Functional core, imperative shell:
//! - `name`: what the user typed, as the name the CA checks; `policy`: names the CA refuses
//!   whatever their CAA records say.
//! - `answers`: what DNS said, the boundary between shell and core.
//! - `caa`: the rulebook as pure functions, up to the verdict.
//! - `assume`: what-if records overlaid on the answers; `fix`: the smallest change that allows;
//!   `zone`: records as zone-file lines.
//! - `dns`: asking DNS and reading its replies, each distinct name once per run.
//! - `check`: one name end to end; `input` and `runner`: a whole run, in order, with a summary,
//!   stopped cleanly by signals and by output or input that fails; `diagnostics`: stderr.
//! - `output`: reports for people and scripts; `escape`: untrusted bytes made printable.
//! - `options`: the command line; `exit`: exit statuses; `generate`: completions and the manual.

pub mod answers;
pub mod assume;
pub mod caa;
pub mod check;
pub mod diagnostics;
pub mod dns;
pub mod escape;
pub mod exit;
pub mod fix;
pub mod generate;
pub mod input;
pub mod name;
pub mod options;
pub mod output;
pub mod policy;
pub mod runner;
pub mod tls;
pub mod zone;
