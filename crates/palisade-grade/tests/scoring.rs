//! The scoring rounds (penalties, then bonuses only at 90 or more, floor 0), the grade chart,
//! and parsing and ordering grades.

use palisade_grade::{Grade, Observation, Response, Test, grade, score};

fn page(headers: &[(&str, &str)]) -> palisade_grade::Report {
    let response = Response::new("https://example.com/".parse().unwrap(), 200)
        .header("Content-Type", "text/html")
        .headers(headers.iter().copied());
    grade(&Observation::new(response))
}

/// Every other test at 0: CSP with unsafe style only, HSTS, nosniff, DENY.
const BASE: [(&str, &str); 4] = [
    ("Strict-Transport-Security", "max-age=31536000"),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Cross-Origin-Resource-Policy", "same-origin"),
];

fn with_csp(policy: &str) -> palisade_grade::Report {
    let mut headers = BASE.to_vec();
    headers.push(("Content-Security-Policy", policy));
    headers.push(("Referrer-Policy", "no-referrer"));
    page(&headers)
}

#[test]
fn bonuses_count_when_penalties_leave_exactly_90() {
    // -10 for unsafe-eval leaves 90: CORP +10 and Referrer-Policy +5 are added.
    let report = with_csp("default-src 'self'; script-src 'self' 'unsafe-eval'");
    assert_eq!(report.test(Test::ContentSecurityPolicy).modifier, -10);
    assert_eq!((report.score, report.grade), (105, Grade::APlus));
}

#[test]
fn bonuses_are_dropped_below_90() {
    // -20 for unsafe-inline leaves 80: the +15 of bonuses do not count.
    let report = with_csp("default-src 'self'; script-src 'self' 'unsafe-inline'");
    assert_eq!(report.test(Test::ContentSecurityPolicy).modifier, -20);
    assert_eq!(report.test(Test::CrossOriginResourcePolicy).modifier, 10);
    assert_eq!((report.score, report.grade), (80, Grade::BPlus));
}

#[test]
fn bonuses_are_dropped_at_85() {
    // -10 (unsafe-eval) and -5 (unsafe referrer policy replaced): 85, an A- without bonus.
    let mut headers = BASE.to_vec();
    headers.push((
        "Content-Security-Policy",
        "default-src 'self'; script-src 'self' 'unsafe-eval'",
    ));
    headers.push(("Referrer-Policy", "unsafe-url"));
    let report = page(&headers);
    assert_eq!((report.score, report.grade), (85, Grade::AMinus));
}

#[test]
fn score_never_goes_below_zero() {
    let response = Response::new("http://example.com/".parse().unwrap(), 200)
        .header("Content-Type", "text/html")
        .header("Set-Cookie", "sessionid=1")
        .header("X-Frame-Options", "nonsense")
        .body("<script src=\"http://cdn.other.net/x.js\"></script>");
    let report = grade(&Observation::new(response));
    let penalties: i32 = report.tests.iter().map(|t| t.modifier).sum();
    assert!(penalties < -100, "{penalties}");
    assert_eq!((report.score, report.grade), (0, Grade::F));
}

#[test]
fn score_rounds() {
    assert_eq!(score([]), 100);
    assert_eq!(score([-10, 10, 5]), 105);
    assert_eq!(score([-11, 10]), 89);
    assert_eq!(score([-60, -60, 5]), 0);
}

#[test]
fn grade_chart_boundaries() {
    let chart = [
        (145, Grade::APlus),
        (100, Grade::APlus),
        (99, Grade::A),
        (90, Grade::A),
        (89, Grade::AMinus),
        (85, Grade::AMinus),
        (84, Grade::BPlus),
        (80, Grade::BPlus),
        (79, Grade::B),
        (70, Grade::B),
        (69, Grade::BMinus),
        (65, Grade::BMinus),
        (64, Grade::CPlus),
        (60, Grade::CPlus),
        (59, Grade::C),
        (50, Grade::C),
        (49, Grade::CMinus),
        (45, Grade::CMinus),
        (44, Grade::DPlus),
        (40, Grade::DPlus),
        (39, Grade::D),
        (30, Grade::D),
        (29, Grade::DMinus),
        (25, Grade::DMinus),
        (24, Grade::F),
        (0, Grade::F),
    ];
    for (score, expected) in chart {
        assert_eq!(Grade::for_score(score), expected, "{score}");
    }
}

#[test]
fn grades_parse_display_and_order() {
    for grade in Grade::ALL {
        assert_eq!(grade.to_string().parse::<Grade>(), Ok(grade));
    }
    assert_eq!(" b- ".parse::<Grade>(), Ok(Grade::BMinus));
    assert_eq!("a+".parse::<Grade>(), Ok(Grade::APlus));
    assert!("E".parse::<Grade>().is_err());
    assert!("A++".parse::<Grade>().is_err());
    assert!("".parse::<Grade>().is_err());
    assert!(Grade::APlus > Grade::A);
    assert!(Grade::A > Grade::AMinus);
    assert!(Grade::AMinus > Grade::BPlus);
    assert!(Grade::DMinus > Grade::F);
    assert!(Grade::ALL.windows(2).all(|w| w[0] < w[1]));
}

#[test]
fn non_2xx_status_is_noted() {
    let response = Response::new("https://example.com/missing".parse().unwrap(), 404);
    let report = grade(&Observation::new(response));
    assert_eq!(report.status, 404);
    assert!(report.notes.iter().any(|n| n.contains("404")));
}
