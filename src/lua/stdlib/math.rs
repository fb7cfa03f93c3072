//! The `math` library of Lua 5.1 (`lmathlib.c`), with Redis's `random` and `randomseed`.
//!
//! Redis replaces Lua's `math.random` (which calls libc's `rand()`) with the same function over
//! its own `redisLrand48()` (`script_lua.c`, `rand.c`), so a seed gives the same sequence on
//! every platform. That generator is `drand48`'s: a 48-bit linear congruential generator whose
//! state is one per process, never reseeded between scripts (so `math.random()` differs from one
//! EVAL to the next, as the "random numbers are random now" test wants), and set only by
//! `math.randomseed`. [`Rand48`] is it; [`GENERATOR`] is the process's one.

use std::sync::Mutex;

use crate::lua::stdlib::args;
use crate::lua::{Host, Lua, LuaError, Value};

pub fn open(lua: &mut Lua) {
    let math = lua.new_table();
    lua.register(&math, "abs", abs);
    lua.register(&math, "acos", acos);
    lua.register(&math, "asin", asin);
    lua.register(&math, "atan", atan);
    lua.register(&math, "atan2", atan2);
    lua.register(&math, "ceil", ceil);
    lua.register(&math, "cos", cos);
    lua.register(&math, "cosh", cosh);
    lua.register(&math, "deg", deg);
    lua.register(&math, "exp", exp);
    lua.register(&math, "floor", floor);
    lua.register(&math, "fmod", fmod);
    // Lua 5.1 is built with LUA_COMPAT_MOD: `math.mod` is `math.fmod`.
    lua.register(&math, "mod", fmod);
    lua.register(&math, "frexp", frexp);
    lua.register(&math, "ldexp", ldexp);
    lua.register(&math, "log", log);
    lua.register(&math, "log10", log10);
    lua.register(&math, "max", max);
    lua.register(&math, "min", min);
    lua.register(&math, "modf", modf);
    lua.register(&math, "pow", pow);
    lua.register(&math, "rad", rad);
    lua.register(&math, "random", random);
    lua.register(&math, "randomseed", randomseed);
    lua.register(&math, "sin", sin);
    lua.register(&math, "sinh", sinh);
    lua.register(&math, "sqrt", sqrt);
    lua.register(&math, "tan", tan);
    lua.register(&math, "tanh", tanh);
    math.set_str("pi", Value::Number(std::f64::consts::PI));
    math.set_str("huge", Value::Number(f64::INFINITY));
    lua.globals().set_str("math", Value::Table(math));
}

/// `lmathlib.c`'s constant: `deg` divides by it and `rad` multiplies, which rounds differently
/// from Rust's `to_degrees`.
const RADIANS_PER_DEGREE: f64 = std::f64::consts::PI / 180.0;

fn number_result(n: f64) -> Result<Vec<Value>, LuaError> {
    Ok(vec![Value::Number(n)])
}

/// Defines the one-argument functions: `luaL_checknumber(L, 1)` and a function of it.
macro_rules! unary {
    ($($name:ident => $apply:expr),* $(,)?) => {
        $(
            fn $name(_: &mut Lua, _: &mut dyn Host, args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
                let apply: fn(f64) -> f64 = $apply;
                number_result(apply(args::check_number(&args, 1, stringify!($name))?))
            }
        )*
    };
}

unary! {
    abs => f64::abs,
    acos => f64::acos,
    asin => f64::asin,
    atan => f64::atan,
    ceil => f64::ceil,
    cos => f64::cos,
    cosh => f64::cosh,
    deg => |n| n / RADIANS_PER_DEGREE,
    exp => f64::exp,
    floor => f64::floor,
    log => f64::ln,
    log10 => f64::log10,
    rad => |n| n * RADIANS_PER_DEGREE,
    sin => f64::sin,
    sinh => f64::sinh,
    sqrt => f64::sqrt,
    tan => f64::tan,
    tanh => f64::tanh,
}

/// The two numbers of `atan2`, `fmod` and `pow`.
fn two_numbers(args: &[Value], function: &str) -> Result<(f64, f64), LuaError> {
    Ok((
        args::check_number(args, 1, function)?,
        args::check_number(args, 2, function)?,
    ))
}

fn atan2(_: &mut Lua, _: &mut dyn Host, args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    let (y, x) = two_numbers(&args, "atan2")?;
    number_result(y.atan2(x))
}

/// C's `fmod`: the remainder with the dividend's sign, which is Rust's `%` on floats.
fn fmod(_: &mut Lua, _: &mut dyn Host, args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    let (a, b) = two_numbers(&args, "fmod")?;
    number_result(a % b)
}

fn pow(_: &mut Lua, _: &mut dyn Host, args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    let (base, exponent) = two_numbers(&args, "pow")?;
    number_result(base.powf(exponent))
}

/// C's `modf`: the integral part and the fractional part, both with the argument's sign
/// (`modf(-inf)` is `-inf, -0`).
fn modf(_: &mut Lua, _: &mut dyn Host, args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    let n = args::check_number(&args, 1, "modf")?;
    let integral = n.trunc();
    let fraction = if n.is_infinite() {
        0.0f64.copysign(n)
    } else {
        n - integral
    };
    Ok(vec![Value::Number(integral), Value::Number(fraction)])
}

/// C's `frexp`: `n = m * 2^e` with `0.5 <= |m| < 1` (0, infinities and NaN give themselves and
/// an exponent of 0).
fn frexp(_: &mut Lua, _: &mut dyn Host, args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    let n = args::check_number(&args, 1, "frexp")?;
    let (mantissa, exponent) = split_exponent(n);
    Ok(vec![
        Value::Number(mantissa),
        Value::Number(exponent as f64),
    ])
}

fn split_exponent(n: f64) -> (f64, i32) {
    if n == 0.0 || !n.is_finite() {
        return (n, 0);
    }
    // Subnormals have no implicit bit: scale them into the normal range first.
    let (n, bias) = if n.abs() < f64::MIN_POSITIVE {
        (n * 2f64.powi(64), -64)
    } else {
        (n, 0)
    };
    let bits = n.to_bits();
    let exponent = ((bits >> 52) & 0x7ff) as i32 - 1022;
    let mantissa = f64::from_bits((bits & !(0x7ff << 52)) | (1022 << 52));
    (mantissa, exponent + bias)
}

fn ldexp(_: &mut Lua, _: &mut dyn Host, args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    let mantissa = args::check_number(&args, 1, "ldexp")?;
    let exponent = args::check_int(&args, 2, "ldexp")?;
    number_result(scale_by_power_of_two(mantissa, exponent))
}

/// C's `ldexp`: `n * 2^exponent` rounded once, as the C library does (multiplying by a power of
/// 2 that is itself out of range, or in steps, would round twice or overflow on the way).
fn scale_by_power_of_two(n: f64, exponent: i32) -> f64 {
    if n == 0.0 || !n.is_finite() {
        return n;
    }
    let (mantissa, own_exponent) = split_exponent(n);
    let total = own_exponent as i64 + exponent as i64;
    if total > f64::MAX_EXP as i64 {
        return f64::INFINITY.copysign(n);
    }
    if total < f64::MIN_EXP as i64 - 64 {
        // Below half the smallest subnormal: rounds to zero.
        return 0.0f64.copysign(n);
    }
    if total >= f64::MIN_EXP as i64 {
        return with_exponent(mantissa, total);
    }
    // A subnormal result: exact in the normal range first, then one rounding step down.
    with_exponent(mantissa, total + 64) * 2f64.powi(-64)
}

/// `mantissa * 2^exponent` for a mantissa of [`split_exponent`] and a result in the normal
/// range: exact, by writing the exponent field.
fn with_exponent(mantissa: f64, exponent: i64) -> f64 {
    let field = (exponent + 1022) as u64;
    f64::from_bits((mantissa.to_bits() & !(0x7ff << 52)) | (field << 52))
}

/// `min` and `max`: every argument must be a number, at least one; the first of equals wins
/// (which tells -0 from 0).
fn extreme(
    args: &[Value],
    function: &str,
    better: fn(f64, f64) -> bool,
) -> Result<Vec<Value>, LuaError> {
    let mut best = args::check_number(args, 1, function)?;
    for position in 2..=args.len() {
        let n = args::check_number(args, position, function)?;
        if better(n, best) {
            best = n;
        }
    }
    number_result(best)
}

fn min(_: &mut Lua, _: &mut dyn Host, args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    extreme(&args, "min", |n, best| n < best)
}

fn max(_: &mut Lua, _: &mut dyn Host, args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    extreme(&args, "max", |n, best| n > best)
}

/// Redis's `redis_math_random`: Lua 5.1's `math_random` over `redisLrand48()`.
fn random(_: &mut Lua, _: &mut dyn Host, args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    let r = next_fraction();
    match args.len() {
        0 => number_result(r),
        1 => {
            let upper = args::check_int(&args, 1, "random")?;
            if upper < 1 {
                return Err(args::arg_error(1, "random", "interval is empty"));
            }
            number_result((r * upper as f64).floor() + 1.0)
        }
        2 => {
            let lower = args::check_int(&args, 1, "random")?;
            let upper = args::check_int(&args, 2, "random")?;
            if lower > upper {
                return Err(args::arg_error(2, "random", "interval is empty"));
            }
            // C computes `u-l+1` in int arithmetic: it wraps for the widest intervals.
            let width = upper.wrapping_sub(lower).wrapping_add(1);
            number_result((r * width as f64).floor() + lower as f64)
        }
        _ => Err(LuaError::runtime("wrong number of arguments")),
    }
}

/// Redis's `redis_math_randomseed`: `redisSrand48(luaL_checkint(L, 1))`.
fn randomseed(_: &mut Lua, _: &mut dyn Host, args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    let seed = args::check_int(&args, 1, "randomseed")?;
    lock_generator().seed(seed);
    Ok(vec![])
}

/// `(redisLrand48() % REDIS_LRAND48_MAX) / REDIS_LRAND48_MAX`: in [0, 1).
fn next_fraction() -> f64 {
    lock_generator().next_fraction()
}

/// The process's generator, as Redis's `rand.c` keeps one for the whole server.
static GENERATOR: Mutex<Rand48> = Mutex::new(Rand48::UNSEEDED);

fn lock_generator() -> std::sync::MutexGuard<'static, Rand48> {
    // The state is a plain integer, valid whatever a panicking holder left.
    GENERATOR
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// `drand48`'s generator: `x = (0x5DEECE66D * x + 0xB) mod 2^48`, drawing the top 31 bits.
#[derive(Debug)]
struct Rand48 {
    state: u64,
}

impl Rand48 {
    const MULTIPLIER: u64 = 0x5_DEEC_E66D;
    const INCREMENT: u64 = 0xB;
    const MASK: u64 = (1 << 48) - 1;
    /// `rand.c`'s initial `x`: X2 X1 X0 = 0x1234 0xABCD 0x330E.
    const UNSEEDED: Rand48 = Rand48 {
        state: 0x1234_ABCD_330E,
    };

    /// `redisSrand48`: the seed's 32 bits above the fixed low word 0x330E.
    fn seed(&mut self, seed: i32) {
        self.state = ((seed as u32 as u64) << 16) | 0x330E;
    }

    /// `redisLrand48`: advance, then the top 31 of the 48 bits.
    fn next(&mut self) -> u32 {
        self.state = (Self::MULTIPLIER
            .wrapping_mul(self.state)
            .wrapping_add(Self::INCREMENT))
            & Self::MASK;
        (self.state >> 17) as u32
    }

    /// `(redisLrand48() % REDIS_LRAND48_MAX) / REDIS_LRAND48_MAX`: in [0, 1).
    fn next_fraction(&mut self) -> f64 {
        const LRAND48_MAX: u32 = i32::MAX as u32;
        (self.next() % LRAND48_MAX) as f64 / LRAND48_MAX as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lua::{NativeFn, NoHost};

    fn call(function: NativeFn, args: &[f64]) -> Result<Vec<f64>, LuaError> {
        let args = args.iter().map(|&n| Value::Number(n)).collect();
        let results = function(&mut Lua::new(), &mut NoHost, args)?;
        Ok(results
            .into_iter()
            .map(|v| match v {
                Value::Number(n) => n,
                other => panic!("not a number: {other:?}"),
            })
            .collect())
    }

    #[test]
    fn rand48_matches_the_c_generator() {
        // glibc: srand48(0); lrand48() x3, which redisSrand48/redisLrand48 reproduce.
        let mut generator = Rand48 { state: 0 };
        generator.seed(0);
        assert_eq!(generator.next(), 366850414);
        assert_eq!(generator.next(), 1610402240);
        assert_eq!(generator.next(), 206956554);
    }

    #[test]
    fn a_seed_gives_redis_s_sequence() {
        // redis-server 7.0.15: `math.randomseed(10); return tostring(math.random())`.
        let mut generator = Rand48::UNSEEDED;
        generator.seed(10);
        assert!((generator.next_fraction() - 0.87885112309775).abs() < 1e-14);
    }

    #[test]
    fn random_checks_its_interval() {
        let err = call(random, &[0.0]).unwrap_err();
        assert_eq!(
            err.message(),
            "bad argument #1 to 'random' (interval is empty)"
        );
        let err = call(random, &[3.0, 2.0]).unwrap_err();
        assert_eq!(
            err.message(),
            "bad argument #2 to 'random' (interval is empty)"
        );
        let err = call(random, &[1.0, 2.0, 3.0]).unwrap_err();
        assert_eq!(err.message(), "wrong number of arguments");
        for _ in 0..100 {
            let n = call(random, &[3.0, 5.0]).unwrap()[0];
            assert!((3.0..=5.0).contains(&n) && n.fract() == 0.0);
            let r = call(random, &[]).unwrap()[0];
            assert!((0.0..1.0).contains(&r));
        }
    }

    #[test]
    fn elementary_functions() {
        assert_eq!(call(floor, &[-2.5]).unwrap(), [-3.0]);
        assert_eq!(call(ceil, &[2.1]).unwrap(), [3.0]);
        assert_eq!(call(fmod, &[-7.0, 3.0]).unwrap(), [-1.0]);
        assert_eq!(call(modf, &[-3.25]).unwrap(), [-3.0, -0.25]);
        assert_eq!(call(pow, &[2.0, 10.0]).unwrap(), [1024.0]);
        assert_eq!(call(min, &[3.0, 1.0, 2.0]).unwrap(), [1.0]);
        assert_eq!(call(max, &[3.0, 5.0, 2.0]).unwrap(), [5.0]);
        assert_eq!(call(deg, &[std::f64::consts::PI]).unwrap(), [180.0]);
        let err = call(max, &[]).unwrap_err();
        assert_eq!(
            err.message(),
            "bad argument #1 to 'max' (number expected, got no value)"
        );
    }

    #[test]
    fn frexp_and_ldexp_are_inverse() {
        assert_eq!(call(frexp, &[8.0]).unwrap(), [0.5, 4.0]);
        assert_eq!(call(frexp, &[-3.0]).unwrap(), [-0.75, 2.0]);
        assert_eq!(call(frexp, &[0.0]).unwrap(), [0.0, 0.0]);
        assert_eq!(call(frexp, &[5e-324]).unwrap(), [0.5, -1073.0]);
        assert_eq!(call(ldexp, &[0.5, 4.0]).unwrap(), [8.0]);
        assert_eq!(call(ldexp, &[0.5, -1073.0]).unwrap(), [5e-324]);
        assert_eq!(call(ldexp, &[1.0, 2000.0]).unwrap(), [f64::INFINITY]);
        assert_eq!(call(ldexp, &[1.0, 1023.0]).unwrap(), [2f64.powi(1023)]);
        assert_eq!(call(ldexp, &[-1.5, -1074.0]).unwrap(), [-1e-323]);
        assert_eq!(call(ldexp, &[1.0, -1076.0]).unwrap(), [0.0]);
        assert_eq!(
            call(ldexp, &[f64::MAX, -2000.0]).unwrap(),
            [1.5657565312570098e-294]
        );
    }

    mod programs {
        use crate::lua::stdlib::testing::outcome;

        #[test]
        fn a_seed_repeats_its_sequence() {
            let source = "math.randomseed(10); local a = math.random(); math.randomseed(10)
                return a == math.random() and 1 or 0, math.random(100) >= 1 and 1 or 0";
            assert_eq!(outcome(source), "[1, 1]");
        }

        #[test]
        fn library_fields() {
            let source =
                "return math.huge > 1e308 and 1 or 0, math.floor(math.pi * 100), math.mod(7, 3)";
            assert_eq!(outcome(source), "[1, 314, 1]");
            assert_eq!(
                outcome("return math.floor('x')"),
                "error: user_script:1: bad argument #1 to 'floor' (number expected, got string)"
            );
        }
    }
}
