//! The stream against a naive model: a sorted `Vec` of entries, under random appends,
//! deletions, trims and range reads, with small nodes so that every path crosses nodes.

use super::*;
use crate::random::Rng;

type Pairs = Vec<(Vec<u8>, Vec<u8>)>;

fn pairs_of(entry: &RawEntry) -> Pairs {
    entry
        .pairs()
        .map(|(f, v)| (f.to_vec(), v.to_vec()))
        .collect()
}

fn flat(pairs: &Pairs) -> Vec<&[u8]> {
    pairs
        .iter()
        .flat_map(|(f, v)| [f.as_slice(), v.as_slice()])
        .collect()
}

fn random_id_between(rng: &mut Rng, model: &[(StreamId, Pairs)], last: StreamId) -> StreamId {
    match model.len() {
        0 => StreamId::new(rng.below(last.ms + 2), rng.below(3)),
        _ if rng.below(4) == 0 => StreamId::new(rng.below(last.ms + 2), rng.below(3)),
        n => model[rng.below(n as u64) as usize].0,
    }
}

#[test]
fn the_stream_matches_a_sorted_vector_under_random_operations() {
    let mut rng = Rng::seeded(7);
    for round in 0..40 {
        let limits = Limits {
            node_max_bytes: [0, 60, 4096][round % 3],
            node_max_entries: [3, 10, 0][round % 3],
        };
        let mut stream = Stream::new();
        let mut model: Vec<(StreamId, Pairs)> = Vec::new();
        for _ in 0..600 {
            match rng.below(10) {
                0..=4 => {
                    let last = stream.last_id();
                    let id = if rng.below(2) == 0 {
                        StreamId::new(last.ms + rng.below(3), last.seq + 1)
                    } else {
                        StreamId::new(last.ms + 1 + rng.below(1000), rng.below(2))
                    };
                    let fields = 1 + rng.below(3) as usize;
                    let pairs: Pairs = (0..fields)
                        .map(|i| {
                            let field = if rng.below(5) == 0 {
                                b'x'
                            } else {
                                b'a' + i as u8
                            };
                            (vec![field], rng.below(1000).to_string().into_bytes())
                        })
                        .collect();
                    stream.append(id, &flat(&pairs), limits);
                    model.push((id, pairs));
                }
                5 | 6 => {
                    let id = random_id_between(&mut rng, &model, stream.last_id());
                    let present = model.iter().position(|(m, _)| *m == id);
                    assert_eq!(stream.delete(id), present.is_some(), "XDEL {id}");
                    if let Some(at) = present {
                        model.remove(at);
                    }
                }
                7 => {
                    let max = rng.below(model.len() as u64 + 2);
                    let approx = rng.below(2) == 0;
                    let removed = stream.trim(Trim::MaxLen(max), approx, 0);
                    if approx {
                        assert!(stream.len() >= max.min(model.len() as u64));
                    } else {
                        assert_eq!(stream.len(), max.min(model.len() as u64));
                    }
                    model.drain(..removed as usize);
                }
                8 => {
                    let min = random_id_between(&mut rng, &model, stream.last_id());
                    let approx = rng.below(2) == 0;
                    let removed = stream.trim(Trim::MinId(min), approx, 0);
                    model.drain(..removed as usize);
                    if !approx {
                        assert!(model.iter().all(|(id, _)| *id >= min));
                    }
                }
                _ => {
                    let a = random_id_between(&mut rng, &model, stream.last_id());
                    let b = random_id_between(&mut rng, &model, stream.last_id());
                    let (start, end) = (a.min(b), a.max(b));
                    let expected: Vec<_> = model
                        .iter()
                        .filter(|(id, _)| (start..=end).contains(id))
                        .cloned()
                        .collect();
                    let forward: Vec<_> = stream
                        .range(start, end)
                        .map(|e| (e.id, pairs_of(&e)))
                        .collect();
                    assert_eq!(forward, expected, "XRANGE {start} {end}");
                    let mut backward: Vec<_> = stream
                        .range_rev(start, end)
                        .map(|e| (e.id, pairs_of(&e)))
                        .collect();
                    backward.reverse();
                    assert_eq!(backward, expected, "XREVRANGE {end} {start}");
                }
            }
            assert_eq!(stream.len(), model.len() as u64);
            assert_eq!(
                stream.first_id(),
                model.first().map_or(StreamId::MIN, |(id, _)| *id)
            );
            let all: Vec<_> = stream
                .range(StreamId::MIN, StreamId::MAX)
                .map(|e| e.id)
                .collect();
            let ids: Vec<_> = model.iter().map(|(id, _)| *id).collect();
            assert_eq!(all, ids);
        }
    }
}

#[test]
fn ids_come_from_the_clock_or_follow_the_last() {
    let mut stream = Stream::new();
    assert_eq!(stream.auto_id(5), Some(StreamId::new(5, 0)));
    stream.append(StreamId::new(5, 0), &[b"f", b"v"], Limits::default());
    assert_eq!(stream.auto_id(5), Some(StreamId::new(5, 1)));
    assert_eq!(stream.auto_id(3), Some(StreamId::new(5, 1)));
    stream.set_last_id(StreamId::MAX);
    assert_eq!(stream.auto_id(5), None);
}

#[test]
fn nodes_close_where_redis_closes_them() {
    let mut stream = Stream::new();
    for ms in 1..=250 {
        stream.append(StreamId::new(ms, 0), &[b"f", b"v"], Limits::default());
    }
    let sizes: Vec<_> = stream.nodes().map(Node::stored).collect();
    assert_eq!(sizes, vec![100, 100, 50]);
    // MAXLEN ~ drops whole nodes only.
    assert_eq!(stream.trim(Trim::MaxLen(120), true, 0), 100);
    assert_eq!(stream.len(), 150);
    assert_eq!(stream.trim(Trim::MaxLen(120), false, 0), 30);
    assert_eq!(stream.first_id(), StreamId::new(131, 0));
}

#[test]
fn deletion_keeps_the_tombstone_and_the_top_id() {
    let mut stream = Stream::new();
    for ms in 1..=3 {
        stream.append(StreamId::new(ms, 0), &[b"f", b"v"], Limits::default());
    }
    assert!(stream.delete(StreamId::new(3, 0)));
    assert_eq!(stream.max_deleted_id(), StreamId::new(3, 0));
    assert_eq!(stream.last_id(), StreamId::new(3, 0));
    assert_eq!(stream.entries_added(), 3);
    assert!(stream.delete(StreamId::new(1, 0)));
    assert_eq!(stream.first_id(), StreamId::new(2, 0));
    assert!(stream.delete(StreamId::new(2, 0)));
    assert_eq!(stream.nodes().len(), 0);
    assert_eq!(stream.first_id(), StreamId::MIN);
}
