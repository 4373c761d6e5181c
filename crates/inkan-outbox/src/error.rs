//! Why the outbox, or one delivery, did not work, in Japanese and English.

use inkan_l10n::{escape_display, Localized, Text};
use std::path::PathBuf;

/// Why the outbox could not do what was asked.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OutboxError {
    /// A destination that cannot be used.
    #[error("destination {spec}: {why}")]
    BadDestination {
        /// What was given.
        spec: String,
        /// Why it cannot be used.
        why: String,
    },
    /// A name that `destinations.json` does not define.
    #[error("no destination named {name} in {}", path.display())]
    UnknownDestination {
        /// The name.
        name: String,
        /// The configuration file.
        path: PathBuf,
    },
    /// `destinations.json` cannot be read.
    #[error("{}: {detail}", path.display())]
    Config {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        detail: String,
    },
    /// The outbox database was written by a newer Inkan.
    #[error("outbox schema {found} is newer than this Inkan knows")]
    NewerSchema {
        /// The version found.
        found: i64,
    },
    /// Any SQLite failure (damaged file, locked past the timeout, disk full …).
    #[error("outbox database {}: {source}", path.display())]
    Database {
        /// The database.
        path: PathBuf,
        /// SQLite's error.
        source: rusqlite::Error,
    },
    /// The outbox folder could not be created or locked.
    #[error("outbox folder {}: {source}", path.display())]
    Folder {
        /// The folder.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// A kept artefact no longer matches its hash (the disk changed it).
    #[error("artefact {name} of outbox item {id} no longer matches its SHA-256")]
    Damaged {
        /// The item.
        id: i64,
        /// The file.
        name: String,
    },
    /// No item with this number.
    #[error("there is no outbox item {id}")]
    NotFound {
        /// The number asked for.
        id: i64,
    },
    /// Retry was asked for an item that was delivered.
    #[error("outbox item {id} was already delivered")]
    AlreadySent {
        /// The item.
        id: i64,
    },
    /// Another process is delivering.
    #[error("another Inkan is delivering the outbox")]
    Busy,
    /// A submission too large to keep.
    #[error("{name} is {size} bytes; the outbox keeps at most {limit}")]
    TooLarge {
        /// The file.
        name: String,
        /// Its size.
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// A submission without a document.
    #[error("nothing to send: {why}")]
    Empty {
        /// Why.
        why: String,
    },
}

impl OutboxError {
    pub(crate) fn db(path: &std::path::Path) -> impl Fn(rusqlite::Error) -> OutboxError + '_ {
        move |source| OutboxError::Database {
            path: path.to_path_buf(),
            source,
        }
    }
}

impl Localized for OutboxError {
    fn code(&self) -> &'static str {
        match self {
            OutboxError::BadDestination { .. } => "outbox.bad_destination",
            OutboxError::UnknownDestination { .. } => "outbox.unknown_destination",
            OutboxError::Config { .. } => "outbox.config",
            OutboxError::NewerSchema { .. } => "outbox.newer_schema",
            OutboxError::Database { .. } => "outbox.database",
            OutboxError::Folder { .. } => "outbox.folder",
            OutboxError::Damaged { .. } => "outbox.damaged",
            OutboxError::NotFound { .. } => "outbox.not_found",
            OutboxError::AlreadySent { .. } => "outbox.already_sent",
            OutboxError::Busy => "outbox.busy",
            OutboxError::TooLarge { .. } => "outbox.too_large",
            OutboxError::Empty { .. } => "outbox.empty",
        }
    }

    fn text(&self) -> Text {
        match self {
            OutboxError::BadDestination { spec, why } => Text::new(
                format!(
                    "送信先 {} は使えません: {why}（fhir:URL[?mode=bundle|mhd] または folder:フォルダ[?layout=plain|xdm|ssmix2]、または destinations.json の名前）",
                    escape_display(spec)
                ),
                format!(
                    "destination {} cannot be used: {why} (fhir:URL[?mode=bundle|mhd], folder:DIR[?layout=plain|xdm|ssmix2], or a name from destinations.json)",
                    escape_display(spec)
                ),
            ),
            OutboxError::UnknownDestination { name, path } => Text::new(
                format!(
                    "送信先「{}」は {} に登録されていません",
                    escape_display(name),
                    path.display()
                ),
                format!(
                    "no destination named \"{}\" in {}",
                    escape_display(name),
                    path.display()
                ),
            ),
            OutboxError::Config { path, detail } => Text::new(
                format!("送信先の設定 {} を読めません: {detail}", path.display()),
                format!("the destinations file {} cannot be read: {detail}", path.display()),
            ),
            OutboxError::NewerSchema { found } => Text::new(
                format!("送信キューは新しい版の Inkan で作成されています（版 {found}）。Inkan を更新してください"),
                format!("the outbox was written by a newer Inkan (schema {found}); please update Inkan"),
            ),
            OutboxError::Database { path, source } => Text::new(
                format!(
                    "送信キュー {} を使えません: {source}。未送信の文書が含まれている可能性があるため、自動では作り直しません。ファイルを保管し、管理者に相談してください",
                    path.display()
                ),
                format!(
                    "the outbox {} cannot be used: {source}. It may hold documents not yet delivered, so it is not replaced automatically; keep the file and ask your administrator",
                    path.display()
                ),
            ),
            OutboxError::Folder { path, source } => Text::new(
                format!("送信キューのフォルダ {} を使えません: {source}", path.display()),
                format!("the outbox folder {} cannot be used: {source}", path.display()),
            ),
            OutboxError::Damaged { id, name } => Text::new(
                format!("送信キューの項目 {id} のファイル {} が登録時の内容と一致しません（ディスクの損傷）。送信しません。文書を改めて送信してください", escape_display(name)),
                format!("file {} of outbox item {id} no longer matches what was queued (disk damage); it is not sent. Submit the document again", escape_display(name)),
            ),
            OutboxError::NotFound { id } => Text::new(
                format!("送信キューに番号 {id} の項目はありません"),
                format!("there is no outbox item {id}"),
            ),
            OutboxError::AlreadySent { id } => Text::new(
                format!("項目 {id} は送信済みです。もう一度送るには、文書を改めて送信してください"),
                format!("item {id} was already delivered; to send it again, submit the document again"),
            ),
            OutboxError::Busy => Text::new(
                "別の Inkan が送信キューを処理しています。終わってから再度お試しください",
                "another Inkan is delivering the outbox; try again when it has finished",
            ),
            OutboxError::TooLarge { name, size, limit } => Text::new(
                format!(
                    "{} は {size} バイトあり、送信キューの上限（{limit} バイト）を超えています",
                    escape_display(name)
                ),
                format!(
                    "{} is {size} bytes, over the outbox's limit of {limit} bytes",
                    escape_display(name)
                ),
            ),
            OutboxError::Empty { why } => Text::new(
                format!("送信する文書がありません: {why}"),
                format!("nothing to send: {why}"),
            ),
        }
    }
}

/// Why one delivery did not complete. [`DeliveryError::transient`] says
/// whether it is tried again.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DeliveryError {
    /// No answer: connection refused, reset, timed out, TLS failure.
    #[error("{url}: {detail}")]
    Network {
        /// Where.
        url: String,
        /// What happened.
        detail: String,
    },
    /// An HTTP status other than success.
    #[error("{url}: HTTP {status}{}", outcome.as_deref().map(|o| format!(" ({o})")).unwrap_or_default())]
    Status {
        /// Where.
        url: String,
        /// The status.
        status: u16,
        /// The OperationOutcome's text, if the server sent one.
        outcome: Option<String>,
        /// The server's `Retry-After`, in seconds.
        retry_after: Option<u64>,
    },
    /// A success status whose body or headers make no sense.
    #[error("{url}: {detail}")]
    BadResponse {
        /// Where.
        url: String,
        /// What is wrong.
        detail: String,
    },
    /// The receiver already holds a *different* document under this
    /// document's identifier (a corrected letter with the same number, or
    /// another document): never reported as delivered.
    #[error("{place} already holds a different document with identifier {key}")]
    Conflict {
        /// Where (a URL or a path).
        place: String,
        /// The identifier.
        key: String,
    },
    /// This destination cannot take this document.
    #[error("{why}")]
    Unsupported {
        /// Why, in English.
        why: String,
        /// Why, in Japanese.
        ja: String,
    },
    /// The folder could not be written (an unplugged share, permissions, disk full).
    #[error("{}: {detail}", path.display())]
    Folder {
        /// Where.
        path: PathBuf,
        /// The OS error.
        detail: String,
    },
    /// The receiver's result file says it refused the document.
    #[error("{}: the receiver refused the document: {detail}", file.display())]
    Refused {
        /// The result file.
        file: PathBuf,
        /// What it says.
        detail: String,
    },
    /// Waiting for the receiver's result file.
    #[error("waiting for the receiver's result {}", file.display())]
    Awaiting {
        /// The file awaited.
        file: PathBuf,
    },
    /// A bearer token would travel in clear text.
    #[error("a bearer token is only sent over https:// (or to this computer)")]
    Insecure,
}

impl DeliveryError {
    /// Whether trying again later may succeed: network errors, 408, 429,
    /// 5xx, a bad answer to a success, an unwritable folder, an awaited result.
    pub fn transient(&self) -> bool {
        match self {
            DeliveryError::Network { .. }
            | DeliveryError::BadResponse { .. }
            | DeliveryError::Folder { .. }
            | DeliveryError::Awaiting { .. } => true,
            DeliveryError::Status { status, .. } => {
                matches!(status, 408 | 429) || (500..600).contains(status)
            }
            DeliveryError::Conflict { .. }
            | DeliveryError::Unsupported { .. }
            | DeliveryError::Refused { .. }
            | DeliveryError::Insecure => false,
        }
    }
}

impl Localized for DeliveryError {
    fn code(&self) -> &'static str {
        match self {
            DeliveryError::Network { .. } => "outbox.network",
            DeliveryError::Status { .. } => "outbox.http_status",
            DeliveryError::BadResponse { .. } => "outbox.bad_response",
            DeliveryError::Conflict { .. } => "outbox.conflict",
            DeliveryError::Unsupported { .. } => "outbox.unsupported",
            DeliveryError::Folder { .. } => "outbox.folder_write",
            DeliveryError::Refused { .. } => "outbox.refused",
            DeliveryError::Awaiting { .. } => "outbox.awaiting_result",
            DeliveryError::Insecure => "outbox.insecure",
        }
    }

    fn text(&self) -> Text {
        match self {
            DeliveryError::Network { url, detail } => Text::new(
                format!(
                    "送信先 {} に接続できません（{}）。後で自動的に再試行します",
                    escape_display(url),
                    escape_display(detail)
                ),
                format!(
                    "cannot reach {} ({}); it will be tried again automatically",
                    escape_display(url),
                    escape_display(detail)
                ),
            ),
            DeliveryError::Status {
                url,
                status,
                outcome,
                ..
            } => {
                let said = outcome
                    .as_deref()
                    .map(|o| format!("（サーバの説明: {}）", escape_display(o)))
                    .unwrap_or_default();
                let said_en = outcome
                    .as_deref()
                    .map(|o| format!(" (the server says: {})", escape_display(o)))
                    .unwrap_or_default();
                let (ja, en) = match status {
                    400 | 422 => ("サーバが文書の内容を受け付けませんでした", "the server did not accept the document"),
                    401 | 403 => ("サーバが認証または権限のため拒否しました。送信先の設定（トークン）を確認してください", "the server refused the credentials or permission; check the destination's token"),
                    404 => ("送信先の URL が見つかりません。ベース URL を確認してください", "the destination URL was not found; check the base URL"),
                    412 => ("同じ識別子の文書がサーバに複数あり、どれか判断できません", "the server holds several documents with this identifier and cannot tell which"),
                    413 => ("文書が大きすぎるため、サーバが受け付けませんでした", "the document is too large for the server"),
                    408 | 429 => ("サーバが混み合っています。後で自動的に再試行します", "the server is busy; it will be tried again automatically"),
                    s if *s >= 500 => ("サーバ側のエラーです。後で自動的に再試行します", "the server had an error; it will be tried again automatically"),
                    _ => ("サーバが送信を拒否しました", "the server refused the submission"),
                };
                Text::new(
                    format!("{ja}（HTTP {status}、{}）{said}", escape_display(url)),
                    format!("{en} (HTTP {status}, {}){said_en}", escape_display(url)),
                )
            }
            DeliveryError::BadResponse { url, detail } => Text::new(
                format!(
                    "{} からの応答を解釈できません（{}）。届いたかどうか確認できないため、再試行します（重複はしません）",
                    escape_display(url),
                    escape_display(detail)
                ),
                format!(
                    "the answer from {} cannot be understood ({}); as delivery is not confirmed it will be tried again (without duplicating)",
                    escape_display(url),
                    escape_display(detail)
                ),
            ),
            DeliveryError::Conflict { place, key } => Text::new(
                format!(
                    "{} には同じ識別子（{}）の別の文書がすでにあります。訂正版は文書番号または版を変えて作成してください。送信済みとはしていません",
                    escape_display(place),
                    escape_display(key)
                ),
                format!(
                    "{} already holds a different document with the identifier {}; give a corrected letter a new number or version. Not marked as delivered",
                    escape_display(place),
                    escape_display(key)
                ),
            ),
            DeliveryError::Unsupported { why, ja } => Text::new(ja.clone(), why.clone()),
            DeliveryError::Folder { path, detail } => Text::new(
                format!(
                    "送信先フォルダ {} に書き込めません（{}）。共有フォルダの接続を確認してください。後で自動的に再試行します",
                    path.display(),
                    escape_display(detail)
                ),
                format!(
                    "cannot write to the destination folder {} ({}); check the shared folder. It will be tried again automatically",
                    path.display(),
                    escape_display(detail)
                ),
            ),
            DeliveryError::Refused { file, detail } => Text::new(
                format!(
                    "受信側が文書を受け付けませんでした（{}: {}）",
                    file.display(),
                    escape_display(detail)
                ),
                format!(
                    "the receiver refused the document ({}: {})",
                    file.display(),
                    escape_display(detail)
                ),
            ),
            DeliveryError::Awaiting { file } => Text::new(
                format!("ファイルは置きました。受信側の結果ファイル {} を待っています", file.display()),
                format!("the files are in place; waiting for the receiver's result file {}", file.display()),
            ),
            DeliveryError::Insecure => Text::new(
                "アクセストークンは https:// の送信先（またはこのコンピュータ上のサーバ）にだけ送ります",
                "a bearer token is only sent to an https:// destination (or a server on this computer)",
            ),
        }
    }
}
