//! Number formatting as LuaJIT prints a number: C's `%.14g`.
//!
//! Kong writes numbers into the hash buffer with LuaJIT's own formatter, which
//! behaves like `printf("%.14g")`: at most 14 significant digits, rounded to
//! nearest with ties to even on the exact binary value, trailing zeros
//! dropped, and exponent notation (`1.5e+14`, `1e-05`) when the decimal
//! exponent is below -4 or at least 14. Integers get no `.0`. Rust's float
//! formatting is also exact and rounds ties to even, so the digits come from
//! `{:.13e}` and the layout rules of `%g` are applied on top.

/// Significant digits of Lua's `%.14g`.
const PRECISION: i32 = 14;

/// Formats `n` exactly as LuaJIT's `tostring(n)` / `%.14g` does.
///
/// Non-finite values (which JSON cannot carry) print as `inf`, `-inf` and
/// `nan`.
pub fn format_lua_number(n: f64) -> String {
    if n.is_nan() {
        return "nan".to_owned();
    }
    if n.is_infinite() {
        return if n < 0.0 { "-inf" } else { "inf" }.to_owned();
    }
    if n == 0.0 {
        // `%g` keeps the sign of negative zero.
        return if n.is_sign_negative() { "-0" } else { "0" }.to_owned();
    }
    // Fast path for the common case (ports, timeouts, timestamps): an integer
    // below 10^14 prints in full, exactly as %.14g would print it.
    if n.fract() == 0.0 && n.abs() < 1e14 {
        return format!("{}", n as i64);
    }

    // Round to 14 significant digits first: the exponent of the *rounded*
    // value decides between fixed and exponent style (C11 7.21.6.1).
    let sci = format!("{:.*e}", (PRECISION - 1) as usize, n);
    let (mantissa, exp) = match sci.split_once('e') {
        Some((m, e)) => (m, e.parse::<i32>().unwrap_or(0)),
        None => (sci.as_str(), 0),
    };

    if (-4..PRECISION).contains(&exp) {
        let decimals = (PRECISION - 1 - exp) as usize;
        strip_fraction_zeros(&format!("{n:.decimals$}")).to_owned()
    } else {
        let mantissa = strip_fraction_zeros(mantissa);
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{mantissa}e{sign}{:02}", exp.unsigned_abs())
    }
}

/// Drops trailing zeros of a fraction, and the point if nothing is left
/// after it (`%g` without the `#` flag).
fn strip_fraction_zeros(s: &str) -> &str {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::format_lua_number as f;

    #[test]
    fn reference_examples() {
        assert_eq!(f(1.0), "1");
        assert_eq!(f(60000.0), "60000");
        assert_eq!(f(1.1), "1.1");
        assert_eq!(f(-3.0), "-3");
        assert_eq!(f(0.001), "0.001");
        assert_eq!(f(0.9), "0.9");
        assert_eq!(f(10.0), "10");
        // 15 digits: the 15th is an exact tie, rounded to even.
        assert_eq!(f(123456789012345.0), "1.2345678901234e+14");
    }

    #[test]
    fn layout_edges() {
        assert_eq!(f(0.0), "0");
        assert_eq!(f(-0.0), "-0");
        assert_eq!(f(0.0001), "0.0001");
        assert_eq!(f(0.00001), "1e-05");
        assert_eq!(f(1e14), "1e+14");
        assert_eq!(f(99999999999999.0), "99999999999999");
        assert_eq!(f(1e100), "1e+100");
        assert_eq!(f(-1.5e-300), "-1.5e-300");
        assert_eq!(f(1.0 / 3.0), "0.33333333333333");
        assert_eq!(f(2.0 / 3.0), "0.66666666666667");
        assert_eq!(f(100.5), "100.5");
        assert_eq!(f(1_700_000_000.0), "1700000000");
        assert_eq!(f(9_007_199_254_740_993.0), "9.007199254741e+15");
        // Rounding carries into a new digit and so changes the exponent.
        assert_eq!(f(9.99999999999995), "10");
        assert_eq!(f(999999999999995.0), "1e+15");
        assert_eq!(f(1000000000000005.0), "1e+15");
        assert_eq!(f(0.1 + 0.2), "0.3");
        assert_eq!(f(f64::MAX), "1.7976931348623e+308");
        assert_eq!(f(5e-324), "4.9406564584125e-324");
    }

    #[test]
    fn non_finite() {
        assert_eq!(f(f64::INFINITY), "inf");
        assert_eq!(f(f64::NEG_INFINITY), "-inf");
        assert_eq!(f(f64::NAN), "nan");
    }
}
