//! Writes the load test's data through authgraph's own service layer, straight into the
//! database (SQLite in WAL mode: safe beside a running server). Used by `bench/run.sh`.
//!
//! ```text
//! seed setup --database-url URL --jwt-secret S --out DIR [--users N] [--password PW]
//!            [--memory-kib M --iterations T --parallelism P]
//! seed refresh-pool --database-url URL --jwt-secret S --user-id ID --count N --file PATH
//! ```
//!
//! `setup` creates `admin` and `loadtest` (password hashes at the server's argon2
//! parameters, so logins cost what they cost in production), three groups and N members
//! spread over them (cheap hashes: nobody logs in as them), and writes `DIR/admin.jwt`
//! (an access token of the admin) and `DIR/loadtest.id`. `refresh-pool` opens N sessions
//! of a user, in transactions of 1,000, and writes their single-use refresh tokens to PATH,
//! one per line: a pool for the refresh load test, made without N argon2 logins.

use std::error::Error;
use std::io::Write as _;
use std::path::PathBuf;

use authgraph::auth::password::PasswordHasher;
use authgraph::config::Settings;
use authgraph::metrics::Metrics;
use authgraph::service::accounts::{self, Registration};
use authgraph::service::context::ClientInfo;
use authgraph::service::types::NameInput;
use authgraph::service::{groups, sessions, Services};
use authgraph::startup::build_services;
use sea_orm::TransactionTrait;
use secrecy::SecretString;

type Result<T> = std::result::Result<T, Box<dyn Error>>;

const USAGE: &str = "usage: seed setup --database-url URL --jwt-secret S --out DIR [--users N] [--password PW] [--memory-kib M --iterations T --parallelism P]
       seed refresh-pool --database-url URL --jwt-secret S --user-id ID --count N --file PATH";

#[derive(Default)]
struct Args {
    command: String,
    database_url: String,
    jwt_secret: String,
    out: PathBuf,
    users: usize,
    password: String,
    memory_kib: u32,
    iterations: u32,
    parallelism: u32,
    access_ttl: u64,
    user_id: i64,
    count: usize,
    file: PathBuf,
}

fn parse_args() -> Option<Args> {
    let mut raw = std::env::args().skip(1);
    let mut args = Args {
        command: raw.next()?,
        users: 60,
        password: "Tr0ub4dor&3-horse-staple".to_owned(),
        memory_kib: 19_456,
        iterations: 2,
        parallelism: 1,
        access_ttl: 3600,
        ..Args::default()
    };
    while let Some(flag) = raw.next() {
        let value = raw.next()?;
        match flag.as_str() {
            "--database-url" => args.database_url = value,
            "--jwt-secret" => args.jwt_secret = value,
            "--out" => args.out = value.into(),
            "--users" => args.users = value.parse().ok()?,
            "--password" => args.password = value,
            "--memory-kib" => args.memory_kib = value.parse().ok()?,
            "--iterations" => args.iterations = value.parse().ok()?,
            "--parallelism" => args.parallelism = value.parse().ok()?,
            "--access-ttl" => args.access_ttl = value.parse().ok()?,
            "--user-id" => args.user_id = value.parse().ok()?,
            "--count" => args.count = value.parse().ok()?,
            "--file" => args.file = value.into(),
            _ => return None,
        }
    }
    (!args.database_url.is_empty() && !args.jwt_secret.is_empty()).then_some(args)
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let Some(args) = parse_args() else {
        eprintln!("{USAGE}");
        return std::process::ExitCode::from(2);
    };
    let result = match args.command.as_str() {
        "setup" => setup(&args).await,
        "refresh-pool" => refresh_pool(&args).await,
        _ => Err(USAGE.into()),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("seed: {error}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// Services on the database, hashing cheaply (only the seeded members use it).
async fn services(args: &Args) -> Result<Services> {
    let settings = Settings {
        database_url: args.database_url.clone(),
        jwt_secret: Some(SecretString::from(args.jwt_secret.clone())),
        access_token_ttl_secs: args.access_ttl,
        argon2_memory_kib: 64,
        argon2_iterations: 1,
        argon2_parallelism: 1,
        hash_concurrency: 1,
        db_connect_attempts: 1,
        session_purge_interval_secs: 0,
        ..Settings::default()
    };
    Ok(build_services(&settings, &Metrics::new()).await?)
}

fn registration(username: &str, password: &str, group_ids: Vec<i64>) -> Registration {
    Registration {
        username: Some(username.to_owned()),
        email: Some(format!("{username}@example.com")),
        password: SecretString::from(password.to_owned()),
        names: NameInput::default(),
        codename: None,
        group_ids,
        profile_pic: None,
    }
}

async fn setup(args: &Args) -> Result<()> {
    let cheap = services(args).await?;
    // The accounts that log in get hashes at the server's parameters.
    let full = Services {
        hasher: PasswordHasher::new(args.memory_kib, args.iterations, args.parallelism, 1, 16)?,
        ..cheap.clone()
    };
    let password = SecretString::from(args.password.clone());
    let (admin, _) =
        accounts::create_admin(&full, "admin", Some("admin@example.com"), password).await?;
    let loadtest = accounts::register(
        &full,
        registration("loadtest", &args.password, vec![]),
        &ClientInfo::default(),
    )
    .await?;
    let tokens =
        sessions::start_jwt_session(&cheap, &cheap.db, admin.id, &ClientInfo::default(), false)
            .await?;
    let auth = sessions::authenticate_access(&cheap, &tokens.access_token).await?;
    let mut group_ids = Vec::new();
    for name in ["red", "green", "blue"] {
        group_ids.push(groups::create_group(&cheap, &auth, name, true).await?.id);
    }
    for i in 0..args.users {
        // Every member in one group, every other one in two: like tests/api/groups.rs.
        let mut joined = vec![group_ids[i % 3]];
        if i % 2 == 0 {
            joined.push(group_ids[(i + 1) % 3]);
        }
        let name = format!("member{i:03}");
        accounts::register(
            &cheap,
            registration(&name, &args.password, joined),
            &ClientInfo::default(),
        )
        .await?;
    }
    std::fs::create_dir_all(&args.out)?;
    std::fs::write(args.out.join("admin.jwt"), &tokens.access_token)?;
    std::fs::write(args.out.join("loadtest.id"), loadtest.id.to_string())?;
    println!(
        "seeded: admin (id {}), loadtest (id {}), 3 groups, {} members",
        admin.id, loadtest.id, args.users
    );
    Ok(())
}

async fn refresh_pool(args: &Args) -> Result<()> {
    let svc = services(args).await?;
    let client = ClientInfo {
        ip: Some("127.0.0.1".to_owned()),
        user_agent: Some("bench/seed".to_owned()),
    };
    let mut out = std::io::BufWriter::new(std::fs::File::create(&args.file)?);
    let mut left = args.count;
    while left > 0 {
        let batch = left.min(1000);
        let txn = svc.db.begin().await?;
        for _ in 0..batch {
            let issued =
                sessions::start_jwt_session(&svc, &txn, args.user_id, &client, false).await?;
            writeln!(out, "{}", issued.refresh_token)?;
        }
        txn.commit().await?;
        left -= batch;
    }
    out.flush()?;
    println!("{} refresh tokens in {}", args.count, args.file.display());
    Ok(())
}
