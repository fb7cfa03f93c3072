//! GEO commands (Redis's geo.c): geospatial indexes stored as sorted sets whose scores are
//! 52-bit geohashes. GEOADD adds (as ZADD would), GEOPOS, GEODIST and GEOHASH read positions
//! back, and GEOSEARCH, GEORADIUS and their storing and read-only forms search an area. The
//! geohash and distance math is in `crate::geo`; this file owns arguments, keys and replies.
//!
//! The search commands share one path, [`search_generic`], as they share `georadiusGeneric` in
//! Redis: the same options parsed in the same order, so that the same request fails with the
//! same error first.

use super::zsets::read_zset;
use super::{Args, CommandError, CommandResult, Ctx, is_option, parse_int};
use crate::geo::partial_sort::partial_sort;
use crate::geo::search::{Shape, ShapeKind};
use crate::geo::text::{coordinate_text, distance_text, geohash_string};
use crate::geo::{Unit, decode_score, distance, encode_score, hash};
use crate::keyspace::{Bytes, Databases, Db, EventClass, Ttl, Value, Writer, ZSet};
use crate::number;

// ---------------------------------------------------------------- arguments

/// A floating-point argument, with `message` (or Redis's default) as the error
/// (`getDoubleFromObjectOrReply`).
fn parse_double(arg: &[u8], message: Option<&'static str>) -> Result<f64, CommandError> {
    number::parse_double(arg)
        .ok_or_else(|| message.map_or(CommandError::NotFloat, CommandError::err))
}

/// A longitude and a latitude within Redis's limits (`extractLongLatOrReply`).
fn parse_lon_lat(lon: &[u8], lat: &[u8]) -> Result<(f64, f64), CommandError> {
    let (lon, lat) = (parse_double(lon, None)?, parse_double(lat, None)?);
    if !(hash::LON_MIN..=hash::LON_MAX).contains(&lon)
        || !(hash::LAT_MIN..=hash::LAT_MAX).contains(&lat)
    {
        return Err(CommandError::err(format!(
            "invalid longitude,latitude pair {lon:.6},{lat:.6}"
        )));
    }
    Ok((lon, lat))
}

/// Metres per unit of `m`, `km`, `ft` or `mi` (`extractUnitOrReply`).
fn parse_unit(arg: &[u8]) -> Result<f64, CommandError> {
    Unit::parse(arg)
        .map(Unit::metres)
        .ok_or_else(|| CommandError::err("unsupported unit provided. please use M, KM, FT, MI"))
}

/// `<radius> <unit>`: the radius and metres per unit (`extractDistanceOrReply`).
fn parse_radius(radius: &[u8], unit: &[u8]) -> Result<(f64, f64), CommandError> {
    let radius = parse_double(radius, Some("need numeric radius"))?;
    if radius < 0.0 {
        return Err(CommandError::err("radius cannot be negative"));
    }
    Ok((radius, parse_unit(unit)?))
}

/// `<width> <height> <unit>` (`extractBoxOrReply`).
fn parse_box(width: &[u8], height: &[u8], unit: &[u8]) -> Result<(f64, f64, f64), CommandError> {
    let width = parse_double(width, Some("need numeric width"))?;
    let height = parse_double(height, Some("need numeric height"))?;
    if height < 0.0 || width < 0.0 {
        return Err(CommandError::err("height or width cannot be negative"));
    }
    Ok((width, height, parse_unit(unit)?))
}

/// The position of `member` in `zset`, decoded from its score (`longLatFromMember`).
fn member_position(zset: &ZSet, member: &[u8]) -> Result<(f64, f64), CommandError> {
    zset.score(member)
        .map(decode_score)
        .ok_or_else(|| CommandError::err("could not decode requested zset member"))
}

// ---------------------------------------------------------------- replies

/// A coordinate as `addReplyHumanLongDouble`: a bulk string in RESP2, a double in RESP3, in
/// Redis's "human" digits either way.
fn reply_coordinate(ctx: &mut Ctx, x: f64) {
    let text = coordinate_text(x);
    if ctx.reply.is_resp3() {
        ctx.reply.raw(format!(",{text}\r\n").as_bytes());
    } else {
        ctx.reply.bulk(text.as_bytes());
    }
}

/// `[longitude, latitude]`.
fn reply_position(ctx: &mut Ctx, (lon, lat): (f64, f64)) {
    ctx.reply.array(2);
    reply_coordinate(ctx, lon);
    reply_coordinate(ctx, lat);
}

// ---------------------------------------------------------------- GEOADD

/// `GEOADD key [NX|XX] [CH] longitude latitude member [...]`: how many members were added (or
/// added and moved, with CH). Redis runs it as the ZADD of the members' geohashes, and so
/// journals it; so does this.
pub fn geoadd(ctx: &mut Ctx, args: &Args, w: &mut Writer) -> CommandResult {
    let (mut nx, mut xx, mut ch) = (false, false, false);
    let mut first = 2;
    while first < args.len() {
        let opt = args.arg(first);
        if is_option(opt, "nx") {
            nx = true;
        } else if is_option(opt, "xx") {
            xx = true;
        } else if is_option(opt, "ch") {
            ch = true;
        } else {
            break;
        }
        first += 1;
    }
    // Redis checks NX with XX here, before ZADD would: a syntax error, not ZADD's message.
    // No triplet at all is ZADD's syntax error, the same text.
    if (args.len() - first) % 3 != 0 || (nx && xx) || first == args.len() {
        return Err(CommandError::Syntax);
    }
    let mut scores = Vec::with_capacity((args.len() - first) / 3);
    for i in (first..args.len()).step_by(3) {
        let (lon, lat) = parse_lon_lat(args.arg(i), args.arg(i + 1))?;
        // Within the limits a position always encodes.
        scores.push(encode_score(lon, lat).unwrap_or(0));
    }
    let members = (first..args.len()).step_by(3).map(|i| args.arg(i + 2));

    let key = args.arg(1);
    let limits = ctx.server.config.zset_limits();
    let (mut added, mut updated) = (0usize, 0usize);
    let mut add = |zset: &mut ZSet| {
        for (member, &score) in members.clone().zip(&scores) {
            let score = score as f64;
            match zset.score(member) {
                Some(_) if nx => {}
                Some(old) => {
                    if old != score {
                        zset.insert(member, score, limits);
                        updated += 1;
                    }
                }
                None if xx => {}
                None => {
                    zset.insert(member, score, limits);
                    added += 1;
                }
            }
        }
    };
    match w.get_mut(key) {
        Some(entry) => {
            add(entry.value_mut().as_zset_mut()?);
            if added + updated > 0 {
                w.modified(key);
            }
        }
        None if xx => {}
        None => {
            // Redis sizes a new sorted set by its first member alone (`zaddGenericCommand`).
            let mut zset = ZSet::with_hint(1, args.arg(first + 2).len(), limits);
            add(&mut zset);
            w.set(key, Value::zset(zset), Ttl::Clear);
        }
    }
    if added + updated > 0 {
        w.changed((added + updated) as u64 - 1);
        w.notify(EventClass::ZSET, "zadd", key);
        journal_as_zadd(w, args, first, &scores);
    }
    ctx.reply
        .integer(if ch { added + updated } else { added } as i64);
    Ok(())
}

/// Journals `GEOADD` as the `ZADD` Redis rewrites it into: `zadd key [options] score member...`,
/// the scores as integers.
fn journal_as_zadd(w: &mut Writer, args: &Args, first: usize, scores: &[u64]) {
    let texts: Vec<String> = scores.iter().map(u64::to_string).collect();
    let mut zadd: Vec<&[u8]> = vec![b"zadd"];
    zadd.extend((1..first).map(|i| args.arg(i)));
    for (text, i) in texts.iter().zip((first..args.len()).step_by(3)) {
        zadd.push(text.as_bytes());
        zadd.push(args.arg(i + 2));
    }
    w.propagate(&zadd);
}

// ---------------------------------------------------------------- GEOPOS, GEODIST, GEOHASH

/// `GEOPOS key [member ...]`: `[longitude, latitude]` of each member, or a null array.
pub fn geopos(ctx: &mut Ctx, args: &Args, databases: &Databases) -> CommandResult {
    let zset = read_zset(ctx, ctx.db(databases), args.arg(1))?;
    ctx.reply.array(args.len() - 2);
    for member in args.iter().skip(2) {
        match zset.and_then(|z| z.score(member)) {
            Some(score) => reply_position(ctx, decode_score(score)),
            None => ctx.reply.null_array(),
        }
    }
    Ok(())
}

/// `GEODIST key member1 member2 [M|KM|FT|MI]`: the distance (4 decimals) or null if either
/// member is missing.
pub fn geodist(ctx: &mut Ctx, args: &Args, databases: &Databases) -> CommandResult {
    let metres_per_unit = match args.len() {
        4 => 1.0,
        5 => parse_unit(args.arg(4))?,
        _ => return Err(CommandError::Syntax),
    };
    let zset = read_zset(ctx, ctx.db(databases), args.arg(1))?;
    let scores = zset.and_then(|z| Some((z.score(args.arg(2))?, z.score(args.arg(3))?)));
    match scores {
        Some((a, b)) => {
            let ((lon1, lat1), (lon2, lat2)) = (decode_score(a), decode_score(b));
            let d = distance(lon1, lat1, lon2, lat2) / metres_per_unit;
            ctx.reply.bulk(distance_text(d).as_bytes());
        }
        None => ctx.reply.null(),
    }
    Ok(())
}

/// `GEOHASH key [member ...]`: each member's standard 11-character geohash, or null.
pub fn geohash(ctx: &mut Ctx, args: &Args, databases: &Databases) -> CommandResult {
    let zset = read_zset(ctx, ctx.db(databases), args.arg(1))?;
    ctx.reply.array(args.len() - 2);
    for member in args.iter().skip(2) {
        match zset.and_then(|z| z.score(member)) {
            Some(score) => ctx.reply.bulk(&geohash_string(score)),
            None => ctx.reply.null(),
        }
    }
    Ok(())
}

// ---------------------------------------------------------------- searches

/// Which search command runs (the flags of Redis's `georadiusGeneric`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Form {
    /// `GEORADIUS key lon lat radius unit ...` (and `_RO`).
    Radius,
    /// `GEORADIUSBYMEMBER key member radius unit ...` (and `_RO`).
    RadiusByMember,
    /// `GEOSEARCH key ...`.
    Search,
    /// `GEOSEARCHSTORE destination key ...`.
    SearchStore,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sort {
    None,
    Asc,
    Desc,
}

/// A parsed search request.
struct Query<'a> {
    /// `None` only when the source key is missing (nothing is searched then).
    shape: Option<Shape>,
    with_dist: bool,
    with_hash: bool,
    with_coord: bool,
    sort: Sort,
    /// 0: no limit.
    count: usize,
    any: bool,
    /// Where to store the result, and whether the scores are distances (`STOREDIST`).
    store: Option<(&'a [u8], bool)>,
}

/// Parses a search request (`georadiusGeneric` up to the search), in Redis's order: the
/// centre and size of the GEORADIUS forms, then each option as it comes (positions of
/// members are looked up as they are met), then the combinations. `zset` is the source.
fn parse_query<'a>(
    args: &'a Args,
    form: Form,
    store_allowed: bool,
    zset: Option<&ZSet>,
) -> Result<Query<'a>, CommandError> {
    let mut centre = None;
    let mut kind = None;
    let mut conversion = 1.0;
    let mut store = None;
    let mut store_dist = false;
    let base = match form {
        Form::Radius => {
            centre = Some(parse_lon_lat(args.arg(2), args.arg(3))?);
            let (radius, metres) = parse_radius(args.arg(4), args.arg(5))?;
            (kind, conversion) = (Some(ShapeKind::Radius(radius)), metres);
            6
        }
        // Without a source there is nothing to look the member up in; the options are
        // still parsed, for their errors.
        Form::RadiusByMember => {
            if let Some(zset) = zset {
                centre = Some(member_position(zset, args.arg(2))?);
                let (radius, metres) = parse_radius(args.arg(3), args.arg(4))?;
                (kind, conversion) = (Some(ShapeKind::Radius(radius)), metres);
            }
            5
        }
        Form::Search => 2,
        Form::SearchStore => {
            store = Some(args.arg(1));
            3
        }
    };
    let searching = matches!(form, Form::Search | Form::SearchStore);
    let (mut with_dist, mut with_hash, mut with_coord, mut any) = (false, false, false, false);
    let (mut from_member, mut from_lon_lat, mut by_radius, mut by_box) =
        (false, false, false, false);
    let mut sort = Sort::None;
    let mut count = 0;
    let mut i = base;
    while i < args.len() {
        let arg = args.arg(i);
        // How many arguments follow this one.
        let after = args.len() - 1 - i;
        if is_option(arg, "withdist") {
            with_dist = true;
        } else if is_option(arg, "withhash") {
            with_hash = true;
        } else if is_option(arg, "withcoord") {
            with_coord = true;
        } else if is_option(arg, "any") {
            any = true;
        } else if is_option(arg, "asc") {
            sort = Sort::Asc;
        } else if is_option(arg, "desc") {
            sort = Sort::Desc;
        } else if is_option(arg, "count") && after >= 1 {
            let n = parse_int(args.arg(i + 1))?;
            if n <= 0 {
                return Err(CommandError::err("COUNT must be > 0"));
            }
            count = usize::try_from(n).unwrap_or(usize::MAX);
            i += 1;
        } else if (is_option(arg, "store") || is_option(arg, "storedist"))
            && after >= 1
            && store_allowed
            && !searching
        {
            store = Some(args.arg(i + 1));
            store_dist = is_option(arg, "storedist");
            i += 1;
        } else if is_option(arg, "storedist") && form == Form::SearchStore {
            store_dist = true;
        } else if is_option(arg, "frommember") && after >= 1 && searching && !from_lon_lat {
            if let Some(zset) = zset {
                centre = Some(member_position(zset, args.arg(i + 1))?);
            }
            from_member = true;
            i += 1;
        } else if is_option(arg, "fromlonlat") && after >= 2 && searching && !from_member {
            centre = Some(parse_lon_lat(args.arg(i + 1), args.arg(i + 2))?);
            from_lon_lat = true;
            i += 2;
        } else if is_option(arg, "byradius") && after >= 2 && searching && !by_box {
            let (radius, metres) = parse_radius(args.arg(i + 1), args.arg(i + 2))?;
            (kind, conversion) = (Some(ShapeKind::Radius(radius)), metres);
            by_radius = true;
            i += 2;
        } else if is_option(arg, "bybox") && after >= 3 && searching && !by_radius {
            let (width, height, metres) =
                parse_box(args.arg(i + 1), args.arg(i + 2), args.arg(i + 3))?;
            (kind, conversion) = (Some(ShapeKind::Box { width, height }), metres);
            by_box = true;
            i += 3;
        } else {
            return Err(CommandError::Syntax);
        }
        i += 1;
    }

    if store.is_some() && (with_dist || with_hash || with_coord) {
        let what = if form == Form::SearchStore {
            "GEOSEARCHSTORE"
        } else {
            "STORE option in GEORADIUS"
        };
        return Err(CommandError::err(format!(
            "{what} is not compatible with WITHDIST, WITHHASH and WITHCOORD options"
        )));
    }
    // Redis names the command as the client spelled it.
    let name = String::from_utf8_lossy(args.arg(0));
    if searching && !(from_member || from_lon_lat) {
        return Err(CommandError::err(format!(
            "exactly one of FROMMEMBER or FROMLONLAT can be specified for {name}"
        )));
    }
    if searching && !(by_radius || by_box) {
        return Err(CommandError::err(format!(
            "exactly one of BYRADIUS and BYBOX can be specified for {name}"
        )));
    }
    if any && count == 0 {
        return Err(CommandError::err(
            "the ANY argument requires COUNT argument",
        ));
    }
    let shape = match (centre, kind) {
        (Some(centre), Some(kind)) => Some(Shape {
            centre,
            kind,
            conversion,
        }),
        _ => None,
    };
    Ok(Query {
        shape,
        with_dist,
        with_hash,
        with_coord,
        sort,
        count,
        any,
        store: store.map(|key| (key, store_dist)),
    })
}

/// A member inside the search area (Redis's `geoPoint`).
struct Found {
    member: Bytes,
    score: f64,
    position: (f64, f64),
    /// From the centre, in the unit of the request.
    dist: f64,
}

/// The members of `zset` inside `shape`, in the order Redis finds them: cell by cell
/// (`membersOfAllNeighbors`), by score within a cell. With a `limit` (COUNT ... ANY), the
/// search stops as soon as that many are found.
fn members_in(zset: &ZSet, shape: &Shape, limit: usize) -> Vec<Found> {
    let full = |found: &Vec<Found>| limit > 0 && found.len() >= limit;
    let mut found = Vec::new();
    for (min, max) in shape.area().score_ranges() {
        if full(&found) {
            break;
        }
        // Scores below 2^53 are exact doubles.
        let (min, max) = (min as f64, max as f64);
        let start = zset.count_while(|_, s| s < min);
        let end = zset.count_while(|_, s| s < max);
        for (member, score) in zset.range(start..end) {
            if let Some((position, dist)) = shape.contains(score) {
                found.push(Found {
                    member: member.clone(),
                    score,
                    position,
                    dist: dist / shape.conversion,
                });
            }
            if full(&found) {
                break;
            }
        }
    }
    found
}

/// Redis's `sort_gp_asc`: by distance alone.
fn by_distance(a: &Found, b: &Found) -> std::cmp::Ordering {
    a.dist
        .partial_cmp(&b.dist)
        .unwrap_or(std::cmp::Ordering::Equal)
}

/// What a search found, in the order to reply or store, and at most COUNT of them.
fn run_query(query: &Query, zset: &ZSet) -> Vec<Found> {
    let Some(shape) = &query.shape else {
        return Vec::new();
    };
    let limit = if query.any { query.count } else { 0 };
    let mut found = members_in(zset, shape, limit);
    // COUNT without an order means the nearest ones, unless ANY asked for any of them.
    let sort = match query.sort {
        Sort::None if query.count > 0 && !query.any => Sort::Asc,
        sort => sort,
    };
    let keep = if query.count > 0 {
        query.count.min(found.len())
    } else {
        found.len()
    };
    let order = |a: &Found, b: &Found| match sort {
        Sort::Desc => by_distance(b, a),
        _ => by_distance(a, b),
    };
    if sort != Sort::None {
        if keep == found.len() {
            // Redis's qsort is glibc's, a merge sort: stable, as `sort_by` is.
            found.sort_by(order);
        } else {
            // Fewer than found: Redis's partial quicksort, whose ties fall its own way.
            partial_sort(&mut found, keep, &order);
        }
    }
    found.truncate(keep);
    found
}

/// Replies with the members found, each with the extras asked for (distance, hash,
/// coordinates, in that order) as a nested array.
fn reply_found(ctx: &mut Ctx, query: &Query, found: &[Found]) {
    let extras = [query.with_dist, query.with_hash, query.with_coord]
        .iter()
        .filter(|&&on| on)
        .count();
    ctx.reply.array(found.len());
    for f in found {
        if extras > 0 {
            ctx.reply.array(extras + 1);
        }
        ctx.reply.bulk(&f.member);
        if query.with_dist {
            ctx.reply.bulk(distance_text(f.dist).as_bytes());
        }
        if query.with_hash {
            ctx.reply.integer(f.score as i64);
        }
        if query.with_coord {
            reply_position(ctx, f.position);
        }
    }
}

/// Stores what a search found at `destination` as a sorted set (scores: geohashes, or
/// distances with STOREDIST), replacing whatever was there; an empty result deletes it.
/// Replies how many were stored.
fn store_found(
    ctx: &mut Ctx,
    w: &mut Writer,
    destination: &[u8],
    store_dist: bool,
    event: &'static str,
    found: Vec<Found>,
) {
    let stored = found.len();
    if stored == 0 {
        if w.remove(destination).is_some() {
            w.notify(EventClass::GENERIC, "del", destination);
        }
    } else {
        let limits = ctx.server.config.zset_limits();
        let longest = found.iter().map(|f| f.member.len()).max().unwrap_or(0);
        let mut zset = ZSet::with_hint(stored, longest, limits);
        for f in &found {
            zset.insert(&f.member, if store_dist { f.dist } else { f.score }, limits);
        }
        w.set(destination, Value::zset(zset), Ttl::Clear);
        w.notify(EventClass::ZSET, event, destination);
        w.changed(stored as u64 - 1);
    }
    ctx.reply.integer(stored as i64);
}

/// The source of a search: its key's position in the arguments.
fn source_index(form: Form) -> usize {
    if form == Form::SearchStore { 2 } else { 1 }
}

/// A search that only reads (GEOSEARCH, GEORADIUS_RO, GEORADIUSBYMEMBER_RO).
fn search_read(ctx: &mut Ctx, args: &Args, db: &Db, form: Form) -> CommandResult {
    let zset = read_zset(ctx, db, args.arg(source_index(form)))?;
    let query = parse_query(args, form, false, zset)?;
    let found = zset.map(|z| run_query(&query, z)).unwrap_or_default();
    reply_found(ctx, &query, &found);
    Ok(())
}

/// A search that may store its result (GEOSEARCHSTORE, GEORADIUS, GEORADIUSBYMEMBER): without
/// a destination it replies as [`search_read`] does (`georadiusGeneric`).
fn search_generic(ctx: &mut Ctx, args: &Args, w: &mut Writer, form: Form) -> CommandResult {
    let source = args.arg(source_index(form));
    let selected = w.selected();
    w.expire_now(selected, source);
    let db = w.databases().db(selected);
    let zset = read_zset(ctx, db, source)?;
    let query = parse_query(args, form, true, zset)?;
    let found = zset.map(|z| run_query(&query, z)).unwrap_or_default();
    match query.store {
        None => reply_found(ctx, &query, &found),
        Some((destination, store_dist)) => {
            let event = if form == Form::SearchStore {
                "geosearchstore"
            } else {
                "georadiusstore"
            };
            store_found(ctx, w, destination, store_dist, event, found);
        }
    }
    Ok(())
}

/// `GEOSEARCHSTORE destination source FROMMEMBER m|FROMLONLAT lon lat BYRADIUS r unit|BYBOX w
/// h unit [ASC|DESC] [COUNT n [ANY]] [STOREDIST]`: how many members were stored.
pub fn geosearchstore(ctx: &mut Ctx, args: &Args, w: &mut Writer) -> CommandResult {
    search_generic(ctx, args, w, Form::SearchStore)
}

/// `GEORADIUS key lon lat radius unit [WITH...] [COUNT n [ANY]] [ASC|DESC] [STORE|STOREDIST
/// key]`.
pub fn georadius(ctx: &mut Ctx, args: &Args, w: &mut Writer) -> CommandResult {
    search_generic(ctx, args, w, Form::Radius)
}

/// `GEORADIUSBYMEMBER key member radius unit ...`: GEORADIUS around a member's position.
pub fn georadiusbymember(ctx: &mut Ctx, args: &Args, w: &mut Writer) -> CommandResult {
    search_generic(ctx, args, w, Form::RadiusByMember)
}

/// `GEOSEARCH key FROMMEMBER m|FROMLONLAT lon lat BYRADIUS r unit|BYBOX w h unit [ASC|DESC]
/// [COUNT n [ANY]] [WITHCOORD] [WITHDIST] [WITHHASH]`.
pub fn geosearch(ctx: &mut Ctx, args: &Args, databases: &Databases) -> CommandResult {
    search_read(ctx, args, ctx.db(databases), Form::Search)
}

/// GEORADIUS without STORE or STOREDIST.
pub fn georadius_ro(ctx: &mut Ctx, args: &Args, databases: &Databases) -> CommandResult {
    search_read(ctx, args, ctx.db(databases), Form::Radius)
}

/// GEORADIUSBYMEMBER without STORE or STOREDIST.
pub fn georadiusbymember_ro(ctx: &mut Ctx, args: &Args, databases: &Databases) -> CommandResult {
    search_read(ctx, args, ctx.db(databases), Form::RadiusByMember)
}
