//! SORT's SQL-like options, read as Redis's `sortCommandGeneric` reads them: left to right,
//! the last `ASC`/`DESC`, `LIMIT` and `BY` winning, every `GET` kept in order; `STORE` only for
//! SORT (SORT_RO takes it for a syntax error). `BY` with a pattern and `GET` read keys no
//! argument names, so they need a user who may read every key.

use super::super::{Args, CommandError, Ctx, is_option, lookup, parse_int};
use super::pattern::Pattern;
use crate::commands::KeyAccess;

/// Whether the command may store its result (SORT) or not (SORT_RO).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Store {
    Allowed,
    Refused,
}

#[derive(Debug)]
pub struct SortOptions<'a> {
    pub by: Option<Pattern<'a>>,
    /// A `BY` without `*` came (Redis's `dontsort`): the elements keep their stored order.
    /// It sticks even if a later `BY` has a pattern, as in Redis.
    pub keeps_order: bool,
    /// `LIMIT offset count`, as given.
    pub limit: Option<(i64, i64)>,
    pub gets: Vec<Pattern<'a>>,
    pub desc: bool,
    pub alpha: bool,
    pub store: Option<&'a [u8]>,
}

impl<'a> SortOptions<'a> {
    /// Reads the options after the key, in Redis's order of checks.
    pub fn parse(ctx: &Ctx, args: &'a Args, store: Store) -> Result<SortOptions<'a>, CommandError> {
        let mut options = SortOptions {
            by: None,
            keeps_order: false,
            limit: None,
            gets: Vec::new(),
            desc: false,
            alpha: false,
            store: None,
        };
        // Asked once, when a BY pattern or a GET first needs it.
        let mut asked = None;
        let mut may_read_any_key =
            || *asked.get_or_insert_with(|| user_may_read_any_key(ctx, args));
        let mut i = 2;
        while i < args.len() {
            let (option, left) = (args.arg(i), args.len() - i - 1);
            if is_option(option, "asc") {
                options.desc = false;
            } else if is_option(option, "desc") {
                options.desc = true;
            } else if is_option(option, "alpha") {
                options.alpha = true;
            } else if is_option(option, "limit") && left >= 2 {
                options.limit = Some((parse_int(args.arg(i + 1))?, parse_int(args.arg(i + 2))?));
                i += 2;
            } else if store == Store::Allowed && is_option(option, "store") && left >= 1 {
                options.store = Some(args.arg(i + 1));
                i += 1;
            } else if is_option(option, "by") && left >= 1 {
                let by = Pattern::parse(args.arg(i + 1));
                if by.varies() && !may_read_any_key() {
                    return Err(CommandError::err(
                        "BY option of SORT denied due to insufficient ACL permissions.",
                    ));
                }
                options.keeps_order |= !by.varies();
                options.by = Some(by);
                i += 1;
            } else if is_option(option, "get") && left >= 1 {
                if !may_read_any_key() {
                    return Err(CommandError::err(
                        "GET option of SORT denied due to insufficient ACL permissions.",
                    ));
                }
                options.gets.push(Pattern::parse(args.arg(i + 1)));
                i += 1;
            } else {
                return Err(CommandError::Syntax);
            }
            i += 1;
        }
        Ok(options)
    }
}

/// Whether the client's user may run this request and read any key at all (Redis's
/// `ACLUserCheckCmdWithUnrestrictedKeyAccess` with `CMD_KEY_ACCESS`).
fn user_may_read_any_key(ctx: &Ctx, args: &Args) -> bool {
    let Some(resolved) = lookup(args.arg(0)) else {
        return false;
    };
    let read = KeyAccess {
        reads: true,
        writes: false,
    };
    ctx.session.login.user.may_use_any_key(resolved, args, read)
}
