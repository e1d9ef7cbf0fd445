//! Command line: `serve` (default), `migrate`, `create-admin`, `print-schema`.

use clap::{Parser, Subcommand};

use crate::config::Settings;

/// authgraph: user accounts and authentication over GraphQL and legacy REST.
#[derive(Debug, Parser)]
#[command(name = "authgraph", version, about)]
pub struct Cli {
    /// What to do; `serve` when omitted.
    #[command(subcommand)]
    pub command: Option<Command>,

    /// Server settings (also read from the environment).
    #[command(flatten)]
    pub settings: Settings,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run pending migrations, then serve HTTP until SIGINT or SIGTERM.
    Serve,
    /// Run pending migrations and exit.
    Migrate,
    /// Create an admin user, or promote an existing one.
    CreateAdmin {
        /// Username of the admin.
        #[arg(long)]
        username: String,
        /// Email address of the admin.
        #[arg(long)]
        email: Option<String>,
        /// Password; when omitted, read from AUTHGRAPH_ADMIN_PASSWORD or stdin.
        #[arg(long, env = "AUTHGRAPH_ADMIN_PASSWORD", hide_env_values = true)]
        password: Option<String>,
    },
    /// Print the GraphQL schema (SDL) without touching any database.
    PrintSchema,
}
