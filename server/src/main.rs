//! `strongroom`: the server binary. It parses the command line and runs the subcommand; the
//! rest is the `server` library (`lib.rs`).

use clap::{CommandFactory, FromArgMatches};
use server::{cli, commands};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use cli::{Cli, Command};

fn main() -> std::process::ExitCode {
    let matches = Cli::command().get_matches();
    if let Err(err) = cli::refuse_env_only_flags(&matches) {
        return finish(Err(err));
    }
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    let command = cli
        .command
        .unwrap_or_else(|| Command::Serve(Box::new(cli.serve)));
    let result = match command {
        Command::Serve(args) => run_async(commands::serve::run(*args)),
        Command::ServiceAccount(command) => run_async(commands::service_account::run(command)),
        Command::User(command) => run_async(commands::user::run(command)),
        Command::Secret(command) => run_async(commands::secret::run(command)),
        // The one command whose exit status says more than success or failure.
        Command::Scenario(command) => return finish(run_async(commands::scenario::run(command))),
        // No async runtime, no store, no key: only the sandbox and its pipes.
        Command::ScenarioWorker => {
            scenario::worker::serve_worker().map_err(|message| anyhow::anyhow!(message))
        }
    };
    finish(result.map(|()| std::process::ExitCode::SUCCESS))
}

fn finish(result: anyhow::Result<std::process::ExitCode>) -> std::process::ExitCode {
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("strongroom: error: {}", commands::errors::describe(&err));
            std::process::ExitCode::FAILURE
        }
    }
}

fn run_async<T>(future: impl std::future::Future<Output = anyhow::Result<T>>) -> anyhow::Result<T> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(future)
}
