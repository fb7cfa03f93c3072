//! A library as `FUNCTION LOAD` receives it: the `#!<engine> name=<name>` line in front of the
//! code (Redis's `functionExtractLibMetaData`), and what a library is once its code ran: its
//! name, its code, and the functions it registered with their flags (those of scripts:
//! [`ScriptFlags`]).

use crate::protocol::split::split_args;
use crate::scripting::flags::ScriptFlags;

/// The one engine Redis 7.0 has.
pub const ENGINE: &str = "LUA";

/// Redis's error for a library or function name other than `[a-zA-Z0-9_]+`.
pub const BAD_NAME: &str = "Library names can only contain letters, numbers, or underscores(_) and must be at least one character long";

/// One function a library registered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FunctionInfo {
    pub name: String,
    pub description: Option<Vec<u8>>,
    pub flags: ScriptFlags,
}

/// A library that loaded: its code as sent (shebang included: `FUNCTION LIST WITHCODE`, DUMP
/// and the RDB file carry it whole) and its functions in the order they registered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Library {
    pub name: String,
    pub code: Vec<u8>,
    pub functions: Vec<FunctionInfo>,
}

/// What the first line of a library says.
#[derive(Debug, PartialEq, Eq)]
pub struct Metadata<'a> {
    pub name: String,
    pub engine: String,
    /// The code after the first line, from its newline on, so line numbers in errors count the
    /// shebang line as Redis's do (`user_function:2:` for the first line of code).
    pub body: &'a [u8],
}

/// Reads the shebang line of `code`, with Redis's errors (`functionExtractLibMetaData` and the
/// name and engine checks of `functionsCreateWithLibraryCtx`).
pub fn parse_metadata(code: &[u8]) -> Result<Metadata<'_>, String> {
    if !code.starts_with(b"#!") {
        return Err("Missing library metadata".into());
    }
    let newline = code
        .iter()
        .position(|&b| b == b'\n')
        .ok_or("Invalid library metadata")?;
    let parts = match split_args(&code[..newline]) {
        Ok(parts) if !parts.is_empty() => parts,
        _ => return Err("Invalid library metadata".into()),
    };
    let engine = String::from_utf8_lossy(&parts[0][2..]).into_owned();
    let mut name = None;
    for part in &parts[1..] {
        if part.len() >= 5 && part[..5].eq_ignore_ascii_case(b"name=") {
            if name.is_some() {
                return Err(
                    "Invalid metadata value, name argument was given multiple times".into(),
                );
            }
            name = Some(String::from_utf8_lossy(&part[5..]).into_owned());
            continue;
        }
        return Err(format!(
            "Invalid metadata value given: {}",
            String::from_utf8_lossy(part)
        ));
    }
    let name = name.ok_or("Library name was not given")?;
    if !is_valid_name(name.as_bytes()) {
        return Err(BAD_NAME.into());
    }
    if !engine.eq_ignore_ascii_case(ENGINE) {
        return Err(format!("Engine '{engine}' not found"));
    }
    Ok(Metadata {
        name,
        engine,
        body: &code[newline..],
    })
}

/// Library and function names: letters, digits and underscores, at least one (Redis's
/// `functionsVerifyName`).
pub fn is_valid_name(name: &[u8]) -> bool {
    !name.is_empty() && name.iter().all(|&b| b.is_ascii_alphanumeric() || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shebang_names_the_library_and_keeps_the_line_count() {
        let metadata = parse_metadata(b"#!lua name=mylib\nreturn 1").unwrap();
        assert_eq!(metadata.name, "mylib");
        assert_eq!(metadata.engine, "lua");
        assert_eq!(metadata.body, b"\nreturn 1");
    }

    #[test]
    fn bad_shebangs_get_redis_errors() {
        let error = |code: &[u8]| parse_metadata(code).unwrap_err();
        assert_eq!(error(b"return 1"), "Missing library metadata");
        assert_eq!(error(b"#!lua name=x"), "Invalid library metadata");
        assert_eq!(error(b"#!lua\nx"), "Library name was not given");
        assert_eq!(
            error(b"#!lua name=a name=b\nx"),
            "Invalid metadata value, name argument was given multiple times"
        );
        assert_eq!(
            error(b"#!lua foo=bar\nx"),
            "Invalid metadata value given: foo=bar"
        );
        assert_eq!(error(b"#!lua name=a-b\nx"), BAD_NAME);
        assert_eq!(
            error(b"#!bad_engine name=test\nx"),
            "Engine 'bad_engine' not found"
        );
    }
}
