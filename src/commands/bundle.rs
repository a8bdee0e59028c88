//! The `bundle` command: a PEM bundle and its key, read whole from disk (the shell), judged by
//! the certificate core, rendered, and the status it adds up to.

use std::io::Read;

use crate::cert::{BundleDiagnosis, Status, Thresholds, diagnose_bundle};
use crate::clock::unix_now;
use crate::exit::ExitStatus;
use crate::render::Format;
use crate::render::certificate::bundle::{BundleFiles, render};
use crate::runner::input::Source;

/// A bundle is a few kilobytes; anything past this is not one (and `/dev/zero` must end).
pub const MOST_BYTES: u64 = 1024 * 1024;

/// Everything a bundle check needs, read.
#[derive(Debug)]
pub struct BundleCheck {
    /// The bundle's name as typed (`-` for standard input).
    pub bundle_name: String,
    pub bundle: Vec<u8>,
    pub key_name: Option<String>,
    pub key: Option<Vec<u8>>,
    pub names: Vec<String>,
    pub thresholds: Thresholds,
    pub format: Format,
}

/// Why an input file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadFailure {
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("it is a directory")]
    Directory,
    #[error("it is larger than {MOST_BYTES} bytes, far more than such a file holds")]
    TooLarge,
}

/// Reads a whole input, up to `MOST_BYTES`.
pub fn read_input(source: &Source) -> Result<Vec<u8>, ReadFailure> {
    let mut bytes = Vec::new();
    let reader: Box<dyn Read> = match source {
        Source::Stdin => Box::new(std::io::stdin().lock()),
        Source::File(path) if path.is_dir() => return Err(ReadFailure::Directory),
        Source::File(path) => Box::new(std::fs::File::open(path)?),
    };
    reader.take(MOST_BYTES + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MOST_BYTES {
        return Err(ReadFailure::TooLarge);
    }
    Ok(bytes)
}

/// The exit status a bundle's status makes: 0 ready, 4 warnings only, 1 fails.
pub fn exit_status(status: Status) -> ExitStatus {
    match status {
        Status::Ready => ExitStatus::Success,
        Status::Warnings => ExitStatus::Warnings,
        Status::Fails => ExitStatus::Fails,
    }
}

impl BundleCheck {
    /// The diagnosis, now.
    pub fn diagnose(&self) -> BundleDiagnosis {
        diagnose_bundle(
            &self.bundle,
            self.key.as_deref(),
            &self.names,
            self.thresholds,
            unix_now(),
        )
    }

    /// The report, and the status it makes.
    pub fn report(&self) -> (String, ExitStatus) {
        let diagnosis = self.diagnose();
        let files = BundleFiles {
            bundle: &self.bundle_name,
            key: self.key_name.as_deref(),
        };
        (
            render(&diagnosis, files, self.format),
            exit_status(diagnosis.status),
        )
    }
}
