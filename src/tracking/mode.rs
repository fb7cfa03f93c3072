//! One client's tracking mode (Redis's `CLIENT_TRACKING*` flags and `client_tracking_redirection`),
//! kept with the client (`ClientInfo::tracking`) in atomics: its own thread checks it after every
//! read-only command, and writers' threads check it for every invalidation they send, so reading
//! it must cost no lock.

use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};

/// A set of tracking flags.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Flags(u32);

impl Flags {
    /// `CLIENT TRACKING on`.
    pub const ON: Flags = Flags(1);
    /// Broadcast mode: told of every change under its prefixes, nothing remembered per key.
    pub const BCAST: Flags = Flags(1 << 1);
    /// Keys are remembered only after `CLIENT CACHING yes`.
    pub const OPTIN: Flags = Flags(1 << 2);
    /// Keys are remembered unless `CLIENT CACHING no` came just before.
    pub const OPTOUT: Flags = Flags(1 << 3);
    /// Not told of changes made by its own commands.
    pub const NOLOOP: Flags = Flags(1 << 4);
    /// `CLIENT CACHING yes|no` applies to the next command (or transaction).
    pub const CACHING: Flags = Flags(1 << 5);
    /// The client it redirects to has gone away.
    pub const BROKEN_REDIRECT: Flags = Flags(1 << 6);

    /// The options `CLIENT TRACKING on` sets anew each time (Redis's `enableTracking` clears them
    /// first).
    pub const OPTIONS: Flags =
        Flags(Flags::BCAST.0 | Flags::OPTIN.0 | Flags::OPTOUT.0 | Flags::NOLOOP.0);

    pub const fn contains(self, other: Flags) -> bool {
        self.0 & other.0 == other.0
    }

    pub const fn union(self, other: Flags) -> Flags {
        Flags(self.0 | other.0)
    }

    /// Whether keys this client reads are remembered now (Redis's `trackingRememberKeys`
    /// preconditions): tracking in the default mode, and in OPTIN mode only after `CLIENT
    /// CACHING yes`, in OPTOUT mode unless after `CLIENT CACHING no`.
    pub fn remembers_reads(self) -> bool {
        if !self.contains(Flags::ON) || self.contains(Flags::BCAST) {
            return false;
        }
        let caching = self.contains(Flags::CACHING);
        !(self.contains(Flags::OPTIN) && !caching || self.contains(Flags::OPTOUT) && caching)
    }

    /// The words `CLIENT TRACKINGINFO` lists under `flags`, in Redis's order.
    pub fn words(self) -> Vec<&'static str> {
        let mut words = vec![if self.contains(Flags::ON) {
            "on"
        } else {
            "off"
        }];
        let caching = self.contains(Flags::CACHING);
        for (flag, word, caching_word) in [
            (Flags::BCAST, "bcast", None),
            (Flags::OPTIN, "optin", Some("caching-yes")),
            (Flags::OPTOUT, "optout", Some("caching-no")),
            (Flags::NOLOOP, "noloop", None),
            (Flags::BROKEN_REDIRECT, "broken_redirect", None),
        ] {
            if self.contains(flag) {
                words.push(word);
                if let Some(caching_word) = caching_word.filter(|_| caching) {
                    words.push(caching_word);
                }
            }
        }
        words
    }
}

/// What a client's tracking looks like to every thread.
#[derive(Default)]
pub struct ClientTracking {
    flags: AtomicU32,
    /// The client id invalidations go to instead (0: this client itself).
    redirect: AtomicU64,
    /// Some client redirects its invalidations to this one (never cleared: it only makes the
    /// connection wait for messages as a subscriber does).
    redirect_target: AtomicBool,
}

impl ClientTracking {
    pub fn flags(&self) -> Flags {
        Flags(self.flags.load(Ordering::Relaxed))
    }

    pub fn is_on(&self) -> bool {
        self.flags().contains(Flags::ON)
    }

    /// The redirection as `CLIENT GETREDIR` and `redir=` report it: -1 when tracking is off.
    pub fn reported_redirect(&self) -> i64 {
        if self.is_on() {
            self.redirect() as i64
        } else {
            -1
        }
    }

    pub fn redirect(&self) -> u64 {
        self.redirect.load(Ordering::Relaxed)
    }

    pub fn is_redirect_target(&self) -> bool {
        self.redirect_target.load(Ordering::Relaxed)
    }

    pub(crate) fn mark_redirect_target(&self) {
        self.redirect_target.store(true, Ordering::Relaxed);
    }

    /// `CLIENT TRACKING on`: tracking with `options` only (plus `CACHING`, which is about the next
    /// command, not the mode), redirected to `redirect` (0: none).
    pub(super) fn enable(&self, options: Flags, redirect: u64) {
        self.redirect.store(redirect, Ordering::Relaxed);
        let caching = self.flags().0 & Flags::CACHING.0;
        let options = options.0 & Flags::OPTIONS.0;
        self.flags
            .store(Flags::ON.0 | options | caching, Ordering::Relaxed);
    }

    /// `CLIENT TRACKING off`: every flag goes (Redis's `disableTracking`).
    pub(super) fn disable(&self) {
        self.flags.store(0, Ordering::Relaxed);
    }

    pub(super) fn mark_broken_redirect(&self) {
        self.flags
            .fetch_or(Flags::BROKEN_REDIRECT.0, Ordering::Relaxed);
    }

    /// `CLIENT CACHING yes|no` (set) and the end of the command or transaction it applied to.
    pub fn set_caching(&self, on: bool) {
        if on {
            self.flags.fetch_or(Flags::CACHING.0, Ordering::Relaxed);
        } else {
            self.flags.fetch_and(!Flags::CACHING.0, Ordering::Relaxed);
        }
    }

    /// The letters of CLIENT LIST's `flags=` tracking stands for, in Redis's order (`t`, `R`,
    /// `B`).
    pub fn push_list_flags(&self, out: &mut String) {
        let flags = self.flags();
        for (flag, letter) in [
            (Flags::ON, 't'),
            (Flags::BROKEN_REDIRECT, 'R'),
            (Flags::BCAST, 'B'),
        ] {
            if flags.contains(flag) {
                out.push(letter);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn optin_and_optout_invert_what_caching_means() {
        let on = Flags::ON;
        assert!(on.remembers_reads());
        assert!(!on.union(Flags::BCAST).remembers_reads());
        assert!(!on.union(Flags::OPTIN).remembers_reads());
        assert!(
            on.union(Flags::OPTIN)
                .union(Flags::CACHING)
                .remembers_reads()
        );
        assert!(on.union(Flags::OPTOUT).remembers_reads());
        assert!(
            !on.union(Flags::OPTOUT)
                .union(Flags::CACHING)
                .remembers_reads()
        );
        assert!(!Flags::default().remembers_reads());
    }

    #[test]
    fn trackinginfo_words_follow_redis_order() {
        let flags = Flags::ON
            .union(Flags::OPTIN)
            .union(Flags::CACHING)
            .union(Flags::NOLOOP);
        assert_eq!(flags.words(), ["on", "optin", "caching-yes", "noloop"]);
        assert_eq!(Flags::default().words(), ["off"]);
    }

    #[test]
    fn enabling_again_replaces_the_options_and_keeps_caching() {
        let tracking = ClientTracking::default();
        tracking.enable(Flags::OPTIN.union(Flags::NOLOOP), 7);
        tracking.set_caching(true);
        tracking.enable(Flags::OPTIN, 0);
        assert_eq!(
            tracking.flags(),
            Flags::ON.union(Flags::OPTIN).union(Flags::CACHING)
        );
        assert_eq!(tracking.reported_redirect(), 0);
        tracking.disable();
        assert_eq!(tracking.reported_redirect(), -1);
        let mut letters = String::new();
        tracking.push_list_flags(&mut letters);
        assert!(letters.is_empty());
    }
}
