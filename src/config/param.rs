//! What one row of the parameter table holds ([`Param`]), and what any row can do with a value
//! whatever its type: read it from words and check it, print it as `CONFIG GET` does, store it,
//! and say how `CONFIG REWRITE` writes it. The types and their rules are those of Redis 7.0's
//! config.c: yes/no booleans, numbers with Redis's bounds and units (`memtoull`: `1gb`, `10k`),
//! octal numbers, percentages, enumerations (some of which take several flags), strings, and a
//! few parameters with rules of their own ([`Special`]).

use std::sync::RwLock;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};

use super::{Config, read, write};
use crate::number::parse_i64;
use crate::protocol::split::repr;

/// Flags of a parameter, as in Redis's config table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Flags(u8);

impl Flags {
    pub const NONE: Flags = Flags(0);
    /// Only set at startup (`CONFIG SET` replies "can't set immutable config").
    pub const IMMUTABLE: Flags = Flags(1);
    /// Takes several words (`save 3600 1 300 100`, `bind a b`).
    pub const MULTI_ARG: Flags = Flags(1 << 1);
    /// Never listed by a pattern (`CONFIG GET *`), only by its exact name: test hooks.
    pub const HIDDEN: Flags = Flags(1 << 2);
    /// `CONFIG SET` needs `enable-protected-configs` to allow it (`dir`, `dbfilename`).
    pub const PROTECTED: Flags = Flags(1 << 3);
    /// Holds a secret (`requirepass`): never written to a log.
    pub const SENSITIVE: Flags = Flags(1 << 4);
    /// Not settable while a dataset is loading.
    pub const DENY_LOADING: Flags = Flags(1 << 5);

    pub const fn union(self, other: Flags) -> Flags {
        Flags(self.0 | other.0)
    }

    pub const fn contains(self, other: Flags) -> bool {
        self.0 & other.0 == other.0
    }
}

/// Where a standard parameter's value lives: a field of [`Config`] that thredis reads, or, for a
/// parameter thredis accepts and reports without acting on it, the table's own store.
pub enum Store<T: 'static> {
    Field(fn(&Config) -> &T),
    Kept,
}

/// How a number is written: Redis's numeric flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// A plain integer (`string2ll`).
    Plain,
    /// A size in bytes with an optional unit (`memtoull`); printed in bytes.
    Bytes,
    /// A size, or a percentage written `n%` (kept as `-n`, as Redis keeps it).
    BytesOrPercent,
    /// Base 8, printed in base 8 (`unixsocketperm 700`).
    Octal,
}

/// A check a value must pass beyond its type; the error is the text Redis gives.
pub type Check<T> = fn(&T) -> Result<(), &'static str>;

pub enum Kind {
    Bool {
        default: bool,
        store: Store<AtomicBool>,
        check: Option<Check<bool>>,
    },
    Number {
        default: i64,
        min: i64,
        max: i64,
        unit: Unit,
        /// The C type is unsigned (`unsigned int`, `size_t`, `unsigned long long`): a negative
        /// number is read as a huge one, and so refused by the bounds, as Redis does; values
        /// past `i64::MAX` are kept as their bit pattern and printed unsigned.
        unsigned: bool,
        store: Store<AtomicI64>,
        check: Option<Check<i64>>,
    },
    Enum {
        /// Names and the values they stand for. Two names may share a value (`oom-score-adj`'s
        /// `yes` and `relative`): the first one is printed.
        choices: &'static [(&'static str, i64)],
        default: i64,
        /// Several names may be given at once and their values are or-ed (`shutdown-on-sigint
        /// nosave now`); the parameter is then `MULTI_ARG`.
        bitflags: bool,
        store: Store<AtomicI64>,
        check: Option<Check<i64>>,
    },
    Text {
        default: &'static str,
        /// An empty value means "not set" (`pidfile ""`): `CONFIG REWRITE` then leaves it out.
        empty_is_none: bool,
        store: Store<RwLock<String>>,
        check: Option<Check<str>>,
    },
    /// A parameter with rules of its own (`save`, `bind`, `client-output-buffer-limit`...).
    Special(&'static Special),
}

/// The functions behind a [`Kind::Special`] parameter, which keeps its value in fields of its
/// own.
pub struct Special {
    /// Sets from the words of a configuration line (a `CONFIG SET` value split at spaces for a
    /// `MULTI_ARG` parameter, else the value as one word).
    pub set: fn(&Config, &[String]) -> Result<(), String>,
    pub get: fn(&Config) -> String,
    /// What `CONFIG REWRITE` writes; it is given the parameter's name.
    pub rewrite: fn(&Config, &str) -> Rewrite,
}

/// What `CONFIG REWRITE` writes for one parameter: lines, each with whether it must be written
/// even where the file did not mention the parameter (because it is not the default).
pub struct Rewrite {
    pub lines: Vec<(String, bool)>,
}

impl Rewrite {
    /// Nothing to write: the file's lines for the parameter are dropped.
    pub fn nothing() -> Rewrite {
        Rewrite { lines: Vec::new() }
    }

    pub fn line(line: String, force: bool) -> Rewrite {
        Rewrite {
            lines: vec![(line, force)],
        }
    }
}

/// A standard parameter's value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Bool(bool),
    Number(i64),
    Text(String),
}

/// One row of the table.
pub struct Param {
    pub name: &'static str,
    /// Another name for the same setting (`slaveof` for `replicaof`, the older `*-ziplist-*`).
    pub alias: Option<&'static str>,
    pub flags: Flags,
    pub kind: Kind,
    /// `None` if thredis acts on the parameter. Otherwise it is accepted, validated and
    /// reported back, and this says why it changes nothing (the README lists the same).
    pub no_effect: Option<&'static str>,
}

impl Param {
    pub fn is(&self, flag: Flags) -> bool {
        self.flags.contains(flag)
    }

    /// Whether `name` is this parameter's name or alias, ignoring case.
    pub fn is_named(&self, name: &str) -> bool {
        self.name.eq_ignore_ascii_case(name)
            || self
                .alias
                .is_some_and(|alias| alias.eq_ignore_ascii_case(name))
    }

    /// The value before any configuration: Redis's built-in default.
    pub fn default_value(&self) -> Option<Value> {
        match &self.kind {
            Kind::Bool { default, .. } => Some(Value::Bool(*default)),
            Kind::Number { default, .. } | Kind::Enum { default, .. } => {
                Some(Value::Number(*default))
            }
            Kind::Text { default, .. } => Some(Value::Text(default.to_string())),
            Kind::Special(_) => None,
        }
    }

    /// Reads a value from the words of a configuration line and checks it, with Redis's error
    /// texts. Special parameters are set by their own function instead ([`Param::set`]).
    pub fn parse(&self, words: &[String]) -> Result<Value, String> {
        let one = || match words {
            [word] => Ok(word.as_str()),
            _ => Err("wrong number of arguments".to_string()),
        };
        match &self.kind {
            Kind::Bool { check, .. } => {
                let value = parse_bool(one()?)?;
                run_check(*check, &value)?;
                Ok(Value::Bool(value))
            }
            Kind::Number {
                min,
                max,
                unit,
                unsigned,
                check,
                ..
            } => {
                let value = parse_number(one()?, *unit)?;
                check_bounds(value, *min, *max, *unit, *unsigned)?;
                run_check(*check, &value)?;
                Ok(Value::Number(value))
            }
            Kind::Enum {
                choices,
                bitflags,
                check,
                ..
            } => {
                let value = parse_enum(words, choices, *bitflags)?;
                run_check(*check, &value)?;
                Ok(Value::Number(value))
            }
            Kind::Text { check, .. } => {
                let value = one()?;
                run_check(*check, value)?;
                Ok(Value::Text(value.to_string()))
            }
            Kind::Special(_) => unreachable!("special parameters parse their own words"),
        }
    }

    /// Sets the parameter from the words of a configuration line.
    pub fn set(&self, config: &Config, words: &[String]) -> Result<(), String> {
        match &self.kind {
            Kind::Special(special) => (special.set)(config, words),
            _ => {
                let value = self.parse(words)?;
                self.store(config, value);
                Ok(())
            }
        }
    }

    /// Sets the parameter from a `CONFIG SET` value: a `MULTI_ARG` parameter's value is split
    /// at every space (Redis's `sdssplitlen`, so `"a  b"` has an empty word in the middle).
    pub fn set_from_text(&self, config: &Config, text: &str) -> Result<(), String> {
        let words: Vec<String> = if self.is(Flags::MULTI_ARG) {
            if text.is_empty() {
                Vec::new()
            } else {
                text.split(' ').map(str::to_string).collect()
            }
        } else {
            vec![text.to_string()]
        };
        self.set(config, &words)
    }

    /// The value, as `CONFIG GET` prints it.
    pub fn get(&self, config: &Config) -> String {
        match &self.kind {
            Kind::Special(special) => (special.get)(config),
            kind => format_value(kind, &self.load(config)),
        }
    }

    /// The current value of a standard parameter.
    pub fn load(&self, config: &Config) -> Value {
        let kept = || config.kept_value(self);
        match &self.kind {
            Kind::Bool { store, .. } => match store {
                Store::Field(field) => Value::Bool(field(config).load(Ordering::Relaxed)),
                Store::Kept => kept(),
            },
            Kind::Number { store, .. } | Kind::Enum { store, .. } => match store {
                Store::Field(field) => Value::Number(field(config).load(Ordering::Relaxed)),
                Store::Kept => kept(),
            },
            Kind::Text { store, .. } => match store {
                Store::Field(field) => Value::Text(read(field(config))),
                Store::Kept => kept(),
            },
            Kind::Special(_) => unreachable!("special parameters keep their own values"),
        }
    }

    fn store(&self, config: &Config, value: Value) {
        match (&self.kind, value) {
            (Kind::Bool { store, .. }, Value::Bool(on)) => match store {
                Store::Field(field) => field(config).store(on, Ordering::Relaxed),
                Store::Kept => config.keep_value(self, Value::Bool(on)),
            },
            (Kind::Number { store, .. } | Kind::Enum { store, .. }, Value::Number(n)) => {
                match store {
                    Store::Field(field) => field(config).store(n, Ordering::Relaxed),
                    Store::Kept => config.keep_value(self, Value::Number(n)),
                }
            }
            (Kind::Text { store, .. }, Value::Text(text)) => match store {
                Store::Field(field) => write(field(config), text),
                Store::Kept => config.keep_value(self, Value::Text(text)),
            },
            _ => unreachable!("a value of the parameter's own type"),
        }
    }

    /// Puts the built-in default back (every parameter starts there).
    pub fn reset(&self, config: &Config) {
        if let Some(value) = self.default_value() {
            self.store(config, value);
        }
    }

    /// What `CONFIG REWRITE` writes for this parameter (Redis's `rewriteConfig*Option`).
    pub fn rewrite(&self, config: &Config) -> Rewrite {
        let kind = match &self.kind {
            Kind::Special(special) => return (special.rewrite)(config, self.name),
            kind => kind,
        };
        let value = self.load(config);
        let force = Some(&value) != self.default_value().as_ref();
        let text = match (kind, &value) {
            (Kind::Text { empty_is_none, .. }, Value::Text(text)) => {
                // A value that is not set is left out, so that it is still not set after a
                // restart.
                if *empty_is_none && text.is_empty() {
                    return Rewrite::nothing();
                }
                repr(text.as_bytes())
            }
            (Kind::Number { unit, .. }, Value::Number(n)) => match unit {
                Unit::BytesOrPercent if *n < 0 => format!("{}%", -n),
                Unit::Bytes | Unit::BytesOrPercent => format_memory(*n),
                _ => format_value(kind, &value),
            },
            (kind, value) => format_value(kind, value),
        };
        Rewrite::line(format!("{} {text}", self.name), force)
    }
}

fn run_check<T: ?Sized>(check: Option<Check<T>>, value: &T) -> Result<(), String> {
    match check {
        Some(check) => check(value).map_err(str::to_string),
        None => Ok(()),
    }
}

/// The value as `CONFIG GET` prints it.
fn format_value(kind: &Kind, value: &Value) -> String {
    match (kind, value) {
        (_, Value::Bool(on)) => yes_no(*on).to_string(),
        (_, Value::Text(text)) => text.clone(),
        (
            Kind::Enum {
                choices, bitflags, ..
            },
            Value::Number(n),
        ) => format_enum(choices, *n, *bitflags),
        (Kind::Number { unit, unsigned, .. }, Value::Number(n)) => match unit {
            Unit::BytesOrPercent if *n < 0 => format!("{}%", -n),
            Unit::Octal => format!("{n:o}"),
            _ if *unsigned => (*n as u64).to_string(),
            _ => n.to_string(),
        },
        _ => unreachable!("numbers belong to numeric kinds"),
    }
}

pub fn yes_no(on: bool) -> &'static str {
    if on { "yes" } else { "no" }
}

pub fn parse_bool(word: &str) -> Result<bool, String> {
    if word.eq_ignore_ascii_case("yes") {
        Ok(true)
    } else if word.eq_ignore_ascii_case("no") {
        Ok(false)
    } else {
        Err("argument must be 'yes' or 'no'".into())
    }
}

/// Redis's `numericParseString`: a size first if the parameter takes one, then a percentage,
/// then octal, then a plain integer; each failure has its own text.
fn parse_number(word: &str, unit: Unit) -> Result<i64, String> {
    let parsed = match unit {
        Unit::Plain => parse_i64(word.as_bytes()),
        Unit::Bytes => parse_memory(word),
        Unit::BytesOrPercent => parse_memory(word).or_else(|| {
            let digits = word.strip_suffix('%').filter(|d| !d.is_empty())?;
            parse_i64(digits.as_bytes()).filter(|n| *n >= 0).map(|n| -n)
        }),
        Unit::Octal => parse_octal(word),
    };
    parsed.ok_or_else(|| {
        match unit {
            Unit::Plain => "argument couldn't be parsed into an integer",
            Unit::Bytes => "argument must be a memory value",
            Unit::BytesOrPercent => "argument must be a memory or percent value",
            Unit::Octal => "argument couldn't be parsed as an octal number",
        }
        .to_string()
    })
}

/// Redis's `numericBoundaryCheck`, with its texts.
fn check_bounds(n: i64, min: i64, max: i64, unit: Unit, unsigned: bool) -> Result<(), String> {
    if unsigned {
        let (n, min, max) = (n as u64, min as u64, max as u64);
        if n < min || n > max {
            return Err(if unit == Unit::Octal {
                format!("argument must be between {min:o} and {max:o} inclusive")
            } else {
                format!("argument must be between {min} and {max} inclusive")
            });
        }
    } else if unit == Unit::BytesOrPercent && n < 0 {
        if n < min {
            return Err(format!(
                "percentage argument must be less or equal to {}",
                -min
            ));
        }
    } else if n < min || n > max {
        return Err(format!(
            "argument must be between {min} and {max} inclusive"
        ));
    }
    Ok(())
}

/// A size as Redis's `memtoull` reads it: digits, then nothing or one of `b`, `k` (1000), `kb`
/// (1024), `m`, `mb`, `g`, `gb` in any case. No sign; no digits at all reads as 0, as in Redis.
pub fn parse_memory(value: &str) -> Option<i64> {
    let digits_end = value
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(value.len());
    let (digits, unit) = value.split_at(digits_end);
    let multiplier: u64 = match unit.to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" => 1000,
        "kb" => 1024,
        "m" => 1000 * 1000,
        "mb" => 1024 * 1024,
        "g" => 1000 * 1000 * 1000,
        "gb" => 1024 * 1024 * 1024,
        _ => return None,
    };
    let n: u64 = if digits.is_empty() {
        0
    } else {
        digits.parse().ok()?
    };
    // Kept as the bit pattern of the unsigned result, as the C code does; bounds decide.
    Some(n.checked_mul(multiplier)? as i64)
}

/// C's `strtoll(value, 8)` with nothing left over: optional blanks and sign, octal digits.
fn parse_octal(value: &str) -> Option<i64> {
    let trimmed = value.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let (negative, digits) = match trimmed.as_bytes().first() {
        Some(b'-') => (true, &trimmed[1..]),
        Some(b'+') => (false, &trimmed[1..]),
        _ => (false, trimmed),
    };
    if digits.is_empty() {
        return None;
    }
    let n = i64::from_str_radix(digits, 8).ok()?;
    Some(if negative { -n } else { n })
}

/// Writes a size as `CONFIG REWRITE` does: in `gb`, `mb` or `kb` when it divides exactly.
pub fn format_memory(bytes: i64) -> String {
    const KB: i64 = 1024;
    match bytes {
        0 => "0".to_string(),
        n if n % (KB * KB * KB) == 0 => format!("{}gb", n / (KB * KB * KB)),
        n if n % (KB * KB) == 0 => format!("{}mb", n / (KB * KB)),
        n if n % KB == 0 => format!("{}kb", n / KB),
        n => n.to_string(),
    }
}

/// Redis's `configEnumGetValue`: one name, or for bit flags one or more, in any case.
fn parse_enum(words: &[String], choices: &[(&str, i64)], bitflags: bool) -> Result<i64, String> {
    let refused = || {
        let names: Vec<&str> = choices.iter().map(|(name, _)| *name).collect();
        format!(
            "argument(s) must be one of the following: {}",
            names.join(", ")
        )
    };
    if words.is_empty() || (!bitflags && words.len() != 1) {
        return Err(refused());
    }
    let mut value = 0;
    for word in words {
        let (_, choice) = choices
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(word))
            .ok_or_else(refused)?;
        value |= choice;
    }
    Ok(value)
}

/// Redis's `configEnumGetName`: the first name with exactly this value, or for bit flags the
/// names of the bits set, in table order; `unknown` if nothing fits.
fn format_enum(choices: &[(&str, i64)], value: i64, bitflags: bool) -> String {
    if let Some((name, _)) = choices.iter().find(|(_, v)| *v == value) {
        return name.to_string();
    }
    if bitflags {
        let mut names = Vec::new();
        let mut unmatched = value;
        for (name, bits) in choices {
            if *bits != 0 && unmatched & bits == *bits {
                names.push(*name);
                unmatched &= !bits;
            }
        }
        if !names.is_empty() && unmatched == 0 {
            return names.join(" ");
        }
    }
    "unknown".to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_as_memtoull_reads_them() {
        assert_eq!(parse_memory("512mb"), Some(512 * 1024 * 1024));
        assert_eq!(parse_memory("1K"), Some(1000));
        assert_eq!(parse_memory("1Gb"), Some(1 << 30));
        assert_eq!(parse_memory("100"), Some(100));
        assert_eq!(parse_memory("7b"), Some(7));
        assert_eq!(parse_memory(""), Some(0));
        assert_eq!(parse_memory("1tb"), None);
        assert_eq!(parse_memory("-1"), None);
        assert_eq!(parse_memory("+1"), None);
        assert_eq!(parse_memory("1 mb"), None);
    }

    #[test]
    fn sizes_are_rewritten_in_the_largest_exact_unit() {
        assert_eq!(format_memory(0), "0");
        assert_eq!(format_memory(64 << 20), "64mb");
        assert_eq!(format_memory(1 << 30), "1gb");
        assert_eq!(format_memory(3 << 10), "3kb");
        assert_eq!(format_memory(1000), "1000");
    }

    #[test]
    fn numbers_refused_with_the_text_of_their_unit() {
        assert_eq!(
            parse_number("x", Unit::Plain).unwrap_err(),
            "argument couldn't be parsed into an integer"
        );
        assert_eq!(
            parse_number("1x", Unit::Bytes).unwrap_err(),
            "argument must be a memory value"
        );
        assert_eq!(
            parse_number("x%", Unit::BytesOrPercent).unwrap_err(),
            "argument must be a memory or percent value"
        );
        assert_eq!(
            parse_number("9", Unit::Octal).unwrap_err(),
            "argument couldn't be parsed as an octal number"
        );
        assert_eq!(parse_number("50%", Unit::BytesOrPercent), Ok(-50));
        assert_eq!(parse_number("0700", Unit::Octal), Ok(0o700));
        // string2ll: no leading zero, no sign, no blank.
        assert!(parse_number("01", Unit::Plain).is_err());
        assert!(parse_number("+1", Unit::Plain).is_err());
    }

    #[test]
    fn bounds_are_checked_as_the_c_types_would() {
        assert_eq!(
            check_bounds(-1, 1, u32::MAX as i64, Unit::Plain, true).unwrap_err(),
            "argument must be between 1 and 4294967295 inclusive"
        );
        assert_eq!(
            check_bounds(0o1000, 0, 0o777, Unit::Octal, true).unwrap_err(),
            "argument must be between 0 and 777 inclusive"
        );
        assert_eq!(
            check_bounds(-200, -100, i64::MAX, Unit::BytesOrPercent, false).unwrap_err(),
            "percentage argument must be less or equal to 100"
        );
        assert!(check_bounds(-100, -100, i64::MAX, Unit::BytesOrPercent, false).is_ok());
        assert_eq!(
            check_bounds(70000, 0, 65535, Unit::Plain, false).unwrap_err(),
            "argument must be between 0 and 65535 inclusive"
        );
    }

    const SIGNALS: &[(&str, i64)] = &[
        ("default", 0),
        ("save", 1),
        ("nosave", 2),
        ("now", 4),
        ("force", 8),
    ];

    #[test]
    fn bit_flag_enums_read_several_names_and_print_them_in_table_order() {
        let words = |list: &[&str]| list.iter().map(|w| w.to_string()).collect::<Vec<_>>();
        let value = parse_enum(&words(&["FORCE", "nosave", "now"]), SIGNALS, true).unwrap();
        assert_eq!(value, 14);
        assert_eq!(format_enum(SIGNALS, value, true), "nosave now force");
        assert_eq!(format_enum(SIGNALS, 0, true), "default");
        assert_eq!(
            parse_enum(&words(&[]), SIGNALS, true).unwrap_err(),
            "argument(s) must be one of the following: default, save, nosave, now, force"
        );
        assert!(parse_enum(&words(&["save", "now"]), SIGNALS, false).is_err());
    }

    #[test]
    fn shared_enum_values_print_their_first_name() {
        let choices = &[("no", 0), ("yes", 1), ("relative", 1), ("absolute", 2)];
        let value = parse_enum(&["relative".to_string()], choices, false).unwrap();
        assert_eq!(format_enum(choices, value, false), "yes");
    }
}
