//! Test harness: private MariaDB servers for end-to-end tests.
