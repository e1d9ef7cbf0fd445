//! argon2id hashing and verification on a small dedicated thread pool.
//!
//! argon2 allocates its whole memory cost (19 MiB by default) per hash. Running it on
//! tokio's blocking pool would let memory grow with every thread that ever hashed, so the
//! hashes run on `concurrency` dedicated threads, each reusing one preallocated block of
//! memory. The queue in front of them is bounded: when it is full the caller gets a fast
//! `Unavailable` (503) instead of an unbounded wait.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};

use argon2::{Algorithm, Argon2, Block, Params, Version};
use base64::engine::general_purpose::STANDARD_NO_PAD;
use base64::Engine as _;
use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};
use subtle::ConstantTimeEq;
use tokio::sync::oneshot;

use crate::service::error::{ServiceError, ServiceResult};

const SALT_LEN: usize = 16;
const OUTPUT_LEN: usize = 32;

/// The outcome of checking a password against a stored hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verification {
    /// The password does not match (or the stored hash is unusable).
    Mismatch,
    /// The password matches; `needs_rehash` when the hash was made with other parameters
    /// or another algorithm and should be replaced by a fresh argon2id hash.
    Match {
        /// The stored hash is outdated.
        needs_rehash: bool,
    },
}

type Job = Box<dyn FnOnce(&mut Vec<Block>) + Send>;

/// Errors building the hashing pool.
#[derive(Debug, thiserror::Error)]
pub enum HasherError {
    /// The argon2 parameters are out of range.
    #[error("invalid argon2 parameters: {0}")]
    Params(argon2::Error),
    /// A worker thread could not be started.
    #[error("cannot start a password hashing thread: {0}")]
    Thread(std::io::Error),
}

/// Hashing failed inside a worker.
#[derive(Debug, thiserror::Error)]
enum WorkerError {
    #[error("the password hashing pool is full")]
    QueueFull,
    #[error("the password hashing pool has stopped")]
    Stopped,
    #[error("argon2 failed: {0}")]
    Argon2(argon2::Error),
}

/// Hashes and verifies passwords with argon2id on a bounded, dedicated pool.
#[derive(Clone)]
pub struct PasswordHasher {
    sender: SyncSender<Job>,
    params: Params,
    /// Verified against when a login names an unknown user, so timing matches a wrong password.
    dummy_hash: Arc<str>,
    /// Jobs submitted and not yet finished (queued or running).
    pending: Arc<AtomicUsize>,
}

impl std::fmt::Debug for PasswordHasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PasswordHasher")
            .field("params", &self.params)
            .finish_non_exhaustive()
    }
}

impl PasswordHasher {
    /// Starts `concurrency` hashing threads with a queue of `queue` waiting jobs.
    pub fn new(
        memory_kib: u32,
        iterations: u32,
        parallelism: u32,
        concurrency: usize,
        queue: usize,
    ) -> Result<Self, HasherError> {
        let params = Params::new(memory_kib, iterations, parallelism, Some(OUTPUT_LEN))
            .map_err(HasherError::Params)?;
        let (sender, receiver) = sync_channel::<Job>(queue);
        let receiver = Arc::new(Mutex::new(receiver));
        for index in 0..concurrency.max(1) {
            let receiver = Arc::clone(&receiver);
            let blocks = params.block_count();
            std::thread::Builder::new()
                .name(format!("argon2-{index}"))
                .spawn(move || worker(&receiver, blocks))
                .map_err(HasherError::Thread)?;
        }
        let mut salt = [0u8; SALT_LEN];
        let mut output = [0u8; OUTPUT_LEN];
        rand::thread_rng().fill_bytes(&mut salt);
        rand::thread_rng().fill_bytes(&mut output);
        let dummy_hash = format_phc(&params, &salt, &output).into();
        Ok(Self {
            sender,
            params,
            dummy_hash,
            pending: Arc::new(AtomicUsize::new(0)),
        })
    }

    /// Jobs waiting for or running on a hashing thread.
    pub fn pending(&self) -> usize {
        self.pending.load(Ordering::Relaxed)
    }

    /// Hashes `password` with argon2id at the configured parameters; returns a PHC string.
    pub async fn hash(&self, password: SecretString) -> ServiceResult<String> {
        let params = self.params.clone();
        self.run(move |memory| {
            let mut salt = [0u8; SALT_LEN];
            rand::thread_rng().fill_bytes(&mut salt);
            let output = compute(&params, password.expose_secret().as_bytes(), &salt, memory)?;
            Ok(format_phc(&params, &salt, &output))
        })
        .await
    }

    /// Verifies `password` against `stored`: a PHC string, or a Django hash (see
    /// [`crate::auth::django`]), which always needs a rehash when it matches. With
    /// `stored = None` (unknown user) the dummy hash is verified instead, and the answer is
    /// always a mismatch.
    pub async fn verify(
        &self,
        password: SecretString,
        stored: Option<String>,
    ) -> ServiceResult<Verification> {
        let params = self.params.clone();
        let known = stored.is_some();
        let stored = stored.unwrap_or_else(|| self.dummy_hash.to_string());
        let dummy = Arc::clone(&self.dummy_hash);
        self.run(move |memory| {
            let password = password.expose_secret();
            let outcome = if stored.starts_with('$') {
                verify_phc(&params, password.as_bytes(), &stored, memory)
            } else {
                // Not PHC: a hash imported from Django (crate::import), or unusable. A match
                // always asks for a rehash, so the first login replaces it with argon2id.
                match crate::auth::django::verify(password, &stored) {
                    Some(true) => Some(true),
                    Some(false) => None,
                    None => {
                        // Unusable or unknown: spend a real check's time anyway, as Django
                        // does, so timing does not tell these accounts apart.
                        let _ = verify_phc(&params, password.as_bytes(), &dummy, memory);
                        None
                    }
                }
            };
            Ok(match outcome {
                Some(needs_rehash) if known => Verification::Match { needs_rehash },
                _ => Verification::Mismatch,
            })
        })
        .await
    }

    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Vec<Block>) -> Result<T, argon2::Error> + Send + 'static,
    ) -> ServiceResult<T> {
        let (reply, answer) = oneshot::channel();
        let pending = Arc::clone(&self.pending);
        pending.fetch_add(1, Ordering::Relaxed);
        let job: Job = Box::new(move |memory| {
            let result = work(memory);
            pending.fetch_sub(1, Ordering::Relaxed);
            // The caller may have gone away (client disconnected); nothing to do then.
            let _ = reply.send(result);
        });
        match self.sender.try_send(job) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => {
                self.pending.fetch_sub(1, Ordering::Relaxed);
                return Err(ServiceError::Unavailable(Box::new(WorkerError::QueueFull)));
            }
            Err(TrySendError::Disconnected(_)) => {
                self.pending.fetch_sub(1, Ordering::Relaxed);
                return Err(ServiceError::internal(WorkerError::Stopped));
            }
        }
        match answer.await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(error)) => Err(ServiceError::internal(WorkerError::Argon2(error))),
            Err(_) => Err(ServiceError::internal(WorkerError::Stopped)),
        }
    }
}

fn worker(receiver: &Mutex<Receiver<Job>>, blocks: usize) {
    let mut memory = vec![Block::default(); blocks];
    loop {
        // A poisoned lock only means another worker panicked while waiting; keep serving.
        let job = match receiver.lock() {
            Ok(guard) => guard.recv(),
            Err(poisoned) => poisoned.into_inner().recv(),
        };
        match job {
            Ok(job) => job(&mut memory),
            Err(_) => return, // every sender dropped: the server is shutting down
        }
    }
}

fn compute(
    params: &Params,
    password: &[u8],
    salt: &[u8],
    memory: &mut Vec<Block>,
) -> Result<Vec<u8>, argon2::Error> {
    let needed = params.block_count();
    if memory.len() < needed {
        memory.resize(needed, Block::default());
    }
    let mut output = vec![0u8; params.output_len().unwrap_or(OUTPUT_LEN)];
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone())
        .hash_password_into_with_memory(password, salt, &mut output, &mut memory[..needed])?;
    Ok(output)
}

fn format_phc(params: &Params, salt: &[u8], output: &[u8]) -> String {
    format!(
        "$argon2id$v=19$m={},t={},p={}${}${}",
        params.m_cost(),
        params.t_cost(),
        params.p_cost(),
        STANDARD_NO_PAD.encode(salt),
        STANDARD_NO_PAD.encode(output)
    )
}

/// `Some(needs_rehash)` when `password` matches the argon2 PHC string `stored`.
fn verify_phc(
    current: &Params,
    password: &[u8],
    stored: &str,
    memory: &mut Vec<Block>,
) -> Option<bool> {
    let parsed = argon2::PasswordHash::new(stored).ok()?;
    let algorithm = Algorithm::try_from(parsed.algorithm).ok()?;
    let version = parsed
        .version
        .map_or(Ok(Version::V0x13), Version::try_from)
        .ok()?;
    let expected = parsed.hash?;
    let salt_b64 = parsed.salt?;
    let mut salt_buf = [0u8; 64];
    let salt = salt_b64.decode_b64(&mut salt_buf).ok()?;
    let stored_params = Params::try_from(&parsed).ok()?;
    let params = Params::new(
        stored_params.m_cost(),
        stored_params.t_cost(),
        stored_params.p_cost(),
        Some(expected.len()),
    )
    .ok()?;
    let needed = params.block_count();
    if memory.len() < needed {
        memory.resize(needed, Block::default());
    }
    let mut output = vec![0u8; expected.len()];
    Argon2::new(algorithm, version, params.clone())
        .hash_password_into_with_memory(password, salt, &mut output, &mut memory[..needed])
        .ok()?;
    if !bool::from(output.as_slice().ct_eq(expected.as_bytes())) {
        return None;
    }
    let needs_rehash = algorithm != Algorithm::Argon2id
        || version != Version::V0x13
        || expected.len() != OUTPUT_LEN
        || params.m_cost() != current.m_cost()
        || params.t_cost() != current.t_cost()
        || params.p_cost() != current.p_cost();
    Some(needs_rehash)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hasher(memory_kib: u32) -> PasswordHasher {
        PasswordHasher::new(memory_kib, 1, 1, 1, 8).expect("hasher")
    }

    fn secret(s: &str) -> SecretString {
        SecretString::from(s.to_owned())
    }

    #[tokio::test]
    async fn a_hash_verifies_with_its_password_only() {
        let hasher = hasher(64);
        let hash = hasher.hash(secret("open sesame")).await.unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=64,t=1,p=1$"));
        assert_eq!(
            hasher
                .verify(secret("open sesame"), Some(hash.clone()))
                .await
                .unwrap(),
            Verification::Match {
                needs_rehash: false
            }
        );
        assert_eq!(
            hasher
                .verify(secret("open sesamE"), Some(hash))
                .await
                .unwrap(),
            Verification::Mismatch
        );
    }

    #[tokio::test]
    async fn a_hash_made_with_other_parameters_asks_for_a_rehash() {
        let old = hasher(64).hash(secret("pw")).await.unwrap();
        let current = hasher(128);
        assert_eq!(
            current.verify(secret("pw"), Some(old)).await.unwrap(),
            Verification::Match { needs_rehash: true }
        );
    }

    #[tokio::test]
    async fn unknown_users_and_unusable_hashes_never_match() {
        let hasher = hasher(64);
        assert_eq!(
            hasher.verify(secret("anything"), None).await.unwrap(),
            Verification::Mismatch
        );
        assert_eq!(
            hasher
                .verify(secret("anything"), Some("!unusable".into()))
                .await
                .unwrap(),
            Verification::Mismatch
        );
    }

    #[tokio::test]
    async fn a_django_hash_matches_and_asks_for_a_rehash() {
        // Made by Django 5.1: PBKDF2PasswordHasher().encode("correct hörse", "seasalt123", 1000)
        let django = "pbkdf2_sha256$1000$seasalt123$GDWftJvimMQ6/sKdarcDlPgiQmW2npXcuta5XzJIgAk=";
        let hasher = hasher(64);
        assert_eq!(
            hasher
                .verify(secret("correct hörse"), Some(django.into()))
                .await
                .unwrap(),
            Verification::Match { needs_rehash: true }
        );
        assert_eq!(
            hasher
                .verify(secret("correct horse"), Some(django.into()))
                .await
                .unwrap(),
            Verification::Mismatch
        );
    }

    #[tokio::test]
    async fn a_full_queue_fails_fast_with_unavailable() {
        // One thread, queue of one: park the thread, fill the queue, the next job is refused.
        let hasher = PasswordHasher::new(64, 1, 1, 1, 1).unwrap();
        let (release, parked) = std::sync::mpsc::channel::<()>();
        let (started, running) = oneshot::channel::<()>();
        let blocker = tokio::spawn({
            let hasher = hasher.clone();
            async move {
                hasher
                    .run(move |_| {
                        let _ = started.send(());
                        let _ = parked.recv();
                        Ok(())
                    })
                    .await
            }
        });
        // The worker now holds the blocker, and the queue is empty.
        running.await.unwrap();
        let queued = tokio::spawn({
            let hasher = hasher.clone();
            async move { hasher.hash(secret("a")).await }
        });
        while hasher.pending() < 2 {
            tokio::task::yield_now().await;
        }
        let refused = hasher.hash(secret("b")).await;
        assert!(matches!(refused, Err(ServiceError::Unavailable(_))));
        release.send(()).unwrap();
        blocker.await.unwrap().unwrap();
        assert!(queued.await.unwrap().is_ok());
    }
}
