//! The certready binary: reads the command line and hands the plan to a run.

use std::process::ExitCode;

use certready::diagnostics::warn;
use certready::exit::ExitStatus;
use certready::options::{Cli, Command};
use certready::runner::run;

fn main() -> ExitCode {
    let plan = Cli::parse_args().and_then(|Cli { command }| match command {
        Command::Check(args) => args.plan().map_err(|error| error.to_string()),
    });
    let plan = match plan {
        Ok(plan) => plan,
        Err(error) => {
            warn(error);
            return ExitStatus::Usage.into();
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            warn(format_args!("cannot start the async runtime: {error}"));
            return ExitStatus::Unfinished.into();
        }
    };
    // The run in a task of its own, so that a panic in it is caught and reported as a run that
    // did not finish (its message is already on stderr).
    let status = runtime
        .block_on(async { tokio::spawn(run(plan)).await })
        .unwrap_or(ExitStatus::Unfinished);
    // Queries still in flight, or a writer blocked on a stalled stdout, are abandoned, not
    // awaited: the run has said all it will.
    runtime.shutdown_background();
    status.into()
}
