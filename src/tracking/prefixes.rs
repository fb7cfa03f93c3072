//! Broadcast mode (Redis's `PrefixTable` and `bcastState`): which clients listen to which key
//! prefixes, and the keys under each prefix that changed since the last broadcast, each with
//! the client that changed it last (so a `NOLOOP` client is not told of its own changes).
//! Sorted maps, so keys go out in the order Redis's radix trees list them.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::keyspace::Bytes;

#[derive(Default)]
pub struct Prefixes {
    by_prefix: BTreeMap<Bytes, Prefix>,
    /// Client id → its prefixes (`CLIENT TRACKINGINFO`, and clean-up when it stops).
    by_client: HashMap<u64, BTreeSet<Bytes>>,
}

#[derive(Default)]
struct Prefix {
    clients: BTreeSet<u64>,
    /// Key → the client whose command changed it last (`None`: the server, expiring it).
    changed: BTreeMap<Bytes, Option<u64>>,
}

/// The changes under one prefix, for each client listening to it.
pub struct Batch {
    pub clients: Vec<u64>,
    pub keys: Vec<(Bytes, Option<u64>)>,
}

/// Redis's `stringCheckPrefix`: one of them starts with the other.
fn overlap(a: &[u8], b: &[u8]) -> bool {
    let n = a.len().min(b.len());
    a[..n] == b[..n]
}

impl Prefixes {
    /// Redis's `checkPrefixCollisionsOrReply`: the error for the first of `new` that overlaps a
    /// prefix client `id` has already, or one given after it.
    pub fn collision(&self, id: u64, new: &[&[u8]]) -> Option<String> {
        let existing = self.by_client.get(&id);
        for (i, prefix) in new.iter().enumerate() {
            let show = String::from_utf8_lossy;
            if let Some(old) = existing
                .into_iter()
                .flatten()
                .find(|old| overlap(old, prefix))
            {
                return Some(format!(
                    "Prefix '{}' overlaps with an existing prefix '{}'. Prefixes for a single client must not overlap.",
                    show(prefix),
                    show(old)
                ));
            }
            if let Some(other) = new[i + 1..].iter().find(|other| overlap(prefix, other)) {
                return Some(format!(
                    "Prefix '{}' overlaps with another provided prefix '{}'. Prefixes for a single client must not overlap.",
                    show(prefix),
                    show(other)
                ));
            }
        }
        None
    }

    /// Client `id` listens to `prefixes` too (to every key when there are none: the empty
    /// prefix).
    pub fn listen(&mut self, id: u64, prefixes: &[&[u8]]) {
        let empty: [&[u8]; 1] = [b""];
        let prefixes = if prefixes.is_empty() {
            &empty[..]
        } else {
            prefixes
        };
        for prefix in prefixes {
            let entry = self.by_prefix.entry(Bytes::new(prefix)).or_default();
            if entry.clients.insert(id) {
                self.by_client
                    .entry(id)
                    .or_default()
                    .insert(Bytes::new(prefix));
            }
        }
    }

    /// Client `id` listens to nothing any more; a prefix nobody listens to goes.
    pub fn stop(&mut self, id: u64) {
        for prefix in self.by_client.remove(&id).unwrap_or_default() {
            if let Some(entry) = self.by_prefix.get_mut(prefix.as_slice()) {
                entry.clients.remove(&id);
                if entry.clients.is_empty() {
                    self.by_prefix.remove(prefix.as_slice());
                }
            }
        }
    }

    /// The prefixes of client `id`, sorted.
    pub fn of(&self, id: u64) -> Vec<Bytes> {
        self.by_client
            .get(&id)
            .map(|prefixes| prefixes.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// `key` changed, by client `origin`: remembered for the next broadcast under each prefix it
    /// starts with (Redis's `trackingRememberKeyToBroadcast`).
    pub fn record(&mut self, key: &[u8], origin: Option<u64>) {
        for (prefix, entry) in self.by_prefix.iter_mut() {
            if key.starts_with(prefix) {
                entry.changed.insert(Bytes::new(key), origin);
            }
        }
    }

    /// The changes recorded since the last call, one batch per prefix that has some, and
    /// forgets them.
    pub fn take_batches(&mut self) -> Vec<Batch> {
        let mut batches = Vec::new();
        for entry in self.by_prefix.values_mut() {
            if entry.changed.is_empty() {
                continue;
            }
            batches.push(Batch {
                clients: entry.clients.iter().copied().collect(),
                keys: std::mem::take(&mut entry.changed).into_iter().collect(),
            });
        }
        batches
    }

    /// `tracking_total_prefixes`.
    pub fn count(&self) -> usize {
        self.by_prefix.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_prefix.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn collisions_are_reported_as_redis_words_them() {
        let mut prefixes = Prefixes::default();
        let err = prefixes.collision(1, &[b"FOOBAR", b"FOO"]).unwrap();
        assert_eq!(
            err,
            "Prefix 'FOOBAR' overlaps with another provided prefix 'FOO'. Prefixes for a single client must not overlap."
        );
        prefixes.listen(1, &[b"FOO", b"BAR"]);
        let err = prefixes.collision(1, &[b"FO"]).unwrap();
        assert!(err.starts_with("Prefix 'FO' overlaps with an existing prefix 'FOO'."));
        assert!(prefixes.collision(1, &[b"BAZ"]).is_none());
        assert!(prefixes.collision(2, &[b"FOO"]).is_none(), "per client");
    }

    #[test]
    fn changes_are_batched_per_prefix_and_taken_once() {
        let mut prefixes = Prefixes::default();
        prefixes.listen(1, &[b"a:", b"b:"]);
        prefixes.listen(2, &[]);
        for key in [&b"b:2"[..], b"a:1", b"c:1", b"b:1"] {
            prefixes.record(key, Some(9));
        }
        let batches = prefixes.take_batches();
        let listed: Vec<(Vec<u64>, Vec<&[u8]>)> = batches
            .iter()
            .map(|b| {
                (
                    b.clients.clone(),
                    b.keys.iter().map(|(k, _)| k.as_slice()).collect(),
                )
            })
            .collect();
        assert_eq!(
            listed,
            [
                (vec![2], vec![&b"a:1"[..], b"b:1", b"b:2", b"c:1"]),
                (vec![1], vec![&b"a:1"[..]]),
                (vec![1], vec![&b"b:1"[..], b"b:2"]),
            ]
        );
        assert!(prefixes.take_batches().is_empty());
        assert_eq!(prefixes.count(), 3);
        prefixes.stop(1);
        assert_eq!(prefixes.count(), 1);
        assert_eq!(prefixes.of(2), [Bytes::new(b"")]);
    }
}
