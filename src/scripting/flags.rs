//! A script's flags (Redis's `SCRIPT_FLAG_*`): what an EVAL script declares in its shebang line
//! (`#!lua flags=no-writes,allow-oom`) and a function declares when it registers. They decide
//! whether a script may write, run past `maxmemory`, or on a stale replica.

use crate::protocol::split::split_args;

/// A set of script flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ScriptFlags(u8);

impl ScriptFlags {
    pub const NONE: ScriptFlags = ScriptFlags(0);
    pub const NO_WRITES: ScriptFlags = ScriptFlags(1);
    pub const ALLOW_OOM: ScriptFlags = ScriptFlags(1 << 1);
    pub const ALLOW_STALE: ScriptFlags = ScriptFlags(1 << 2);
    pub const NO_CLUSTER: ScriptFlags = ScriptFlags(1 << 3);
    pub const ALLOW_CROSS_SLOT_KEYS: ScriptFlags = ScriptFlags(1 << 4);
    /// An EVAL script without a shebang: it runs as before Redis 7 (may write unless the
    /// command is read-only, its writes are judged per command, not up front).
    pub const EVAL_COMPAT: ScriptFlags = ScriptFlags(1 << 5);

    /// The names scripts use, as Redis's `scripts_flags_def`.
    const NAMES: [(ScriptFlags, &'static str); 5] = [
        (ScriptFlags::NO_WRITES, "no-writes"),
        (ScriptFlags::ALLOW_OOM, "allow-oom"),
        (ScriptFlags::ALLOW_STALE, "allow-stale"),
        (ScriptFlags::NO_CLUSTER, "no-cluster"),
        (ScriptFlags::ALLOW_CROSS_SLOT_KEYS, "allow-cross-slot-keys"),
    ];

    /// The flag a name stands for (case-sensitive, as Redis compares with `strcmp`).
    pub fn from_name(name: &[u8]) -> Option<ScriptFlags> {
        Self::NAMES
            .iter()
            .find(|(_, n)| n.as_bytes() == name)
            .map(|(flag, _)| *flag)
    }

    /// The names of the flags set, in Redis's order (FUNCTION LIST).
    pub fn names(self) -> impl Iterator<Item = &'static str> {
        Self::NAMES
            .into_iter()
            .filter(move |(flag, _)| self.contains(*flag))
            .map(|(_, name)| name)
    }

    pub const fn contains(self, other: ScriptFlags) -> bool {
        self.0 & other.0 == other.0
    }
}

impl std::ops::BitOr for ScriptFlags {
    type Output = ScriptFlags;
    fn bitor(self, other: ScriptFlags) -> ScriptFlags {
        ScriptFlags(self.0 | other.0)
    }
}

/// The flags an EVAL script's body declares, and how many bytes its shebang line takes (0 if
/// it has none): Redis's `evalExtractShebangFlags`. The error is the message after `ERR `.
pub fn from_shebang(body: &[u8]) -> Result<(ScriptFlags, usize), String> {
    if !body.starts_with(b"#!") {
        return Ok((ScriptFlags::EVAL_COMPAT, 0));
    }
    let Some(end) = body.iter().position(|&b| b == b'\n') else {
        return Err("Invalid script shebang".into());
    };
    let parts = split_args(&body[..end]).unwrap_or_default();
    let Some((engine, options)) = parts.split_first() else {
        return Err("Invalid engine in script shebang".into());
    };
    if engine != b"#!lua" {
        return Err(format!(
            "Unexpected engine in script shebang: {}",
            String::from_utf8_lossy(engine)
        ));
    }
    let mut flags = ScriptFlags::NONE;
    for option in options {
        let Some(names) = option.strip_prefix(b"flags=") else {
            return Err(format!(
                "Unknown lua shebang option: {}",
                String::from_utf8_lossy(option)
            ));
        };
        // `flags=` alone names no flag (Redis's `sdssplitlen` of an empty string is empty).
        for name in names.split(|&b| b == b',').filter(|_| !names.is_empty()) {
            flags = flags
                | ScriptFlags::from_name(name).ok_or_else(|| {
                    format!(
                        "Unexpected flag in script shebang: {}",
                        String::from_utf8_lossy(name)
                    )
                })?;
        }
    }
    Ok((flags, end))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_script_without_shebang_is_in_compatibility_mode() {
        assert_eq!(from_shebang(b"return 1"), Ok((ScriptFlags::EVAL_COMPAT, 0)));
    }

    #[test]
    fn shebang_flags_are_read() {
        let (flags, len) = from_shebang(b"#!lua flags=no-writes,allow-oom\nreturn 1").unwrap();
        assert!(flags.contains(ScriptFlags::NO_WRITES | ScriptFlags::ALLOW_OOM));
        assert!(!flags.contains(ScriptFlags::EVAL_COMPAT));
        assert_eq!(len, 31);
        assert_eq!(from_shebang(b"#!lua\nreturn 1"), Ok((ScriptFlags::NONE, 5)));
        assert_eq!(
            from_shebang(b"#!lua flags=\nreturn 1"),
            Ok((ScriptFlags::NONE, 12))
        );
    }

    #[test]
    fn bad_shebangs_have_redis_errors() {
        assert_eq!(from_shebang(b"#!lua"), Err("Invalid script shebang".into()));
        assert_eq!(
            from_shebang(b"#!python\n"),
            Err("Unexpected engine in script shebang: #!python".into())
        );
        assert_eq!(
            from_shebang(b"#!lua flags=bad\n"),
            Err("Unexpected flag in script shebang: bad".into())
        );
        assert_eq!(
            from_shebang(b"#!lua name=x\n"),
            Err("Unknown lua shebang option: name=x".into())
        );
    }
}
