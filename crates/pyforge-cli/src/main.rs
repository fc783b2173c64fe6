//! `pyforge`: the command-line face of pyforge-core (the work is in the library, so the Python
//! package's console command is the same program).

use std::process::ExitCode;

fn main() -> ExitCode {
    ExitCode::from(pyforge_cli::run(std::env::args_os()))
}
