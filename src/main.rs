//! The certready binary: reads the command line and hands the plan to a run.

use std::process::ExitCode;

use certready::exit::ExitStatus;
use certready::options::{Cli, Command};
use certready::run::run;

fn main() -> ExitCode {
    let plan = Cli::parse_args().and_then(|Cli { command }| match command {
        Command::Check(args) => args.plan().map_err(|error| error.to_string()),
    });
    let plan = match plan {
        Ok(plan) => plan,
        Err(error) => {
            eprintln!("certready: {error}");
            return ExitStatus::Usage.into();
        }
    };
    match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime
            .block_on(async { tokio::spawn(run(plan)).await })
            .unwrap_or_else(|error| std::panic::resume_unwind(error.into_panic()))
            .into(),
        Err(error) => {
            eprintln!("certready: cannot start the async runtime: {error}");
            ExitStatus::Usage.into()
        }
    }
}
