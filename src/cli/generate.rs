//! What a package installs beside the binary: shell completions and the manual page, made
//! from the command line's own definition (`options::Cli`) so that they never drift from it.

use std::io::{self, Write};

use clap::CommandFactory;
use clap_complete::Shell;

use crate::cli::args::Cli;

/// The completion script for `shell`.
pub fn completions(shell: Shell) -> Vec<u8> {
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "certready", &mut script);
    script
}

/// The manual page, in roff: one page, with a section per subcommand.
pub fn manual() -> io::Result<Vec<u8>> {
    let command = Cli::command();
    let mut page = Vec::new();
    let man = clap_mangen::Man::new(command.clone());
    man.render_title(&mut page)?;
    man.render_name_section(&mut page)?;
    man.render_synopsis_section(&mut page)?;
    man.render_description_section(&mut page)?;
    for sub in command.get_subcommands() {
        subcommand_section(&mut page, sub, "certready")?;
    }
    man.render_version_section(&mut page)?;
    Ok(page)
}

/// A section for `sub` (named `parent sub`), and one for each of its own subcommands (`certready
/// twilio status`).
fn subcommand_section(page: &mut Vec<u8>, sub: &clap::Command, parent: &str) -> io::Result<()> {
    let name = format!("{parent} {}", sub.get_name());
    let title = name.trim_start_matches("certready ").to_uppercase();
    writeln!(page, ".SH \"{title}\"")?;
    let sub_man = clap_mangen::Man::new(sub.clone().bin_name(name.clone()));
    sub_man.render_synopsis_section(page)?;
    sub_man.render_description_section(page)?;
    sub_man.render_options_section(page)?;
    if let Some(after) = sub.get_after_help() {
        writeln!(page, ".PP")?;
        writeln!(page, ".nf")?;
        for line in after.to_string().lines() {
            writeln!(page, "{}", roff_line(line))?;
        }
        writeln!(page, ".fi")?;
    }
    for nested in sub
        .get_subcommands()
        .filter(|nested| nested.get_name() != "help")
    {
        subcommand_section(page, nested, &name)?;
    }
    Ok(())
}

/// A line of literal text for roff: backslashes doubled, and a leading `.` or `'` guarded.
fn roff_line(line: &str) -> String {
    let escaped = line.replace('\\', "\\e");
    if escaped.starts_with(['.', '\'']) {
        format!("\\&{escaped}")
    } else {
        escaped
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shell_gets_a_script_naming_the_subcommands() {
        for shell in [Shell::Bash, Shell::Zsh, Shell::Fish, Shell::PowerShell] {
            let script = String::from_utf8(completions(shell)).unwrap();
            assert!(script.contains("check"), "{shell}");
            assert!(script.contains("no-name-policy"), "{shell}");
        }
    }

    #[test]
    fn the_manual_has_each_subcommand_its_options_and_exit_statuses() {
        let page = String::from_utf8(manual().unwrap()).unwrap();
        assert!(page.contains(".TH certready 1"));
        for expected in [
            ".SH \"CHECK\"",
            "\\-\\-nameserver",
            "\\-\\-no\\-name\\-policy",
            "Exit status:",
            "129, 130, 143",
        ] {
            assert!(page.contains(expected), "{expected} missing");
        }
    }

    #[test]
    fn roff_lines_keep_their_text() {
        assert_eq!(roff_line("  a \\ b"), "  a \\e b");
        assert_eq!(roff_line(".not a request"), "\\&.not a request");
    }
}
