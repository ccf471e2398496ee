//! How long each kind of data is kept: the one definition the stores enforce (the jobs on
//! SQLite, the TTL attribute on DynamoDB) and the texts state (the personal-data page, the
//! form's consent text). These periods are the data controller's decision (register of
//! processing activities): change them here, never in a store or a text.

const DAY: i64 = 86_400;

/// A retention period: its length and how a text says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub seconds: i64,
    /// In French, as a sentence ends with it: « … après 2 ans ».
    pub french: &'static str,
}

/// A request not closed (waiting, proposed, suspended…), and everything that lives and dies
/// with it (its case, search keys, timeline, proposals, form nonce): kept this long after it was
/// registered. A request still open then lapses: the person is asked to register again.
pub const OPEN_REQUEST: Period = Period {
    seconds: 730 * DAY,
    french: "2 ans",
};

/// A closed request (doctor found, withdrawn, moved…) and what lives with it: kept this long
/// after its closure, and never longer than [`OPEN_REQUEST`] after its registration.
pub const CLOSED_REQUEST: Period = Period {
    seconds: 365 * DAY,
    french: "1 an",
};

/// An audit entry (ids only: who did what, when): the trace outlives the data it traces, so
/// that an access can still be checked after the request is gone.
pub const AUDIT_ENTRY: Period = Period {
    seconds: 3 * 365 * DAY,
    french: "3 ans",
};

/// A sent mail (a reference, a commune, a date and a link; no personal data), after sending.
/// A mail not yet sent is never deleted: it would be lost.
pub const SENT_MAIL: Period = Period {
    seconds: 30 * DAY,
    french: "30 jours",
};

/// A form nonce (recognises a form sent twice), after the registration: a form token lives 4
/// hours, so a replay is recognised for more than a day after it expired.
pub const NONCE: Period = Period {
    seconds: 2 * DAY,
    french: "2 jours",
};

/// A rate counter, after its last increment (its windows are at most a day long).
pub const RATE_COUNTER: Period = Period {
    seconds: 2 * DAY,
    french: "2 jours",
};

/// A declined offer to join (the doctor's name and contact), after the decision. A pending
/// offer waits for its decision; an accepted one is the doctor's entry in the roster.
pub const DECLINED_JOIN_OFFER: Period = Period {
    seconds: 365 * DAY,
    french: "1 an",
};

/// A staff session ends at its own end ([`crate::domain::staff::SESSION_SECONDS`]) and a
/// single-use key at its link's expiry: both carry their end and are deleted after it.
pub const SESSION: Period = Period {
    seconds: crate::domain::staff::SESSION_SECONDS,
    french: "10 heures",
};

/// When a request registered at `created_at`, closed at `closed_at` if it is, is deleted with
/// everything that lives with it.
pub fn request_ends(created_at: i64, closed_at: Option<i64>) -> i64 {
    let lapses = created_at + OPEN_REQUEST.seconds;
    match closed_at {
        Some(at) => lapses.min(at + CLOSED_REQUEST.seconds),
        None => lapses,
    }
}

/// The periods a text may state, by the name a page writes them with (`{{ conservation_… }}`).
pub fn named() -> [(&'static str, Period); 6] {
    [
        ("conservation_demande", OPEN_REQUEST),
        ("conservation_demande_close", CLOSED_REQUEST),
        ("conservation_journal", AUDIT_ENTRY),
        ("conservation_courriels", SENT_MAIL),
        ("conservation_session", SESSION),
        ("conservation_candidature_refusee", DECLINED_JOIN_OFFER),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_closure_shortens_a_request_but_never_lengthens_it() {
        let open = request_ends(0, None);
        assert_eq!(open, OPEN_REQUEST.seconds);
        assert_eq!(request_ends(0, Some(DAY)), DAY + CLOSED_REQUEST.seconds);
        assert_eq!(request_ends(0, Some(open)), open);
    }

    #[test]
    fn the_wording_says_the_length() {
        for (_, period) in named() {
            let (number, unit) = period.french.split_once(' ').expect("« N unité »");
            let n: i64 = number.parse().expect("a number");
            let unit_seconds = match unit {
                "an" | "ans" => 365 * DAY,
                "jours" => DAY,
                "heures" => 3600,
                other => panic!("unité inconnue {other}"),
            };
            assert_eq!(n * unit_seconds, period.seconds, "{}", period.french);
        }
    }
}
