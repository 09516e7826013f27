//! `kharden-sign-request MODULE`: the client `kharden modsign build` hands to make as `cmd_sign`,
//! run once per module the build installs. It does exactly what `kharden modsign sign-request`
//! does (`kharden::modules::build::sign_request`), from a binary that carries none of kharden's
//! rules, flags or reports: make starts one such process per module, and a process of the full
//! binary costs about three times as many page faults before `main` (the loader relocates the
//! built-in rules' static data), which was most of `modsign build`'s signing cost above the
//! signatures themselves (docs/modsign.md, "Signing cost").

use std::process::ExitCode;

fn main() -> ExitCode {
    let mut args = std::env::args_os().skip(1);
    let (Some(module), None) = (args.next(), args.next()) else {
        eprintln!("kharden-sign-request: error: usage: kharden-sign-request MODULE");
        return ExitCode::from(2);
    };
    match kharden::modules::build::sign_request(std::path::Path::new(&module)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let text = kharden::term::clean(&e.to_string()).into_owned();
            eprintln!("kharden-sign-request: error: {text}");
            ExitCode::from(2)
        }
    }
}
