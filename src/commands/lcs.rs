//! LCS (Redis's t_string.c `lcsCommand`): the longest common subsequence of two strings, as
//! the subsequence itself, its length (`LEN`), or the ranges of the two strings it matches
//! (`IDX`, with `MINMATCHLEN` and `WITHMATCHLEN`). Its own file rather than a section of
//! `strings.rs`: it is an algorithm (a dynamic-programming table and a walk back through it)
//! with options and a reply shape of its own, while `strings.rs` edits values.

use super::{Args, CommandError, CommandResult, Ctx, is_option, parse_int};
use crate::keyspace::{Databases, Db};

/// What the request asks for.
#[derive(Default)]
struct LcsOptions {
    len: bool,
    idx: bool,
    with_match_len: bool,
    min_match_len: u64,
}

impl LcsOptions {
    fn parse(args: &Args) -> Result<LcsOptions, CommandError> {
        let mut options = LcsOptions::default();
        let mut i = 3;
        while i < args.len() {
            let option = args.arg(i);
            if is_option(option, "idx") {
                options.idx = true;
            } else if is_option(option, "len") {
                options.len = true;
            } else if is_option(option, "withmatchlen") {
                options.with_match_len = true;
            } else if is_option(option, "minmatchlen") && i + 1 < args.len() {
                // A negative minimum is no minimum.
                options.min_match_len = parse_int(args.arg(i + 1))?.max(0) as u64;
                i += 1;
            } else {
                return Err(CommandError::Syntax);
            }
            i += 1;
        }
        if options.len && options.idx {
            return Err(CommandError::err(
                "If you want both the length and indexes, please just use IDX.",
            ));
        }
        Ok(options)
    }
}

/// `LCS key1 key2 [LEN] [IDX] [MINMATCHLEN len] [WITHMATCHLEN]`. A missing key is an empty
/// string; the table it needs, 4 bytes per pair of positions, may not exceed
/// `proto-max-bulk-len`.
pub fn lcs(ctx: &mut Ctx, args: &Args, databases: &Databases) -> CommandResult {
    let db = ctx.db(databases);
    // Both keys are looked up before either is judged, as in Redis.
    let (a, b) = (
        string_at(ctx, db, args.arg(1)),
        string_at(ctx, db, args.arg(2)),
    );
    let (a, b) = (a?, b?);
    let options = LcsOptions::parse(args)?;
    if a.len() >= u32::MAX as usize - 1 || b.len() >= u32::MAX as usize - 1 {
        return Err(CommandError::err("String too long for LCS"));
    }
    let table_bytes = (a.len() as u64 + 1) * (b.len() as u64 + 1) * 4;
    if table_bytes > ctx.server.config.limits(false).max_bulk_len as u64 {
        return Err(CommandError::err(
            "Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len",
        ));
    }
    let table = Table::build(a, b).ok_or_else(|| {
        CommandError::err("Insufficient memory, failed allocating transient memory for LCS")
    })?;
    if options.len {
        ctx.reply.integer(i64::from(table.lcs_len()));
        return Ok(());
    }
    let (common, matches) = table.walk_back(a, b);
    if !options.idx {
        ctx.reply.bulk(&common);
        return Ok(());
    }
    let shown: Vec<&Match> = (matches.iter())
        .filter(|m| options.min_match_len == 0 || m.len() >= options.min_match_len)
        .collect();
    ctx.reply.map(2);
    ctx.reply.bulk(b"matches");
    ctx.reply.array(shown.len());
    for found in shown {
        ctx.reply.array(2 + options.with_match_len as usize);
        for (start, end) in [found.a, found.b] {
            ctx.reply.array(2);
            ctx.reply.integer(start as i64);
            ctx.reply.integer(end as i64);
        }
        if options.with_match_len {
            ctx.reply.integer(found.len() as i64);
        }
    }
    ctx.reply.bulk(b"len");
    ctx.reply.integer(i64::from(table.lcs_len()));
    Ok(())
}

/// The string under `key`, empty if the key is missing. Another type is not WRONGTYPE here
/// but an error of LCS's own.
fn string_at<'d>(ctx: &Ctx, db: &'d Db, key: &[u8]) -> Result<&'d [u8], CommandError> {
    match ctx.read_key(db, key) {
        Some(entry) => (entry.value().as_string())
            .map(|s| s.as_bytes())
            .map_err(|_| CommandError::err("The specified keys must contain string values")),
        None => Ok(b""),
    }
}

/// One stretch of the subsequence contiguous in both strings: its first and last positions
/// in each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Match {
    a: (usize, usize),
    b: (usize, usize),
}

impl Match {
    fn len(&self) -> u64 {
        (self.a.1 - self.a.0 + 1) as u64
    }
}

/// The dynamic-programming table: at row `i`, column `j`, the length of the longest common
/// subsequence of the first `i` bytes of `a` and the first `j` bytes of `b`.
struct Table {
    cells: Vec<u32>,
    width: usize,
}

impl Table {
    /// Fills the table, or `None` if its memory cannot be had.
    fn build(a: &[u8], b: &[u8]) -> Option<Table> {
        let width = b.len() + 1;
        let size = (a.len() + 1).checked_mul(width)?;
        let mut cells = Vec::new();
        cells.try_reserve_exact(size).ok()?;
        cells.resize(size, 0);
        for i in 1..=a.len() {
            for j in 1..=b.len() {
                cells[i * width + j] = if a[i - 1] == b[j - 1] {
                    cells[(i - 1) * width + j - 1] + 1
                } else {
                    cells[(i - 1) * width + j].max(cells[i * width + j - 1])
                };
            }
        }
        Some(Table { cells, width })
    }

    fn at(&self, i: usize, j: usize) -> u32 {
        self.cells[i * self.width + j]
    }

    fn lcs_len(&self) -> u32 {
        self.cells[self.cells.len() - 1]
    }

    /// Walks back from the end of both strings as Redis does, preferring to drop a byte of `b`
    /// when both ways keep the length: the subsequence, and its contiguous stretches from the
    /// last to the first.
    fn walk_back(&self, a: &[u8], b: &[u8]) -> (Vec<u8>, Vec<Match>) {
        let mut common = Vec::with_capacity(self.lcs_len() as usize);
        let mut matches = Vec::new();
        let mut current: Option<Match> = None;
        let (mut i, mut j) = (a.len(), b.len());
        while i > 0 && j > 0 {
            if a[i - 1] == b[j - 1] {
                common.push(a[i - 1]);
                i -= 1;
                j -= 1;
                // A step that skips a byte closes the stretch, so a match right after another
                // always extends it backwards.
                let stretch = match current {
                    Some(m) => Match {
                        a: (i, m.a.1),
                        b: (j, m.b.1),
                    },
                    None => Match {
                        a: (i, i),
                        b: (j, j),
                    },
                };
                current = Some(stretch);
                if i == 0 || j == 0 {
                    matches.extend(current.take());
                }
            } else {
                if self.at(i - 1, j) > self.at(i, j - 1) {
                    i -= 1;
                } else {
                    j -= 1;
                }
                matches.extend(current.take());
            }
        }
        common.reverse();
        (common, matches)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_walk_finds_redis_s_subsequence_and_stretches() {
        let (a, b) = (&b"ohmytext"[..], &b"mynewtext"[..]);
        let table = Table::build(a, b).unwrap();
        assert_eq!(table.lcs_len(), 6);
        let (common, matches) = table.walk_back(a, b);
        assert_eq!(common, b"mytext");
        assert_eq!(
            matches,
            [
                Match {
                    a: (4, 7),
                    b: (5, 8)
                },
                Match {
                    a: (2, 3),
                    b: (0, 1)
                },
            ]
        );
    }

    #[test]
    fn empty_strings_have_an_empty_subsequence() {
        let table = Table::build(b"", b"abc").unwrap();
        assert_eq!(table.lcs_len(), 0);
        assert_eq!(table.walk_back(b"", b"abc"), (Vec::new(), Vec::new()));
    }
}
