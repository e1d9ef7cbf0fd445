//! One import from start to end: open the Django database, import the groups, then the
//! users in batches of `batch_size` (one transaction each, progress after each), then report
//! accounts imported before that Django no longer has.

use sea_orm::TransactionTrait;

use crate::service::Services;

use super::error::ImportError;
use super::groups;
use super::map;
use super::options::ImportOptions;
use super::source::Source;
use super::summary::{Progress, Summary, WarningReason};
use super::users::{self, Batch, Files, RunState};

/// Imports a Django project's accounts into authgraph (see the module docs); `progress` is
/// called after each batch. Safe to run again: what was imported and did not change is
/// skipped, so a second run over the same data changes nothing.
pub async fn run(
    svc: &Services,
    options: &ImportOptions,
    mut progress: impl FnMut(&Progress),
) -> Result<Summary, ImportError> {
    if options.batch_size == 0 {
        return Err(ImportError::BatchSize);
    }
    let source = Source::open(options).await?;
    let outcome = run_from(svc, options, &source, &mut progress).await;
    source.close().await;
    let summary = outcome?;
    tracing::info!(
        dry_run = summary.dry_run,
        users_imported = summary.users.imported,
        users_updated = summary.users.updated,
        users_skipped = summary.users.skipped,
        users_conflicts = summary.users.conflicts,
        "Django import finished"
    );
    Ok(summary)
}

async fn run_from(
    svc: &Services,
    options: &ImportOptions,
    source: &Source,
    progress: &mut impl FnMut(&Progress),
) -> Result<Summary, ImportError> {
    let mut summary = Summary {
        dry_run: options.dry_run,
        ..Default::default()
    };
    let users_total = source.count_users().await?;
    let targets = groups::import(svc, source, options.dry_run, &mut summary).await?;
    let mut state = RunState::new(targets);
    let mut after = None;
    let mut batch_number = 0;
    loop {
        let users = source.users_after(after, options.batch_size).await?;
        let (Some(first), Some(last)) = (users.first(), users.last()) else {
            break;
        };
        let (first, last) = (first.id, last.id);
        after = Some(last);
        let mut batch = Batch {
            users,
            ..Default::default()
        };
        for (user_id, group_id) in source.memberships(first, last).await? {
            batch.memberships.entry(user_id).or_default().push(group_id);
        }
        for token in source.tokens(first, last).await? {
            batch.tokens.insert(token.user_id, token);
        }
        import_batch(svc, options, batch, &mut state, &mut summary).await?;
        batch_number += 1;
        progress(&Progress {
            batch: batch_number,
            users_read: summary.users_read,
            users_total,
            imported: summary.users.imported,
            updated: summary.users.updated,
            skipped: summary.users.skipped,
            conflicts: summary.users.conflicts,
        });
    }
    let mut removed: Vec<i64> = map::django_ids(&svc.db, map::USER)
        .await
        .map_err(ImportError::Target)?
        .into_iter()
        .filter(|id| !state.seen.contains(id))
        .collect();
    removed.sort_unstable();
    for id in removed {
        summary.warn(
            "user",
            id,
            WarningReason::RemovedInDjango,
            "imported before, no longer in Django; the authgraph account is kept".into(),
        );
    }
    Ok(summary)
}

/// One batch in one transaction; a failed batch leaves no row and no file behind.
async fn import_batch(
    svc: &Services,
    options: &ImportOptions,
    batch: Batch,
    state: &mut RunState,
    summary: &mut Summary,
) -> Result<(), ImportError> {
    let mut files = Files::default();
    if options.dry_run {
        return users::import_batch(svc, &svc.db, options, batch, state, summary, &mut files).await;
    }
    let txn = svc.db.begin().await.map_err(ImportError::Target)?;
    let done = users::import_batch(svc, &txn, options, batch, state, summary, &mut files).await;
    let committed = match done {
        Ok(()) => txn.commit().await.map_err(ImportError::Target),
        // Dropping the transaction rolls it back.
        Err(error) => Err(error),
    };
    let orphans = match committed {
        Ok(()) => files.replaced,
        Err(_) => files.stored,
    };
    for name in orphans {
        crate::media::remove(&svc.media_dir, &name).await;
    }
    committed
}
