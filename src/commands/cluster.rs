//! The cluster commands a standalone server still answers: ASKING, READONLY and READWRITE,
//! which cluster clients send, and every CLUSTER subcommand (HELP included), refused as Redis
//! refuses them when `cluster-enabled` is off (cluster.c, `clusterCommand` and
//! `askingCommand`: `if (server.cluster_enabled == 0)`). thredis always runs standalone.
//!
//! The rows still matter: a script calling `CLUSTER RESET` is refused by that row's `noscript`
//! flag, as in Redis, and `COMMAND INFO cluster|...` reports Redis's arity and flags.

use super::{Args, CommandError, CommandResult, Ctx};

/// The reply of every cluster command on a server without cluster support.
fn cluster_disabled() -> CommandError {
    CommandError::err("This instance has cluster support disabled")
}

/// `ASKING`, `READONLY`, `READWRITE` and `CLUSTER <subcommand>`: refused, the connection
/// unchanged. Arity is checked first, by the row, as Redis checks it before `clusterCommand`.
pub fn refuse(_: &mut Ctx, _: &Args) -> CommandResult {
    Err(cluster_disabled())
}
