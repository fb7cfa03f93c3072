//! The cluster commands a standalone server still answers: ASKING, READONLY and READWRITE,
//! which cluster clients send, refused as Redis refuses them when `cluster-enabled` is off
//! (cluster.c: `if (server.cluster_enabled == 0)`). thredis always runs standalone.

use super::{Args, CommandError, CommandResult, Ctx};

/// The reply of every cluster command on a server without cluster support.
fn cluster_disabled() -> CommandError {
    CommandError::err("This instance has cluster support disabled")
}

/// `ASKING`, `READONLY`, `READWRITE`: refused, the connection unchanged.
pub fn refuse(_: &mut Ctx, _: &Args) -> CommandResult {
    Err(cluster_disabled())
}
