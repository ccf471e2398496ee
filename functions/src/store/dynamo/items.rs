//! Each kind of item, to and from the domain's types: what a request, a case, a proposal, a mail,
//! a nonce and an audit entry are written as (keys, index keys, expiry), and how lists read back.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use super::attrs::{Item, from_json, get_n, get_optional_n, get_s, n, ordered, s, to_json};
use super::schema::{
    AUDIT_RETENTION, MAILS_PENDING, NONCE_RETENTION, PK, PROPOSALS_OPEN, REQUEST_RETENTION,
    SEARCH_ALL, SEARCH_SK, SK, TTL_ATTRIBUTE, accepted_attribute, audit_pk, case_lists, case_pk,
    case_sk, key, load_attribute, mail_pk, nonce_pk, pending_mail_sk, proposal_pk, search_list,
};
use crate::domain::lifecycle::{AuditEntry, Case, Mail, Proposal, Request, TimelineEntry};
use crate::domain::matching::DoctorLoad;
use crate::domain::retention;
use crate::domain::search::{Identity, SearchKeys};
use crate::store::{PendingMail, Result, StoreError};

/// When a case's request and the case itself expire ([`retention::request_ends`]).
pub(super) fn case_expiry(case: &Case) -> i64 {
    retention::request_ends(case.created_at, case.closure.as_ref().map(|c| c.at))
}

/// The request as registered: the personal data, never rewritten.
pub(super) fn request_item(request: &Request) -> Result<Item> {
    let now = request.created_at;
    let mut item = key(case_pk(&request.reference), "REQUEST");
    item.extend([
        ("record".into(), s(to_json(request)?)),
        ("created_at".into(), n(now)),
        ("priority".into(), n(request.priority.level)),
        (TTL_ATTRIBUTE.into(), n(now + REQUEST_RETENTION)),
    ]);
    if let Some(cpts) = &request.cpts {
        item.insert("cpts".into(), s(cpts));
    }
    Ok(item)
}

/// A request's search keys, in its case's partition, listed newest first in `gsi1` (the
/// territory) and `gsi2` (its CPTS); they expire with the request. Written by the registration,
/// rewritten whole by a correction, deleted by an erase ([`search_key`](super::schema::search_key)).
pub(super) fn search_item(keys: &SearchKeys) -> Item {
    let sort = format!("{}#{}", ordered(keys.created_at), keys.reference);
    let mut item = key(case_pk(&keys.reference), SEARCH_SK);
    item.extend([
        ("reference".into(), s(&keys.reference)),
        ("created_at".into(), n(keys.created_at)),
        ("words".into(), s(keys.words.join(" "))),
        ("name".into(), s(&keys.identity.name)),
        ("phone".into(), s(&keys.identity.phone)),
        ("birth_date".into(), s(keys.identity.birth_date.to_string())),
        ("commune".into(), s(&keys.commune)),
        ("gsi1pk".into(), s(SEARCH_ALL)),
        ("gsi1sk".into(), s(&sort)),
        ("gsi2pk".into(), s(search_list(keys.cpts.as_deref()))),
        ("gsi2sk".into(), s(sort)),
        (TTL_ATTRIBUTE.into(), n(keys.created_at + REQUEST_RETENTION)),
    ]);
    if let Some(cpts) = &keys.cpts {
        item.insert("cpts".into(), s(cpts));
    }
    item
}

pub(super) fn search_keys(item: &Item) -> Result<SearchKeys> {
    let birth_date = get_s(item, "birth_date")?
        .parse()
        .map_err(|_| StoreError::Corrupt {
            what: "attribut birth_date".into(),
            detail: "pas une date AAAA-MM-JJ".into(),
        })?;
    Ok(SearchKeys {
        reference: get_s(item, "reference")?.to_string(),
        cpts: get_s(item, "cpts").ok().map(str::to_string),
        created_at: get_n(item, "created_at")?,
        words: get_s(item, "words")?
            .split(' ')
            .filter(|w| !w.is_empty())
            .map(str::to_string)
            .collect(),
        identity: Identity {
            name: get_s(item, "name")?.to_string(),
            phone: get_s(item, "phone")?.to_string(),
            birth_date,
        },
        commune: get_s(item, "commune")?.to_string(),
    })
}

/// The form nonce that registered `reference` at `at`.
pub(super) fn nonce_item(nonce: &str, reference: &str, at: i64) -> Item {
    HashMap::from([
        (PK.into(), s(nonce_pk(nonce))),
        (SK.into(), s("NONCE")),
        ("reference".into(), s(reference)),
        (TTL_ATTRIBUTE.into(), n(at + NONCE_RETENTION)),
    ])
}

pub(super) fn case_item(case: &Case) -> Result<Item> {
    let (list, by_cpts) = case_lists(case.state, case.cpts.as_deref());
    let mut item = key(case_pk(&case.reference), "STATE");
    item.extend([
        ("record".into(), s(to_json(case)?)),
        ("state".into(), s(case.state.code())),
        ("version".into(), n(case.version)),
        ("created_at".into(), n(case.created_at)),
        ("gsi1pk".into(), s(list)),
        ("gsi1sk".into(), s(case_sk(case))),
        ("gsi2pk".into(), s(by_cpts)),
        ("gsi2sk".into(), s(case_sk(case))),
        (TTL_ATTRIBUTE.into(), n(case_expiry(case))),
    ]);
    if let Some(cpts) = &case.cpts {
        item.insert("cpts".into(), s(cpts));
    }
    Ok(item)
}

/// A proposal, expiring with its request (`expires_at`: as its case when written).
pub(super) fn proposal_item(proposal: &Proposal, expires_at: i64) -> Result<Item> {
    let mut item = key(proposal_pk(&proposal.id), "PROPOSAL");
    item.extend([
        ("record".into(), s(to_json(proposal)?)),
        ("state".into(), s(proposal.state.code())),
        ("reference".into(), s(&proposal.reference)),
        ("created_at".into(), n(proposal.created_at)),
        (TTL_ATTRIBUTE.into(), n(expires_at)),
    ]);
    if proposal.state.is_open() {
        item.extend([
            ("gsi1pk".into(), s(PROPOSALS_OPEN)),
            (
                "gsi1sk".into(),
                s(format!("{}#{}", ordered(proposal.created_at), proposal.id)),
            ),
        ]);
    }
    Ok(item)
}

/// A mail queued at `at`, due at once.
pub(super) fn mail_item(mail: &Mail, at: i64) -> Result<Item> {
    let mut item = key(mail_pk(&mail.id), "MAIL");
    item.extend([
        ("mail".into(), s(to_json(mail)?)),
        ("created_at".into(), n(at)),
        ("attempts".into(), n(0)),
        ("next_attempt_at".into(), n(at)),
        ("gsi1pk".into(), s(MAILS_PENDING)),
        ("gsi1sk".into(), s(pending_mail_sk(at, at, &mail.id))),
    ]);
    Ok(item)
}

pub(super) fn pending_mail(item: &Item) -> Result<PendingMail> {
    Ok(PendingMail {
        mail: from_json(get_s(item, "mail")?)?,
        attempts: get_n(item, "attempts")?,
        next_attempt_at: get_n(item, "next_attempt_at")?,
    })
}

/// Nanoseconds since the epoch, strictly increasing within this process: audit entries of one
/// object read back in the order they were written (as SQLite's row ids do).
fn insertion_clock() -> u64 {
    static LAST: AtomicU64 = AtomicU64::new(0);
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    let mut last = LAST.load(Ordering::Relaxed);
    loop {
        let next = now.max(last + 1);
        match LAST.compare_exchange_weak(last, next, Ordering::Relaxed, Ordering::Relaxed) {
            Ok(_) => return next,
            Err(current) => last = current,
        }
    }
}

pub(super) fn audit_item(entry: &AuditEntry) -> Item {
    HashMap::from([
        (PK.into(), s(audit_pk(&entry.object))),
        (
            SK.into(),
            s(format!(
                "{:020}#{}",
                insertion_clock(),
                crate::signed::random_id(6)
            )),
        ),
        ("at".into(), n(entry.at)),
        ("actor".into(), s(&entry.actor)),
        ("action".into(), s(&entry.action)),
        ("object".into(), s(&entry.object)),
        (TTL_ATTRIBUTE.into(), n(entry.at + AUDIT_RETENTION)),
    ])
}

pub(super) fn audit_entry(item: &Item) -> Result<AuditEntry> {
    Ok(AuditEntry {
        at: get_n(item, "at")?,
        actor: get_s(item, "actor")?.to_string(),
        action: get_s(item, "action")?.to_string(),
        object: get_s(item, "object")?.to_string(),
    })
}

/// The sort keys of a request's timeline entries begin with this.
pub(super) const TIMELINE_PREFIX: &str = "TIMELINE#";

/// A timeline entry, in its request's partition, expiring with the case it was written with.
pub(super) fn timeline_item(entry: &TimelineEntry, expires_at: i64) -> Result<Item> {
    Ok(HashMap::from([
        (PK.into(), s(case_pk(&entry.reference))),
        (
            SK.into(),
            s(format!(
                "{TIMELINE_PREFIX}{:020}#{}",
                insertion_clock(),
                crate::signed::random_id(6)
            )),
        ),
        ("record".into(), s(to_json(entry)?)),
        ("at".into(), n(entry.at)),
        (TTL_ATTRIBUTE.into(), n(expires_at)),
    ]))
}

/// A doctor's counters for `period`, as the `DOCTOR` item holds them (absent: zero).
pub(super) fn doctor_load(item: &Item, period: i32) -> Result<DoctorLoad> {
    Ok(DoctorLoad {
        doctor: get_s(item, "doctor")?.to_string(),
        period,
        load: get_optional_n(item, &load_attribute(period))?.unwrap_or(0) as u32,
        accepted: get_optional_n(item, &accepted_attribute(period))?.unwrap_or(0) as u32,
        last_solicited_at: get_optional_n(item, "last_solicited_at")?,
        paused_until: match item.get("paused_until") {
            None => None,
            Some(_) => {
                Some(
                    get_s(item, "paused_until")?
                        .parse()
                        .map_err(|_| StoreError::Corrupt {
                            what: "attribut paused_until".into(),
                            detail: "pas une date AAAA-MM-JJ".into(),
                        })?,
                )
            }
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_insertion_clock_always_moves_forward() {
        let a = insertion_clock();
        let b = insertion_clock();
        assert!(b > a);
    }
}
