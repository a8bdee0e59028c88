//! Reports for people and for scripts. Rendering decides nothing: it words and lays out a
//! finished diagnosis.
//!
//! - `check`: the CAA report (`check`); `certificate`: the certificate reports (`bundle`,
//!   `expiry`, and the `--nagios` plugin line); `twilio`: a Link Shortening domain's status;
//!   `wait`: how a wait for a DNS change went.
//! - `style`: colours for the human reports; `invalid`: the report for an input line that is
//!   not a valid entry, for every bulk command.

pub mod certificate;
pub mod check;
mod invalid;
pub mod style;
pub mod twilio;
pub mod wait;

pub use check::render_check;
pub use invalid::{InvalidKeys, render_invalid};

/// How reports are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Human(HumanStyle),
    Json,
}

/// How the human report looks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HumanStyle {
    pub color: bool,
    pub detail: Detail,
}

/// How much the human report says under each verdict line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Detail {
    /// The verdict line only.
    Quiet,
    /// Details for results that are not sound.
    Normal,
    /// Details for every result.
    Verbose,
}
