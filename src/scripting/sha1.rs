//! (being written) SHA-1, for script names and redis.sha1hex.
