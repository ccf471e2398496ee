//! What can go wrong in a store, by kind: an engine that fails (SQLite, a DynamoDB request or
//! transaction), a stored record that cannot be read back, a record to create that exists, the
//! machine refusing. Messages are in French (staff read them on the console of `cpts serve` and
//! `cpts jobs run`) and never quote a stored value: a record holds personal data, and these
//! messages end up in logs.

use std::fmt;

/// A store's failure. Nothing half-written: a failed write has written nothing.
#[derive(Debug)]
pub enum StoreError {
    /// The SQLite database failed: it cannot be opened, is busy or full, a statement failed.
    Sqlite(rusqlite::Error),
    /// A DynamoDB request failed (unreachable, refused, throttled…); `operation` says which,
    /// e.g. "read request".
    Dynamo {
        operation: &'static str,
        message: String,
    },
    /// A DynamoDB transaction was cancelled for reasons that are no outcome of the operation:
    /// `reasons` are the codes of its items, in order.
    Cancelled {
        operation: &'static str,
        reasons: Vec<String>,
        message: String,
    },
    /// The table to create exists already.
    TableExists { table: String },
    /// A stored record cannot be read back: `what` names the record or attribute, `detail`
    /// says why, without the stored value.
    Corrupt { what: String, detail: String },
    /// A record to create exists already (a reference or a mail id drawn twice).
    AlreadyExists { what: String },
    /// A record could not be written as JSON.
    Encode(serde_json::Error),
    /// The machine refused (a thread could not be started).
    Io(std::io::Error),
    /// A rule of the store's own code does not hold: a bug, to report.
    Internal(&'static str),
}

pub type Result<T> = std::result::Result<T, StoreError>;

impl StoreError {
    /// A record `what` whose JSON does not decode (DynamoDB; SQLite goes through [`Undecodable`]). Only the kind of error and its place are
    /// kept: serde's own message may quote the stored value.
    #[cfg(any(feature = "aws", test))]
    pub(crate) fn undecodable(what: impl Into<String>, e: &serde_json::Error) -> Self {
        Self::Corrupt {
            what: what.into(),
            detail: json_detail(e),
        }
    }

    /// The failed request `operation`, with the chain of causes the SDK gives.
    #[cfg(feature = "aws")]
    pub(crate) fn dynamo(operation: &'static str, message: impl Into<String>) -> Self {
        Self::Dynamo {
            operation,
            message: message.into(),
        }
    }
}

/// "JSON invalide (types ou champs), ligne 1, colonne 42": what serde found, without the text.
fn json_detail(e: &serde_json::Error) -> String {
    use serde_json::error::Category;
    let kind = match e.classify() {
        Category::Io => "lecture",
        Category::Syntax => "syntaxe",
        Category::Data => "types ou champs",
        Category::Eof => "texte tronqué",
    };
    format!(
        "JSON invalide ({kind}), ligne {}, colonne {}",
        e.line(),
        e.column()
    )
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Sqlite(e) => write!(f, "base SQLite : {e}"),
            Self::Dynamo { operation, message } => write!(f, "DynamoDB ({operation}) : {message}"),
            Self::Cancelled {
                operation,
                reasons,
                message,
            } => write!(
                f,
                "DynamoDB ({operation}) : transaction annulée : {} ({message})",
                reasons.join(", ")
            ),
            Self::TableExists { table } => write!(f, "la table {table} existe déjà"),
            Self::Corrupt { what, detail } => {
                write!(f, "enregistrement illisible ({what}) : {detail}")
            }
            Self::AlreadyExists { what } => write!(f, "{what} existe déjà"),
            Self::Encode(e) => write!(f, "enregistrement impossible à écrire en JSON : {e}"),
            Self::Io(e) => write!(f, "système : {e}"),
            Self::Internal(rule) => write!(f, "erreur interne du stockage : {rule}"),
        }
    }
}

impl std::error::Error for StoreError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Sqlite(e) => Some(e),
            Self::Encode(e) => Some(e),
            Self::Io(e) => Some(e),
            _ => None,
        }
    }
}

/// A JSON record that SQLite returned but that does not decode, carried through rusqlite's own
/// error (decoding happens inside its row closures) and turned into [`StoreError::Corrupt`].
#[derive(Debug)]
pub(crate) struct Undecodable {
    pub what: &'static str,
    pub detail: String,
}

impl Undecodable {
    pub(crate) fn new(what: &'static str, e: &serde_json::Error) -> Self {
        Self {
            what,
            detail: json_detail(e),
        }
    }
}

impl fmt::Display for Undecodable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} : {}", self.what, self.detail)
    }
}

impl std::error::Error for Undecodable {}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        if let rusqlite::Error::FromSqlConversionFailure(_, _, inner) = &e
            && let Some(u) = inner.downcast_ref::<Undecodable>()
        {
            return Self::Corrupt {
                what: u.what.to_string(),
                detail: u.detail.clone(),
            };
        }
        Self::Sqlite(e)
    }
}

impl From<std::io::Error> for StoreError {
    fn from(e: std::io::Error) -> Self {
        Self::Io(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_undecodable_record_never_quotes_its_value() {
        let e = serde_json::from_str::<u32>("\"Dupré-Lefèvre\"").unwrap_err();
        assert!(e.to_string().contains("Dupré"), "serde quotes it: {e}");
        let corrupt = StoreError::undecodable("Request", &e).to_string();
        assert!(!corrupt.contains("Dupré"), "{corrupt}");
        assert!(corrupt.contains("Request"), "{corrupt}");

        let through_sqlite = StoreError::from(rusqlite::Error::FromSqlConversionFailure(
            0,
            rusqlite::types::Type::Text,
            Box::new(Undecodable::new("Case", &e)),
        ));
        assert!(
            matches!(&through_sqlite, StoreError::Corrupt { what, .. } if what == "Case"),
            "{through_sqlite:?}"
        );
        assert!(!through_sqlite.to_string().contains("Dupré"));
    }
}
