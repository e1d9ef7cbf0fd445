//! Baselines for `bench/run.sh`, built with the workspace's release profile:
//!
//! - `authgraph-hello [--bind ADDR]`: a bare axum server answering `GET /` with
//!   `Hello, World!` on tokio's default multi-threaded runtime (what authgraph uses), so the
//!   load test can state authgraph's figures as a ratio to the framework's own ceiling.
//! - `authgraph-hello --hash-throughput [--seconds S] [--memory-kib M] [--iterations T]
//!   [--parallelism P]`: raw argon2id hashes per second on the calling thread, at the given
//!   parameters (default: authgraph's, OWASP's 19 MiB, t=2, p=1), computed the way
//!   authgraph's hashing pool does (one preallocated block of memory reused for every
//!   hash), with nothing else around it: the ceiling for logins per second per core.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use argon2::{Algorithm, Argon2, Block, Params, Version};
use axum::routing::get;
use axum::Router;

const USAGE: &str = "usage: authgraph-hello [--bind ADDR]
       authgraph-hello --hash-throughput [--seconds S] [--memory-kib M] [--iterations T] [--parallelism P]";

struct HashArgs {
    seconds: f64,
    memory_kib: u32,
    iterations: u32,
    parallelism: u32,
}

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let mut bind = String::from("127.0.0.1:8001");
    let mut hash_mode = false;
    let mut hash = HashArgs {
        seconds: 5.0,
        memory_kib: 19_456,
        iterations: 2,
        parallelism: 1,
    };
    while let Some(arg) = args.next() {
        let parsed = match arg.as_str() {
            "--bind" => args.next().map(|v| bind = v).ok_or(()),
            "--hash-throughput" => {
                hash_mode = true;
                Ok(())
            }
            "--seconds" => parse_next(&mut args).map(|v| hash.seconds = v),
            "--memory-kib" => parse_next(&mut args).map(|v| hash.memory_kib = v),
            "--iterations" => parse_next(&mut args).map(|v| hash.iterations = v),
            "--parallelism" => parse_next(&mut args).map(|v| hash.parallelism = v),
            _ => Err(()),
        };
        if parsed.is_err() {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    }
    if hash_mode {
        hash_throughput(&hash)
    } else {
        serve(&bind)
    }
}

fn parse_next<T: std::str::FromStr>(args: &mut impl Iterator<Item = String>) -> Result<T, ()> {
    args.next().and_then(|v| v.parse().ok()).ok_or(())
}

fn serve(bind: &str) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("authgraph-hello: cannot start the runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        let app = Router::new().route("/", get(|| async { "Hello, World!" }));
        let listener = tokio::net::TcpListener::bind(bind).await?;
        eprintln!("authgraph-hello listening on {}", listener.local_addr()?);
        axum::serve(listener, app).await
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("authgraph-hello: {error}");
            ExitCode::FAILURE
        }
    }
}

fn hash_throughput(args: &HashArgs) -> ExitCode {
    let params = match Params::new(args.memory_kib, args.iterations, args.parallelism, Some(32)) {
        Ok(params) => params,
        Err(error) => {
            eprintln!("authgraph-hello: invalid argon2 parameters: {error}");
            return ExitCode::from(2);
        }
    };
    let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
    let mut memory = vec![Block::default(); params.block_count()];
    let mut output = [0u8; 32];
    let password = b"correct horse battery staple";
    let mut salt = [0u8; 16];
    let mut hash_once = |n: u64| {
        salt[..8].copy_from_slice(&n.to_le_bytes());
        argon2.hash_password_into_with_memory(password, &salt, &mut output, &mut memory)
    };
    // One untimed hash: the memory block is touched (faulted in) before timing.
    if let Err(error) = hash_once(0) {
        eprintln!("authgraph-hello: argon2 failed: {error}");
        return ExitCode::FAILURE;
    }
    let budget = Duration::from_secs_f64(args.seconds.max(0.1));
    let started = Instant::now();
    let mut hashes = 0u64;
    while started.elapsed() < budget {
        if let Err(error) = hash_once(hashes + 1) {
            eprintln!("authgraph-hello: argon2 failed: {error}");
            return ExitCode::FAILURE;
        }
        hashes += 1;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let per_second = hashes as f64 / elapsed;
    println!(
        "argon2id m={} t={} p={}: {hashes} hashes in {elapsed:.2} s, {:.2} ms each",
        args.memory_kib,
        args.iterations,
        args.parallelism,
        1000.0 / per_second
    );
    println!("RESULT hashes_per_sec={per_second:.3}");
    ExitCode::SUCCESS
}
