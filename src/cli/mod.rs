//! The command line: `args` defines and validates what was typed; `generate` writes the
//! completion scripts and the manual page from the same definitions.

pub mod args;
pub mod generate;
