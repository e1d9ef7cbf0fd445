//! Django password hashes, verified as Django stores them, so that imported accounts keep
//! their passwords (see `crate::import`).
//!
//! A ported hasher of `django/contrib/auth/hashers.py` (Django 5.1) per format:
//!
//! | stored form | Django hasher |
//! | --- | --- |
//! | `pbkdf2_sha256$<iterations>$<salt>$<base64 hash>` | `PBKDF2PasswordHasher` (the default) |
//! | `pbkdf2_sha1$<iterations>$<salt>$<base64 hash>` | `PBKDF2SHA1PasswordHasher` |
//! | `argon2$argon2id$v=19$m=..,t=..,p=..$<salt>$<hash>` | `Argon2PasswordHasher` |
//! | `bcrypt_sha256$$2b$<cost>$<salt+hash>` | `BCryptSHA256PasswordHasher` |
//! | `bcrypt$$2b$<cost>$<salt+hash>` | `BCryptPasswordHasher` |
//! | `scrypt$<N>$<salt>$<r>$<p>$<base64 hash>` | `ScryptPasswordHasher` |
//!
//! A stored value starting with `!` is Django's unusable password; it never matches.
//!
//! Where Django re-encodes the password and compares the two strings (PBKDF2, scrypt), so
//! does this module, in constant time; where it compares digests (argon2, bcrypt), so does
//! this module. Each work factor is bounded before any work: a corrupt row must not stall
//! a hashing thread for hours or abort the process on a huge allocation. The bounds are far
//! beyond anything Django makes, and scrypt's is Django's own (OpenSSL's 32 MiB default).
//! A hash outside them is [`Stored::Unsupported`] and never matches.
//!
//! Everything here is CPU-bound and blocking: callers run it on the hashing pool
//! (`PasswordHasher::verify`). argon2 hashes allocate their own memory (Django's default is
//! 100 MiB), which is returned to the system afterwards rather than kept per worker.

use argon2::{Argon2, Params as Argon2Params, PasswordHash, Version};
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use sha1::Sha1;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Django's prefix of an unusable password (`User.set_unusable_password()`).
pub const UNUSABLE_PREFIX: char = '!';

/// Most PBKDF2 iterations verified (Django 5.1 uses 870,000).
pub const MAX_PBKDF2_ITERATIONS: u32 = 10_000_000;
/// Most argon2 memory verified, in KiB: 1 GiB (Django uses 100 MiB).
pub const MAX_ARGON2_MEMORY_KIB: u32 = 1024 * 1024;
/// Most argon2 passes verified (Django uses 2).
pub const MAX_ARGON2_ITERATIONS: u32 = 64;
/// Most memory an scrypt hash may need, in bytes: OpenSSL's default `maxmem`, which is
/// what Django's `hashlib.scrypt(..., maxmem=0)` gets, so Django cannot verify more either.
pub const MAX_SCRYPT_MEMORY: u64 = 32 * 1024 * 1024;

/// Length of Django's scrypt hash (`dklen=64`).
const SCRYPT_DKLEN: usize = 64;

/// A Django password hasher that this module verifies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Algorithm {
    /// PBKDF2-HMAC-SHA256 (Django's default).
    Pbkdf2Sha256,
    /// PBKDF2-HMAC-SHA1.
    Pbkdf2Sha1,
    /// argon2 (argon2id since Django 3.2; argon2i before).
    Argon2,
    /// bcrypt over the hex SHA-256 of the password (no 72-byte truncation).
    BcryptSha256,
    /// bcrypt over the password itself (truncated at 72 bytes).
    Bcrypt,
    /// scrypt, 64-byte output.
    Scrypt,
}

impl Algorithm {
    /// Django's name of the algorithm, the prefix of its stored hashes.
    pub fn name(self) -> &'static str {
        match self {
            Self::Pbkdf2Sha256 => "pbkdf2_sha256",
            Self::Pbkdf2Sha1 => "pbkdf2_sha1",
            Self::Argon2 => "argon2",
            Self::BcryptSha256 => "bcrypt_sha256",
            Self::Bcrypt => "bcrypt",
            Self::Scrypt => "scrypt",
        }
    }

    fn from_name(name: &str) -> Option<Self> {
        [
            Self::Pbkdf2Sha256,
            Self::Pbkdf2Sha1,
            Self::Argon2,
            Self::BcryptSha256,
            Self::Bcrypt,
            Self::Scrypt,
        ]
        .into_iter()
        .find(|algorithm| algorithm.name() == name)
    }
}

/// What a stored Django password is, without checking any password against it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stored {
    /// Well formed, in a supported format, within the work bounds.
    Supported(Algorithm),
    /// Django's unusable password (`!...`); the account cannot log in with a password.
    Unusable,
    /// Another hasher (md5, crypt, unsalted sha1...), a malformed hash, or work factors
    /// beyond the bounds: the account keeps it but cannot log in until the password is reset.
    Unsupported(String),
}

/// Classifies a stored Django password.
pub fn classify(encoded: &str) -> Stored {
    if encoded.starts_with(UNUSABLE_PREFIX) {
        return Stored::Unusable;
    }
    match parse(encoded) {
        Ok(parsed) => Stored::Supported(parsed.algorithm()),
        Err(reason) => Stored::Unsupported(reason),
    }
}

/// Checks `password` against a stored Django hash: `Some(true)` when it matches,
/// `Some(false)` when it does not, `None` when the stored value is unusable, of an unknown
/// format or malformed (which callers treat as a mismatch).
pub fn verify(password: &str, encoded: &str) -> Option<bool> {
    if encoded.starts_with(UNUSABLE_PREFIX) {
        return None;
    }
    let parsed = parse(encoded).ok()?;
    let password = password.as_bytes();
    match parsed {
        Parsed::Pbkdf2 {
            algorithm,
            iterations,
            salt,
        } => {
            let derived = match algorithm {
                Algorithm::Pbkdf2Sha1 => {
                    pbkdf2::pbkdf2_hmac_array::<Sha1, 20>(password, salt.as_bytes(), iterations)
                        .to_vec()
                }
                _ => pbkdf2::pbkdf2_hmac_array::<Sha256, 32>(password, salt.as_bytes(), iterations)
                    .to_vec(),
            };
            let recomputed = format!(
                "{}${iterations}${salt}${}",
                algorithm.name(),
                STANDARD.encode(derived)
            );
            Some(constant_time_eq(&recomputed, encoded))
        }
        Parsed::Argon2 { phc } => verify_argon2(password, phc),
        Parsed::Bcrypt { algorithm, data } => {
            let outcome = if algorithm == Algorithm::BcryptSha256 {
                // Django hashes first so that bcrypt's 72-byte limit does not truncate:
                // the lowercase hex of SHA-256, as ASCII bytes.
                bcrypt::verify(hex::encode(Sha256::digest(password)), data)
            } else {
                bcrypt::verify(password, data)
            };
            outcome.ok()
        }
        Parsed::Scrypt {
            n,
            log_n,
            salt,
            r,
            p,
        } => {
            let params = scrypt::Params::new(log_n, r, p, SCRYPT_DKLEN).ok()?;
            let mut derived = [0u8; SCRYPT_DKLEN];
            scrypt::scrypt(password, salt.as_bytes(), &params, &mut derived).ok()?;
            let recomputed = format!("scrypt${n}${salt}${r}${p}${}", STANDARD.encode(derived));
            Some(constant_time_eq(&recomputed, encoded))
        }
    }
}

fn constant_time_eq(a: &str, b: &str) -> bool {
    bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

/// A stored hash split into what its hasher needs.
enum Parsed<'a> {
    Pbkdf2 {
        algorithm: Algorithm,
        iterations: u32,
        salt: &'a str,
    },
    /// The PHC string (`$argon2id$v=19$...`), after Django's `argon2` prefix.
    Argon2 { phc: &'a str },
    /// The bcrypt hash string (`$2b$12$...`), after Django's prefix.
    Bcrypt { algorithm: Algorithm, data: &'a str },
    Scrypt {
        n: u64,
        log_n: u8,
        salt: &'a str,
        r: u32,
        p: u32,
    },
}

impl Parsed<'_> {
    fn algorithm(&self) -> Algorithm {
        match self {
            Self::Pbkdf2 { algorithm, .. } | Self::Bcrypt { algorithm, .. } => *algorithm,
            Self::Argon2 { .. } => Algorithm::Argon2,
            Self::Scrypt { .. } => Algorithm::Scrypt,
        }
    }
}

/// Python's `int()` of a field, for the decimal fields of a hash.
fn int<T: std::str::FromStr>(field: &str, what: &str) -> Result<T, String> {
    field
        .trim()
        .parse()
        .map_err(|_| format!("malformed {what}"))
}

/// Splits a hash as its Django hasher's `decode` does, and bounds its work factors.
fn parse(encoded: &str) -> Result<Parsed<'_>, String> {
    let name = encoded.split('$').next().unwrap_or_default();
    let algorithm = Algorithm::from_name(name)
        .ok_or_else(|| format!("unsupported password hasher {name:?}"))?;
    match algorithm {
        Algorithm::Pbkdf2Sha256 | Algorithm::Pbkdf2Sha1 => {
            // algorithm, iterations, salt, hash = encoded.split("$", 3)
            let parts: Vec<&str> = encoded.splitn(4, '$').collect();
            let [_, iterations, salt, _hash] = parts[..] else {
                return Err(format!("malformed {name} hash"));
            };
            let iterations: u32 = int(iterations, "iteration count")?;
            if iterations == 0 || iterations > MAX_PBKDF2_ITERATIONS {
                return Err(format!(
                    "{iterations} PBKDF2 iterations (supported: 1 to {MAX_PBKDF2_ITERATIONS})"
                ));
            }
            Ok(Parsed::Pbkdf2 {
                algorithm,
                iterations,
                salt,
            })
        }
        Algorithm::Argon2 => {
            let phc = &encoded[name.len()..];
            let parsed = PasswordHash::new(phc).map_err(|_| "malformed argon2 hash")?;
            argon2::Algorithm::try_from(parsed.algorithm)
                .map_err(|_| "unknown argon2 variety".to_owned())?;
            let params = Argon2Params::try_from(&parsed)
                .map_err(|_| "malformed argon2 parameters".to_owned())?;
            if params.m_cost() > MAX_ARGON2_MEMORY_KIB || params.t_cost() > MAX_ARGON2_ITERATIONS {
                return Err(format!(
                    "argon2 memory {} KiB and {} passes (supported: up to {MAX_ARGON2_MEMORY_KIB} KiB and {MAX_ARGON2_ITERATIONS})",
                    params.m_cost(),
                    params.t_cost()
                ));
            }
            if parsed.salt.is_none() || parsed.hash.is_none() {
                return Err("malformed argon2 hash".into());
            }
            Ok(Parsed::Argon2 { phc })
        }
        Algorithm::BcryptSha256 | Algorithm::Bcrypt => {
            // algorithm, data = encoded.split("$", 1)
            let data = &encoded[name.len() + 1..];
            data.parse::<bcrypt::HashParts>()
                .map_err(|_| format!("malformed {name} hash"))?;
            Ok(Parsed::Bcrypt { algorithm, data })
        }
        Algorithm::Scrypt => {
            // algorithm, work_factor, salt, block_size, parallelism, hash_ = encoded.split("$", 6)
            let parts: Vec<&str> = encoded.split('$').collect();
            let [_, n, salt, r, p, _hash] = parts[..] else {
                return Err("malformed scrypt hash".into());
            };
            let (n, r, p): (u64, u32, u32) = (
                int(n, "work factor")?,
                int(r, "block size")?,
                int(p, "parallelism")?,
            );
            // hashlib.scrypt: n a power of 2 greater than 1, r and p positive.
            if n < 2 || !n.is_power_of_two() || r == 0 || p == 0 {
                return Err("invalid scrypt parameters".into());
            }
            // OpenSSL: Blen = 128 r p, Vlen = 128 r (N + 2), together at most maxmem.
            let block = 128 * u64::from(r);
            let needed = block
                .checked_mul(u64::from(p))
                .zip(n.checked_add(2).and_then(|n2| block.checked_mul(n2)))
                .and_then(|(b, v)| b.checked_add(v));
            if needed.is_none_or(|bytes| bytes > MAX_SCRYPT_MEMORY) {
                return Err(format!(
                    "scrypt needs more than {MAX_SCRYPT_MEMORY} bytes (N={n}, r={r}, p={p})"
                ));
            }
            let log_n = u8::try_from(n.trailing_zeros())
                .map_err(|_| "invalid scrypt parameters".to_owned())?;
            Ok(Parsed::Scrypt {
                n,
                log_n,
                salt,
                r,
                p,
            })
        }
    }
}

/// argon2-cffi's `verify`: the variety, version and parameters of the stored hash. A hash
/// without `v=` predates version 1.3 and is version 1.0, as in the reference library.
fn verify_argon2(password: &[u8], phc: &str) -> Option<bool> {
    let parsed = PasswordHash::new(phc).ok()?;
    let algorithm = argon2::Algorithm::try_from(parsed.algorithm).ok()?;
    let version = match parsed.version {
        None => Version::V0x10,
        Some(version) => Version::try_from(version).ok()?,
    };
    let expected = parsed.hash?;
    let mut salt_buf = [0u8; 64];
    let salt = parsed.salt?.decode_b64(&mut salt_buf).ok()?;
    let stored = Argon2Params::try_from(&parsed).ok()?;
    let params = Argon2Params::new(
        stored.m_cost(),
        stored.t_cost(),
        stored.p_cost(),
        Some(expected.len()),
    )
    .ok()?;
    let mut output = vec![0u8; expected.len()];
    Argon2::new(algorithm, version, params)
        .hash_password_into(password, salt, &mut output)
        .ok()?;
    Some(bool::from(output.as_slice().ct_eq(expected.as_bytes())))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The password of every vector below, made by Django 5.1 (`hasher.encode(...)`) with
    /// cheap parameters; `make_fixture.py` makes hashes with Django's defaults.
    const PASSWORD: &str = "correct hörse";

    const PBKDF2_SHA256: &str =
        "pbkdf2_sha256$1000$seasalt123$GDWftJvimMQ6/sKdarcDlPgiQmW2npXcuta5XzJIgAk=";
    const PBKDF2_SHA1: &str = "pbkdf2_sha1$1000$seasalt123$kGpbsDVjye9rKraDKLTK9vox4FU=";
    const ARGON2ID: &str = "argon2$argon2id$v=19$m=64,t=1,p=2$YXJnb25zYWx0MTIzNDU$8k9KWykAPMhQ0eIX+BguyD770Z1DXi/IZz6wHx69MpY";
    const ARGON2I: &str = "argon2$argon2i$v=19$m=64,t=1,p=2$YXJnb25zYWx0MTIzNDU$y3EyH/TE+ufwuf57n5nYbGROESZ6emnjZE4cnfk+lCQ";
    /// The format of argon2-cffi before 16.0: no `v=`, version 1.0.
    const ARGON2I_NO_VERSION: &str = "argon2$argon2i$m=64,t=1,p=2$YXJnb25zYWx0MTIzNDU$DAhSE1JuBYSskMH9I98pedjoj/33CzwZr1PesvNfY+8";
    const BCRYPT_SHA256: &str =
        "bcrypt_sha256$$2b$04$mCQ0kJf.v.tHKRn9tY7mYOoWDDaaCgStDstzmGcjGQZsQBlP8UnMG";
    const BCRYPT: &str = "bcrypt$$2b$04$HCihtdYKKtl9YmwHHYhRyuNnWLE7mD5hqz16q3sQsOPmSSXkaVpnq";
    const SCRYPT: &str = "scrypt$1024$scryptsalt$8$2$TZlVWNJ99Q0wlOa+y9udfKUHkji6knelMIVeLiBJtpkW2SygEuSahEHRpDQgiU1dXZid/e1ogkBhjyvYQQI79Q==";
    /// Django's default scrypt parameters (N=2^14, r=8, p=5).
    const SCRYPT_DEFAULTS: &str = "scrypt$16384$scryptsalt$8$5$uvZL9cUz8WJdVMG2jWjoXlzN0xz2/MiaEKF87JaXcMoiauCXzTtlHL5g3FB61u3lorMZAmEmXbTJsT6Y1kjegw==";

    const ALL: [(&str, Algorithm); 9] = [
        (PBKDF2_SHA256, Algorithm::Pbkdf2Sha256),
        (PBKDF2_SHA1, Algorithm::Pbkdf2Sha1),
        (ARGON2ID, Algorithm::Argon2),
        (ARGON2I, Algorithm::Argon2),
        (ARGON2I_NO_VERSION, Algorithm::Argon2),
        (BCRYPT_SHA256, Algorithm::BcryptSha256),
        (BCRYPT, Algorithm::Bcrypt),
        (SCRYPT, Algorithm::Scrypt),
        (SCRYPT_DEFAULTS, Algorithm::Scrypt),
    ];

    #[test]
    fn every_supported_format_verifies_its_password() {
        for (encoded, algorithm) in ALL {
            assert_eq!(classify(encoded), Stored::Supported(algorithm), "{encoded}");
            assert_eq!(verify(PASSWORD, encoded), Some(true), "{encoded}");
        }
    }

    #[test]
    fn every_supported_format_refuses_another_password() {
        for (encoded, _) in ALL {
            assert_eq!(verify("correct horse", encoded), Some(false), "{encoded}");
            assert_eq!(verify("", encoded), Some(false), "{encoded}");
        }
    }

    #[test]
    fn a_tampered_hash_does_not_match() {
        let tampered = PBKDF2_SHA256.replace("$1000$", "$1001$");
        assert_eq!(verify(PASSWORD, &tampered), Some(false));
        // Django compares re-encoded strings: a non-canonical iteration count never matches.
        let padded = PBKDF2_SHA256.replace("$1000$", "$01000$");
        assert_eq!(verify(PASSWORD, &padded), Some(false));
    }

    #[test]
    fn unusable_passwords_never_match() {
        let unusable = "!i9KuYEBaAe3xFrB6ju6ngIO6BpGB9zNXeHtpo71n";
        assert_eq!(classify(unusable), Stored::Unusable);
        assert_eq!(verify(PASSWORD, unusable), None);
        assert_eq!(verify("", unusable), None);
    }

    #[test]
    fn unknown_and_malformed_hashes_are_unsupported() {
        for encoded in [
            "",
            "md5$salt$0123456789abcdef0123456789abcdef",
            "0123456789abcdef0123456789abcdef",
            "pbkdf2_sha256$many$salt$hash",
            "pbkdf2_sha256$1000$salt",
            "pbkdf2_sha256$0$salt$hash",
            "argon2$argon2x$v=19$m=64,t=1,p=2$c2FsdHNhbHQ$aGFzaA",
            "argon2$argon2id$v=19$m=64,t=1,p=2",
            "bcrypt$$2b$04$short",
            "bcrypt_sha256$2b$04$mCQ0kJf.v.tHKRn9tY7mYOoWDDaaCgStDstzmGcjGQZsQBlP8UnMG",
            "scrypt$1000$salt$8$1$hash",
            "scrypt$1024$salt$8$hash",
            "scrypt$1024$salt$0$1$hash",
        ] {
            assert!(
                matches!(classify(encoded), Stored::Unsupported(_)),
                "{encoded:?}"
            );
            assert_eq!(verify(PASSWORD, encoded), None, "{encoded:?}");
        }
    }

    #[test]
    fn work_factors_beyond_the_bounds_are_refused_without_hashing() {
        for encoded in [
            "pbkdf2_sha256$4000000000$salt$hash",
            "argon2$argon2id$v=19$m=4194304,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo",
            "argon2$argon2id$v=19$m=64,t=1000,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo",
            // 128 * 8 * (2^16 + 2) bytes is over OpenSSL's 32 MiB: Django refuses it too.
            "scrypt$65536$salt$8$1$hash",
            "scrypt$1024$salt$8$99999999$hash",
        ] {
            assert!(
                matches!(classify(encoded), Stored::Unsupported(_)),
                "{encoded:?}"
            );
            assert_eq!(verify(PASSWORD, encoded), None, "{encoded:?}");
        }
    }

    #[test]
    fn plain_bcrypt_ignores_bytes_past_72_as_old_django_did() {
        let hash = format!(
            "bcrypt${}",
            bcrypt::hash_with_salt("z".repeat(72), 4, [7u8; 16])
                .unwrap()
                .format_for_version(bcrypt::Version::TwoB)
        );
        assert_eq!(verify(&"z".repeat(80), &hash), Some(true));
        assert_eq!(verify(&"z".repeat(71), &hash), Some(false));
    }
}
