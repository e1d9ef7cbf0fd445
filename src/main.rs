//! The `authgraph` binary: parse the command line, set up logging, dispatch.
#![forbid(unsafe_code)]

use std::io::Read as _;
use std::process::ExitCode;

use authgraph::cli::{Cli, Command};
use authgraph::config::Settings;
use authgraph::import::{self, ImportOptions};
use authgraph::metrics::Metrics;
use authgraph::service::accounts;
use authgraph::startup::{build_services, Application};
use authgraph::{db, graphql, telemetry};
use clap::Parser;
use secrecy::SecretString;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let command = cli.command.unwrap_or(Command::Serve);
    if matches!(command, Command::PrintSchema) {
        print!("{}", graphql::build_schema(&cli.settings, None).sdl());
        return ExitCode::SUCCESS;
    }
    telemetry::init(cli.settings.log_format);
    match run(command, cli.settings).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!("{error}");
            eprintln!("authgraph: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command, settings: Settings) -> Result<(), Box<dyn std::error::Error>> {
    match command {
        Command::Serve => {
            let app = Application::build(settings).await?;
            app.run_until_stopped().await?;
        }
        Command::Migrate => {
            let db = db::connect_with_retry(&settings, &Metrics::new()).await?;
            db::migrate(&db, &settings.database_url).await?;
            tracing::info!("migrations applied");
        }
        Command::CreateAdmin {
            username,
            email,
            password,
        } => {
            let password = match password {
                Some(password) => password,
                None => {
                    let mut input = String::new();
                    std::io::stdin().read_to_string(&mut input)?;
                    input.trim_end_matches(['\r', '\n']).to_owned()
                }
            };
            let services = build_services(&settings, &Metrics::new()).await?;
            let (user, created) = accounts::create_admin(
                &services,
                &username,
                email.as_deref(),
                SecretString::from(password),
            )
            .await
            .map_err(|error| match error {
                authgraph::service::ServiceError::InvalidInput(fields) => {
                    format!(
                        "invalid input: {}",
                        serde_json::to_string(&fields).unwrap_or_default()
                    )
                }
                other => other.to_string(),
            })?;
            let verb = if created { "created" } else { "promoted" };
            println!("admin {verb}: {} (id {})", user.username, user.id);
        }
        Command::ImportDjango {
            from,
            user_table,
            map,
            media_root,
            dry_run,
            batch_size,
            json,
        } => {
            let services = build_services(&settings, &Metrics::new()).await?;
            let options = ImportOptions {
                source_url: from,
                user_table,
                columns: map,
                media_root,
                dry_run,
                batch_size,
            };
            let summary = import::run(&services, &options, |progress| {
                eprintln!("import-django: {progress}");
            })
            .await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&summary)?);
            } else {
                print!("{summary}");
            }
        }
        Command::PrintSchema => unreachable!("handled before logging is set up"),
    }
    Ok(())
}
