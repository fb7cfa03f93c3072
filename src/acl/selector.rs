//! A selector: one set of permissions — which commands, which keys (for reading, writing or
//! both), which Pub/Sub channels. Every user has a root selector and may have more in
//! parentheses (ACL v2); a command runs if any one selector allows all of it.
//!
//! Commands are a bitmap indexed by the command table's ids (`commands::all_commands`), with one
//! bit more that only `+@all` sets: it records that the rules started from everything, so
//! `ACL LIST` describes the selector as `+@all -...` rather than `-@all +...` (Redis keeps the
//! same reserved bit). [`Selector::describe_commands`] turns the bitmap back into rules with
//! Redis's algorithm: the closest categories first, single commands last.

use std::collections::BTreeMap;

use super::categories::{self, Categories};
use super::{Denied, RuleError};
use crate::commands::{Channels, Flags, KeyAccess, Resolved, all_commands, lookup_original};
use crate::glob;
use crate::protocol::Request;

/// The commands a selector allows, one bit per command id, plus the "future commands" bit.
#[derive(Clone, PartialEq, Eq)]
struct CommandBits(Vec<u64>);

impl CommandBits {
    fn none() -> CommandBits {
        CommandBits(vec![0; (all_commands().len() + 1).div_ceil(64)])
    }

    fn all() -> CommandBits {
        let mut bits = CommandBits::none();
        bits.0.iter_mut().for_each(|word| *word = u64::MAX);
        bits
    }

    fn get(&self, id: usize) -> bool {
        self.0[id / 64] & (1 << (id % 64)) != 0
    }

    fn set(&mut self, id: usize, on: bool) {
        if on {
            self.0[id / 64] |= 1 << (id % 64);
        } else {
            self.0[id / 64] &= !(1 << (id % 64));
        }
    }

    /// The bit only `+@all` sets: the selector allows commands the table does not have yet.
    fn future() -> usize {
        all_commands().len()
    }
}

/// A key pattern and what it allows: `~p` both, `%R~p` reading, `%W~p` writing.
#[derive(Clone, PartialEq, Eq)]
pub struct KeyPattern {
    pub pattern: Vec<u8>,
    pub read: bool,
    pub write: bool,
}

impl KeyPattern {
    /// As a rule: `~p`, `%R~p` or `%W~p`.
    fn rule(&self) -> Vec<u8> {
        let mut rule = match (self.read, self.write) {
            (true, true) => b"~".to_vec(),
            (true, false) => b"%R~".to_vec(),
            _ => b"%W~".to_vec(),
        };
        rule.extend_from_slice(&self.pattern);
        rule
    }
}

#[derive(Clone)]
pub struct Selector {
    /// The selector outside parentheses, which every user has.
    pub root: bool,
    all_keys: bool,
    all_channels: bool,
    /// Set by `+@all`, cleared by any command taken away: the bitmap need not be looked at.
    all_commands: bool,
    commands: CommandBits,
    /// `+select|0`: a command otherwise denied, allowed with one of these first arguments.
    first_args: BTreeMap<usize, Vec<Vec<u8>>>,
    keys: Vec<KeyPattern>,
    channels: Vec<Vec<u8>>,
}

/// Whether a pattern is free of what Redis refuses in one (`ACLStringHasSpaces`): C's `isspace`
/// bytes and NUL, which would break the rules' one-line form.
pub fn no_spaces(text: &[u8]) -> bool {
    !text
        .iter()
        .any(|&b| b.is_ascii_whitespace() || b == 0 || b == 0x0b)
}

impl Selector {
    /// A selector that allows nothing; `all_channels` is `acl-pubsub-default allchannels`.
    pub fn new(root: bool, all_channels: bool) -> Selector {
        Selector {
            root,
            all_keys: false,
            all_channels,
            all_commands: false,
            commands: CommandBits::none(),
            first_args: BTreeMap::new(),
            keys: Vec::new(),
            channels: Vec::new(),
        }
    }

    /// Applies one rule (Redis's `ACLSetSelector`).
    pub fn apply(&mut self, op: &[u8]) -> Result<(), RuleError> {
        let is = |name: &str| op.eq_ignore_ascii_case(name.as_bytes());
        if is("allkeys") || op == b"~*" {
            self.all_keys = true;
            self.keys.clear();
        } else if is("resetkeys") {
            self.all_keys = false;
            self.keys.clear();
        } else if is("allchannels") || op == b"&*" {
            self.all_channels = true;
            self.channels.clear();
        } else if is("resetchannels") {
            self.all_channels = false;
            self.channels.clear();
        } else if is("allcommands") || is("+@all") {
            self.commands = CommandBits::all();
            self.all_commands = true;
            self.first_args.clear();
        } else if is("nocommands") || is("-@all") {
            self.commands = CommandBits::none();
            self.all_commands = false;
            self.first_args.clear();
        } else if op.first() == Some(&b'~') || op.first() == Some(&b'%') {
            self.add_key_pattern(op)?;
        } else if let Some(pattern) = op.strip_prefix(b"&") {
            if self.all_channels {
                return Err(RuleError::AfterAllChannels);
            }
            if !no_spaces(pattern) {
                return Err(RuleError::Syntax);
            }
            if !self.channels.iter().any(|c| c == pattern) {
                self.channels.push(pattern.to_vec());
            }
            self.all_channels = false;
        } else if let Some(category) = op.strip_prefix(b"+@") {
            self.set_category(category, true)?;
        } else if let Some(category) = op.strip_prefix(b"-@") {
            self.set_category(category, false)?;
        } else if let Some(name) = op.strip_prefix(b"+") {
            self.allow(name)?;
        } else if let Some(name) = op.strip_prefix(b"-") {
            let command = find_command(name).ok_or(RuleError::UnknownCommand)?;
            self.change(command, false);
        } else {
            return Err(RuleError::Syntax);
        }
        Ok(())
    }

    /// `~pattern`, `%R~pattern`, `%W~pattern`, `%RW~pattern`.
    fn add_key_pattern(&mut self, op: &[u8]) -> Result<(), RuleError> {
        if self.all_keys {
            return Err(RuleError::AfterAllKeys);
        }
        let (mut read, mut write) = (true, true);
        let mut pattern = &op[1..];
        if op[0] == b'%' {
            (read, write) = (false, false);
            let mut rest = &op[1..];
            loop {
                match rest.first().map(u8::to_ascii_uppercase) {
                    Some(b'R') if !read => read = true,
                    Some(b'W') if !write => write = true,
                    Some(b'~') => {
                        pattern = &rest[1..];
                        break;
                    }
                    // Redis takes a `%R` with no `~` as an empty pattern with those flags.
                    None => {
                        pattern = rest;
                        break;
                    }
                    _ => return Err(RuleError::Syntax),
                }
                rest = &rest[1..];
            }
        }
        if !no_spaces(pattern) {
            return Err(RuleError::Syntax);
        }
        match self.keys.iter_mut().find(|k| k.pattern == pattern) {
            Some(existing) => {
                existing.read |= read;
                existing.write |= write;
            }
            None => self.keys.push(KeyPattern {
                pattern: pattern.to_vec(),
                read,
                write,
            }),
        }
        self.all_keys = false;
        Ok(())
    }

    /// `+command`, `+container|subcommand`, or `+command|first-arg`.
    fn allow(&mut self, name: &[u8]) -> Result<(), RuleError> {
        let Some(bar) = name.iter().rposition(|&b| b == b'|') else {
            let command = find_command(name).ok_or(RuleError::UnknownCommand)?;
            self.change(command, true);
            return Ok(());
        };
        let (base, arg) = (&name[..bar], &name[bar + 1..]);
        let command = find_command(base).ok_or(RuleError::UnknownCommand)?;
        if command.parent.is_some() {
            return Err(RuleError::FirstArgOfSubcommand);
        }
        if arg.is_empty() {
            return Err(RuleError::Syntax);
        }
        if !command.command.subcommands.is_empty() {
            let sub = find_command(name).ok_or(RuleError::UnknownCommand)?;
            self.change(sub, true);
            return Ok(());
        }
        crate::log!(
            Warning,
            "Deprecation warning: Allowing a first arg of an otherwise blocked command is a misuse of ACL and may get disabled in the future (offender: +{})",
            String::from_utf8_lossy(name)
        );
        let args = self.first_args.entry(command.id).or_default();
        if !args.iter().any(|a| a.eq_ignore_ascii_case(arg)) {
            args.push(arg.to_vec());
        }
        Ok(())
    }

    /// Allows or denies a command and, for a container, all its subcommands (Redis's
    /// `ACLChangeSelectorPerm`).
    fn change(&mut self, command: Resolved, allow: bool) {
        self.set_bit(command.id, allow);
        self.first_args.remove(&command.id);
        for i in 0..command.command.subcommands.len() {
            self.set_bit(command.id + 1 + i, allow);
        }
    }

    fn set_bit(&mut self, id: usize, on: bool) {
        self.commands.set(id, on);
        if !on {
            self.all_commands = false;
        }
    }

    /// `+@category` or `-@category`: every command in it, subcommands of containers included.
    fn set_category(&mut self, name: &[u8], allow: bool) -> Result<(), RuleError> {
        let category = categories::by_name(name).ok_or(RuleError::UnknownCommand)?;
        self.set_category_bits(category, allow);
        Ok(())
    }

    fn set_category_bits(&mut self, category: Categories, allow: bool) {
        for resolved in all_commands() {
            if categories::of_id(resolved.id) & category != 0 {
                self.change(*resolved, allow);
            }
        }
    }

    /// How many commands of `category` the bitmap allows and denies.
    fn count(&self, category: Categories) -> (usize, usize) {
        let (mut on, mut off) = (0, 0);
        for resolved in all_commands() {
            if categories::of_id(resolved.id) & category != 0 {
                if self.commands.get(resolved.id) {
                    on += 1;
                } else {
                    off += 1;
                }
            }
        }
        (on, off)
    }

    /// The command rules that rebuild this selector's bitmap, as Redis describes them
    /// (`ACLDescribeSelectorCommandRules`): `+@all` or `-@all`, then the category that fits the
    /// remaining difference best, again and again, then single commands and first arguments.
    pub fn describe_commands(&self) -> String {
        let additive = !self.commands.get(CommandBits::future());
        let mut rules: Vec<String> = Vec::new();
        // `fake` replays the rules emitted so far; `remaining` is what they have not covered.
        let mut fake = Selector::new(false, false);
        let start = if additive { "-@all" } else { "+@all" };
        fake.apply(start.as_bytes()).expect("a valid rule");
        rules.push(start.into());
        let mut remaining = self.clone();
        let mut applied = [false; categories::NAMES.len()];
        loop {
            let mut best = None;
            let (mut min_diff, mut max_same) = (usize::MAX, 0);
            for (i, _) in categories::NAMES.iter().enumerate() {
                if applied[i] {
                    continue;
                }
                let (on, off) = remaining.count(1 << i);
                let (diff, same) = if additive { (off, on) } else { (on, off) };
                if same > diff && (diff < min_diff || (diff == min_diff && same > max_same)) {
                    best = Some(i);
                    min_diff = diff;
                    max_same = same;
                }
            }
            let Some(best) = best else { break };
            fake.set_category_bits(1 << best, additive);
            remaining.set_category_bits(1 << best, !additive);
            let sign = if additive { '+' } else { '-' };
            rules.push(format!("{sign}@{}", categories::NAMES[best]));
            applied[best] = true;
        }
        for resolved in all_commands() {
            let user_bit = self.commands.get(resolved.id);
            if user_bit != fake.commands.get(resolved.id) {
                let sign = if user_bit { '+' } else { '-' };
                rules.push(format!("{sign}{}", resolved.full_name()));
                fake.change(*resolved, user_bit);
            }
            if !user_bit {
                for arg in self.first_args.get(&resolved.id).into_iter().flatten() {
                    rules.push(format!(
                        "+{}|{}",
                        resolved.full_name(),
                        String::from_utf8_lossy(arg)
                    ));
                }
            }
        }
        debug_assert!(fake.commands == self.commands, "rules rebuild the bitmap");
        rules.join(" ")
    }

    /// The key rules, as `ACL GETUSER` shows them: `~*`, or the patterns.
    pub fn describe_keys(&self) -> Vec<u8> {
        if self.all_keys {
            return b"~*".to_vec();
        }
        join(self.keys.iter().map(KeyPattern::rule))
    }

    /// The channel rules, as `ACL GETUSER` shows them: `&*`, or the patterns.
    pub fn describe_channels(&self) -> Vec<u8> {
        if self.all_channels {
            return b"&*".to_vec();
        }
        join(self.channels.iter().map(|c| [b"&", c.as_slice()].concat()))
    }

    /// The whole selector as rules, as `ACL LIST` shows it (Redis's `ACLDescribeSelector`).
    pub fn describe(&self) -> Vec<u8> {
        let mut out = Vec::new();
        if self.all_keys {
            out.extend_from_slice(b"~* ");
        } else {
            for key in &self.keys {
                out.extend_from_slice(&key.rule());
                out.push(b' ');
            }
        }
        if self.all_channels {
            out.extend_from_slice(b"&* ");
        } else {
            out.extend_from_slice(b"resetchannels ");
            for channel in &self.channels {
                out.push(b'&');
                out.extend_from_slice(channel);
                out.push(b' ');
            }
        }
        out.extend_from_slice(self.describe_commands().as_bytes());
        out
    }

    /// Whether everything passes without looking at the request: the default user's case, on
    /// every command, so it must cost next to nothing.
    pub fn allows_everything(&self) -> bool {
        self.all_commands && self.all_keys && self.all_channels
    }

    /// Whether the selector allows only some keys.
    pub fn limits_keys(&self) -> bool {
        !self.all_keys
    }

    /// Whether this selector lets `args` run (Redis's `ACLSelectorCheckCmd`): the command,
    /// then each key it names, then each channel.
    pub fn check(&self, resolved: Resolved, args: &Request) -> Result<(), Denied> {
        let command = resolved.command;
        if !self.all_commands
            && !command.flags.contains(Flags::NO_AUTH)
            && !self.commands.get(resolved.id)
        {
            let at = if resolved.parent.is_some() { 2 } else { 1 };
            let allowed = self.first_args.get(&resolved.id).is_some_and(|allowed| {
                at < args.len() && allowed.iter().any(|a| a.eq_ignore_ascii_case(args.arg(at)))
            });
            if !allowed {
                return Err(Denied::Command);
            }
        }
        if !self.all_keys && command.has_keys() {
            for (pos, access) in command.keys_in(args) {
                if !self.may_access(args.arg(pos), access) {
                    return Err(Denied::Key(pos));
                }
            }
        }
        if !self.all_channels && command.channels != Channels::None {
            let literal = command.channels == Channels::Patterns;
            for pos in command.channels.positions(args.len()) {
                if !self.may_use_channel(args.arg(pos), literal) {
                    return Err(Denied::Channel(pos));
                }
            }
        }
        Ok(())
    }

    /// Whether a key may be used as `access` says: reading needs a pattern with read
    /// permission, writing one with write permission.
    pub fn may_access(&self, key: &[u8], access: KeyAccess) -> bool {
        if self.all_keys {
            return true;
        }
        self.keys.iter().any(|pattern| {
            (pattern.read || !access.reads)
                && (pattern.write || !access.writes)
                && matches(&pattern.pattern, key)
        })
    }

    /// Whether any key at all may be used as `access` says: all keys, or a `*` pattern with the
    /// permissions needed (Redis's `ACLSelectorHasUnrestrictedKeyAccess`).
    pub fn allows_every_key(&self, access: KeyAccess) -> bool {
        self.all_keys
            || self.keys.iter().any(|pattern| {
                (pattern.read || !access.reads)
                    && (pattern.write || !access.writes)
                    && pattern.pattern == b"*"
            })
    }

    /// Whether a channel may be published or subscribed to; a pattern subscription must name
    /// one of the selector's patterns exactly.
    pub fn may_use_channel(&self, channel: &[u8], literal: bool) -> bool {
        self.all_channels
            || self.channels.iter().any(|pattern| {
                if literal {
                    pattern == channel
                } else {
                    matches(pattern, channel)
                }
            })
    }

    /// Its channel rules, for deciding whose subscriptions a change revokes.
    pub fn channel_rules(&self) -> (bool, &[Vec<u8>]) {
        (self.all_channels, &self.channels)
    }
}

/// Redis's `stringmatchlen`, with the pattern everyone uses answered at once (it matches any
/// name but the empty one, as in Redis).
fn matches(pattern: &[u8], name: &[u8]) -> bool {
    match pattern {
        b"*" => !name.is_empty(),
        _ => glob::matches(pattern, name, false),
    }
}

/// Finds a command in the original table, whatever `rename-command` did: `name` or
/// `container|subcommand` (Redis's `ACLLookupCommand`).
fn find_command(name: &[u8]) -> Option<Resolved> {
    let mut parts = name.split(|&b| b == b'|');
    let base = lookup_original(parts.next()?)?;
    match (parts.next(), parts.next()) {
        (None, _) => Some(base),
        (Some(sub), None) if !base.command.subcommands.is_empty() => {
            crate::commands::lookup_subcommand(base, sub)
        }
        _ => None,
    }
}

fn join(parts: impl Iterator<Item = Vec<u8>>) -> Vec<u8> {
    let parts: Vec<Vec<u8>> = parts.collect();
    parts.join(&b' ')
}
