//! The certready binary: reads the command line and wires the library's parts together.

use std::io::{self, Write};
use std::process::ExitCode;

use certready::exit::ExitStatus;
use certready::options::{CheckPlan, Cli, Command};
use certready::output::render;
use certready::zone::zone_line;

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
    let checker = &plan.checker;
    let mut stdout = io::stdout().lock();
    let mut verdicts = Vec::new();
    let mut applied = vec![false; checker.assumptions.len()];
    let written = checker
        .check_in_order(plan.names, |check| {
            verdicts.push(check.evaluation.verdict);
            for (assumption, applied) in checker.assumptions.iter().zip(&mut applied) {
                *applied |= check.assumed.contains(assumption);
            }
            writeln!(
                stdout,
                "{}",
                render(&check, &checker.requester, plan.format)
            )
        })
        .await
        .and_then(|()| stdout.flush());
    if let Err(error) = written
        && error.kind() != io::ErrorKind::BrokenPipe
    {
        eprintln!("certready: cannot write the report: {error}");
        return ExitStatus::Usage;
    }
    let unused: Vec<_> = checker
        .assumptions
        .iter()
        .zip(&applied)
        .filter(|(_, applied)| !**applied)
        .collect();
    for (assumption, _) in &unused {
        let flag = if assumption.present {
            "--assume"
        } else {
            "--assume-absent"
        };
        eprintln!(
            "certready: {flag} '{}' changed nothing: no name checked has a successful lookup whose records are at {}{}",
            zone_line(&assumption.owner, &assumption.record),
            assumption.owner,
            if assumption.present {
                ""
            } else {
                ", or that record is not there"
            }
        );
    }
    if unused.is_empty() {
        ExitStatus::for_verdicts(verdicts)
    } else {
        ExitStatus::Usage
    }
}
