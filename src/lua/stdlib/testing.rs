//! Helpers for the libraries' unit tests: running a Lua program in a VM with every library, and
//! showing results in a form that does not depend on `Debug` or `tostring`.

use crate::lua::stdlib::open_all;
use crate::lua::{Lua, LuaError, NoHost, Value};
use crate::random::Rng;

/// Runs `source` as a chunk named `user_script` (the name Redis gives scripts) in a fresh VM
/// with every library installed; its results.
pub fn run(source: &str) -> Result<Vec<Value>, LuaError> {
    let mut lua = Lua::new();
    open_all(&mut lua);
    let chunk = lua.load(source.as_bytes(), "user_script")?;
    lua.call(&mut NoHost, &Value::Function(chunk), vec![])
}

/// [`run`]'s results through [`describe`], or its error message.
pub fn outcome(source: &str) -> String {
    match run(source) {
        Ok(values) => describe(&values),
        Err(err) => format!("error: {}", err.message()),
    }
}

/// Values as tests compare them: numbers in Rust's shortest form (`1`, `0.5`), strings quoted,
/// other values by type.
pub fn describe(values: &[Value]) -> String {
    let items: Vec<String> = (values.iter())
        .map(|value| match value {
            Value::Number(n) => format!("{n}"),
            Value::Str(s) => format!("{:?}", String::from_utf8_lossy(s.as_bytes())),
            other => other.type_name().to_string(),
        })
        .collect();
    format!("[{}]", items.join(", "))
}

/// Inputs for the decoders' fuzz tests: each of `rounds` inputs is one of `seeds` with up to
/// `max_edits` random edits (a byte replaced, a byte of `alphabet` inserted, the tail cut), so
/// most stay close to valid and reach deep into the decoder.
pub fn mutations(seeds: &[&[u8]], rounds: usize, max_edits: u64, alphabet: &[u8]) -> Vec<Vec<u8>> {
    let mut rng = Rng::seeded(0x2545_f491_4f6c_dd1d);
    (0..rounds)
        .map(|round| {
            let mut input = seeds[round % seeds.len()].to_vec();
            for _ in 0..=rng.below(max_edits) {
                let at = rng.below(input.len() as u64 + 1) as usize;
                match rng.below(3) {
                    0 if at < input.len() => input[at] = rng.next_u64() as u8,
                    1 => input.insert(at, alphabet[rng.below(alphabet.len() as u64) as usize]),
                    _ => input.truncate(at),
                }
            }
            input
        })
        .collect()
}
