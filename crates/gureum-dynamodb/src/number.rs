//! DynamoDB's numbers: exact decimals of up to 38 significant digits with
//! magnitudes from 1E-130 to below 1E+126, and their arithmetic, done in
//! decimal digits (never through `f64`).

use std::cmp::Ordering;
use std::fmt;

/// Most significant digits a number may carry.
pub const MAX_DIGITS: usize = 38;
/// Largest exponent of the normalized form `0.d1d2… × 10^exp` (below 1E+126).
const MAX_EXP: i32 = 126;
/// Smallest exponent of the normalized form (1E-130 is `0.1 × 10^-129`).
const MIN_EXP: i32 = -129;

/// Why a number is not one DynamoDB stores.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NumberError {
    /// Not a number at all.
    NotNumeric(String),
    /// Magnitude too large.
    Overflow,
    /// Magnitude too small (and not zero).
    Underflow,
    /// More than 38 significant digits.
    Precision,
}

impl NumberError {
    /// AWS's message for the error.
    pub fn message(&self) -> String {
        match self {
            NumberError::NotNumeric(s) => {
                format!("The parameter cannot be converted to a numeric value: {s}")
            }
            NumberError::Overflow => "Number overflow. Attempting to store a number with magnitude larger than supported range".into(),
            NumberError::Underflow => "Number underflow. Attempting to store a number with magnitude smaller than supported range".into(),
            NumberError::Precision => "Attempting to store more than 38 significant digits in a Number".into(),
        }
    }
}

/// An exact decimal: `±0.d1d2…dn × 10^exp`, digits without leading or
/// trailing zeros (zero has no digits and is never negative).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Decimal {
    neg: bool,
    digits: Vec<u8>,
    exp: i32,
}

impl Decimal {
    /// Zero.
    pub fn zero() -> Decimal {
        Decimal {
            neg: false,
            digits: Vec::new(),
            exp: 0,
        }
    }

    /// Parses a number as DynamoDB accepts it (`-1.5e3`, `.5`, `+7`),
    /// checking range and precision.
    pub fn parse(text: &str) -> Result<Decimal, NumberError> {
        let bad = || NumberError::NotNumeric(text.to_string());
        let b = text.as_bytes();
        let mut i = 0;
        let mut neg = false;
        if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
            neg = b[i] == b'-';
            i += 1;
        }
        let mut all: Vec<u8> = Vec::new();
        let mut int_len: i64 = 0;
        let mut seen_digit = false;
        while i < b.len() && b[i].is_ascii_digit() {
            all.push(b[i] - b'0');
            int_len += 1;
            seen_digit = true;
            i += 1;
        }
        if i < b.len() && b[i] == b'.' {
            i += 1;
            while i < b.len() && b[i].is_ascii_digit() {
                all.push(b[i] - b'0');
                seen_digit = true;
                i += 1;
            }
        }
        if !seen_digit {
            return Err(bad());
        }
        let mut e: i64 = 0;
        if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
            i += 1;
            let mut eneg = false;
            if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
                eneg = b[i] == b'-';
                i += 1;
            }
            let start = i;
            while i < b.len() && b[i].is_ascii_digit() {
                e = (e * 10 + i64::from(b[i] - b'0')).min(1_000_000);
                i += 1;
            }
            if start == i {
                return Err(bad());
            }
            if eneg {
                e = -e;
            }
        }
        if i != b.len() {
            return Err(bad());
        }
        Decimal::from_parts(neg, all, int_len + e)
    }

    /// Builds from raw digits (leading/trailing zeros allowed) whose
    /// decimal point sits after `point` digits, then checks the limits.
    fn from_parts(neg: bool, mut digits: Vec<u8>, point: i64) -> Result<Decimal, NumberError> {
        let lead = digits.iter().take_while(|d| **d == 0).count();
        digits.drain(..lead);
        let point = point - lead as i64;
        while digits.last() == Some(&0) {
            digits.pop();
        }
        if digits.is_empty() {
            return Ok(Decimal::zero());
        }
        if point > i64::from(MAX_EXP) {
            return Err(NumberError::Overflow);
        }
        if point < i64::from(MIN_EXP) {
            return Err(NumberError::Underflow);
        }
        if digits.len() > MAX_DIGITS {
            return Err(NumberError::Precision);
        }
        Ok(Decimal {
            neg,
            digits,
            exp: point as i32,
        })
    }

    /// Whether the number is zero.
    pub fn is_zero(&self) -> bool {
        self.digits.is_empty()
    }

    /// Whether the number is below zero.
    pub fn is_negative(&self) -> bool {
        self.neg
    }

    /// The sign flipped.
    pub fn negate(&self) -> Decimal {
        let mut d = self.clone();
        if !d.is_zero() {
            d.neg = !d.neg;
        }
        d
    }

    /// The significant digits (for sizes and key encoding).
    pub fn digits(&self) -> &[u8] {
        &self.digits
    }

    /// The exponent of the normalized form `0.d1d2… × 10^exp`.
    pub fn exponent(&self) -> i32 {
        self.exp
    }

    /// `self + other`, exact, checked against DynamoDB's limits.
    pub fn add(&self, other: &Decimal) -> Result<Decimal, NumberError> {
        if self.is_zero() {
            return Ok(other.clone());
        }
        if other.is_zero() {
            return Ok(self.clone());
        }
        // Both as integers scaled by 10^low: value = int × 10^low.
        let low = (self.exp - self.digits.len() as i32).min(other.exp - other.digits.len() as i32);
        let high = self.exp.max(other.exp);
        let width = (high - low) as usize;
        let a = self.aligned(high, width);
        let b = other.aligned(high, width);
        let (neg, mag) = if self.neg == other.neg {
            (self.neg, add_mag(&a, &b))
        } else {
            match a.cmp(&b) {
                Ordering::Equal => return Ok(Decimal::zero()),
                Ordering::Greater => (self.neg, sub_mag(&a, &b)),
                Ordering::Less => (other.neg, sub_mag(&b, &a)),
            }
        };
        // add_mag may carry one digit to the front.
        let point = i64::from(high) + (mag.len() as i64 - width as i64);
        Decimal::from_parts(neg, mag, point)
    }

    /// `self - other`.
    pub fn sub(&self, other: &Decimal) -> Result<Decimal, NumberError> {
        self.add(&other.negate())
    }

    /// The digits placed in a `width`-digit window whose first digit has
    /// place value `10^(high-1)`.
    fn aligned(&self, high: i32, width: usize) -> Vec<u8> {
        let mut v = vec![0u8; width];
        let start = (high - self.exp) as usize;
        for (i, d) in self.digits.iter().enumerate() {
            v[start + i] = *d;
        }
        v
    }
}

fn add_mag(a: &[u8], b: &[u8]) -> Vec<u8> {
    let mut out = vec![0u8; a.len() + 1];
    let mut carry = 0;
    for i in (0..a.len()).rev() {
        let s = a[i] + b[i] + carry;
        out[i + 1] = s % 10;
        carry = s / 10;
    }
    out[0] = carry;
    if carry == 0 {
        out.remove(0);
    }
    out
}

fn sub_mag(a: &[u8], b: &[u8]) -> Vec<u8> {
    let mut out = vec![0u8; a.len()];
    let mut borrow = 0i8;
    for i in (0..a.len()).rev() {
        let mut s = a[i] as i8 - b[i] as i8 - borrow;
        if s < 0 {
            s += 10;
            borrow = 1;
        } else {
            borrow = 0;
        }
        out[i] = s as u8;
    }
    out
}

impl Ord for Decimal {
    fn cmp(&self, other: &Self) -> Ordering {
        let sign = |d: &Decimal| {
            if d.is_zero() {
                0
            } else if d.neg {
                -1
            } else {
                1
            }
        };
        let (sa, sb) = (sign(self), sign(other));
        if sa != sb || sa == 0 {
            return sa.cmp(&sb);
        }
        let mag = self
            .exp
            .cmp(&other.exp)
            .then_with(|| self.digits.cmp(&other.digits));
        if sa < 0 {
            mag.reverse()
        } else {
            mag
        }
    }
}

impl PartialOrd for Decimal {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Decimal {
    /// The canonical text DynamoDB answers: plain notation, no exponent,
    /// no trailing zeros after the point.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_zero() {
            return f.write_str("0");
        }
        let mut s = String::with_capacity(self.digits.len() + 4);
        if self.neg {
            s.push('-');
        }
        let n = self.digits.len() as i32;
        let digit = |d: &u8| char::from(b'0' + d);
        if self.exp <= 0 {
            s.push_str("0.");
            for _ in 0..(-self.exp) {
                s.push('0');
            }
            s.extend(self.digits.iter().map(digit));
        } else if self.exp >= n {
            s.extend(self.digits.iter().map(digit));
            for _ in 0..(self.exp - n) {
                s.push('0');
            }
        } else {
            let (i, frac) = self.digits.split_at(self.exp as usize);
            s.extend(i.iter().map(digit));
            s.push('.');
            s.extend(frac.iter().map(digit));
        }
        f.write_str(&s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        Decimal::parse(s).expect("ok")
    }

    #[test]
    fn parses_and_prints_canonically() {
        for (i, o) in [
            ("1", "1"),
            ("1.0", "1"),
            ("01.50", "1.5"),
            ("-0", "0"),
            ("1e2", "100"),
            ("1.5E-3", "0.0015"),
            (".5", "0.5"),
            ("5.", "5"),
            ("+7", "7"),
            ("-12.340", "-12.34"),
            ("0.000", "0"),
        ] {
            assert_eq!(d(i).to_string(), o, "{i}");
        }
    }

    #[test]
    fn rejects_what_is_not_a_number() {
        for s in [
            "", "-", "abc", "1e", "1..2", "1 ", " 1", "0x10", "NaN", "Infinity", "e5", ".",
        ] {
            assert_eq!(
                Decimal::parse(s),
                Err(NumberError::NotNumeric(s.into())),
                "{s}"
            );
        }
    }

    #[test]
    fn limits_of_range_and_precision() {
        assert!(Decimal::parse("9.9999999999999999999999999999999999999E+125").is_ok());
        assert_eq!(Decimal::parse("1E+126"), Err(NumberError::Overflow));
        assert!(Decimal::parse("1E-130").is_ok());
        assert_eq!(Decimal::parse("1E-131"), Err(NumberError::Underflow));
        assert!(Decimal::parse("12345678901234567890123456789012345678").is_ok());
        assert_eq!(
            Decimal::parse("123456789012345678901234567890123456789"),
            Err(NumberError::Precision)
        );
        // Trailing zeros are not significant.
        assert!(Decimal::parse("123456789012345678901234567890123456780000").is_ok());
        assert_eq!(
            NumberError::Overflow.message(),
            "Number overflow. Attempting to store a number with magnitude larger than supported range"
        );
    }

    #[test]
    fn arithmetic_is_exact() {
        assert_eq!(d("0.1").add(&d("0.2")).expect("ok"), d("0.3"));
        assert_eq!(d("999").add(&d("1")).expect("ok").to_string(), "1000");
        assert_eq!(d("1000").sub(&d("1")).expect("ok").to_string(), "999");
        assert_eq!(d("5").sub(&d("7.25")).expect("ok").to_string(), "-2.25");
        assert_eq!(d("-5").add(&d("5")).expect("ok"), Decimal::zero());
        assert_eq!(
            d("1e20").add(&d("1e-10")).expect("ok").to_string(),
            "100000000000000000000.0000000001"
        );
        let big = d("99999999999999999999999999999999999999");
        assert_eq!(
            big.add(&d("1")).expect("ok").to_string(),
            "100000000000000000000000000000000000000"
        );
        assert_eq!(big.add(&d("0.1")), Err(NumberError::Precision));
        assert_eq!(
            d("9.9999999999999999999999999999999999999E+125").add(&d("1E+125")),
            Err(NumberError::Overflow)
        );
    }

    #[test]
    fn ordering_is_numeric() {
        let mut v: Vec<Decimal> = ["10", "-1", "2", "-10.5", "0", "0.001", "-0.001", "1e5"]
            .iter()
            .map(|s| d(s))
            .collect();
        v.sort();
        let s: Vec<String> = v.iter().map(ToString::to_string).collect();
        assert_eq!(
            s,
            ["-10.5", "-1", "-0.001", "0", "0.001", "2", "10", "100000"]
        );
    }
}
