//! RESP, the Redis serialization protocol: requests in, replies out. Pure byte handling, tested
//! without sockets. (Stage 2 onwards.)
//!
//! - [`request`] parses what clients send (multibulk arrays and inline commands) with Redis's
//!   limits and error texts;
//! - [`reply`] encodes replies as RESP2 or RESP3, chosen per connection by `HELLO`;
//! - [`split`] is Redis's quoting rules for inline commands and configuration lines.

pub mod reply;
pub mod request;
pub mod split;

pub use reply::Reply;
pub use request::{Limits, ProtocolError, ReadError, Request, RequestReader};
