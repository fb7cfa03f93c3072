//! Keyspace notifications (Redis's notify.c): `notify-keyspace-events` read into
//! [`EventClass`] bits and printed back, and the events the write path recorded published as
//! pub/sub messages on `__keyspace@<db>__:<key>` (the event's name) and
//! `__keyevent@<db>__:<event>` (the key's name).
//!
//! Handlers record events as Redis's commands raise them (`w.notify(EventClass::STRING, "set",
//! key)`); the writer keeps only the classes the configuration asks for, and only when `K` or
//! `E` says where they go (`Switches::snapshot`). `Server::commit` hands them here, still under
//! the keyspace lock, so notifications go out in the order the changes were made (EXEC hands
//! each queued command's over as soon as it ran, under the same lock). `keymiss` comes from
//! reads, which have no writer: [`key_miss`] publishes it straight away.

use crate::keyspace::{Event, EventClass};
use crate::pubsub::{Kind, PubSub};
use crate::server::Server;

/// The letters of `notify-keyspace-events`, in the order Redis prints them back.
const LETTERS: [(u8, EventClass); 11] = [
    (b'g', EventClass::GENERIC),
    (b'$', EventClass::STRING),
    (b'l', EventClass::LIST),
    (b's', EventClass::SET),
    (b'h', EventClass::HASH),
    (b'z', EventClass::ZSET),
    (b'x', EventClass::EXPIRED),
    (b'e', EventClass::EVICTED),
    (b't', EventClass::STREAM),
    (b'd', EventClass::MODULE),
    (b'n', EventClass::NEW),
];

/// Reads `notify-keyspace-events` (`KEA`, `Kx`, `""`): `None` for a letter Redis does not know.
pub fn parse_classes(text: &str) -> Option<EventClass> {
    let mut classes = 0;
    for letter in text.bytes() {
        classes |= match letter {
            b'A' => EventClass::ALL,
            b'K' => EventClass::KEYSPACE,
            b'E' => EventClass::KEYEVENT,
            b'm' => EventClass::KEY_MISS,
            other => LETTERS.iter().find(|(l, _)| *l == other)?.1,
        }
        .0;
    }
    Some(EventClass(classes))
}

/// Prints classes as `CONFIG GET` does (Redis's `keyspaceEventsFlagsToString`): `A` for all of
/// its classes, else their letters, then `K`, `E` and `m`. (`n` is not part of `A`, yet Redis
/// does not print it after `A`.)
pub fn format_classes(classes: EventClass) -> String {
    let mut text = String::new();
    if classes.contains(EventClass::ALL) {
        text.push('A');
    } else {
        for (letter, class) in LETTERS {
            if classes.contains(class) {
                text.push(char::from(letter));
            }
        }
    }
    for (letter, class) in [
        ('K', EventClass::KEYSPACE),
        ('E', EventClass::KEYEVENT),
        ('m', EventClass::KEY_MISS),
    ] {
        if classes.contains(class) {
            text.push(letter);
        }
    }
    text
}

/// Publishes the events one write recorded, in order. `classes` says which channels they go
/// to (`K`, `E`).
pub fn publish(server: &Server, events: &[Event], classes: EventClass) {
    let limit = server.config.pubsub_output_limit();
    for event in events {
        publish_one(&server.pubsub, event, classes, limit);
    }
}

fn publish_one(
    pubsub: &PubSub,
    event: &Event,
    classes: EventClass,
    limit: crate::config::OutputLimit,
) {
    if classes.contains(EventClass::KEYSPACE) {
        let channel = channel("__keyspace@", event.db, &event.key);
        pubsub.publish(Kind::Channel, &channel, event.name.as_bytes(), limit);
    }
    if classes.contains(EventClass::KEYEVENT) {
        let channel = channel("__keyevent@", event.db, event.name.as_bytes());
        pubsub.publish(Kind::Channel, &channel, &event.key, limit);
    }
}

/// `__keyspace@0__:mykey`
fn channel(prefix: &str, db: usize, suffix: &[u8]) -> Vec<u8> {
    let mut channel = format!("{prefix}{db}__:").into_bytes();
    channel.extend_from_slice(suffix);
    channel
}

/// A read found no `key` in database `db`: the `keymiss` event (class `m`), if asked for.
pub fn key_miss(server: &Server, db: usize, key: &[u8]) {
    let classes = EventClass(
        server
            .config
            .notify_keyspace_events
            .load(std::sync::atomic::Ordering::Relaxed),
    )
    .recorded();
    if classes.contains(EventClass::KEY_MISS) {
        let event = Event {
            class: EventClass::KEY_MISS,
            name: "keymiss",
            db,
            key: crate::keyspace::Bytes::new(key),
        };
        publish_one(
            &server.pubsub,
            &event,
            classes,
            server.config.pubsub_output_limit(),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(text: &str) -> String {
        format_classes(parse_classes(text).unwrap())
    }

    #[test]
    fn classes_print_back_in_redis_order() {
        assert_eq!(round_trip(""), "");
        assert_eq!(round_trip("gKE"), "gKE");
        assert_eq!(round_trip("$lshzxeKE"), "$lshzxeKE");
        assert_eq!(round_trip("KA"), "AK");
        assert_eq!(round_trip("EA"), "AE");
        assert_eq!(round_trip("KEA"), "AKE");
        assert_eq!(round_trip("$lshzxeKEtmdn"), "$lshzxetdnKEm");
        assert_eq!(round_trip("AKEnm"), "AKEm");
    }

    #[test]
    fn unknown_letters_are_refused() {
        assert!(parse_classes("Q").is_none());
        assert!(parse_classes("KEa").is_none());
    }
}
