//! Function libraries in the RDB format, as Redis 7.0 writes them (`rdbSaveFunctions`,
//! `rdbFunctionLoad`): one `FUNCTION2` record per library, the opcode then the library's whole
//! code as an RDB string. An RDB file has them between its header and its first database; a
//! `FUNCTION DUMP` payload is nothing but these records, then the DUMP footer (see [`super::dump`]).
//!
//! Only the code is stored: what the library registers is learnt by running it again when it is
//! loaded (`scripting::functions`).

use super::load::{Input, LoadError};
use super::{opcodes, write_string};

/// Appends one `FUNCTION2` record per library code (`compress`: `rdbcompression`, which Redis
/// follows for the code as for any string).
pub fn encode(out: &mut Vec<u8>, codes: &[Vec<u8>], compress: bool) {
    for code in codes {
        out.push(opcodes::FUNCTION2);
        write_string(out, code, compress);
    }
}

/// The codes of the records filling `records` (a DUMP payload without its footer), or Redis's
/// error for what is not a record (`functionRestoreCommand`'s texts).
pub fn decode(records: &[u8]) -> Result<Vec<Vec<u8>>, String> {
    let mut input = Input::of_bytes(records);
    let mut codes = Vec::new();
    while input.offset() < records.len() as u64 {
        let kind = input
            .byte()
            .map_err(|_| String::from("can not read data type"))?;
        if kind != opcodes::FUNCTION2 {
            return Err("given type is not a function".into());
        }
        let code = (input.string())
            .map_err(|_: LoadError| String::from("Failed loading library payload"))?;
        codes.push(code);
    }
    Ok(codes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_read_back() {
        let codes = vec![
            b"#!lua name=a\nredis.register_function('f', function() return 1 end)".to_vec(),
            b"#!lua name=b\n".to_vec(),
        ];
        for compress in [false, true] {
            let mut records = Vec::new();
            encode(&mut records, &codes, compress);
            assert_eq!(records[0], opcodes::FUNCTION2);
            assert_eq!(decode(&records).unwrap(), codes);
        }
    }

    #[test]
    fn other_records_are_refused() {
        assert_eq!(
            decode(&[0, 1, b'x']).unwrap_err(),
            "given type is not a function"
        );
        assert_eq!(
            decode(&[opcodes::FUNCTION2, 10, b'x']).unwrap_err(),
            "Failed loading library payload"
        );
    }
}
