//! The command line, in two steps (as ripgrep does it): `args` defines what can be typed and
//! validates it; `wiring` joins it with the environment and builds the run. `generate` writes
//! the completion scripts and the manual page from the same definitions.

pub mod args;
pub mod generate;
pub mod wiring;
