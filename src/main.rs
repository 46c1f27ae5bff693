//! The `fisherflow` binary: parses the command line and maps errors to exit codes.

use clap::Parser;

fn main() {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("warn")).init();
    let cli = fisherflow::cli::Cli::parse();
    if let Err(err) = fisherflow::cli::run(cli) {
        eprintln!("error: {:#}", err.error);
        std::process::exit(err.code);
    }
}
