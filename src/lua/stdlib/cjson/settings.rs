//! lua-cjson's configuration (`json_config_t`) and the functions that read and change it
//! (`cjson.encode_max_depth(n)` and friends, `json_cfg_*` in `lua_cjson.c`): each takes its
//! new value(s), nil or nothing to leave them, and answers the current one(s).

use crate::lua::stdlib::args::{arg_error, check_integer, check_string};
use crate::lua::value::{LuaError, Value};

/// The options lua-cjson reads while encoding and decoding, with its defaults.
#[derive(Clone, Debug)]
pub struct Settings {
    /// `encode_sparse_array`: encode an excessively sparse array as an object (1) or refuse (0).
    pub sparse_convert: usize,
    /// 0: any sparse array is fine; else an array is excessively sparse when its highest index
    /// exceeds `ratio` times its element count (and `safe`).
    pub sparse_ratio: i32,
    /// Arrays whose highest index is at most this are never excessively sparse.
    pub sparse_safe: i32,
    pub encode_max_depth: i32,
    pub decode_max_depth: i32,
    /// 0: refuse NaN and infinities; 1: write them (`nan`, `inf`); 2: write `null`.
    pub encode_invalid_numbers: usize,
    /// Whether decoding accepts what strtod reads but JSON forbids (`0x10`, `inf`, `+1`, `01`).
    pub decode_invalid_numbers: usize,
    /// Significant digits of encoded numbers (1..=14).
    pub number_precision: i32,
    /// `encode_keep_buffer`: C reuses its encode buffer between calls. Kept and answered only:
    /// a fresh buffer per call is all Rust needs.
    pub keep_buffer: usize,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            sparse_convert: 0,
            sparse_ratio: 2,
            sparse_safe: 10,
            encode_max_depth: 1000,
            decode_max_depth: 1000,
            encode_invalid_numbers: 0,
            decode_invalid_numbers: 1,
            number_precision: 14,
            keep_buffer: 1,
        }
    }
}

const ON_OFF: &[&str] = &["off", "on"];
const INVALID_NUMBERS: &[&str] = &["off", "on", "null"];

impl Settings {
    /// `cjson.encode_sparse_array([convert[, ratio[, safe]]])`.
    pub fn encode_sparse_array(&mut self, args: &[Value]) -> Result<Vec<Value>, LuaError> {
        const NAME: &str = "encode_sparse_array";
        check_arg_count(args, 3, NAME)?;
        Ok(vec![
            enum_option(args, 1, &mut self.sparse_convert, ON_OFF, NAME)?,
            integer_option(args, 2, &mut self.sparse_ratio, (0, i32::MAX), NAME)?,
            integer_option(args, 3, &mut self.sparse_safe, (0, i32::MAX), NAME)?,
        ])
    }

    pub fn encode_max_depth(&mut self, args: &[Value]) -> Result<Vec<Value>, LuaError> {
        one_integer(
            args,
            &mut self.encode_max_depth,
            (1, i32::MAX),
            "encode_max_depth",
        )
    }

    pub fn decode_max_depth(&mut self, args: &[Value]) -> Result<Vec<Value>, LuaError> {
        one_integer(
            args,
            &mut self.decode_max_depth,
            (1, i32::MAX),
            "decode_max_depth",
        )
    }

    pub fn encode_number_precision(&mut self, args: &[Value]) -> Result<Vec<Value>, LuaError> {
        one_integer(
            args,
            &mut self.number_precision,
            (1, 14),
            "encode_number_precision",
        )
    }

    pub fn encode_keep_buffer(&mut self, args: &[Value]) -> Result<Vec<Value>, LuaError> {
        one_enum(args, &mut self.keep_buffer, ON_OFF, "encode_keep_buffer")
    }

    pub fn encode_invalid_numbers(&mut self, args: &[Value]) -> Result<Vec<Value>, LuaError> {
        one_enum(
            args,
            &mut self.encode_invalid_numbers,
            INVALID_NUMBERS,
            "encode_invalid_numbers",
        )
    }

    pub fn decode_invalid_numbers(&mut self, args: &[Value]) -> Result<Vec<Value>, LuaError> {
        one_enum(
            args,
            &mut self.decode_invalid_numbers,
            ON_OFF,
            "decode_invalid_numbers",
        )
    }
}

/// `json_arg_init`: more arguments than the function takes is an error on the first extra one.
fn check_arg_count(args: &[Value], most: usize, function: &str) -> Result<(), LuaError> {
    if args.len() > most {
        return Err(arg_error(most + 1, function, "found too many arguments"));
    }
    Ok(())
}

fn one_integer(
    args: &[Value],
    setting: &mut i32,
    range: (i32, i32),
    function: &str,
) -> Result<Vec<Value>, LuaError> {
    check_arg_count(args, 1, function)?;
    Ok(vec![integer_option(args, 1, setting, range, function)?])
}

fn one_enum(
    args: &[Value],
    setting: &mut usize,
    options: &[&str],
    function: &str,
) -> Result<Vec<Value>, LuaError> {
    check_arg_count(args, 1, function)?;
    Ok(vec![enum_option(args, 1, setting, options, function)?])
}

/// `json_integer_option`: an integer within `range`. The range error names argument #1 whatever
/// the position, as lua-cjson does.
fn integer_option(
    args: &[Value],
    position: usize,
    setting: &mut i32,
    (min, max): (i32, i32),
    function: &str,
) -> Result<Value, LuaError> {
    if !args.get(position - 1).is_none_or(Value::is_nil) {
        // C keeps the low 32 bits of the lua_Integer in an `int`.
        let value = check_integer(args, position, function)? as i32;
        if value < min || value > max {
            let reason = format!("expected integer between {min} and {max}");
            return Err(arg_error(1, function, &reason));
        }
        *setting = value;
    }
    Ok(Value::Number(f64::from(*setting)))
}

/// `json_enum_option`: a boolean (true is option 1) or one of `options` by name; answered as a
/// boolean for options 0 and 1, by name otherwise.
fn enum_option(
    args: &[Value],
    position: usize,
    setting: &mut usize,
    options: &[&str],
    function: &str,
) -> Result<Value, LuaError> {
    match args.get(position - 1) {
        None | Some(Value::Nil) => {}
        Some(Value::Bool(on)) => *setting = usize::from(*on),
        Some(_) => {
            let name = check_string(args, position, function)?;
            let index = options.iter().position(|o| o.as_bytes() == name.as_bytes());
            let Some(index) = index else {
                let reason = format!(
                    "invalid option '{}'",
                    String::from_utf8_lossy(name.as_bytes())
                );
                return Err(arg_error(position, function, &reason));
            };
            *setting = index;
        }
    }
    Ok(match *setting {
        0 | 1 => Value::Bool(*setting == 1),
        other => Value::str(options[other]),
    })
}

#[cfg(test)]
mod tests {
    use super::Settings;
    use crate::lua::value::Value;

    #[test]
    fn answers_current_values_and_keeps_new_ones() {
        let mut settings = Settings::default();
        let answer = settings.encode_max_depth(&[]).unwrap();
        assert!(matches!(answer[..], [Value::Number(n)] if n == 1000.0));
        settings.encode_max_depth(&[Value::Number(5.0)]).unwrap();
        assert_eq!(settings.encode_max_depth, 5);
        let answer = settings
            .encode_invalid_numbers(&[Value::str("null")])
            .unwrap();
        assert!(matches!(&answer[..], [Value::Str(s)] if s.as_bytes() == b"null"));
        let answer = settings
            .encode_invalid_numbers(&[Value::Bool(true)])
            .unwrap();
        assert!(matches!(answer[..], [Value::Bool(true)]));
        let answer = settings.encode_sparse_array(&[]).unwrap();
        assert_eq!(answer.len(), 3);
    }

    #[test]
    fn refuses_as_lua_cjson() {
        let mut settings = Settings::default();
        let message = |r: Result<Vec<Value>, crate::lua::LuaError>| r.unwrap_err().message();
        assert_eq!(
            message(settings.encode_max_depth(&[Value::Number(0.0)])),
            "bad argument #1 to 'encode_max_depth' (expected integer between 1 and 2147483647)"
        );
        assert_eq!(
            message(settings.encode_max_depth(&[Value::Nil, Value::Nil])),
            "bad argument #2 to 'encode_max_depth' (found too many arguments)"
        );
        assert_eq!(
            message(settings.encode_invalid_numbers(&[Value::str("bad")])),
            "bad argument #1 to 'encode_invalid_numbers' (invalid option 'bad')"
        );
        assert_eq!(
            message(settings.encode_sparse_array(&[Value::Nil, Value::Number(-1.0)])),
            "bad argument #1 to 'encode_sparse_array' (expected integer between 0 and 2147483647)"
        );
        assert_eq!(
            message(settings.encode_number_precision(&[Value::str("x")])),
            "bad argument #1 to 'encode_number_precision' (number expected, got string)"
        );
    }
}
