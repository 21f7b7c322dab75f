//! The `taskfleet` binary: parse the command line, set up logging, run the subcommand, and turn
//! any error into one `error: ...` line on stderr.

use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = match taskfleet::cli::parse() {
        Ok(cli) => cli,
        Err(code) => return code,
    };
    let log_format = match taskfleet::config::LogFormat::from_env() {
        Ok(f) => f,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    taskfleet::telemetry::init_logging(cli.default_log_level(), log_format);
    let mut builder = match cli.runtime_threads() {
        Some(1) => tokio::runtime::Builder::new_current_thread(),
        Some(n) => {
            let mut b = tokio::runtime::Builder::new_multi_thread();
            b.worker_threads(n);
            b
        }
        None => tokio::runtime::Builder::new_multi_thread(),
    };
    let runtime = match builder.enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(taskfleet::cli::run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // One line: the message and its causes, no backtrace.
            eprintln!("error: {}", taskfleet::cli::error_line(&e));
            ExitCode::FAILURE
        }
    }
}
