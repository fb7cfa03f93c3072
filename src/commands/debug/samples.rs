//! `DEBUG PROTOCOL type`: one sample reply of each RESP type, the values Redis sends, so that
//! client libraries can test their parsers against a real server in RESP2 and RESP3.

use super::super::{CommandError, CommandResult, Ctx, is_option};

const TYPES: &str =
    "string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false";

pub fn protocol(ctx: &mut Ctx, name: &[u8]) -> CommandResult {
    let Some(kind) = TYPES.split('|').find(|kind| is_option(name, kind)) else {
        return Err(CommandError::err(format!(
            "Wrong protocol type name. Please use one of the following: {TYPES}"
        )));
    };
    let reply = &mut ctx.reply;
    match kind {
        "string" => reply.bulk(b"Hello World"),
        "integer" => reply.integer(12345),
        #[allow(clippy::approx_constant)] // Not π: the sample value Redis sends.
        "double" => reply.double(3.141),
        "bignum" => reply.big_number("1234567999999999999999999999999999999"),
        "null" => reply.null(),
        "array" | "set" => {
            if kind == "array" {
                reply.array(3);
            } else {
                reply.set(3);
            }
            (0..3).for_each(|n| reply.integer(n));
        }
        "map" => {
            reply.map(3);
            for n in 0..3 {
                reply.integer(n);
                reply.boolean(n == 1);
            }
        }
        "attrib" => {
            // Attributes annotate the reply after them; RESP2 gets only that reply.
            if reply.is_resp3() {
                reply.attributes(1);
                reply.bulk(b"key-popularity");
                reply.array(2);
                reply.bulk(b"key:123");
                reply.integer(90);
            }
            reply.bulk(b"Some real reply following the attribute");
        }
        "push" => {
            if !reply.is_resp3() {
                return Err(CommandError::err("RESP2 is not supported by this command"));
            }
            reply.push(2);
            reply.bulk(b"server-cpu-usage");
            reply.integer(42);
            // A push is not a reply: a real one follows, for clients that skip pushes.
            reply.bulk(b"Some real reply following the push reply");
        }
        "verbatim" => reply.verbatim(b"This is a verbatim\nstring"),
        "true" => reply.boolean(true),
        _ => reply.boolean(false),
    }
    Ok(())
}
