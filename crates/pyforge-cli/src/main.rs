//! `pyforge`: the command-line face of pyforge-core.

mod cli;
mod commands;
mod databricks;
mod inputs;
mod remote;

use std::process::ExitCode;

use clap::Parser;

/// Exit code for a failed run (usage errors exit 2, through clap).
const EXIT_FAILED: u8 = 1;
/// Exit code for an option that does not fit the input (as clap's usage errors).
const EXIT_USAGE: u8 = 2;

fn main() -> ExitCode {
    // Output piped into `head` and the like: end quietly when the reader goes away, as other
    // command-line tools do, instead of panicking on the failed write (Rust ignores SIGPIPE).
    #[cfg(unix)]
    // SAFETY: called first thing in main, before any thread exists; SIG_DFL is always valid.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let cli = cli::Cli::parse();
    // Ctrl-C: remove the temporaries being written (destructors do not run on exit) and stop.
    let _ = ctrlc::set_handler(|| {
        pyforge_core::sink::remove_live_temporaries();
        pyforge_databricks::stage::remove_live_staging();
        eprintln!("pyforge: interrupted");
        std::process::exit(130);
    });
    let ui = commands::Ui { verbose: cli.verbose, quiet: cli.quiet };
    let result = match cli.command {
        cli::Command::Convert(a) => commands::convert(&ui, a),
        cli::Command::Info(a) => commands::info(&ui, a),
        cli::Command::Validate(a) => commands::validate(&ui, a),
        cli::Command::Formats(a) => commands::formats(a),
        cli::Command::Samples(a) => commands::samples(&ui, a),
        cli::Command::EnvInfo(a) => databricks::env_info(a),
        cli::Command::Volumes(c) => databricks::volumes(&ui, c),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("pyforge: error: {}", remote::shown_text(&one_line(&e)));
            match e.downcast_ref::<pyforge_core::Error>() {
                Some(pyforge_core::Error::Usage { .. }) => ExitCode::from(EXIT_USAGE),
                _ => ExitCode::from(EXIT_FAILED),
            }
        }
    }
}

/// An error and its causes on one line (causes the message already contains are skipped).
pub fn one_line(e: &anyhow::Error) -> String {
    let mut s = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        let t = c.to_string();
        if !s.contains(&t) {
            s.push_str(": ");
            s.push_str(&t);
        }
        cause = c.source();
    }
    s.replace('\n', " ")
}
