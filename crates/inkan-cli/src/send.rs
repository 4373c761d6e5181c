//! `inkan send` and `inkan outbox`: submission (送信) through the durable
//! outbox (`inkan_outbox`), shared with the app (the same data folder).

use crate::output::{print_json, Failure};
use inkan_l10n::{escape_display, japan_time, Lang, Message};
use inkan_outbox::{Item, Outbox, RunOptions, RunSummary, State};
use inkan_workflow::submit;
use inkan_workflow::VerifyConfig;
use std::path::PathBuf;
use std::time::Duration;

/// `inkan outbox …`.
#[derive(clap::Subcommand, Debug)]
pub enum OutboxCommand {
    /// List every submission with its state, attempts, next try and receipt
    List {
        /// Machine-readable JSON output
        #[arg(long)]
        json: bool,
    },
    /// Deliver everything due, then exit
    Run {
        /// Keep delivering for up to this many seconds, waiting for retries that fall due
        #[arg(long, value_name = "SECONDS")]
        wait: Option<u64>,
        /// Machine-readable JSON output
        #[arg(long)]
        json: bool,
    },
    /// Make a failed (or waiting) submission due again now, then deliver what is due
    Retry {
        /// The item's number (from `inkan outbox list`)
        id: i64,
        /// Queue it only; do not deliver now
        #[arg(long)]
        no_deliver: bool,
    },
    /// Show one submission and its receipt
    Show {
        /// The item's number
        id: i64,
        /// Machine-readable JSON output
        #[arg(long)]
        json: bool,
    },
}

fn data_dir() -> Result<PathBuf, Failure> {
    inkan_workflow::settings::data_dir().ok_or_else(|| {
        Failure::new(Message {
            code: "outbox.no_folder".into(),
            ja: "データフォルダがありません（HOME が設定されていません）".into(),
            en: "no data folder (HOME is not set)".into(),
        })
    })
}

fn jst(utc: &str, lang: Lang) -> String {
    japan_time(utc)
        .map(|t| t.text(lang, false))
        .unwrap_or_else(|| utc.to_owned())
}

fn state_words(s: State, lang: Lang) -> &'static str {
    let (ja, en) = s.words();
    match lang {
        Lang::Ja => ja,
        Lang::En => en,
    }
}

fn print_item(it: &Item, lang: Lang) {
    let ja = lang == Lang::Ja;
    println!(
        "#{} {} — {} → {}{}",
        it.id,
        state_words(it.state, lang),
        escape_display(&it.doc_name),
        escape_display(
            &it.dest_name
                .clone()
                .unwrap_or_else(|| it.destination.clone())
        ),
        if it.attempts > 0 {
            if ja {
                format!("（試行 {} 回）", it.attempts)
            } else {
                format!(" ({} attempt(s))", it.attempts)
            }
        } else {
            String::new()
        }
    );
    println!(
        "    {} {}|{}  {} {}",
        if ja { "識別子" } else { "identifier" },
        escape_display(&it.key.system),
        escape_display(&it.key.value),
        if ja { "検証結果" } else { "verdict" },
        it.verdict
    );
    if let (State::RetryWait, Some(next)) = (it.state, &it.next_utc) {
        println!(
            "    {} {}",
            if ja { "次の試行" } else { "next try" },
            jst(next, lang)
        );
    }
    if let Some(e) = &it.last_error {
        println!("    {} [{}]", if ja { &e.ja } else { &e.en }, e.code);
    }
    if let Some(r) = &it.receipt {
        let place = r
            .location
            .clone()
            .or_else(|| r.path.clone())
            .unwrap_or_default();
        println!(
            "    {} {} ({}) {}",
            if ja { "受領" } else { "receipt" },
            place,
            r.outcome,
            jst(&r.delivered_utc, lang)
        );
    }
}

fn deliver(wait: Option<u64>) -> Result<RunSummary, Failure> {
    let opts = RunOptions {
        wait: wait.map(Duration::from_secs),
        ..RunOptions::default()
    };
    let cfg = inkan_workflow::settings::config_dir();
    Ok(submit::deliver_due(&data_dir()?, cfg.as_deref(), &opts)?)
}

/// Exit status of a run: 0 when nothing is left waiting or failed among
/// `ids` (all when empty), 1 when something waits to retry, 3 when something failed.
fn status_of(outbox: &Outbox, ids: &[i64]) -> Result<u8, Failure> {
    let items = outbox.list()?;
    let mut code = 0;
    for it in items
        .iter()
        .filter(|it| ids.is_empty() || ids.contains(&it.id))
    {
        match it.state {
            State::Failed => code = 3,
            State::Sent => {}
            _ => code = code.max(1),
        }
    }
    Ok(code)
}

/// `inkan send FILE… --to DEST`: verify and queue each file, then deliver
/// what is due. Exit 0 when every file was delivered, 1 when some wait to
/// be retried, 3 when a file was refused (not valid, or by the receiver).
pub fn send(
    files: &[PathBuf],
    to: &str,
    trust: &str,
    allow_indeterminate: bool,
    no_deliver: bool,
    json: bool,
    lang: Lang,
) -> Result<(), Failure> {
    let data = data_dir()?;
    let cfg = VerifyConfig {
        trust: crate::signature::trust_store(trust)?,
        crl_cache: crate::signature::crl_cache_dir(),
        offline: false,
        tsa_trust: inkan_workflow::settings::tsa_trust_anchors(&[]).unwrap_or_default(),
    };
    let config_dir = inkan_workflow::settings::config_dir();
    let queued = submit::queue_files(
        files,
        to,
        allow_indeterminate,
        &cfg,
        &data,
        config_dir.as_deref(),
    )?;
    let ids: Vec<i64> = queued
        .iter()
        .filter_map(|q| q.item.as_ref().map(|i| i.id))
        .collect();
    let run = if no_deliver || ids.is_empty() {
        None
    } else {
        match deliver(None) {
            Ok(s) => Some(s),
            // Another Inkan is delivering: it will deliver these too.
            Err(f) if f.message().code == "outbox.busy" => None,
            Err(f) => return Err(f),
        }
    };
    let outbox = Outbox::open_in(&data)?;
    let items: Vec<Item> = ids.iter().filter_map(|&id| outbox.get(id).ok()).collect();
    if json {
        print_json(&serde_json::json!({ "queued": queued, "run": run, "items": items }));
    } else {
        for q in &queued {
            if let Some(e) = &q.error {
                eprintln!(
                    "{}: {} [{}]",
                    q.file,
                    if lang == Lang::Ja { &e.ja } else { &e.en },
                    e.code
                );
            }
        }
        for it in &items {
            print_item(it, lang);
        }
    }
    let refused = queued.iter().any(|q| q.error.is_some());
    let code = status_of(&outbox, &ids)?.max(if refused { 3 } else { 0 });
    if code == 0 {
        Ok(())
    } else {
        Err(Failure::silent(code))
    }
}

/// `inkan outbox …`.
pub fn run(command: OutboxCommand, lang: Lang) -> Result<(), Failure> {
    match command {
        OutboxCommand::List { json } => {
            let outbox = Outbox::open_in(&data_dir()?)?;
            let items = outbox.list()?;
            if json {
                print_json(&items);
            } else if items.is_empty() {
                println!(
                    "{}",
                    if lang == Lang::Ja {
                        "送信キューは空です"
                    } else {
                        "the outbox is empty"
                    }
                );
            } else {
                for it in &items {
                    print_item(it, lang);
                }
            }
            Ok(())
        }
        OutboxCommand::Run { wait, json } => {
            let summary = deliver(wait)?;
            let outbox = Outbox::open_in(&data_dir()?)?;
            if json {
                print_json(&summary);
            } else {
                for id in summary
                    .sent
                    .iter()
                    .chain(&summary.retry)
                    .chain(&summary.failed)
                {
                    if let Ok(it) = outbox.get(*id) {
                        print_item(&it, lang);
                    }
                }
                if summary.sent.is_empty() && summary.retry.is_empty() && summary.failed.is_empty()
                {
                    println!(
                        "{}",
                        if lang == Lang::Ja {
                            "送信するものはありません"
                        } else {
                            "nothing was due"
                        }
                    );
                }
            }
            let touched: Vec<i64> = summary
                .sent
                .iter()
                .chain(&summary.retry)
                .chain(&summary.failed)
                .copied()
                .collect();
            match if touched.is_empty() {
                0
            } else {
                status_of(&outbox, &touched)?
            } {
                0 => Ok(()),
                c => Err(Failure::silent(c)),
            }
        }
        OutboxCommand::Retry { id, no_deliver } => {
            let data = data_dir()?;
            Outbox::open_in(&data)?.retry(id)?;
            if !no_deliver {
                match deliver(None) {
                    Ok(_) => {}
                    Err(f) if f.message().code == "outbox.busy" => {}
                    Err(f) => return Err(f),
                }
            }
            let outbox = Outbox::open_in(&data)?;
            print_item(&outbox.get(id)?, lang);
            match status_of(&outbox, &[id])? {
                0 => Ok(()),
                c => Err(Failure::silent(c)),
            }
        }
        OutboxCommand::Show { id, json } => {
            let outbox = Outbox::open_in(&data_dir()?)?;
            let it = outbox.get(id)?;
            if json {
                print_json(&it);
            } else {
                print_item(&it, lang);
            }
            Ok(())
        }
    }
}
