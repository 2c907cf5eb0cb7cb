//! Scores and letter grades: the Observatory's two scoring rounds and its grade chart.

use std::fmt;
use std::str::FromStr;

use serde::{Serialize, Serializer};

/// Every page starts from this score.
pub const BASELINE: i32 = 100;

/// Bonuses count only when the score after penalties is at least this (an A): extra credit is
/// for sites that already get the basics right.
pub const MINIMUM_SCORE_FOR_EXTRA_CREDIT: i32 = 90;

/// A letter grade, ordered from worst (`F`) to best (`A+`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Grade {
    /// 0–24.
    F,
    /// 25–29.
    DMinus,
    /// 30–39.
    D,
    /// 40–44.
    DPlus,
    /// 45–49.
    CMinus,
    /// 50–59.
    C,
    /// 60–64.
    CPlus,
    /// 65–69.
    BMinus,
    /// 70–79.
    B,
    /// 80–84.
    BPlus,
    /// 85–89.
    AMinus,
    /// 90–99.
    A,
    /// 100 and above.
    APlus,
}

impl Grade {
    /// Every grade, worst first.
    pub const ALL: [Grade; 13] = [
        Grade::F,
        Grade::DMinus,
        Grade::D,
        Grade::DPlus,
        Grade::CMinus,
        Grade::C,
        Grade::CPlus,
        Grade::BMinus,
        Grade::B,
        Grade::BPlus,
        Grade::AMinus,
        Grade::A,
        Grade::APlus,
    ];

    /// The grade for a final score, by the Observatory's chart.
    pub fn for_score(score: u32) -> Grade {
        match score {
            100.. => Grade::APlus,
            90..=99 => Grade::A,
            85..=89 => Grade::AMinus,
            80..=84 => Grade::BPlus,
            70..=79 => Grade::B,
            65..=69 => Grade::BMinus,
            60..=64 => Grade::CPlus,
            50..=59 => Grade::C,
            45..=49 => Grade::CMinus,
            40..=44 => Grade::DPlus,
            30..=39 => Grade::D,
            25..=29 => Grade::DMinus,
            _ => Grade::F,
        }
    }

    /// The grade as written: `A+`, `B-`, `F`.
    pub fn as_str(self) -> &'static str {
        match self {
            Grade::APlus => "A+",
            Grade::A => "A",
            Grade::AMinus => "A-",
            Grade::BPlus => "B+",
            Grade::B => "B",
            Grade::BMinus => "B-",
            Grade::CPlus => "C+",
            Grade::C => "C",
            Grade::CMinus => "C-",
            Grade::DPlus => "D+",
            Grade::D => "D",
            Grade::DMinus => "D-",
            Grade::F => "F",
        }
    }
}

impl fmt::Display for Grade {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Grade {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// A string that is not a grade.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseGradeError(String);

impl fmt::Display for ParseGradeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:?} is not a grade (one of A+, A, A-, B+, B, B-, C+, C, C-, D+, D, D-, F)",
            self.0
        )
    }
}

impl std::error::Error for ParseGradeError {}

impl FromStr for Grade {
    type Err = ParseGradeError;

    /// Parses `A+`, `b-`, ` C ` (case-insensitive, surrounding blanks ignored).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim();
        Grade::ALL
            .into_iter()
            .find(|g| g.as_str().eq_ignore_ascii_case(wanted))
            .ok_or_else(|| ParseGradeError(s.to_owned()))
    }
}

/// The final score for a set of modifiers: penalties first; bonuses only when the score after
/// penalties is at least [`MINIMUM_SCORE_FOR_EXTRA_CREDIT`]; never below 0.
pub fn score(modifiers: impl IntoIterator<Item = i32>) -> u32 {
    let (mut penalties, mut bonuses) = (0i32, 0i32);
    for m in modifiers {
        if m < 0 {
            penalties += m;
        } else {
            bonuses += m;
        }
    }
    let uncurved = BASELINE + penalties;
    let total = if uncurved >= MINIMUM_SCORE_FOR_EXTRA_CREDIT {
        uncurved + bonuses
    } else {
        uncurved
    };
    u32::try_from(total.max(0)).unwrap_or(0)
}
