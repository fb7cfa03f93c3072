//! Tests of the sorted set: targeted cases, a property test against a sorted vector, and (with
//! `--ignored`) memory and speed measurements of large sets.

use std::collections::HashSet;

use super::*;

/// Checks every internal invariant: the tree's, the index's, the form's, the heap tally.
fn validate(z: &ZSet) {
    match &z.indexed {
        None => {
            assert!(!z.skiplist, "a skiplist is always indexed");
            assert!(z.len() <= COMPACT_MAX);
            for pair in z.entries.windows(2) {
                let (a, b) = (&pair[0], &pair[1]);
                assert!(compare((&a.0, a.1), (&b.0, b.1)).is_lt());
            }
        }
        Some(ix) => {
            ix.order.validate(&z.entries);
            ix.members.validate(&z.entries);
            assert_eq!(ix.order.len(), z.len());
        }
    }
    let heap: usize = z.entries.iter().map(|(m, _)| m.heap_size()).sum();
    assert_eq!(heap, z.member_heap);
}

fn skiplist_limits() -> Limits {
    Limits {
        max_entries: 0,
        max_value: 64,
    }
}

fn zset(members: &[(&str, f64)], limits: Limits) -> ZSet {
    let mut z = ZSet::new();
    for &(m, s) in members {
        z.insert(m.as_bytes(), s, limits);
    }
    z
}

fn names<'a>(items: impl Iterator<Item = (&'a Bytes, f64)>) -> Vec<String> {
    items
        .map(|(m, _)| String::from_utf8_lossy(m).into_owned())
        .collect()
}

fn both_forms(members: &[(&str, f64)]) -> [ZSet; 2] {
    [
        zset(members, Limits::default()),
        zset(members, skiplist_limits()),
    ]
}

#[test]
fn ties_are_ordered_by_member_and_zeros_compare_equal() {
    let members = [("b", 1.0), ("a", 1.0), ("c", 0.0), ("z", -0.0), ("y", 0.0)];
    for z in both_forms(&members) {
        validate(&z);
        assert_eq!(names(z.iter()), ["c", "y", "z", "a", "b"]);
        assert!(z.score(b"z").unwrap().is_sign_negative(), "-0 is kept");
    }
}

#[test]
fn rank_and_at_rank_agree() {
    let members: Vec<(String, f64)> = (0..500)
        .map(|i| (format!("m{i:03}"), (i % 7) as f64))
        .collect();
    let refs: Vec<(&str, f64)> = members.iter().map(|(m, s)| (m.as_str(), *s)).collect();
    for z in both_forms(&refs[..100])
        .into_iter()
        .chain([zset(&refs, skiplist_limits())])
    {
        validate(&z);
        for rank in 0..z.len() {
            let (member, _) = z.at_rank(rank).unwrap();
            assert_eq!(z.rank(member), Some(rank));
        }
        assert_eq!(z.at_rank(z.len()), None);
        assert_eq!(z.rank(b"absent"), None);
    }
}

#[test]
fn count_while_searches_by_score_and_by_member() {
    let by_score: Vec<(String, f64)> = (0..1000)
        .map(|i| (format!("m{i}"), (i / 10) as f64))
        .collect();
    let refs: Vec<(&str, f64)> = by_score.iter().map(|(m, s)| (m.as_str(), *s)).collect();
    let z = zset(&refs, skiplist_limits());
    assert_eq!(z.count_while(|_, s| s < 0.0), 0);
    assert_eq!(z.count_while(|_, s| s < 50.0), 500);
    assert_eq!(z.count_while(|_, s| s <= 50.0), 510);
    assert_eq!(z.count_while(|_, s| s < 1e9), 1000);
    // All scores equal: a predicate on members is a prefix of the order (ZRANGEBYLEX).
    let lex: Vec<(String, f64)> = (0..1000).map(|i| (format!("k{i:04}"), 3.0)).collect();
    let refs: Vec<(&str, f64)> = lex.iter().map(|(m, s)| (m.as_str(), *s)).collect();
    for z in [
        zset(&refs[..100], Limits::default()),
        zset(&refs, skiplist_limits()),
    ] {
        assert_eq!(z.count_while(|m, _| m < &b"k0042"[..]), 42);
        assert_eq!(z.count_while(|m, _| m <= &b"k0042"[..]), 43);
        assert_eq!(z.count_while(|m, _| m < &b"a"[..]), 0);
        assert_eq!(z.count_while(|m, _| m < &b"z"[..]), z.len());
    }
}

#[test]
fn ranges_walk_both_ways_with_exact_lengths() {
    let members: Vec<(String, f64)> = (0..2000).map(|i| (format!("m{i:04}"), i as f64)).collect();
    let refs: Vec<(&str, f64)> = members.iter().map(|(m, s)| (m.as_str(), *s)).collect();
    let z = zset(&refs, skiplist_limits());
    for (start, end) in [
        (0, 0),
        (0, 1),
        (5, 300),
        (127, 129),
        (1990, 2000),
        (0, 2000),
        (700, 700),
    ] {
        let forward = z.range(start..end);
        assert_eq!(forward.len(), end - start);
        let expected: Vec<&str> = refs[start..end].iter().map(|(m, _)| *m).collect();
        assert_eq!(names(forward), expected);
        let mut backward = expected.clone();
        backward.reverse();
        assert_eq!(names(z.range(start..end).rev()), backward);
    }
    // Both ends meet in the middle without overlap.
    let mut it = z.range(10..20);
    let (mut front, mut back) = (Vec::new(), Vec::new());
    while let Some((m, _)) = it.next() {
        front.push(m.clone());
        assert_eq!(it.len(), 10 - front.len() - back.len());
        if let Some((m, _)) = it.next_back() {
            back.push(m.clone());
        }
    }
    assert_eq!(front.len() + back.len(), 10);
}

#[test]
fn remove_range_removes_in_order_small_and_large() {
    let members: Vec<(String, f64)> = (0..3000).map(|i| (format!("m{i:04}"), i as f64)).collect();
    let refs: Vec<(&str, f64)> = members.iter().map(|(m, s)| (m.as_str(), *s)).collect();
    for (start, end) in [(0, 3), (100, 110), (2990, 3000), (500, 2500), (0, 3000)] {
        let mut z = zset(&refs, skiplist_limits());
        let mut gone = Vec::new();
        z.remove_range(start..end, |m, s| {
            gone.push((String::from_utf8(m.to_vec()).unwrap(), s))
        });
        validate(&z);
        assert_eq!(gone, members[start..end]);
        let kept: Vec<&str> = refs[..start]
            .iter()
            .chain(&refs[end..])
            .map(|(m, _)| *m)
            .collect();
        assert_eq!(names(z.iter()), kept);
        for (i, m) in kept.iter().enumerate() {
            assert_eq!(z.rank(m.as_bytes()), Some(i));
        }
    }
}

#[test]
fn removing_from_the_middle_moves_the_last_member_and_keeps_everything() {
    let members: Vec<(String, f64)> = (0..1000)
        .map(|i| (format!("m{i}"), (i * 7919 % 1000) as f64))
        .collect();
    let refs: Vec<(&str, f64)> = members.iter().map(|(m, s)| (m.as_str(), *s)).collect();
    let mut z = zset(&refs, skiplist_limits());
    let last = z.at_position(z.len() - 1).0.clone();
    let victim = z.at_position(10).0.clone();
    assert_eq!(
        z.remove(&victim),
        Some(
            members
                .iter()
                .find(|(m, _)| m.as_bytes() == &victim[..])
                .unwrap()
                .1
        )
    );
    assert_eq!(z.at_position(10).0, &last, "the last member fills the hole");
    validate(&z);
    for i in (0..1000).step_by(3) {
        z.remove(format!("m{i}").as_bytes());
        validate(&z);
    }
    let mut expected: Vec<&(String, f64)> = members
        .iter()
        .filter(|(m, _)| m.as_bytes() != &victim[..] && m[1..].parse::<usize>().unwrap() % 3 != 0)
        .collect();
    expected.sort_by(|a, b| compare((a.0.as_bytes(), a.1), (b.0.as_bytes(), b.1)));
    let got: Vec<(String, f64)> = z
        .iter()
        .map(|(m, s)| (String::from_utf8(m.to_vec()).unwrap(), s))
        .collect();
    assert_eq!(got, expected.into_iter().cloned().collect::<Vec<_>>());
    for (m, s) in &members {
        let stays = m.as_bytes() != &victim[..] && m[1..].parse::<usize>().unwrap() % 3 != 0;
        assert_eq!(z.score(m.as_bytes()), stays.then_some(*s));
    }
}

#[test]
fn encodings_convert_as_redis_does() {
    let limits = Limits::default();
    let mut z = ZSet::new();
    for i in 0..128 {
        z.insert(format!("m{i}").as_bytes(), i as f64, limits);
    }
    assert_eq!(z.encoding(), "listpack");
    assert!(z.indexed.is_none());
    z.insert(b"m0", 5.0, limits);
    assert_eq!(z.encoding(), "listpack", "an update adds no member");
    z.insert(b"one too many", 1.0, limits);
    assert_eq!(z.encoding(), "skiplist");
    validate(&z);
    z.remove(b"one too many");
    assert_eq!(z.encoding(), "skiplist", "a skiplist stays one");
    z.shrink_if_fits(limits);
    assert_eq!(z.encoding(), "listpack");
    assert!(z.indexed.is_none(), "back to the compact form");
    validate(&z);
    assert_eq!(z.rank(b"m0"), Some(4));

    let mut long = zset(&[("a", 1.0)], limits);
    long.insert(&[b'x'; 65], 2.0, limits);
    assert_eq!(long.encoding(), "skiplist");
    long.shrink_if_fits(limits);
    assert_eq!(
        long.encoding(),
        "skiplist",
        "the long member still does not fit"
    );
    long.remove(&[b'x'; 65]);
    long.shrink_if_fits(limits);
    assert_eq!(long.encoding(), "listpack");

    assert_eq!(ZSet::with_hint(129, 1, limits).encoding(), "skiplist");
    assert_eq!(ZSet::with_hint(10, 65, limits).encoding(), "skiplist");
    assert_eq!(
        ZSet::with_hint(usize::MAX, 0, limits).encoding(),
        "skiplist"
    );
    assert_eq!(ZSet::with_hint(128, 64, limits).encoding(), "listpack");

    // A raised listpack limit: the flag stays, the form becomes indexed past COMPACT_MAX.
    let roomy = Limits {
        max_entries: 10_000,
        max_value: 64,
    };
    let mut big = ZSet::new();
    for i in 0..1000 {
        big.insert(format!("m{i}").as_bytes(), 0.0, roomy);
    }
    assert_eq!(big.encoding(), "listpack");
    assert!(big.indexed.is_some());
    validate(&big);
    let mut visited = 0;
    assert_eq!(
        big.scan(0, 10, |_, _| visited += 1),
        0,
        "a listpack is scanned whole"
    );
    assert_eq!(visited, 1000);
}

#[test]
fn a_listpack_is_scanned_whole_in_rank_order() {
    let z = zset(&[("b", 2.0), ("a", 1.0), ("c", 3.0)], Limits::default());
    let mut seen = Vec::new();
    assert_eq!(z.scan(0, 1, |m, _| seen.push(m.clone())), 0);
    assert_eq!(names(seen.iter().map(|m| (m, 0.0))), ["a", "b", "c"]);
}

#[test]
fn a_skiplist_scan_returns_every_member_that_stays_while_others_come_and_go() {
    let limits = Limits::default();
    let mut z = ZSet::new();
    for i in 0..1000 {
        z.insert(format!("m{i}").as_bytes(), (i % 10) as f64, limits);
    }
    assert_eq!(z.encoding(), "skiplist");
    let mut rng = Rng::seeded(11);
    let mut seen = HashSet::new();
    let (mut cursor, mut added, mut steps) = (0, 0, 0);
    loop {
        cursor = z.scan(cursor, 10, |m, _| {
            seen.insert(m.clone());
        });
        steps += 1;
        // Between steps: remove some temporary members and some of the m9xx, add new ones.
        for _ in 0..3 {
            let (member, _) = z.random(&mut rng);
            if member.starts_with(b"t") || member.starts_with(b"m9") {
                let member = member.clone();
                z.remove(&member);
            }
            z.insert(format!("t{added}").as_bytes(), rng.below(10) as f64, limits);
            added += 1;
        }
        if cursor == 0 {
            break;
        }
    }
    validate(&z);
    assert!(steps > 50, "a skiplist is scanned in steps");
    for i in 0..1000 {
        let name = format!("m{i}");
        if !name.starts_with("m9") {
            assert!(seen.contains(name.as_bytes()), "{name} was missed");
        }
    }
}

#[test]
fn pops_take_the_ends() {
    for mut z in both_forms(&[("a", 1.0), ("b", 2.0), ("c", 3.0)]) {
        assert_eq!(
            z.pop_first().map(|(m, s)| (m.to_vec(), s)),
            Some((b"a".to_vec(), 1.0))
        );
        assert_eq!(
            z.pop_last().map(|(m, s)| (m.to_vec(), s)),
            Some((b"c".to_vec(), 3.0))
        );
        assert_eq!(z.pop_last().map(|(m, _)| m.to_vec()), Some(b"b".to_vec()));
        assert!(z.pop_first().is_none() && z.pop_last().is_none());
        validate(&z);
    }
}

#[test]
fn sets_built_in_order_fill_their_leaves() {
    // Ascending scores (timestamps) and descending ones (an RDB file) split at the edges.
    for descending in [false, true] {
        let mut z = ZSet::new();
        for i in 0..100_000u32 {
            let score = if descending {
                -f64::from(i)
            } else {
                f64::from(i)
            };
            z.insert(format!("member:{i}").as_bytes(), score, skiplist_limits());
        }
        let tree = z.indexed.as_ref().unwrap().order.heap_size();
        assert!(
            tree < 100_000 * 9 / 2,
            "{tree} bytes of tree, descending: {descending}"
        );
        validate(&z);
    }
}

#[test]
fn heap_size_counts_long_members_and_tables() {
    let mut z = ZSet::new();
    let small = z.heap_size();
    z.insert(&[b'x'; 100], 1.0, Limits::default());
    assert!(z.heap_size() >= small + 100);
    for i in 0..1000 {
        z.insert(format!("m{i}").as_bytes(), 0.0, Limits::default());
    }
    assert!(z.heap_size() > 1000 * 32 + 100);
    z.remove(&[b'x'; 100]);
    validate(&z);
}

#[test]
fn clones_are_independent() {
    let members: Vec<(String, f64)> = (0..300).map(|i| (format!("m{i}"), i as f64)).collect();
    let refs: Vec<(&str, f64)> = members.iter().map(|(m, s)| (m.as_str(), *s)).collect();
    let mut a = zset(&refs, Limits::default());
    let b = a.clone();
    a.remove(b"m5");
    assert_eq!(b.score(b"m5"), Some(5.0));
    assert_eq!(b.len(), 300);
    validate(&a);
    validate(&b);
    assert!(format!("{b:?}").contains("\"m5\": 5.0"));
}

// ---- the property test ----

/// The model: a sorted vector, and a map to find a member's score (so that a large model is
/// searched by a binary search, not a scan: the tests run unoptimized).
#[derive(Default)]
struct Model {
    sorted: Vec<(Vec<u8>, f64)>,
    scores: std::collections::HashMap<Vec<u8>, f64>,
}

impl Model {
    fn len(&self) -> usize {
        self.sorted.len()
    }

    fn find(&self, member: &[u8]) -> Option<usize> {
        let score = *self.scores.get(member)?;
        let at = self
            .sorted
            .partition_point(|(m, s)| compare((m, *s), (member, score)).is_lt());
        assert_eq!(self.sorted[at].0, member);
        Some(at)
    }

    fn insert(&mut self, member: &[u8], score: f64) -> Option<f64> {
        let old = self.remove(member);
        let at = self
            .sorted
            .partition_point(|(m, s)| compare((m, *s), (member, score)).is_lt());
        self.sorted.insert(at, (member.to_vec(), score));
        self.scores.insert(member.to_vec(), score);
        old
    }

    fn remove(&mut self, member: &[u8]) -> Option<f64> {
        let at = self.find(member)?;
        self.scores.remove(member);
        Some(self.sorted.remove(at).1)
    }

    fn drain(&mut self, ranks: Range<usize>) -> Vec<(Vec<u8>, f64)> {
        let gone: Vec<_> = self.sorted.drain(ranks).collect();
        for (m, _) in &gone {
            self.scores.remove(m);
        }
        gone
    }
}

fn score_for(rng: &mut Rng) -> f64 {
    // Few distinct scores, so ties (ordered by member) are common; both zeros.
    match rng.below(10) {
        0 => -0.0,
        1 => 0.0,
        2 => rng.next_u64() as f64 / 7.0 - 1e18,
        3 => f64::INFINITY,
        4 => f64::NEG_INFINITY,
        _ => rng.below(20) as f64 - 10.0,
    }
}

fn member_for(rng: &mut Rng, pool: u64) -> Vec<u8> {
    let n = rng.below(pool);
    // Some members too long to be stored inline, a few too long for a listpack.
    match n % 50 {
        0 => format!("{n}-{}", "long".repeat(8)).into_bytes(),
        1 if n % 7 == 0 => format!("{n}-{}", "x".repeat(70)).into_bytes(),
        _ => format!("m{n}").into_bytes(),
    }
}

fn check(z: &ZSet, model: &Model, rng: &mut Rng, full: bool) {
    assert_eq!(z.len(), model.len());
    if full {
        validate(z);
        let got: Vec<(&[u8], u64)> = z.iter().map(|(m, s)| (m.as_slice(), s.to_bits())).collect();
        let want: Vec<(&[u8], u64)> = model
            .sorted
            .iter()
            .map(|(m, s)| (m.as_slice(), s.to_bits()))
            .collect();
        assert_eq!(got, want);
        let back: Vec<&[u8]> = z.iter().rev().map(|(m, _)| m.as_slice()).collect();
        assert!(back.iter().rev().eq(want.iter().map(|(m, _)| m)));
    }
    let n = model.len();
    for _ in 0..if n > 1000 { 2 } else { 6 } {
        if n > 0 {
            let rank = rng.below(n as u64) as usize;
            let (m, s) = &model.sorted[rank];
            assert_eq!(z.score(m).map(f64::to_bits), Some(s.to_bits()));
            assert_eq!(z.rank(m), Some(rank));
            let (am, as_) = z.at_rank(rank).unwrap();
            assert_eq!((am.as_slice(), as_.to_bits()), (m.as_slice(), s.to_bits()));
            // A prefix predicate on (score, member), as ZRANGEBYSCORE and ZRANGEBYLEX make.
            let pivot = (m.clone(), *s);
            let inclusive = rng.below(2) == 0;
            let count = z.count_while(|m, s| {
                let order = compare((m, s), (&pivot.0, pivot.1));
                order.is_lt() || (inclusive && order.is_eq())
            });
            assert_eq!(count, rank + usize::from(inclusive));
            let threshold = score_for(rng);
            let by_score = model.sorted.partition_point(|(_, s)| *s < threshold);
            assert_eq!(z.count_while(|_, s| s < threshold), by_score);
            // A range from both ends.
            let start = rng.below(n as u64 + 1) as usize;
            // Short ones: the full check walks everything.
            let end = start + rng.below((n - start).min(300) as u64 + 1) as usize;
            let range = z.range(start..end);
            assert_eq!(range.len(), end - start);
            assert!(
                range
                    .map(|(m, _)| m.as_slice())
                    .eq(model.sorted[start..end].iter().map(|(m, _)| m.as_slice()))
            );
            assert!(
                z.range(start..end)
                    .rev()
                    .map(|(m, _)| m.as_slice())
                    .eq(model.sorted[start..end]
                        .iter()
                        .rev()
                        .map(|(m, _)| m.as_slice()))
            );
        }
        let absent = format!("absent{}", rng.below(100));
        assert_eq!(z.score(absent.as_bytes()), None);
        assert_eq!(z.rank(absent.as_bytes()), None);
    }
    assert!(z.at_rank(n).is_none());
}

/// Random operations on the set and on the model, in phases that grow the set to `target`
/// members and shrink it to a tenth of that, so that nodes split, merge and even out many times.
/// Returns the largest size and tree height reached.
fn run(seed: u64, target: usize, steps: usize, limits: Limits) -> (usize, u32) {
    let mut rng = Rng::seeded(seed);
    let (mut z, mut model) = (ZSet::new(), Model::default());
    let pool = target as u64 * 4;
    let (mut growing, mut max_len, mut max_height) = (true, 0, 0);
    for step in 0..steps {
        let n = model.len();
        if n >= target {
            growing = false;
        } else if n <= target / 10 {
            growing = true;
        }
        let op = rng.below(1000);
        // Everything is compared every 500 steps, and after any large removal.
        let mut full = target <= 300 || step % 500 == 0;
        match op {
            // Insert, or update if the member is there.
            _ if op < if growing { 750 } else { 100 } => {
                let (m, s) = (member_for(&mut rng, pool), score_for(&mut rng));
                let old = z.insert(&m, s, limits);
                assert_eq!(old.map(f64::to_bits), model.insert(&m, s).map(f64::to_bits));
            }
            // Update a present member: same score, the other zero, or a new one.
            _ if op < if growing { 800 } else { 200 } && n > 0 => {
                let (m, old) = model.sorted[rng.below(n as u64) as usize].clone();
                let s = match rng.below(3) {
                    0 => old,
                    1 if old == 0.0 => -old,
                    _ => score_for(&mut rng),
                };
                assert_eq!(
                    z.insert(&m, s, limits).map(f64::to_bits),
                    Some(old.to_bits())
                );
                model.insert(&m, s);
                assert_eq!(z.score(&m).map(f64::to_bits), Some(s.to_bits()));
            }
            // Remove a present member, or one that is absent.
            _ if op < 930 => {
                let m = if n > 0 && rng.below(3) > 0 {
                    model.sorted[rng.below(n as u64) as usize].0.clone()
                } else {
                    member_for(&mut rng, pool)
                };
                let got = z.remove(&m);
                assert_eq!(got.map(f64::to_bits), model.remove(&m).map(f64::to_bits));
            }
            // Remove a range: mostly short; now and then an eighth of the set (one removal at
            // a time) or, while shrinking, any part of it (rebuilt in one go).
            _ if op < 975 => {
                let start = rng.below(n as u64 + 1) as usize;
                let room = (n - start) as u64;
                let len = match rng.below(50) {
                    0 if !growing => rng.below(room + 1),
                    1 => rng.below(room.min(n as u64 / 8) + 1),
                    _ => rng.below(room.min(5) + 1),
                } as usize;
                full |= len > 5;
                let mut gone = Vec::new();
                z.remove_range(start..start + len, |m, s| {
                    gone.push((m.to_vec(), s.to_bits()))
                });
                let expected: Vec<_> = model
                    .drain(start..start + len)
                    .into_iter()
                    .map(|(m, s)| (m, s.to_bits()))
                    .collect();
                assert_eq!(gone, expected);
            }
            _ if op < 995 => {
                let (got, want) = if rng.below(2) == 0 {
                    (z.pop_first(), model.drain(0..n.min(1)).pop())
                } else {
                    (z.pop_last(), model.drain(n.saturating_sub(1)..n).pop())
                };
                assert_eq!(
                    got.map(|(m, s)| (m.to_vec(), s.to_bits())),
                    want.map(|(m, s)| (m, s.to_bits()))
                );
            }
            _ => z.shrink_if_fits(limits),
        }
        check(&z, &model, &mut rng, full);
        max_len = max_len.max(z.len());
        if let Some(ix) = &z.indexed {
            max_height = max_height.max(ix.order.height());
        }
    }
    check(&z, &model, &mut rng, true);
    (max_len, max_height)
}

#[test]
fn behaves_like_a_sorted_vector_while_small() {
    for seed in 1..=6 {
        run(seed, 150, 3000, Limits::default());
    }
}

#[test]
fn behaves_like_a_sorted_vector_across_node_splits_and_merges() {
    // 128-member leaves, 64-child inner nodes: 1000 members make a root over a few leaves,
    // 6000 a tree of three levels.
    for (seed, target, steps) in [(7, 1000, 8000), (8, 3000, 15_000), (9, 6000, 30_000)] {
        let (len, height) = run(seed, target, steps, skiplist_limits());
        assert!(len >= target, "seed {seed} reached only {len} members");
        let levels = if target > 5000 { 2 } else { 1 };
        assert!(height >= levels, "seed {seed}: height {height}");
    }
}

#[test]
fn behaves_like_a_sorted_vector_with_conversions() {
    // Tiny limits: conversions back and forth at every shrink_if_fits; a huge listpack limit:
    // the indexed form under the listpack flag.
    run(
        10,
        400,
        6000,
        Limits {
            max_entries: 4,
            max_value: 64,
        },
    );
    run(
        11,
        400,
        6000,
        Limits {
            max_entries: usize::MAX,
            max_value: usize::MAX,
        },
    );
}

// ---- measurements (`cargo test --release --lib zset -- --ignored --nocapture`) ----

/// The process's resident memory: its growth over building a set is the set's real cost, but
/// only for the first set built (later ones reuse what earlier ones freed).
fn resident_bytes() -> usize {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: usize = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    pages * 4096
}

/// Scores in a scrambled order (the worst case for leaf fill) or ascending.
fn build_large(n: u32, scrambled: bool) -> (ZSet, std::time::Duration) {
    let mut z = ZSet::new();
    let limits = Limits::default();
    let started = std::time::Instant::now();
    for i in 0..n {
        let score = if scrambled {
            f64::from(i.wrapping_mul(2_654_435_761) % n)
        } else {
            f64::from(i)
        };
        z.insert(format!("member:{i}").as_bytes(), score, limits);
    }
    (z, started.elapsed())
}

#[test]
#[ignore]
fn memory_per_member() {
    for n in [1_000_000u32, 1_500_000] {
        for scrambled in [true, false] {
            let before = resident_bytes();
            let (z, took) = build_large(n, scrambled);
            let rss = resident_bytes().saturating_sub(before);
            let ix = z.indexed.as_ref().unwrap();
            println!(
                "{n} members ({}): {:.1} bytes/member by heap_size (arena {:.1}, index {:.1}, tree {:.1}), {:.1} by RSS growth; inserted in {took:?}",
                if scrambled {
                    "scrambled scores"
                } else {
                    "ascending scores"
                },
                z.heap_size() as f64 / f64::from(n),
                (z.entries.capacity() * size_of::<Item>()) as f64 / f64::from(n),
                ix.members.heap_size() as f64 / f64::from(n),
                ix.order.heap_size() as f64 / f64::from(n),
                rss as f64 / f64::from(n),
            );
            assert!(z.heap_size() < 60 * n as usize);
        }
    }
}

#[test]
#[ignore]
fn timings_of_a_million_members() {
    let n = 1_000_000u32;
    let (mut z, took) = build_large(n, true);
    println!("insert {n} (scrambled scores): {took:?}");
    let (_, ascending) = build_large(n, false);
    println!("insert {n} (ascending scores): {ascending:?}");
    let started = std::time::Instant::now();
    let mut total = 0usize;
    for i in (0..n).step_by(7) {
        total += z.rank(format!("member:{i}").as_bytes()).unwrap();
    }
    println!(
        "rank of {} members: {:?} ({total})",
        n / 7,
        started.elapsed()
    );
    let started = std::time::Instant::now();
    for i in 0..n {
        z.insert(
            format!("member:{i}").as_bytes(),
            f64::from(i),
            Limits::default(),
        );
    }
    println!("re-score {n}: {:?}", started.elapsed());
    let started = std::time::Instant::now();
    let sum: f64 = z.iter().map(|(_, s)| s).sum();
    println!("iterate {n}: {:?} ({sum})", started.elapsed());
    let started = std::time::Instant::now();
    for i in (0..n).step_by(2) {
        z.remove(format!("member:{i}").as_bytes());
    }
    println!("remove {}: {:?}", n / 2, started.elapsed());
    let started = std::time::Instant::now();
    z.remove_range(0..z.len(), |_, _| {});
    println!(
        "remove_range of the other {}: {:?}",
        n / 2,
        started.elapsed()
    );
}

#[test]
#[ignore]
fn ten_million_members() {
    let (z, took) = build_large(10_000_000, true);
    println!(
        "insert 10M (scrambled scores): {took:?}, {:.1} bytes/member",
        z.heap_size() as f64 / 1e7
    );
}
