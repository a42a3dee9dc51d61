//! Decimals as they were written: the exact value of the shortest decimal a double reads
//! back as, sums of them, and fractions rounded to the nearest double. Weights and
//! utilities are written in decimal; these keep their arithmetic exact.

use num_bigint::BigInt;
use num_rational::BigRational;
use num_traits::{Signed, ToPrimitive, Zero};

/// The exact value of the shortest decimal that reads back as `value`; `None` for infinities
/// and NaN.
pub fn written_decimal(value: f64) -> Option<BigRational> {
    if !value.is_finite() {
        return None;
    }
    // `{:e}` writes the shortest round-trip digits: `1.9e-1`, `-3e0`, `1.2345e5`.
    let text = format!("{value:e}");
    let (mantissa, exponent) = text.split_once('e')?;
    let exponent: i64 = exponent.parse().ok()?;
    let (negative, mantissa) = match mantissa.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, mantissa),
    };
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits: BigInt = format!("{whole}{fraction}").parse().ok()?;
    let shift = exponent - fraction.len() as i64;
    let power = BigInt::from(10).pow(u32::try_from(shift.unsigned_abs()).ok()?);
    let magnitude = if shift >= 0 {
        BigRational::from_integer(digits * power)
    } else {
        BigRational::new(digits, power)
    };
    Some(if negative { -magnitude } else { magnitude })
}

/// The exact sum of the decimals `values` were written as; `None` if one is not finite.
pub fn written_sum(values: &[f64]) -> Option<BigRational> {
    values.iter().try_fold(BigRational::zero(), |sum, value| {
        Some(sum + written_decimal(*value)?)
    })
}

/// A fraction as the nearest double.
pub fn rational_to_double(value: &BigRational) -> f64 {
    if value.denom().is_positive() {
        nearest_double(value.numer(), value.denom())
    } else {
        nearest_double(&-value.numer(), &-value.denom())
    }
}

/// `numerator / denominator` as the nearest double (`denominator > 0`).
pub fn nearest_double(numerator: &BigInt, denominator: &BigInt) -> f64 {
    debug_assert!(denominator.is_positive());
    // Both within 2^53: each is a double exactly, and one IEEE division rounds correctly.
    const EXACT: i64 = 1 << 53;
    if let (Some(top), Some(bottom)) = (numerator.to_i64(), denominator.to_i64())
        && top.abs() <= EXACT
        && bottom <= EXACT
    {
        return top as f64 / bottom as f64;
    }
    // num-rational scales the ratio to 54+ significant bits and rounds to nearest, ties to
    // even.
    BigRational::new(numerator.clone(), denominator.clone())
        .to_f64()
        .unwrap_or(f64::NAN)
}
