//! Password checks: the scramble math of `mysql_native_password` and
//! `caching_sha2_password`, and who may log in.
//!
//! Both plugins are challenge/response: the server sends a random 20-byte salt and the
//! client answers with a scramble that proves it knows the password without sending it.
//!
//! - `mysql_native_password`: `SHA1(pw) XOR SHA1(salt ++ SHA1(SHA1(pw)))` (20 bytes). The
//!   server needs only `SHA1(SHA1(pw))` (the `*HEX` hash of `PASSWORD()`): it recovers
//!   `SHA1(pw)` by XOR and checks that its SHA1 is the stored hash.
//! - `caching_sha2_password` fast path: `SHA256(pw) XOR SHA256(SHA256(SHA256(pw)) ++ salt)`
//!   (32 bytes); checkable only with the clear password. Otherwise ("full
//!   authentication") the client sends the clear password, which is only allowed over TLS.
//!
//! An empty password is an empty response in every plugin. Passwords are never logged.

use sha1::{Digest, Sha1};
use sha2::Sha256;

use super::config::{Password, ServerConfig, User};

/// `mysql_native_password`.
pub const NATIVE_PASSWORD: &str = "mysql_native_password";
/// `caching_sha2_password`.
pub const CACHING_SHA2_PASSWORD: &str = "caching_sha2_password";

/// Length of the salt (the "scramble" of the handshake).
pub const SALT_LEN: usize = 20;

/// A fresh random salt: 20 bytes from the OS, mapped into printable ASCII without `\0`
/// (the salt travels NUL-terminated in the handshake and in auth switch requests).
pub fn new_salt() -> Result<[u8; SALT_LEN], getrandom::Error> {
    let mut salt = [0u8; SALT_LEN];
    getrandom::fill(&mut salt)?;
    for b in salt.iter_mut() {
        // 94 printable characters from '!' to '~'.
        *b = b'!' + (*b % 94);
    }
    Ok(salt)
}

/// `SHA1(SHA1(password))`: what MySQL stores for `mysql_native_password`.
pub fn native_hash(password: &[u8]) -> [u8; 20] {
    Sha1::digest(Sha1::digest(password)).into()
}

/// True when `response` is the `mysql_native_password` scramble of the password whose
/// `SHA1(SHA1(pw))` is `stored` under `salt`.
pub fn check_native_scramble(salt: &[u8], response: &[u8], stored: &[u8; 20]) -> bool {
    let Ok(response) = <&[u8; 20]>::try_from(response) else {
        return false;
    };
    let mut h = Sha1::new();
    h.update(salt);
    h.update(stored);
    let mask: [u8; 20] = h.finalize().into();
    let mut stage1 = [0u8; 20];
    for (i, b) in stage1.iter_mut().enumerate() {
        *b = response[i] ^ mask[i];
    }
    let candidate: [u8; 20] = Sha1::digest(stage1).into();
    constant_time_eq(&candidate, stored)
}

/// The `caching_sha2_password` fast-path scramble of `password` under `salt`.
pub fn sha2_scramble(salt: &[u8], password: &[u8]) -> [u8; 32] {
    let stage1: [u8; 32] = Sha256::digest(password).into();
    let stage2: [u8; 32] = Sha256::digest(stage1).into();
    let mut h = Sha256::new();
    h.update(stage2);
    h.update(salt);
    let mask: [u8; 32] = h.finalize().into();
    let mut out = [0u8; 32];
    for (i, b) in out.iter_mut().enumerate() {
        *b = stage1[i] ^ mask[i];
    }
    out
}

/// Compares without an early exit (no timing hint of how many bytes matched).
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Checks a `mysql_native_password` response.
pub fn verify_native(password: &Password, salt: &[u8], response: &[u8]) -> bool {
    match password {
        Password::None => response.is_empty(),
        Password::Plain(p) if p.is_empty() => response.is_empty(),
        Password::Plain(p) => check_native_scramble(salt, response, &native_hash(p.as_bytes())),
        Password::NativeHash(h) => check_native_scramble(salt, response, h),
    }
}

/// Checks a `caching_sha2_password` fast-path response; `None` when the credential
/// cannot check it (a stored native hash: the clear password is needed).
pub fn verify_sha2_fast(password: &Password, salt: &[u8], response: &[u8]) -> Option<bool> {
    match password {
        Password::None => Some(response.is_empty()),
        Password::Plain(p) if p.is_empty() => Some(response.is_empty()),
        Password::Plain(p) => Some(constant_time_eq(
            &sha2_scramble(salt, p.as_bytes()),
            response,
        )),
        Password::NativeHash(_) => None,
    }
}

/// Checks a password sent in clear (caching_sha2 full authentication, over TLS only);
/// a trailing NUL is ignored.
pub fn verify_clear(password: &Password, clear: &[u8]) -> bool {
    let clear = clear.strip_suffix(&[0]).unwrap_or(clear);
    match password {
        Password::None => clear.is_empty(),
        Password::Plain(p) => constant_time_eq(p.as_bytes(), clear),
        Password::NativeHash(h) => constant_time_eq(&native_hash(clear), h),
    }
}

/// The account `name` logs in as: from `users`, or when none are configured the single
/// user `root` without a password.
pub fn find_user(config: &ServerConfig, name: &str) -> Option<User> {
    if config.users.is_empty() {
        return (name == "root").then(|| User {
            name: "root".into(),
            password: Password::None,
        });
    }
    config.users.iter().find(|u| u.name == name).cloned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use mysql_common::scramble::{scramble_native, scramble_sha256};

    #[test]
    fn salts_are_random_printable_and_nul_free() {
        let a = new_salt().unwrap();
        let b = new_salt().unwrap();
        assert_ne!(a, b);
        assert!(a.iter().all(|c| c.is_ascii_graphic()));
    }

    #[test]
    fn native_scrambles_from_mysql_common_verify() {
        let salt = new_salt().unwrap();
        let response = scramble_native(&salt, b"s3cret").unwrap();
        let plain = Password::Plain("s3cret".into());
        let hash = Password::NativeHash(native_hash(b"s3cret"));
        assert!(verify_native(&plain, &salt, &response));
        assert!(verify_native(&hash, &salt, &response));
        let wrong = scramble_native(&salt, b"other").unwrap();
        assert!(!verify_native(&plain, &salt, &wrong));
        assert!(!verify_native(&hash, &salt, &wrong));
        // Another salt, truncated or empty responses fail.
        let other_salt = new_salt().unwrap();
        assert!(!verify_native(&plain, &other_salt, &response));
        assert!(!verify_native(&plain, &salt, &response[..19]));
        assert!(!verify_native(&plain, &salt, b""));
        // No password: only the empty response.
        assert!(verify_native(&Password::None, &salt, b""));
        assert!(!verify_native(&Password::None, &salt, &response));
    }

    #[test]
    fn native_hash_is_mysql_password_function() {
        // SELECT PASSWORD('password') = *2470C0C06DEE42FD1618BB99005ADCA2EC9D1E19
        let h = native_hash(b"password");
        let hex: String = h.iter().map(|b| format!("{b:02X}")).collect();
        assert_eq!(hex, "2470C0C06DEE42FD1618BB99005ADCA2EC9D1E19");
    }

    #[test]
    fn sha2_scrambles_match_mysql_common() {
        let salt = new_salt().unwrap();
        let expected = scramble_sha256(&salt, b"s3cret").unwrap();
        assert_eq!(sha2_scramble(&salt, b"s3cret"), expected);
        let plain = Password::Plain("s3cret".into());
        assert_eq!(verify_sha2_fast(&plain, &salt, &expected), Some(true));
        let wrong = scramble_sha256(&salt, b"nope").unwrap();
        assert_eq!(verify_sha2_fast(&plain, &salt, &wrong), Some(false));
        let hash = Password::NativeHash(native_hash(b"s3cret"));
        assert_eq!(verify_sha2_fast(&hash, &salt, &expected), None);
        assert_eq!(verify_sha2_fast(&Password::None, &salt, b""), Some(true));
    }

    #[test]
    fn clear_passwords_check_against_plain_and_hash() {
        let hash = Password::NativeHash(native_hash(b"s3cret"));
        assert!(verify_clear(&hash, b"s3cret\0"));
        assert!(!verify_clear(&hash, b"s3cre"));
        assert!(verify_clear(&Password::Plain("a".into()), b"a"));
        assert!(verify_clear(&Password::None, b"\0"));
    }

    #[test]
    fn without_users_only_root_without_password() {
        let config = ServerConfig::default();
        assert!(find_user(&config, "root").unwrap().password == Password::None);
        assert!(find_user(&config, "admin").is_none());
        let config = ServerConfig {
            users: vec![User {
                name: "app".into(),
                password: Password::Plain("x".into()),
            }],
            ..ServerConfig::default()
        };
        assert!(find_user(&config, "root").is_none());
        assert!(find_user(&config, "app").is_some());
    }
}
