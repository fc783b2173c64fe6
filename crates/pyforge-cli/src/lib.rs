//! The `pyforge` command: clap arguments mapped onto the typed requests of `pyforge-core`,
//! run by `pyforge-databricks` (which stages remote paths) and printed for a person. The
//! binary's `main` calls [`run`]; the Python module calls the same requests directly.

pub mod cli;
pub mod commands;
pub mod databricks;
pub mod progress;

use std::ffi::OsString;

use clap::Parser;

/// Exit code for a failed run (usage errors exit 2, through clap).
const EXIT_FAILED: u8 = 1;
/// Exit code for an option that does not fit the input (as clap's usage errors).
const EXIT_USAGE: u8 = 2;

/// Run the command line `args` (program name first) as the `pyforge` process: parses, runs,
/// prints, and returns the exit code. Installs the process's signal behaviour (quiet end on a
/// closed pipe, Ctrl-C removes temporaries), so call it only where this is the whole process.
pub fn run<I, T>(args: I) -> u8
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    // Output piped into `head` and the like: end quietly when the reader goes away, as other
    // command-line tools do, instead of panicking on the failed write (Rust ignores SIGPIPE).
    #[cfg(unix)]
    // SAFETY: SIG_DFL is always a valid disposition; called before this run starts threads.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let cli = match cli::Cli::try_parse_from(args) {
        Ok(c) => c,
        // --help and --version print and exit 0; usage errors print and exit 2 (clap's codes).
        Err(e) => {
            let _ = e.print();
            return e.exit_code().clamp(0, 255) as u8;
        }
    };
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
        cli::Command::Schema(a) => commands::schema(a),
        cli::Command::Formats(a) => commands::formats(a),
        cli::Command::Samples(a) => commands::samples(&ui, a),
        cli::Command::EnvInfo(a) => databricks::env_info(a),
        cli::Command::Volumes(c) => databricks::volumes(ui.quiet, c),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("pyforge: error: {}", pyforge_databricks::run::one_line(e.as_ref()));
            if is_usage(&e) {
                EXIT_USAGE
            } else {
                EXIT_FAILED
            }
        }
    }
}

/// Whether `e` is a usage error (options that do not fit the input).
fn is_usage(e: &anyhow::Error) -> bool {
    match (e.downcast_ref::<pyforge_core::Error>(), e.downcast_ref::<pyforge_databricks::run::RunError>()) {
        (Some(pyforge_core::Error::Usage { .. }), _) => true,
        (_, Some(r)) => r.is_usage(),
        _ => false,
    }
}
