//! Command line: `serve` (default), `migrate`, `create-admin`, `print-schema`,
//! `import-django`.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::config::Settings;
use crate::import::ColumnMapping;

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
    /// Import users, groups and DRF tokens from a Django database (read only); safe to run
    /// again: what did not change is skipped. See README "Migrating from Django".
    ImportDjango {
        /// The Django database: sqlite:///path/to/db.sqlite3 or postgres://user@host/db.
        #[arg(long, value_name = "DATABASE_URL")]
        from: String,
        /// The user table: a custom user model's (e.g. accounts_user) instead of auth_user.
        #[arg(long, default_value = crate::import::options::DEFAULT_USER_TABLE)]
        user_table: String,
        /// Read a field from a column, e.g. --map codename=nickname (repeatable). Fields:
        /// username, password, email, first_name, last_name, full_name, codename,
        /// profile_pic, is_active, is_staff, is_superuser, date_joined, last_login.
        #[arg(long, value_name = "FIELD=COLUMN")]
        map: Vec<ColumnMapping>,
        /// Django's MEDIA_ROOT, where the profile pictures are copied from.
        #[arg(long, value_name = "DIR")]
        media_root: Option<PathBuf>,
        /// Report what would happen without writing anything.
        #[arg(long)]
        dry_run: bool,
        /// Users per transaction.
        #[arg(long, default_value_t = crate::import::options::DEFAULT_BATCH_SIZE)]
        batch_size: usize,
        /// Print the summary as JSON (progress still goes to stderr).
        #[arg(long)]
        json: bool,
    },
}
