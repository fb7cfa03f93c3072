//! HyperLogLog commands (the command half of Redis's hyperloglog.c): PFADD, PFCOUNT, PFMERGE,
//! PFDEBUG and PFSELFTEST. The representation itself, and all its arithmetic, is in
//! `crate::hyperloglog`; this file finds the strings, edits them in place through the Writer,
//! and reports the changes as Redis does.
//!
//! PFCOUNT is `readonly` in Redis's table, yet it stores the cardinality it computed in the
//! string's header and propagates itself when it did. So it is a `ReadOrWrite` row: several
//! keys (never cached), or a single key whose cached cardinality is valid, are answered under
//! the shared lock ([`pfcount_cached`]); a stale cache takes the write path ([`pfcount`]).

use super::{Args, CommandError, CommandResult, Ctx, MustWrite, is_option};
use crate::hyperloglog::{self, Encoding, REGISTERS, Registers};
use crate::keyspace::{Databases, Entry, EventClass, Str, Ttl, Value, Writer};
use crate::random::Rng;

/// A string that is not a HyperLogLog (Redis's `isHLLObjectOrReply`).
fn not_hll() -> CommandError {
    CommandError::coded("WRONGTYPE Key is not a valid HyperLogLog string value.")
}

/// A HyperLogLog whose registers cannot be read (Redis's `invalid_hll_err`).
fn corrupted() -> CommandError {
    CommandError::coded("INVALIDOBJ Corrupted HLL object detected")
}

/// The HyperLogLog held by `entry` and its encoding, or `WRONGTYPE`.
fn hll_of(entry: &Entry) -> Result<(&[u8], Encoding), CommandError> {
    let bytes = entry.value().as_string()?.as_bytes();
    let encoding = hyperloglog::encoding(bytes).map_err(|_| not_hll())?;
    Ok((bytes, encoding))
}

/// The HyperLogLog held by `entry`, to change in place (Redis's `dbUnshareStringValue`).
fn hll_mut(entry: &mut Entry) -> Result<&mut Vec<u8>, CommandError> {
    hll_of(entry)?;
    Ok(entry.value_mut().as_string_mut()?.as_mut_vec())
}

/// A new HyperLogLog string: `raw`, as Redis creates it.
fn hll_value(hll: Vec<u8>) -> Value {
    Value::String(Str::raw(hll))
}

/// Adds `elements` to `hll`: how many changed a register.
fn add_all<'a>(
    hll: &mut Vec<u8>,
    elements: impl Iterator<Item = &'a [u8]>,
    max_sparse_bytes: usize,
) -> Result<u64, CommandError> {
    let mut updated = 0;
    for element in elements {
        if hyperloglog::add(hll, element, max_sparse_bytes).map_err(|_| corrupted())? {
            updated += 1;
        }
    }
    Ok(updated)
}

/// `PFADD key [element ...]`: `:1` if the key was created or a register changed, else `:0`.
/// Each changed register counts as a change, as Redis's `server.dirty += updated`.
pub fn pfadd(ctx: &mut Ctx, args: &Args, w: &mut Writer) -> CommandResult {
    let key = args.arg(1);
    let max_sparse_bytes = ctx.server.config.hll_sparse_max_bytes();
    let elements = args.iter().skip(2);
    let updated = match w.get_mut(key) {
        Some(entry) => {
            let hll = hll_mut(entry)?;
            let updated = add_all(hll, elements, max_sparse_bytes)?;
            if updated > 0 {
                hyperloglog::invalidate_cache(hll);
                w.modified(key);
            }
            updated
        }
        None => {
            let mut hll = hyperloglog::new();
            // Creating the key is itself an update.
            let updated = 1 + add_all(&mut hll, elements, max_sparse_bytes)?;
            hyperloglog::invalidate_cache(&mut hll);
            w.set(key, hll_value(hll), Ttl::Clear);
            updated
        }
    };
    if updated > 0 {
        w.changed(updated - 1);
        w.notify(EventClass::STRING, "pfadd", key);
    }
    ctx.reply.integer(i64::from(updated > 0));
    Ok(())
}

/// `PFCOUNT key [key ...]`: the estimated cardinality of one HyperLogLog, or of the union of
/// several. Missing keys count as empty.
pub fn pfcount(ctx: &mut Ctx, args: &Args, w: &mut Writer) -> CommandResult {
    let cardinality = if args.len() > 2 {
        let union = merge_sources(ctx, w, args.iter().skip(1))?;
        hyperloglog::count_registers(&union.registers)
    } else {
        count_one(ctx, w, args.arg(1))?
    };
    ctx.reply.integer(cardinality as i64);
    Ok(())
}

/// PFCOUNT's read half, under the shared lock: several keys are merged and counted here, as
/// they write nothing; one key that is missing, is not a HyperLogLog, or holds a valid cached
/// cardinality is answered here, as [`count_one`] would. Otherwise it gives up before counting
/// the lookup, so the write path counts it once.
pub fn pfcount_cached(
    ctx: &mut Ctx,
    args: &Args,
    databases: &Databases,
) -> Result<CommandResult, MustWrite> {
    let db = ctx.db(databases);
    if args.len() > 2 {
        let mut union = Union::new();
        for key in args.iter().skip(1) {
            if let Err(error) = union.merge(ctx.read_key(db, key)) {
                return Ok(Err(error));
            }
        }
        let cardinality = hyperloglog::count_registers(&union.registers);
        ctx.reply.integer(cardinality as i64);
        return Ok(Ok(()));
    }
    let key = args.arg(1);
    let stale = |entry: &Entry| hll_of(entry).is_ok_and(|(hll, _)| has_stale_cache(hll));
    if matches!(db.lookup(key, ctx.now_ms), Ok(Some(entry)) if stale(entry)) {
        return Err(MustWrite);
    }
    // The same entry the peek found (nothing changes under the shared lock), now looked up as
    // Redis's `lookupKeyRead` does: a hit or a miss, an access.
    let Some(entry) = ctx.read_key(db, key) else {
        ctx.reply.integer(0);
        return Ok(Ok(()));
    };
    Ok(hll_of(entry).map(|(hll, _)| {
        // Never stale here: the peek found it valid.
        let cardinality = hyperloglog::cached_cardinality(hll).unwrap_or_default();
        ctx.reply.integer(cardinality as i64);
    }))
}

fn has_stale_cache(hll: &[u8]) -> bool {
    hyperloglog::cached_cardinality(hll).is_none()
}

/// One key's cardinality: the cached one, or computed and cached, which changes the string and
/// so signals and propagates it (Redis's `pfcountCommand`, single-key case).
fn count_one(ctx: &Ctx, w: &mut Writer, key: &[u8]) -> Result<u64, CommandError> {
    let Some(entry) = ctx.read_key_on_write_path(w, key) else {
        return Ok(0);
    };
    let hll = hll_mut(entry)?;
    if let Some(cached) = hyperloglog::cached_cardinality(hll) {
        return Ok(cached);
    }
    let cardinality = hyperloglog::count(hll).map_err(|_| corrupted())?;
    hyperloglog::cache_cardinality(hll, cardinality);
    w.modified(key);
    Ok(cardinality)
}

/// The registers of several HyperLogLogs merged, and whether any of them was dense.
struct Union {
    registers: Box<Registers>,
    any_dense: bool,
}

impl Union {
    fn new() -> Union {
        Union {
            registers: Box::new([0; REGISTERS]),
            any_dense: false,
        }
    }

    /// Merges one source (a missing key counts as empty) as Redis's `hllMerge` loop does: one
    /// that is not a HyperLogLog or is corrupted ends the merge with its error.
    fn merge(&mut self, source: Option<&Entry>) -> CommandResult {
        let Some(entry) = source else {
            return Ok(());
        };
        let (hll, encoding) = hll_of(entry)?;
        self.any_dense |= encoding == Encoding::Dense;
        hyperloglog::merge_into(&mut self.registers, hll).map_err(|_| corrupted())
    }
}

/// Merges the HyperLogLogs at `keys` on the write path (PFMERGE, and PFCOUNT inside EXEC).
fn merge_sources<'a>(
    ctx: &Ctx,
    w: &mut Writer,
    keys: impl Iterator<Item = &'a [u8]>,
) -> Result<Union, CommandError> {
    let mut union = Union::new();
    for key in keys {
        union.merge(ctx.read_key_on_write_path(w, key).map(|entry| &*entry))?;
    }
    Ok(union)
}

/// `PFMERGE destkey [sourcekey ...]`: the destination (itself a source) becomes the union. It
/// turns dense first if any source is dense, as Redis does; the event is `pfadd`, as in Redis
/// ("a mass-add of elements").
pub fn pfmerge(ctx: &mut Ctx, args: &Args, w: &mut Writer) -> CommandResult {
    let union = merge_sources(ctx, w, args.iter().skip(1))?;
    let destination = args.arg(1);
    let max_sparse_bytes = ctx.server.config.hll_sparse_max_bytes();
    let write = |hll: &mut Vec<u8>| -> CommandResult {
        if union.any_dense {
            hyperloglog::to_dense(hll).map_err(|_| corrupted())?;
        }
        hyperloglog::raise_all(hll, &union.registers, max_sparse_bytes);
        hyperloglog::invalidate_cache(hll);
        Ok(())
    };
    match w.get_mut(destination) {
        Some(entry) => {
            write(hll_mut(entry)?)?;
            w.modified(destination);
        }
        None => {
            let mut hll = hyperloglog::new();
            write(&mut hll)?;
            w.set(destination, hll_value(hll), Ttl::Clear);
        }
    }
    w.notify(EventClass::STRING, "pfadd", destination);
    ctx.reply.ok();
    Ok(())
}

/// `PFDEBUG GETREG|DECODE|ENCODING|TODENSE key`. The key is looked up and checked before the
/// subcommand, as in Redis. A conversion to dense is counted as a change (to propagate it) but
/// not signalled to watchers, as Redis's `server.dirty++` there.
pub fn pfdebug(ctx: &mut Ctx, args: &Args, w: &mut Writer) -> CommandResult {
    let (subcommand, key) = (args.arg(1), args.arg(2));
    let Some(entry) = w.get_mut(key) else {
        return Err(CommandError::err("The specified key does not exist"));
    };
    let hll = hll_mut(entry)?;
    if is_option(subcommand, "getreg") {
        let converted = hyperloglog::to_dense(hll).map_err(|_| corrupted())?;
        ctx.reply.array(REGISTERS);
        for register in hyperloglog::dense_registers(hll) {
            ctx.reply.integer(i64::from(register));
        }
        w.changed(u64::from(converted));
    } else if is_option(subcommand, "decode") {
        if hyperloglog::encoding(hll) != Ok(Encoding::Sparse) {
            return Err(CommandError::err("HLL encoding is not sparse"));
        }
        ctx.reply.bulk(hyperloglog::decode_sparse(hll).as_bytes());
    } else if is_option(subcommand, "encoding") {
        let encoding = hyperloglog::encoding(hll).map_err(|_| not_hll())?;
        ctx.reply.simple(encoding.name());
    } else if is_option(subcommand, "todense") {
        let converted = hyperloglog::to_dense(hll).map_err(|_| corrupted())?;
        ctx.reply.integer(i64::from(converted));
        w.changed(u64::from(converted));
    } else {
        return Err(CommandError::err(format!(
            "Unknown PFDEBUG subcommand '{}'",
            String::from_utf8_lossy(subcommand)
        )));
    }
    Ok(())
}

/// `PFSELFTEST`: Redis's self-test of the register packing and the estimator (ten million
/// elements). Needs no keys, so it holds no lock while it runs.
pub fn pfselftest(ctx: &mut Ctx, _args: &Args) -> CommandResult {
    let max_sparse_bytes = ctx.server.config.hll_sparse_max_bytes();
    hyperloglog::selftest::run(
        max_sparse_bytes,
        hyperloglog::selftest::ELEMENTS,
        &mut Rng::new(),
    )
    .map_err(CommandError::coded)?;
    ctx.reply.ok();
    Ok(())
}
