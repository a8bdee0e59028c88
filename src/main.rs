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
    let runtime = match start_runtime() {
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

/// The multi-threaded runtime. Out of file descriptors, parts of tokio panic rather than fail
/// (its signal and process drivers, for one, when a test build enables them); that panic is
/// caught and said as one line like any other failure, not as a backtrace.
fn start_runtime() -> Result<tokio::runtime::Runtime, String> {
    let previous_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let built = std::panic::catch_unwind(|| {
        tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
    });
    std::panic::set_hook(previous_hook);
    match built {
        Ok(Ok(runtime)) => Ok(runtime),
        Ok(Err(error)) => Err(error.to_string()),
        Err(panic) => Err(panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|text| (*text).to_owned()))
            .unwrap_or_else(|| "it failed".to_owned())),
    }
}
