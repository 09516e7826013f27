//! The `kharden` binary: parse flags (cli/), run one command through the library, map its
//! outcome to an exit status.

use std::process::ExitCode;

use clap::Parser;

mod cli;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    match cli::run(cli) {
        Ok(outcome) => outcome.exit_code(),
        Err(err) => {
            if is_broken_pipe(&err) {
                return ExitCode::SUCCESS;
            }
            eprintln!("kharden: error: {}", one_line(&err));
            ExitCode::from(2)
        }
    }
}

/// A closed stdout (`kharden audit | head`) ends the program quietly.
fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|e| {
        e.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// The error chain on one line: "reading /x: permission denied". Line breaks become spaces and
/// every other control character is shown escaped: an error may quote a file name or a value
/// from the input, and a terminal must not obey what it holds.
fn one_line(err: &anyhow::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    for cause in err.chain() {
        let text = cause.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
    }
    let joined = parts.join(": ").replace('\n', " ");
    kharden::term::clean(&joined).into_owned()
}
