//! The certready binary: reads the command line and wires the library's parts together.

use std::io::{self, Write};
use std::process::ExitCode;

use certready::check::check_in_order;
use certready::exit::ExitStatus;
use certready::options::{CheckPlan, Cli, Command};
use certready::output::render;

fn main() -> ExitCode {
    let Cli {
        command: Command::Check(args),
    } = match Cli::parse_args() {
        Ok(cli) => cli,
        Err(error) => {
            eprintln!("certready: {error}");
            return ExitStatus::Usage.into();
        }
    };
    let plan = match args.plan() {
        Ok(plan) => plan,
        Err(error) => {
            eprintln!("certready: {error}");
            return ExitStatus::Usage.into();
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("certready: cannot start the async runtime: {error}");
            return ExitStatus::Usage.into();
        }
    };
    runtime.block_on(run(plan)).into()
}

/// Checks every name, prints each report as soon as its turn comes, and says how it went.
async fn run(plan: CheckPlan) -> ExitStatus {
    let mut stdout = io::stdout().lock();
    let mut verdicts = Vec::new();
    let written = check_in_order(plan.names, &plan.requester, &plan.transport, |check| {
        verdicts.push(check.evaluation.verdict);
        writeln!(stdout, "{}", render(&check, &plan.requester, plan.format))
    })
    .await
    .and_then(|()| stdout.flush());
    match written {
        Err(error) if error.kind() != io::ErrorKind::BrokenPipe => {
            eprintln!("certready: cannot write the report: {error}");
            ExitStatus::Usage
        }
        _ => ExitStatus::for_verdicts(verdicts),
    }
}
