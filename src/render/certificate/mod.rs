//! The certificate reports: a bundle's lint (`bundle`), a served chain's (`served`, for
//! `expiry`), and the monitoring plugin's line (`nagios`).
//!
//! - `words`: each finding in plain words and the command that fixes it; `human` and `json`:
//!   the parts of the two reports that `bundle` and `expiry` share.

pub mod bundle;
mod human;
mod json;
pub mod nagios;
pub mod served;
mod words;
