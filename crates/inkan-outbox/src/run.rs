//! Delivering what is due: one runner at a time (an OS file lock beside
//! the database, released by the kernel when a process dies, even by
//! `kill -9`), each item claimed, delivered and recorded in its own
//! transactions.

use crate::backoff::{self, Backoff};
use crate::config::Destinations;
use crate::error::{DeliveryError, OutboxError};
use crate::model::{Artefact, Destination, Item, Receipt};
use crate::store::{create_private_dir, Outbox, DB_FILE};
use crate::time::unix_now;
use inkan_l10n::Message;
use std::fs::{File, OpenOptions, TryLockError};
use std::path::Path;
use std::time::{Duration, Instant};

/// The lock file's name in the data folder.
pub const LOCK_FILE: &str = "outbox.lock";

/// What one delivery came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Delivered.
    Sent(Receipt),
    /// Try again later (not before `after`, a server's `Retry-After`).
    Retry {
        /// Why.
        why: Message,
        /// The server's wish.
        after: Option<Duration>,
    },
    /// Refused for good.
    Failed(Message),
}

impl From<Result<Receipt, DeliveryError>> for Outcome {
    fn from(r: Result<Receipt, DeliveryError>) -> Outcome {
        match r {
            Ok(receipt) => Outcome::Sent(receipt),
            Err(e) if e.transient() => Outcome::Retry {
                after: match &e {
                    DeliveryError::Status { retry_after, .. } => {
                        retry_after.map(Duration::from_secs)
                    }
                    _ => None,
                },
                why: Message::from(&e),
            },
            Err(e) => Outcome::Failed(Message::from(&e)),
        }
    }
}

/// How a run behaves.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// The retry schedule.
    pub backoff: Backoff,
    /// Keep going until this long has passed, sleeping until retries fall
    /// due; `None` delivers what is due now and returns.
    pub wait: Option<Duration>,
}

impl Default for RunOptions {
    fn default() -> RunOptions {
        RunOptions {
            backoff: Backoff::from_env(),
            wait: None,
        }
    }
}

/// What a run did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct RunSummary {
    /// Items delivered.
    pub sent: Vec<i64>,
    /// Items that will be tried again.
    pub retry: Vec<i64>,
    /// Items refused for good.
    pub failed: Vec<i64>,
}

/// The runner's lock: held while delivering.
#[derive(Debug)]
pub struct RunnerLock {
    _file: File,
}

impl RunnerLock {
    /// Takes the lock in `dir`, or [`OutboxError::Busy`].
    pub fn try_take(dir: &Path) -> Result<RunnerLock, OutboxError> {
        create_private_dir(dir)?;
        let path = dir.join(LOCK_FILE);
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|source| OutboxError::Folder {
                path: path.clone(),
                source,
            })?;
        match file.try_lock() {
            Ok(()) => Ok(RunnerLock { _file: file }),
            Err(TryLockError::WouldBlock) => Err(OutboxError::Busy),
            Err(TryLockError::Error(source)) => Err(OutboxError::Folder { path, source }),
        }
    }
}

/// Delivers one item to its destination.
pub fn deliver_one(item: &Item, artefacts: &[Artefact], destinations: &Destinations) -> Outcome {
    let dest = match Destination::parse(&item.destination) {
        Ok(d) => d,
        Err(e) => return Outcome::Failed(Message::from(&e)),
    };
    match dest {
        Destination::Fhir { base, mode } => crate::fhir::deliver(
            item,
            artefacts,
            &base,
            mode,
            destinations.token(item.dest_name.as_deref(), &item.destination),
        )
        .into(),
        Destination::Folder {
            dir,
            layout,
            await_result,
        } => crate::folder::deliver(item, artefacts, &dir, layout, await_result).into(),
    }
}

/// Delivers everything due in the outbox of the data folder `dir`, under
/// the runner lock; `on_sent` is told of each delivery (the signing log
/// records it).
pub fn run_due(
    dir: &Path,
    destinations: &Destinations,
    opts: &RunOptions,
    on_sent: &mut dyn FnMut(&Item, &Receipt),
) -> Result<RunSummary, OutboxError> {
    let _lock = RunnerLock::try_take(dir)?;
    let mut outbox = Outbox::open(&dir.join(DB_FILE))?;
    run_loop(
        &mut outbox,
        &mut |item, artefacts| deliver_one(item, artefacts, destinations),
        opts,
        on_sent,
    )
}

/// The loop of [`run_due`] with any delivery function (tests inject faults).
/// The caller holds the runner lock.
pub fn run_loop(
    outbox: &mut Outbox,
    deliver: &mut dyn FnMut(&Item, &[Artefact]) -> Outcome,
    opts: &RunOptions,
    on_sent: &mut dyn FnMut(&Item, &Receipt),
) -> Result<RunSummary, OutboxError> {
    let deadline = opts.wait.map(|w| Instant::now() + w);
    let mut summary = RunSummary::default();
    loop {
        let now = unix_now();
        let Some(item) = outbox.claim_due(now)? else {
            // Nothing due now: wait for the next retry if it falls before the deadline.
            let Some(deadline) = deadline else { break };
            let Some(next) = outbox.next_due()? else {
                break;
            };
            let wait =
                Duration::from_secs(u64::try_from(next.saturating_sub(unix_now())).unwrap_or(0));
            if Instant::now() + wait > deadline {
                break;
            }
            std::thread::sleep(wait.max(Duration::from_millis(50)));
            continue;
        };
        let artefacts = match outbox.artefacts(item.id, true) {
            Ok(a) => a,
            Err(e @ OutboxError::Damaged { .. }) => {
                outbox.mark_failed(item.id, &Message::from(&e))?;
                summary.failed.push(item.id);
                continue;
            }
            Err(e) => return Err(e),
        };
        // A bug met on one item's data must not stop the queue behind it
        // (the item would be claimed first on every run, and fail again).
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| deliver(&item, &artefacts)))
            .unwrap_or_else(|_| {
                Outcome::Failed(Message {
                    code: "outbox.internal".into(),
                    ja: "この文書の送信中に内部エラーが起きました。送信していません。サポートにお問い合わせください".into(),
                    en: "an internal error occurred while delivering this document; it was not sent. Please contact support".into(),
                })
            });
        match outcome {
            Outcome::Sent(receipt) => {
                outbox.mark_sent(item.id, &receipt)?;
                summary.retry.retain(|&i| i != item.id);
                summary.sent.push(item.id);
                on_sent(&item, &receipt);
            }
            Outcome::Retry { why, after } => {
                let delay = opts.backoff.delay(item.attempts, after, backoff::random());
                // Whole seconds, rounded up: never due again before the wait.
                let secs = i64::try_from(delay.as_millis().div_ceil(1000))
                    .unwrap_or(i64::MAX)
                    .max(1);
                outbox.mark_retry(item.id, unix_now().saturating_add(secs), &why)?;
                if !summary.retry.contains(&item.id) {
                    summary.retry.push(item.id);
                }
            }
            Outcome::Failed(why) => {
                outbox.mark_failed(item.id, &why)?;
                summary.retry.retain(|&i| i != item.id);
                summary.failed.push(item.id);
            }
        }
    }
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{
        AuthorMeta, DocumentMeta, IdempotencyKey, Layout, NewItem, PatientMeta, Role, State,
    };
    use std::path::PathBuf;

    fn item(dir: &Path, value: &str) -> NewItem {
        NewItem {
            destination: Destination::Folder {
                dir: dir.to_path_buf(),
                layout: Layout::Plain,
                await_result: false,
            },
            dest_name: None,
            key: IdempotencyKey {
                system: "urn:test".into(),
                value: value.into(),
            },
            artefacts: vec![
                Artefact::new(
                    "letter.xml",
                    Role::Document,
                    "text/xml",
                    format!("<doc>{value}</doc>").into_bytes(),
                ),
                Artefact::new(
                    "letter.xml.p7s",
                    Role::Signature,
                    "application/pkcs7-signature",
                    vec![0x30, 0x00],
                ),
            ],
            meta: DocumentMeta {
                title: "診療情報提供書".into(),
                type_code: "57133-1".into(),
                type_display: "Referral note".into(),
                created: "2026-11-25".into(),
                format: "HS008".into(),
                patient: PatientMeta {
                    id: "0012345".into(),
                    id_oid: "1.2.392.100495.20.3.51.11311234567".into(),
                    name: "山田 太郎".into(),
                    kana: "ヤマダ タロウ".into(),
                    sex: "M".into(),
                    birth_date: "1950-01-02".into(),
                },
                author: AuthorMeta {
                    name: "医師 花子".into(),
                    institution_number: "1311234567".into(),
                    institution_name: "テスト診療所".into(),
                    department: "内科".into(),
                },
                recipient: Some("紹介先病院".into()),
                signed_utc: None,
            },
            verdict: "TOTAL_PASSED".into(),
            signer: Some("医師 花子".into()),
            signer_fingerprint: None,
        }
    }

    fn deliver_all(ob: &mut Outbox, opts: &RunOptions) -> RunSummary {
        run_loop(
            ob,
            &mut |it, arts| deliver_one(it, arts, &Destinations::default()),
            opts,
            &mut |_, _| {},
        )
        .expect("run")
    }

    fn quick() -> RunOptions {
        RunOptions {
            backoff: Backoff {
                base: Duration::from_millis(10),
                cap: Duration::from_millis(200),
            },
            wait: Some(Duration::from_secs(20)),
        }
    }

    #[test]
    fn a_delivery_whose_outcome_is_lost_is_delivered_again_as_existing() {
        let data = crate::testutil::temp_dir("run-data");
        let drop = crate::testutil::temp_dir("run-drop");
        let mut ob = Outbox::open_in(&data).expect("open");
        let a = ob.queue(&item(&drop, "A")).expect("queue");
        // The first attempt writes the folder, then "crashes" before the
        // outbox records it: simulated by a delivery function that delivers
        // and then reports a network error.
        let mut calls = 0;
        let mut flaky = |it: &Item, arts: &[Artefact]| {
            calls += 1;
            let r = deliver_one(it, arts, &Destinations::default());
            if calls == 1 {
                assert!(matches!(r, Outcome::Sent(_)));
                return Outcome::Retry {
                    why: Message {
                        code: "x".into(),
                        ja: "x".into(),
                        en: "x".into(),
                    },
                    after: None,
                };
            }
            r
        };
        let mut sent = Vec::new();
        let s = run_loop(&mut ob, &mut flaky, &quick(), &mut |it, r| {
            sent.push((it.id, r.clone()))
        })
        .expect("run");
        assert_eq!(s.sent, vec![a.id]);
        assert_eq!(calls, 2);
        assert_eq!(sent[0].1.outcome, "existing");
        let got = ob.get(a.id).expect("get");
        assert_eq!((got.state, got.attempts), (State::Sent, 2));
        // One folder, not two.
        let entries: Vec<_> = std::fs::read_dir(&drop).expect("ls").flatten().collect();
        assert_eq!(entries.len(), 1);
        std::fs::remove_dir_all(&data).expect("cleanup");
        std::fs::remove_dir_all(&drop).expect("cleanup");
    }

    #[test]
    fn a_poison_item_does_not_block_later_items() {
        let data = crate::testutil::temp_dir("run-poison");
        let drop = crate::testutil::temp_dir("run-poison-drop");
        let mut ob = Outbox::open_in(&data).expect("open");
        let a = ob.queue(&item(&drop, "A")).expect("queue");
        let b = ob.queue(&item(&drop, "B")).expect("queue");
        let mut poisoned = |it: &Item, arts: &[Artefact]| {
            if it.id == a.id {
                panic!("a bug met on this item's data");
            }
            deliver_one(it, arts, &Destinations::default())
        };
        let s = run_loop(&mut ob, &mut poisoned, &quick(), &mut |_, _| {}).expect("run");
        assert_eq!((s.failed.clone(), s.sent.clone()), (vec![a.id], vec![b.id]));
        assert_eq!(
            ob.get(a.id).expect("a").last_error.expect("why").code,
            "outbox.internal"
        );
        std::fs::remove_dir_all(&data).expect("cleanup");
        std::fs::remove_dir_all(&drop).expect("cleanup");
    }

    #[test]
    fn a_japanese_or_empty_result_file_does_not_panic_and_an_empty_one_is_awaited() {
        let data = crate::testutil::temp_dir("run-result");
        let drop = crate::testutil::temp_dir("run-result-drop");
        let mut ob = Outbox::open_in(&data).expect("open");
        let mut n = item(&drop, "A");
        n.destination = Destination::Folder {
            dir: drop.clone(),
            layout: Layout::Plain,
            await_result: true,
        };
        let a = ob.queue(&n).expect("queue");
        let run = |ob: &mut Outbox| {
            deliver_all(
                ob,
                &RunOptions {
                    wait: None,
                    ..quick()
                },
            )
        };
        run(&mut ob);
        let target = std::fs::read_dir(&drop)
            .expect("ls")
            .flatten()
            .next()
            .expect("placed")
            .path();
        let result = PathBuf::from(format!("{}.result", target.display()));
        std::fs::write(&result, b"").expect("empty result");
        std::thread::sleep(Duration::from_millis(1100));
        run(&mut ob);
        assert_eq!(
            ob.get(a.id).expect("a").state,
            State::RetryWait,
            "an empty result is still awaited"
        );
        // The receiver takes the files away, then answers: never placed twice.
        std::fs::remove_dir_all(&target).expect("taken away");
        std::thread::sleep(Duration::from_millis(1100));
        run(&mut ob);
        assert!(
            !target.exists(),
            "not placed again while its answer is awaited"
        );
        std::fs::write(&result, "受付エラー: 患者不一致").expect("result");
        std::thread::sleep(Duration::from_millis(1100));
        let s = run(&mut ob);
        assert_eq!(s.failed, vec![a.id]);
        let why = ob.get(a.id).expect("a").last_error.expect("why");
        assert_eq!(why.code, "outbox.refused");
        assert!(why.ja.contains("患者不一致"));
        assert!(!target.exists());
        std::fs::remove_dir_all(&data).expect("cleanup");
        std::fs::remove_dir_all(&drop).expect("cleanup");
    }

    #[test]
    fn a_symlinked_level_does_not_lead_outside_the_destination() {
        let data = crate::testutil::temp_dir("run-link");
        let drop = crate::testutil::temp_dir("run-link-drop");
        let elsewhere = crate::testutil::temp_dir("run-link-elsewhere");
        let mut ob = Outbox::open_in(&data).expect("open");
        let mut n = item(&drop, "A");
        n.destination = Destination::Folder {
            dir: drop.clone(),
            layout: Layout::Ssmix2,
            await_result: false,
        };
        // Patient 0012345: levels 001/234 (another share user made 001 a link).
        #[cfg(unix)]
        std::os::unix::fs::symlink(&elsewhere, drop.join("001")).expect("link");
        let a = ob.queue(&n).expect("queue");
        let s = deliver_all(
            &mut ob,
            &RunOptions {
                wait: None,
                ..quick()
            },
        );
        #[cfg(unix)]
        {
            assert_eq!(s.failed, vec![a.id]);
            assert_eq!(
                ob.get(a.id).expect("a").last_error.expect("why").code,
                "outbox.conflict"
            );
            let mut found = Vec::new();
            let mut stack = vec![elsewhere.clone()];
            while let Some(d) = stack.pop() {
                for e in std::fs::read_dir(&d).expect("ls").flatten() {
                    if e.path().is_dir() {
                        stack.push(e.path());
                    } else {
                        found.push(e.path());
                    }
                }
            }
            assert!(found.is_empty(), "written outside: {found:?}");
        }
        let _ = s;
        for d in [&data, &drop, &elsewhere] {
            std::fs::remove_dir_all(d).expect("cleanup");
        }
    }

    #[test]
    fn mhd_without_a_patient_id_is_refused_not_linked_to_another_patient() {
        let dir = std::path::Path::new("/unused");
        let mut n = item(dir, "A");
        let data = crate::testutil::temp_dir("mhd-patient");
        let mut ob = Outbox::open_in(&data).expect("open");
        let ok = ob.queue(&n).expect("queue");
        let tx = crate::mhd::transaction(&ok, &n.artefacts).expect("a patient ID");
        let cond = tx["entry"][0]["request"]["ifNoneExist"]
            .as_str()
            .expect("condition");
        assert_eq!(
            cond,
            "identifier=urn%3Aoid%3A1.2.392.100495.20.3.51.11311234567%7C0012345"
        );
        n.meta.patient.id = String::new();
        let none = ob.queue(&n).expect("queue");
        let e = crate::mhd::transaction(&none, &n.artefacts).expect_err("no patient ID");
        assert_eq!(inkan_l10n::Localized::code(&e), "outbox.unsupported");
        std::fs::remove_dir_all(&data).expect("cleanup");
    }

    #[test]
    fn an_identifier_with_ampersand_plus_or_a_line_break_matches_only_itself() {
        let k = IdempotencyKey {
            system: "urn:x".into(),
            value: "A&identifier=other+1%\r\n".into(),
        };
        let c = k.condition();
        assert!(
            c.starts_with("identifier=urn%3Ax%7CA%26identifier%3Dother%2B1%25"),
            "{c}"
        );
        assert_eq!(c.matches('&').count(), 0);
        assert_eq!(c.matches('=').count(), 1);
    }

    #[test]
    fn a_second_runner_is_refused_while_the_first_holds_the_lock() {
        let data = crate::testutil::temp_dir("run-lock");
        let held = RunnerLock::try_take(&data).expect("first");
        assert!(matches!(
            RunnerLock::try_take(&data),
            Err(OutboxError::Busy)
        ));
        drop(held);
        RunnerLock::try_take(&data).expect("after release");
        std::fs::remove_dir_all(&data).expect("cleanup");
    }

    #[test]
    fn a_different_document_under_the_same_name_is_a_conflict_not_a_delivery() {
        let data = crate::testutil::temp_dir("run-conflict");
        let drop = crate::testutil::temp_dir("run-conflict-drop");
        let mut ob = Outbox::open_in(&data).expect("open");
        let first = item(&drop, "A");
        let mut second = first.clone();
        second.artefacts[0] = Artefact::new(
            "letter.xml",
            Role::Document,
            "text/xml",
            b"<doc>other</doc>".to_vec(),
        );
        let a = ob.queue(&first).expect("queue");
        let b = ob.queue(&second).expect("queue");
        let s = deliver_all(&mut ob, &quick());
        assert_eq!((s.sent.clone(), s.failed.clone()), (vec![a.id], vec![b.id]));
        let failed = ob.get(b.id).expect("get");
        assert_eq!(failed.state, State::Failed);
        assert_eq!(failed.last_error.expect("why").code, "outbox.conflict");
        std::fs::remove_dir_all(&data).expect("cleanup");
        std::fs::remove_dir_all(&drop).expect("cleanup");
    }

    #[test]
    fn a_missing_share_is_retried_then_delivered_once_it_is_back() {
        let data = crate::testutil::temp_dir("run-share");
        let base = crate::testutil::temp_dir("run-share-base");
        let share = base.join("share");
        let mut ob = Outbox::open_in(&data).expect("open");
        let a = ob.queue(&item(&share, "A")).expect("queue");
        let s = deliver_all(
            &mut ob,
            &RunOptions {
                wait: None,
                ..quick()
            },
        );
        assert_eq!(s.retry, vec![a.id]);
        let waiting = ob.get(a.id).expect("get");
        assert_eq!(waiting.state, State::RetryWait);
        assert_eq!(waiting.last_error.expect("why").code, "outbox.folder_write");
        assert!(
            !share.exists(),
            "a missing share is not created on the local disk"
        );
        std::fs::create_dir(&share).expect("share back");
        let s = deliver_all(&mut ob, &quick());
        assert_eq!(s.sent, vec![a.id]);
        std::fs::remove_dir_all(&data).expect("cleanup");
        std::fs::remove_dir_all(&base).expect("cleanup");
    }
}
