//! What an import did (or, in a dry run, would do): counts per kind of row, conflicts and
//! warnings with their reasons, as text for people and JSON for scripts.

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;

/// Why a row was skipped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SkipReason {
    /// Imported before, and the Django row has not changed since.
    Unchanged,
    /// Imported before, then deleted in authgraph: not brought back.
    DeletedInAuthgraph,
}

/// Why a row was not imported (or not updated). Nothing is merged: fix the data on either
/// side and run the import again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ConflictReason {
    /// Another Django account has the same username up to case or Unicode normalisation
    /// (Django's usernames are case-sensitive, authgraph's are not); the first one (lowest
    /// id) was imported.
    DuplicateUsername,
    /// Another Django account has the same email address up to case; the first one (lowest
    /// id) was imported.
    DuplicateEmail,
    /// The username belongs to an authgraph account that was not imported from Django.
    UsernameTaken,
    /// The email address belongs to an authgraph account that was not imported from Django.
    EmailTaken,
    /// The username is not valid in authgraph.
    InvalidUsername,
    /// The email address is not valid in authgraph.
    InvalidEmail,
    /// A name or codename is not valid in authgraph (too long, control characters).
    InvalidField,
    /// The account changed in Django and in authgraph since the last import.
    ChangedInBoth,
    /// A group of that name exists in authgraph and was not imported from Django.
    GroupNameTaken,
    /// The group name is not valid in authgraph.
    InvalidGroupName,
}

/// Something imported with a caveat.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WarningReason {
    /// The password hash is of a format authgraph cannot verify (md5, crypt...), malformed,
    /// or over the work bounds: the account must reset its password.
    UnsupportedPasswordHash,
    /// The picture file does not exist under the media root.
    ProfilePicMissing,
    /// The picture is refused by the upload rules (not an image, too big...).
    ProfilePicRejected,
    /// The picture path leaves the media root (absolute, or with `..`).
    ProfilePicOutsideMediaRoot,
    /// A picture is set but no `--media-root` was given.
    NoMediaRoot,
    /// The DRF token is not 40 hex characters, which authgraph's `Token` header requires.
    TokenUnusable,
    /// The token's user was not imported (conflict), so neither was the token.
    TokenUserNotImported,
    /// An account imported before no longer exists in Django; it is kept in authgraph.
    RemovedInDjango,
}

/// What became of one kind of row.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// Created in authgraph.
    pub imported: u64,
    /// Imported before and changed in Django since: updated.
    pub updated: u64,
    /// Left alone (see `skipped_by_reason`).
    pub skipped: u64,
    /// Not imported (see `conflicts`).
    pub conflicts: u64,
}

/// What became of group memberships.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct MembershipCounts {
    /// Memberships added.
    pub added: u64,
    /// Memberships in imported groups removed because Django no longer has them.
    pub removed: u64,
}

/// What became of DRF tokens.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct TokenCounts {
    /// New tokens, now accepted as `Authorization: Token <key>`.
    pub imported: u64,
    /// Tokens replaced by the user's new Django token (the old one is revoked).
    pub replaced: u64,
    /// Tokens revoked because Django no longer has them (the user logged out).
    pub revoked: u64,
    /// Tokens already imported and unchanged.
    pub skipped: u64,
}

/// One row that was not imported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Conflict {
    /// `user` or `group`.
    pub kind: &'static str,
    /// The Django id of the row.
    pub django_id: i64,
    /// Its username or group name, as in Django.
    pub name: String,
    /// Why.
    pub reason: ConflictReason,
    /// Details for the operator.
    pub detail: String,
}

/// One row imported with a caveat.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Warning {
    /// `user` or `token`.
    pub kind: &'static str,
    /// The Django id of the row (for tokens: the user's).
    pub django_id: i64,
    /// What.
    pub reason: WarningReason,
    /// Details for the operator.
    pub detail: String,
}

/// The outcome of an import.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Nothing was written: this is what would have happened.
    pub dry_run: bool,
    /// Rows of the Django user table read.
    pub users_read: u64,
    /// Users.
    pub users: Counts,
    /// Groups.
    pub groups: Counts,
    /// Group memberships.
    pub memberships: MembershipCounts,
    /// DRF tokens.
    pub tokens: TokenCounts,
    /// Profile pictures copied into the media directory.
    pub profile_pics_copied: u64,
    /// Skipped users and groups by reason.
    pub skipped_by_reason: BTreeMap<SkipReason, u64>,
    /// Conflicts by reason.
    pub conflicts_by_reason: BTreeMap<ConflictReason, u64>,
    /// Warnings by reason.
    pub warnings_by_reason: BTreeMap<WarningReason, u64>,
    /// Every conflict.
    pub conflicts: Vec<Conflict>,
    /// Every warning.
    pub warnings: Vec<Warning>,
}

impl Summary {
    /// Counts a skipped row.
    pub(crate) fn skip(&mut self, counts: fn(&mut Self) -> &mut Counts, reason: SkipReason) {
        counts(self).skipped += 1;
        *self.skipped_by_reason.entry(reason).or_default() += 1;
    }

    /// Records a conflict.
    pub(crate) fn conflict(&mut self, conflict: Conflict) {
        match conflict.kind {
            "group" => self.groups.conflicts += 1,
            _ => self.users.conflicts += 1,
        }
        *self.conflicts_by_reason.entry(conflict.reason).or_default() += 1;
        self.conflicts.push(conflict);
    }

    /// Records a warning.
    pub(crate) fn warn(
        &mut self,
        kind: &'static str,
        django_id: i64,
        reason: WarningReason,
        detail: String,
    ) {
        *self.warnings_by_reason.entry(reason).or_default() += 1;
        self.warnings.push(Warning {
            kind,
            django_id,
            reason,
            detail,
        });
    }

    /// Whether the run changed (or would change) nothing at all.
    pub fn is_noop(&self) -> bool {
        self.users.imported == 0
            && self.users.updated == 0
            && self.groups.imported == 0
            && self.groups.updated == 0
            && self.memberships == MembershipCounts::default()
            && self.tokens.imported == 0
            && self.tokens.replaced == 0
            && self.tokens.revoked == 0
            && self.profile_pics_copied == 0
    }
}

fn name<T: Serialize>(reason: &T) -> String {
    serde_json::to_value(reason)
        .ok()
        .and_then(|value| value.as_str().map(str::to_owned))
        .unwrap_or_default()
}

fn by_reason<T: Serialize>(
    f: &mut fmt::Formatter<'_>,
    label: &str,
    counts: &BTreeMap<T, u64>,
) -> fmt::Result {
    if counts.is_empty() {
        return Ok(());
    }
    let parts: Vec<String> = counts
        .iter()
        .map(|(reason, n)| format!("{} {n}", name(reason)))
        .collect();
    writeln!(f, "{label:<12} {}", parts.join(", "))
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.dry_run {
            writeln!(f, "Django import, DRY RUN: nothing was written.")?;
        } else {
            writeln!(f, "Django import done.")?;
        }
        let counts = |c: &Counts| {
            format!(
                "{} imported, {} updated, {} skipped, {} conflicts",
                c.imported, c.updated, c.skipped, c.conflicts
            )
        };
        writeln!(
            f,
            "{:<12} {} (of {} read)",
            "users:",
            counts(&self.users),
            self.users_read
        )?;
        writeln!(f, "{:<12} {}", "groups:", counts(&self.groups))?;
        writeln!(
            f,
            "{:<12} {} added, {} removed",
            "memberships:", self.memberships.added, self.memberships.removed
        )?;
        let t = &self.tokens;
        writeln!(
            f,
            "{:<12} {} imported, {} replaced, {} revoked, {} skipped",
            "tokens:", t.imported, t.replaced, t.revoked, t.skipped
        )?;
        writeln!(f, "{:<12} {} copied", "pictures:", self.profile_pics_copied)?;
        by_reason(f, "skipped:", &self.skipped_by_reason)?;
        by_reason(f, "conflicts:", &self.conflicts_by_reason)?;
        for c in &self.conflicts {
            writeln!(
                f,
                "  {} {} {:?}: {}: {}",
                c.kind,
                c.django_id,
                c.name,
                name(&c.reason),
                c.detail
            )?;
        }
        by_reason(f, "warnings:", &self.warnings_by_reason)?;
        for w in &self.warnings {
            writeln!(
                f,
                "  {} {}: {}: {}",
                w.kind,
                w.django_id,
                name(&w.reason),
                w.detail
            )?;
        }
        Ok(())
    }
}

/// Reported after each batch (the CLI prints it on stderr).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// Batches done.
    pub batch: u64,
    /// Users read so far.
    pub users_read: u64,
    /// Rows in the Django user table when the import started.
    pub users_total: u64,
    /// Users imported so far.
    pub imported: u64,
    /// Users updated so far.
    pub updated: u64,
    /// Users skipped so far.
    pub skipped: u64,
    /// User conflicts so far.
    pub conflicts: u64,
}

impl fmt::Display for Progress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "batch {}: {}/{} users read ({} imported, {} updated, {} skipped, {} conflicts)",
            self.batch,
            self.users_read,
            self.users_total,
            self.imported,
            self.updated,
            self.skipped,
            self.conflicts
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_json_form_names_reasons_in_snake_case() {
        let mut summary = Summary::default();
        summary.conflict(Conflict {
            kind: "user",
            django_id: 10,
            name: "ivan2".into(),
            reason: ConflictReason::DuplicateEmail,
            detail: "same email".into(),
        });
        summary.skip(|s| &mut s.users, SkipReason::Unchanged);
        let json = serde_json::to_value(&summary).unwrap();
        assert_eq!(json["users"]["conflicts"], 1);
        assert_eq!(json["users"]["skipped"], 1);
        assert_eq!(json["conflicts_by_reason"]["duplicate_email"], 1);
        assert_eq!(json["skipped_by_reason"]["unchanged"], 1);
        assert_eq!(json["conflicts"][0]["reason"], "duplicate_email");
        assert!(summary.to_string().contains("duplicate_email 1"));
        assert!(summary.is_noop());
    }
}
