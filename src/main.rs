//! The `mindmarket` command line: glue only. Parses arguments, loads scenarios through the library,
//! runs them with a progress bar, measures wall time, prints errors and maps them to exit codes
//! (0 success, 2 any error).

mod cli;
mod commands;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let args = cli::Cli::parse();
    match commands::dispatch(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
