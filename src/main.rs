//! The certready binary: reads the command line and hands the plan to a run.

use std::process::ExitCode;

use certready::cli::args::{Cli, Command, UsageError};
use certready::cli::generate;
use certready::cli::wiring;
use certready::cli::wiring::TwilioRun;
use certready::commands::write_stdout;
use certready::diagnostics::warn;
use certready::exit::ExitStatus;
use certready::exit::PluginState;
use certready::render::certificate::nagios::cannot_run;
use certready::runner::{Job, RunPlan, run};

fn main() -> ExitCode {
    let command = match Cli::parse_args() {
        Ok(Cli { command }) => command,
        Err(error) => {
            warn(error);
            return ExitStatus::Usage.into();
        }
    };
    match command {
        Command::Check(args) => run_planned(args.validate().and_then(wiring::check_plan)).into(),
        Command::Wait(args) => run_planned(args.validate().and_then(wiring::wait_plan)).into(),
        Command::Bundle(args) => match args.validate().and_then(wiring::bundle_check) {
            Ok(check) => {
                let (report, status) = check.report();
                print(Ok(with_newline(report))).worse(status).into()
            }
            Err(error) => {
                warn(error);
                ExitStatus::Usage.into()
            }
        },
        Command::Expiry(args) => {
            let nagios = args.nagios;
            match args.validate().and_then(wiring::expiry_plan) {
                Ok(plan) => run_job(plan).into(),
                // A monitoring system reads any other line or status as a verdict on the host.
                Err(error) if nagios => print(Ok(with_newline(cannot_run(&error.to_string()))))
                    .worse(ExitStatus::Plugin(PluginState::Unknown))
                    .into(),
                Err(error) => {
                    warn(error);
                    ExitStatus::Usage.into()
                }
            }
        }
        Command::Twilio(command) => match wiring::twilio_run(command) {
            Ok(TwilioRun::Status(plan)) => run_job(*plan).into(),
            Ok(TwilioRun::Once(work)) => on_runtime(work).into(),
            Err(error) => {
                warn(error);
                ExitStatus::Usage.into()
            }
        },
        Command::Completions { shell } => print(Ok(generate::completions(shell))).into(),
        Command::Man => print(generate::manual()).into(),
    }
}

fn with_newline(text: String) -> Vec<u8> {
    let mut bytes = text.into_bytes();
    bytes.push(b'\n');
    bytes
}

/// Runs a bulk command's plan, or says in one line why there is none (bad usage).
fn run_planned<J: Job>(planned: Result<RunPlan<J>, UsageError>) -> ExitStatus {
    match planned {
        Ok(plan) => run_job(plan),
        Err(error) => {
            warn(error);
            ExitStatus::Usage
        }
    }
}

/// Runs a bulk command's plan on a multi-threaded runtime.
fn run_job<J: Job>(plan: RunPlan<J>) -> ExitStatus {
    on_runtime(run(plan))
}

/// Runs `work` on a multi-threaded runtime.
fn on_runtime(work: impl Future<Output = ExitStatus> + Send + 'static) -> ExitStatus {
    let runtime = match start_runtime() {
        Ok(runtime) => runtime,
        Err(error) => {
            warn(format_args!("cannot start the async runtime: {error}"));
            return ExitStatus::Unfinished;
        }
    };
    // The run in a task of its own, so that a panic in it is caught and reported as a run that
    // did not finish (its message is already on stderr).
    let status = runtime
        .block_on(async { tokio::spawn(work).await })
        .unwrap_or(ExitStatus::Unfinished);
    // Queries still in flight, or a writer blocked on a stalled stdout, are abandoned, not
    // awaited: the run has said all it will.
    runtime.shutdown_background();
    status
}

/// Writes a generated text to stdout; one that cannot be made or written did not finish.
fn print(text: std::io::Result<Vec<u8>>) -> ExitStatus {
    match text {
        Ok(text) => write_stdout(&text).err().unwrap_or(ExitStatus::Success),
        Err(error) => {
            warn(format_args!("cannot write to standard output: {error}"));
            ExitStatus::Unfinished
        }
    }
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
