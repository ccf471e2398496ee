//! Dates as French readers write them.

use chrono::{Datelike, NaiveDate};

const MONTHS: [&str; 12] = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
];

/// "23 novembre 2026"; the first of the month is "1er".
pub fn french_long(date: NaiveDate) -> String {
    let day = date.day();
    let month = MONTHS[date.month0() as usize];
    if day == 1 {
        format!("1er {month} {}", date.year())
    } else {
        format!("{day} {month} {}", date.year())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn french_dates() {
        assert_eq!(
            french_long(NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()),
            "23 novembre 2026"
        );
        assert_eq!(
            french_long(NaiveDate::from_ymd_opt(2027, 8, 1).unwrap()),
            "1er août 2027"
        );
    }
}
