//! Property test of the Management API (`/platform_api`, contract: `docs/api.md`):
//! random parameter sets, call styles and body encodings go to every method of a real
//! `strongroom` process. Whatever arrives, the answer must be an API answer: HTTP 200,
//! `application/json`, a JSON object with `result` or an `error` whose `code` is one the contract
//! lists and whose `msg` is not empty. Never a 5xx, an internal error (code 2), a dropped
//! connection or a panic in the log. And no request may change data it does not name: a
//! "sentinel" application, which no request ever names, must end byte-for-byte as it started.
//!
//! Replay: the seed is printed at the start and in every failure message. Run again with
//! `STRONGROOM_FUZZ_SEED=<seed>` (optionally `STRONGROOM_FUZZ_ITERATIONS=<n>`, and
//! `STRONGROOM_FUZZ_VERBOSE=1` to print every request and its outcome).

use crate::support::Server;
use crate::support::api::{ACCOUNT_ID, Api, METHODS, OVERSIZED_BODY, SUFFIX};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::time::{Duration, Instant};

const SENTINEL_APP: &str = "sentinel-app";
const PLAYGROUND_APP: &str = "fuzz-target";

const DEFAULT_ITERATIONS: usize = 1000;
const FIXED_SEED: u64 = 0x5EED_F022_2024_0001;
const FIXED_ITERATIONS: usize = 100;
/// The sentinel is compared with its first snapshot this often (and at the end), so a failure
/// names a short range of iterations.
const SENTINEL_CHECK_EVERY: usize = 25;
/// Longest query string generated; longer parameters go to the body (or are left out). Past
/// ~64 KiB the HTTP layer answers 414 before the API sees the request.
const QUERY_LIMIT: usize = 24 * 1024;

/// Substring filters far longer than any name, past SQLite's 50 000-byte `LIKE` limit once
/// escaped: they must be refused as bad input (101), never reach the database.
fn long_filters() -> [String; 3] {
    ["😀".repeat(15_000), "%".repeat(30_000), "a".repeat(50_000)]
}

/// The share of "tame" requests: a real method with plausible, mostly valid values, valid
/// credentials and a well-formed encoding, so that enough calls succeed and change the
/// playground for the wild ones to meet a varied state.
const TAME_SHARE: f64 = 0.35;

/// Every error code the spec lists except 2 (internal error), which is a failure here.
const API_ERROR_CODES: [i64; 11] = [100, 101, 102, 103, 104, 107, 116, 129, 134, 493, 558];

/// The union of every method's parameters (plus `cmd`).
const ALL_PARAMS: [&str; 12] = [
    "application_id",
    "application_name",
    "required_application_name",
    "secret_id",
    "secret_name",
    "new_secret_name",
    "secret_value",
    "description",
    "secret_name_part",
    "count",
    "offset",
    "cmd",
];

const UNKNOWN_PARAMS: [&str; 10] = [
    "foo",
    "Secret_Name",
    "SECRET_ID",
    "application_id[]",
    "secret_id ",
    "api_key2",
    "callback",
    "😀",
    "",
    "account",
];

/// How a method's parameters are chosen: in each group one of the names is usually given
/// (the first or the second, rarely both or neither); required ones nearly always; optional
/// ones half of the time.
struct Shape {
    groups: &'static [[&'static str; 2]],
    required: &'static [&'static str],
    optional: &'static [&'static str],
}

const APP: [&str; 2] = ["application_id", "application_name"];
const SECRET: [&str; 2] = ["secret_id", "secret_name"];

fn shape(method: &str) -> Option<Shape> {
    let (groups, required, optional): (&[[&str; 2]], &[&str], &[&str]) = match method {
        "AddSecret" => (&[APP], &["secret_name", "secret_value"], &["description"]),
        "GetSecrets" => (&[APP], &[], &["secret_name_part", "count", "offset"]),
        "GetSecretValue" => (&[APP, SECRET], &[], &[]),
        "SetSecretInfo" => (
            &[APP, SECRET],
            &[],
            &["new_secret_name", "secret_value", "description"],
        ),
        "DelSecret" => (&[APP, SECRET], &[], &[]),
        "AddApplication" => (&[], &["application_name"], &[]),
        "GetApplications" => (
            &[],
            &[],
            &["application_id", "application_name", "count", "offset"],
        ),
        "SetApplicationInfo" => (
            &[["application_id", "required_application_name"]],
            &["application_name"],
            &[],
        ),
        "DelApplication" => (&[APP], &[], &[]),
        _ => return None,
    };
    Some(Shape {
        groups,
        required,
        optional,
    })
}

const WEIRD_NUMBERS: [&str; 26] = [
    "0",
    "-1",
    "-0",
    "1e309",
    "1e3",
    "1.0",
    "0x10",
    " ",
    "",
    "abc",
    "9223372036854775807",
    "9223372036854775808",
    "-9223372036854775808",
    "99999999999999999999999",
    "NaN",
    "∞",
    "１",
    "1;",
    ";1",
    "1;;2",
    ";",
    "all",
    "ALL",
    "null",
    "true",
    "\u{0}1",
];

const NASTY: [&str; 47] = [
    "",
    " ",
    "\t",
    "\r\n",
    "0",
    "-1",
    "9223372036854775808",
    "1e309",
    "abc",
    "all",
    ";",
    ";;",
    "1;;2",
    "' OR 1=1 --",
    "'; DROP TABLE secrets; --",
    "%",
    "_",
    "%%",
    "\\",
    "a%b_c",
    "\u{0}",
    "a\u{0}b",
    "\u{1}\u{1f}\u{7f}",
    "\u{1b}[31mred",
    "😀",
    "🔐🗝️",
    "\u{202e}evil",
    "\u{feff}",
    "\u{fffd}",
    "ж",
    "𝔘𝔫𝔦𝔠𝔬𝔡𝔢",
    "<script>alert(1)</script>",
    "../../etc/passwd",
    "{}",
    "[]",
    "null",
    "True",
    "fuzz-target",
    "fuzz-target.default.strongroom",
    "FUZZ-TARGET",
    ".default.strongroom",
    "GetSecrets",
    "%FF",
    "%00",
    "+",
    "&",
    "=",
];

const INVALID_SECRET_NAMES: [&str; 18] = [
    "1abc",
    "_abc",
    "-abc",
    "abc-d",
    "a b",
    "é",
    "aпароль",
    "a.b",
    "a😀",
    "ab\n",
    " ",
    "a\u{0}",
    "DROP TABLE",
    "' OR 1=1 --",
    "%",
    "_",
    "a%",
    "A;",
];

const INVALID_APP_NAMES: [&str; 18] = [
    "MyApp",
    "1app",
    "-app",
    "my_app",
    "app.x",
    "приложение",
    "a b",
    "app\n",
    "fuzz-target.",
    ".default.strongroom",
    "x.default.strongroom.default.strongroom",
    "FUZZ-TARGET.default.strongroom",
    "fuzz-target.other.strongroom",
    "%",
    "_",
    "' OR 1=1 --",
    "a\u{0}",
    " fuzz-target",
];

fn invalid_utf8() -> [&'static [u8]; 6] {
    [
        &[0xFF],
        &[0xC3, 0x28],
        &[0xED, 0xA0, 0x80],
        &[0xF4, 0x90, 0x80, 0x80],
        &[b'a', 0xFE, b'b'],
        &[0xE2, 0x82],
    ]
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Style {
    PostPath,
    GetPath,
    PostCmd,
    GetCmd,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Encoding {
    QueryOnly,
    Urlencoded,
    Multipart,
    JsonEmpty,
    JsonObject,
    Garbage,
}

type Param = (String, Vec<u8>);

/// One request as sent.
struct Built {
    post: bool,
    path: String,
    query: String,
    content_type: Option<String>,
    authorization: Option<String>,
    body: Option<Vec<u8>>,
}

impl Built {
    fn describe(&self) -> String {
        let mut text = format!(
            "{} {}",
            if self.post { "POST" } else { "GET" },
            shorten(&self.path, 400)
        );
        if !self.query.is_empty() {
            let _ = write!(text, "?{}", shorten(&self.query, 1200));
        }
        if let Some(ct) = &self.content_type {
            let _ = write!(text, "\n  Content-Type: {ct:?}");
        }
        if let Some(auth) = &self.authorization {
            let _ = write!(text, "\n  Authorization: {auth:?}");
        }
        if let Some(body) = &self.body {
            let shown = String::from_utf8_lossy(&body[..body.len().min(1200)]);
            let _ = write!(
                text,
                "\n  body ({} bytes): {}{}",
                body.len(),
                shown.escape_debug(),
                if body.len() > 1200 { "…" } else { "" }
            );
        }
        text
    }
}

fn shorten(text: &str, max: usize) -> String {
    if text.len() <= max {
        text.to_owned()
    } else {
        let mut end = max;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        format!("{}…({} bytes)", &text[..end], text.len())
    }
}

/// `application/x-www-form-urlencoded` encoding of raw bytes (so invalid UTF-8 goes out as
/// `%FF`); spaces as `+` when `plus`.
fn form_encode(bytes: &[u8], plus: bool) -> String {
    let mut out = String::with_capacity(bytes.len() * 3);
    for &b in bytes {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else if b == b' ' && plus {
            out.push('+');
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// What the sentinel looked like through the API; compared as a whole.
#[derive(Clone, Debug, PartialEq)]
struct Snapshot(Value);

struct Sentinel {
    id: i64,
    secret_ids: Vec<i64>,
    secret_names: Vec<String>,
    values: Vec<String>,
}

struct Fuzz<'a> {
    server: &'a Server,
    /// The Owner's legacy API key, and the HTTP client every request goes through.
    api: Api,
    rng: StdRng,
    seed: u64,
    iteration: usize,
    verbose: bool,
    sentinel: Sentinel,
    playground: i64,
    /// Applications other than the sentinel: live ones, then ones since deleted.
    app_ids: Vec<i64>,
    app_names: Vec<String>,
    /// The playground's secrets now.
    secret_ids: Vec<i64>,
    secret_names: Vec<String>,
    /// Secrets that are not the playground's now: deleted ones and the sentinel's (which a
    /// request naming the playground must never reach).
    foreign_secret_ids: Vec<i64>,
    foreign_secret_names: Vec<String>,
    fresh: u64,
    /// Every secret id seen so far, deleted or not.
    seen_secret_ids: BTreeSet<i64>,
    /// This request keeps to valid values, encodings and credentials (see `TAME_SHARE`).
    tame: bool,
    /// Something may have changed the playground: look again before the next request.
    dirty: bool,
    outcomes: BTreeMap<String, usize>,
    per_method: BTreeMap<String, (usize, usize)>,
}

fn push_bounded<T: PartialEq>(pool: &mut Vec<T>, item: T) {
    if !pool.contains(&item) {
        pool.push(item);
        if pool.len() > 64 {
            pool.remove(0);
        }
    }
}

impl Fuzz<'_> {
    fn fail(&self, what: &str) -> ! {
        panic!(
            "platform_api fuzz failure (seed {seed}, iteration {iteration}; replay with \
             STRONGROOM_FUZZ_SEED={seed} STRONGROOM_FUZZ_ITERATIONS={next}): {what}",
            seed = self.seed,
            iteration = self.iteration,
            next = self.iteration + 1,
        )
    }

    fn pick<T: Clone>(&mut self, items: &[T]) -> T {
        items
            .choose(&mut self.rng)
            .expect("a non-empty pool")
            .clone()
    }

    fn chance(&mut self, p: f64) -> bool {
        self.rng.gen_bool(p)
    }

    /// A roll in `0..100` choosing a generator's branch; branches below `valid_end` give valid
    /// values, and a tame request rolls only those.
    fn roll(&mut self, valid_end: u32) -> u32 {
        self.rng
            .gen_range(0..if self.tame { valid_end } else { 100 })
    }

    /// One of `items`; a tame request takes one of the first `valid` (the valid ones).
    fn pick_valid<T: Clone>(&mut self, items: &[T], valid: usize) -> T {
        let end = if self.tame { valid } else { items.len() };
        self.pick(&items[..end])
    }

    // ----- the values --------------------------------------------------------------------

    fn nasty(&mut self) -> Vec<u8> {
        match self.rng.gen_range(0..12) {
            0 => {
                let long = [
                    "x".repeat(10_000),
                    "😀".repeat(10_000),
                    "ж".repeat(10_000),
                    "%".repeat(10_000),
                    "\u{0}".repeat(1_000),
                    "a;".repeat(5_000),
                ];
                self.pick(&long).into_bytes()
            }
            1 => self.pick(&invalid_utf8()).to_vec(),
            _ => self.pick(&NASTY).as_bytes().to_vec(),
        }
    }

    fn weird_number(&mut self, near: i64) -> Vec<u8> {
        let forms = [
            format!("+{near}"),
            format!("0{near}"),
            format!(" {near}"),
            format!("{near} "),
            format!("{near}.0"),
            format!("{near};{near}"),
            format!("{near}\u{0}"),
        ];
        if self.chance(0.3) {
            self.pick(&forms).into_bytes()
        } else {
            self.pick(&WEIRD_NUMBERS).as_bytes().to_vec()
        }
    }

    fn known_or(&mut self, pool: &[i64], fallback: i64) -> i64 {
        if pool.is_empty() {
            fallback
        } else {
            self.pick(pool)
        }
    }

    fn id_list(&mut self, pool: &[i64]) -> Vec<u8> {
        let n = self.rng.gen_range(1..=4);
        let mut items: Vec<String> = (0..n).map(|_| self.known_or(pool, 1).to_string()).collect();
        if self.chance(0.2) {
            let at = self.rng.gen_range(0..=items.len());
            items.insert(at, String::new());
        }
        items.join(";").into_bytes()
    }

    fn max_id(&self, pool: &[i64]) -> i64 {
        pool.iter().copied().max().unwrap_or(1)
    }

    fn app_id(&mut self) -> Vec<u8> {
        let apps = self.app_ids.clone();
        match self.roll(60) {
            0..45 => self.playground.to_string().into_bytes(),
            45..60 => self
                .known_or(&apps, self.playground)
                .to_string()
                .into_bytes(),
            60..68 => {
                let max = self.max_id(&apps).max(self.playground) + 3;
                self.rng.gen_range(1..=max).to_string().into_bytes()
            }
            68..76 => self.id_list(&apps),
            _ => {
                let near = self.playground;
                self.weird_number(near)
            }
        }
    }

    fn fresh_app_name(&mut self) -> String {
        self.fresh += 1;
        let tail: String = (0..self.rng.gen_range(0..6))
            .map(|_| {
                char::from(b"abcdefghijklmnopqrstuvwxyz0123456789-"[self.rng.gen_range(0..37)])
            })
            .collect();
        format!("fz{}{tail}", self.fresh)
    }

    /// An application name that says which application (secret methods, `DelApplication`,
    /// `required_application_name`).
    fn app_name_ref(&mut self, list_ok: bool) -> Vec<u8> {
        let names = self.app_names.clone();
        let name = match self.roll(if names.is_empty() { 50 } else { 62 }) {
            0..40 => PLAYGROUND_APP.to_owned(),
            40..50 => format!("{PLAYGROUND_APP}{SUFFIX}"),
            50..62 if !names.is_empty() => self.pick(&names),
            62..70 => self.fresh_app_name(),
            70..80 if list_ok => {
                let n = self.rng.gen_range(1..=3);
                let mut items: Vec<String> = (0..n)
                    .map(|_| {
                        if names.is_empty() {
                            PLAYGROUND_APP.to_owned()
                        } else {
                            self.pick(&names)
                        }
                    })
                    .collect();
                if self.chance(0.25) {
                    items.push(String::new());
                }
                items.join(";")
            }
            80..95 => self.pick(&INVALID_APP_NAMES).to_owned(),
            _ => return self.nasty(),
        };
        name.into_bytes()
    }

    /// A new application name (`AddApplication`, `SetApplicationInfo`).
    fn new_app_name(&mut self) -> Vec<u8> {
        let name = match self.roll(52) {
            0..45 => self.fresh_app_name(),
            45..52 => format!("{}{SUFFIX}", self.fresh_app_name()),
            52..60 => PLAYGROUND_APP.to_owned(),
            60..66 => format!("q{}", "z".repeat(63)),
            66..72 => format!("q{}", "z".repeat(64)),
            72..95 => self.pick(&INVALID_APP_NAMES).to_owned(),
            _ => return self.nasty(),
        };
        name.into_bytes()
    }

    /// `GetApplications`' substring filter.
    fn app_name_filter(&mut self) -> Vec<u8> {
        let filters = [
            "fuzz".to_owned(),
            "FUZZ".to_owned(),
            "target".to_owned(),
            PLAYGROUND_APP.to_owned(),
            format!("{PLAYGROUND_APP}{SUFFIX}"),
            "fz".to_owned(),
            "%".to_owned(),
            "_".to_owned(),
            "-".to_owned(),
            "\\".to_owned(),
            SUFFIX.to_owned(),
        ];
        if !self.tame && self.chance(0.1) {
            return self.pick(&long_filters()).into_bytes();
        }
        self.pick(&filters).into_bytes()
    }

    fn secret_id(&mut self, list_ok: bool) -> Vec<u8> {
        let own = self.secret_ids.clone();
        let foreign = self.foreign_secret_ids.clone();
        match self.roll(45) {
            0..45 => self.known_or(&own, 1).to_string().into_bytes(),
            45..57 => self.known_or(&foreign, 1).to_string().into_bytes(),
            57..65 => {
                let max = self.max_id(&own).max(self.max_id(&foreign)) + 3;
                self.rng.gen_range(1..=max).to_string().into_bytes()
            }
            65..75 if list_ok => {
                let both: Vec<i64> = own.iter().chain(foreign.iter()).copied().collect();
                self.id_list(&both)
            }
            75..80 if list_ok => b"all".to_vec(),
            _ => {
                let near = self.known_or(&own, 1);
                self.weird_number(near)
            }
        }
    }

    fn fresh_secret_name(&mut self) -> String {
        self.fresh += 1;
        if self.chance(0.7) {
            format!("K{}", self.fresh)
        } else {
            let len = self.rng.gen_range(1..=64);
            let first = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
            let rest = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_";
            let mut name = String::from(char::from(first[self.rng.gen_range(0..first.len())]));
            for _ in 1..len {
                name.push(char::from(rest[self.rng.gen_range(0..rest.len())]));
            }
            name
        }
    }

    fn secret_name(&mut self, list_ok: bool, fresh_bias: bool) -> Vec<u8> {
        let own = self.secret_names.clone();
        let foreign = self.foreign_secret_names.clone();
        if self.tame {
            let name = if fresh_bias || own.is_empty() {
                self.fresh_secret_name()
            } else {
                self.pick(&own)
            };
            return name.into_bytes();
        }
        let name = match self.rng.gen_range(0..100) {
            0..35 if fresh_bias => self.fresh_secret_name(),
            0..40 if !own.is_empty() => self.pick(&own),
            40..50 if !foreign.is_empty() => self.pick(&foreign),
            35..60 => self.fresh_secret_name(),
            60..65 => format!("S{}", "s".repeat(63)),
            65..70 => format!("S{}", "s".repeat(64)),
            70..78 if list_ok => {
                let all: Vec<String> = own.iter().chain(foreign.iter()).cloned().collect();
                let n = self.rng.gen_range(1..=3);
                let mut items: Vec<String> = (0..n)
                    .map(|_| {
                        if all.is_empty() {
                            "K0".to_owned()
                        } else {
                            self.pick(&all)
                        }
                    })
                    .collect();
                if self.chance(0.25) {
                    items.push(String::new());
                }
                items.join(";")
            }
            78..95 => self.pick(&INVALID_SECRET_NAMES).to_owned(),
            _ => return self.nasty(),
        };
        name.into_bytes()
    }

    fn secret_value(&mut self) -> Vec<u8> {
        let value = match self.roll(55) {
            0..35 => {
                let len = self.rng.gen_range(1..=40);
                (0..len)
                    .map(|_| char::from(self.rng.gen_range(0x20u8..0x7f)))
                    .collect()
            }
            35..45 => "line one\nline two\r\n\tключ 🔐 value\n".to_owned(),
            45..50 => "v".repeat(8192),
            50..55 => "😀".repeat(8192),
            55..60 => "v".repeat(8193),
            60..64 => "ж".repeat(8193),
            64..70 => String::new(),
            70..74 => " ".to_owned(),
            74..82 => self
                .pick(&["a\u{0}b", "\u{0}", "\u{1}\u{7f}", "\r\n\t"])
                .to_owned(),
            82..87 => "x".repeat(10_000),
            87..92 => return self.pick(&invalid_utf8()).to_vec(),
            _ => return self.nasty(),
        };
        value.into_bytes()
    }

    fn description(&mut self) -> Vec<u8> {
        let value = match self.roll(66) {
            0..25 => String::new(),
            25..50 => format!("fuzz description {}", self.rng.gen_range(0..1000)),
            50..58 => "ж".repeat(200),
            58..66 => "😀".repeat(201),
            66..72 => "x".repeat(10_000),
            72..80 => "a\u{0}b\r\n\u{1b}".to_owned(),
            80..85 => return self.pick(&invalid_utf8()).to_vec(),
            _ => return self.nasty(),
        };
        value.into_bytes()
    }

    fn name_part(&mut self) -> Vec<u8> {
        let parts = [
            String::new(),
            "k".to_owned(),
            "K1".to_owned(),
            "play".to_owned(),
            "PLAY".to_owned(),
            "%".to_owned(),
            "_".to_owned(),
            "\\".to_owned(),
            "%_".to_owned(),
            "' OR 1=1 --".to_owned(),
            "😀".to_owned(),
            "ж".to_owned(),
            "a\u{0}".to_owned(),
            "x".repeat(10_000),
        ];
        if !self.tame && self.chance(0.1) {
            return self.pick(&long_filters()).into_bytes();
        }
        self.pick(&parts).into_bytes()
    }

    fn count(&mut self) -> Vec<u8> {
        match self.roll(60) {
            0..40 => self
                .pick_valid(&["0", "1", "2", "5", "20", "1000", "1001"], 6)
                .as_bytes()
                .to_vec(),
            40..60 => self.rng.gen_range(0..30).to_string().into_bytes(),
            60..70 => self.pick(&[" 5 ", "+5", "05", "5.0"]).as_bytes().to_vec(),
            _ => self.weird_number(3),
        }
    }

    fn method_name(&mut self) -> String {
        if self.tame || self.chance(0.85) {
            self.pick(&METHODS).to_owned()
        } else {
            let unknown = [
                "GetSecret".to_owned(),
                String::new(),
                "getsecrets".to_owned(),
                "M".repeat(300),
                "ПолучитьСекреты😀".to_owned(),
                "AddSecret ".to_owned(),
                "cmd".to_owned(),
            ];
            self.pick(&unknown)
        }
    }

    fn value_for(&mut self, name: &str, method: &str) -> Vec<u8> {
        if !self.tame && self.chance(0.08) {
            return self.nasty();
        }
        match name {
            "application_id" => self.app_id(),
            "application_name" => match method {
                "AddApplication" | "SetApplicationInfo" => self.new_app_name(),
                "GetApplications" => self.app_name_filter(),
                _ => self.app_name_ref(method == "DelApplication"),
            },
            "required_application_name" => self.app_name_ref(false),
            "secret_id" => self.secret_id(method == "DelSecret"),
            "secret_name" => self.secret_name(method == "DelSecret", method == "AddSecret"),
            "new_secret_name" => self.secret_name(false, true),
            "secret_value" => self.secret_value(),
            "description" => self.description(),
            "secret_name_part" => self.name_part(),
            "count" | "offset" => self.count(),
            "cmd" => {
                if self.tame || self.chance(0.5) {
                    method.as_bytes().to_vec()
                } else {
                    self.method_name().into_bytes()
                }
            }
            _ => self.nasty(),
        }
    }

    /// The parameter names for one request: mostly the method's own, sometimes any.
    fn param_names(&mut self, method: &str) -> Vec<String> {
        let mut names: Vec<String> = Vec::new();
        match shape(method) {
            Some(shape) if self.tame || self.chance(0.75) => {
                for group in shape.groups {
                    match self.roll(85) {
                        0..45 => names.push(group[0].to_owned()),
                        45..85 => names.push(group[1].to_owned()),
                        85..95 => names.extend(group.iter().map(|n| (*n).to_owned())),
                        _ => {}
                    }
                }
                for name in shape.required {
                    if self.tame || self.chance(0.92) {
                        names.push((*name).to_owned());
                    }
                }
                for name in shape.optional {
                    if self.chance(0.45) {
                        names.push((*name).to_owned());
                    }
                }
                for _ in 0..self.rng.gen_range(0..=2) {
                    if !self.tame && self.chance(0.3) {
                        names.push(self.pick(&ALL_PARAMS).to_owned());
                    }
                }
            }
            _ => {
                for name in ALL_PARAMS {
                    if self.chance(0.25) {
                        names.push(name.to_owned());
                    }
                }
            }
        }
        if !self.tame && self.chance(0.1) {
            names.push(self.pick(&UNKNOWN_PARAMS).to_owned());
        }
        if !self.tame && self.chance(0.01) {
            names.push("z".repeat(300));
        }
        let mut seen = Vec::new();
        names.retain(|n| {
            let new = !seen.contains(n);
            seen.push(n.clone());
            new
        });
        names
    }

    /// `account_id` + `api_key`, nearly always right; otherwise missing or corrupted, or
    /// overridden by an `Authorization` header. Returns whether they are valid.
    fn credentials(&mut self) -> (Vec<Param>, Option<String>, bool) {
        let key = self.api.key().to_owned();
        let good = |account: &str, key: &str| -> Vec<Param> {
            vec![
                ("account_id".to_owned(), account.as_bytes().to_vec()),
                ("api_key".to_owned(), key.as_bytes().to_vec()),
            ]
        };
        if self.tame || self.chance(0.92) {
            let account = self.pick(&[ACCOUNT_ID, ACCOUNT_ID, ACCOUNT_ID, " 1", "01", "+1"]);
            return (good(account, &key), None, true);
        }
        let mut flipped = key.clone();
        let last = flipped.pop().unwrap_or('x');
        flipped.push(if last == 'A' { 'B' } else { 'A' });
        match self.rng.gen_range(0..10) {
            0 => (good(ACCOUNT_ID, &key)[1..].to_vec(), None, false),
            1 => (good(ACCOUNT_ID, &key)[..1].to_vec(), None, false),
            2 => (Vec::new(), None, false),
            3 => (good(ACCOUNT_ID, &flipped), None, false),
            4 => (good(ACCOUNT_ID, ""), None, false),
            5 => (good("2", &key), None, false),
            6 => {
                let account = self.pick(&["abc", "1.0", "", "0", "-1", "9223372036854775808"]);
                (good(account, &key), None, false)
            }
            7 => (good(ACCOUNT_ID, &format!("{key} ")), None, false),
            _ => {
                let header = self.pick(&[
                    "Bearer garbage",
                    "Bearer a.b.c",
                    "Bearer eyJhbGciOiJub25lIn0.eyJpc3MiOjF9.",
                    "Bearer eyJhbGciOiJIUzI1NiIsImtpZCI6IngifQ.eyJpc3MiOjF9.c2ln",
                    "Bearer ",
                    "bearer",
                    "Basic Zm9vOmJhcg==",
                    "",
                ]);
                (good(ACCOUNT_ID, &key), Some(header.to_owned()), false)
            }
        }
    }

    /// Whether a parameter would make a request name the sentinel, which this test promises
    /// never to do: its id as `application_id` (alone or in a `;` list, in any spelling the
    /// server could parse), its name in any parameter at all, and `application_id=all` for
    /// `DelApplication`, which would rightly delete every application, the sentinel too.
    fn names_sentinel(&self, name: &str, value: &[u8], deletes_applications: bool) -> bool {
        let text = String::from_utf8_lossy(value).to_lowercase();
        if text.contains("sentinel") || name.to_lowercase().contains("sentinel") {
            return true;
        }
        name == "application_id"
            && text.split(';').any(|item| {
                let item = item.trim();
                item.parse::<i64>().ok() == Some(self.sentinel.id)
                    || (deletes_applications && item == "all")
            })
    }

    // ----- one request ---------------------------------------------------------------------

    async fn step(&mut self) {
        self.tame = self.chance(TAME_SHARE);
        let method = self.method_name();
        let style = self.pick(&[
            Style::PostPath,
            Style::GetPath,
            Style::PostCmd,
            Style::GetCmd,
        ]);
        let mut params: Vec<Param> = self
            .param_names(&method)
            .into_iter()
            .map(|name| {
                let value = self.value_for(&name, &method);
                (name, value)
            })
            .collect();
        let path_style = matches!(style, Style::PostPath | Style::GetPath);
        if !path_style
            && !params.iter().any(|(n, _)| n == "cmd")
            && (self.tame || self.chance(0.95))
        {
            params.push(("cmd".to_owned(), method.clone().into_bytes()));
        }
        let (credentials, authorization, credentials_valid) = self.credentials();
        params.extend(credentials);
        if !self.tame && !params.is_empty() && self.chance(0.06) {
            let (name, value) = self.pick(&params);
            let value = if self.chance(0.5) {
                value
            } else {
                self.value_for(&name, &method)
            };
            params.push((name, value));
        }
        params.shuffle(&mut self.rng);
        let deletes_applications = (path_style && method == "DelApplication")
            || params
                .iter()
                .any(|(n, v)| n == "cmd" && String::from_utf8_lossy(v).contains("DelApplication"));
        params.retain(|(n, v)| !self.names_sentinel(n, v, deletes_applications));
        // What the server will run if it accepts the request. `/platform_api/` with an empty
        // method is `/platform_api`: the method comes from `cmd`.
        let effective = if path_style && !method.is_empty() {
            Some(method.clone())
        } else {
            params
                .iter()
                .find(|(n, v)| n == "cmd" && !v.is_empty())
                .map(|(_, v)| String::from_utf8_lossy(v).into_owned())
        };

        let built = self.build(style, &method, params, authorization);
        if self.verbose {
            println!("[{}] {}", self.iteration, built.describe());
        }
        let (outcome, body) = self
            .send_and_check(&built, effective.as_deref(), credentials_valid)
            .await;
        if self.verbose {
            println!("  -> {}", shorten(&body.to_string(), 300));
        }
        *self.outcomes.entry(outcome.clone()).or_default() += 1;
        let label = match effective.as_deref() {
            Some(m) if METHODS.contains(&m) => m.to_owned(),
            _ => "(unknown or no method)".to_owned(),
        };
        let entry = self.per_method.entry(label).or_default();
        entry.1 += 1;
        if outcome == "ok" {
            entry.0 += 1;
            if effective.as_deref() == Some("AddSecret") {
                // Spec: a `secret_id` is never reused.
                let id = body["result"][0]["secret_id"].as_i64().unwrap_or_default();
                if !self.seen_secret_ids.insert(id) {
                    self.fail(&format!("AddSecret returned secret id {id}, seen before"));
                }
            }
            if !matches!(
                effective.as_deref(),
                Some("GetSecrets" | "GetSecretValue" | "GetApplications")
            ) {
                self.dirty = true;
            }
        }
    }

    fn build(
        &mut self,
        style: Style,
        method: &str,
        params: Vec<Param>,
        authorization: Option<String>,
    ) -> Built {
        let encoding = {
            match self.roll(83) {
                0..20 => Encoding::QueryOnly,
                20..50 => Encoding::Urlencoded,
                50..75 => Encoding::Multipart,
                75..83 => Encoding::JsonEmpty,
                83..90 => Encoding::JsonObject,
                _ => Encoding::Garbage,
            }
        };
        let has_param_body = matches!(
            encoding,
            Encoding::Urlencoded | Encoding::Multipart | Encoding::JsonObject
        );
        let plus = self.chance(0.3);
        let mut query = String::new();
        let mut body_params: Vec<Param> = Vec::new();
        for (name, value) in params {
            let pair = if value.is_empty() && self.chance(0.5) {
                form_encode(name.as_bytes(), plus)
            } else {
                format!(
                    "{}={}",
                    form_encode(name.as_bytes(), plus),
                    form_encode(&value, plus)
                )
            };
            let big = pair.len() > 2000;
            if has_param_body && (big || self.chance(0.6)) {
                body_params.push((name, value));
            } else if query.len() + pair.len() < QUERY_LIMIT {
                if !query.is_empty() {
                    query.push('&');
                }
                query.push_str(&pair);
            } else if has_param_body {
                body_params.push((name, value));
            }
            // Otherwise it is too big for a URL and has no body to go to: left out.
        }
        if !self.tame && self.chance(0.04) {
            // Raw, not re-encoded: bad escapes, a name that is not UTF-8, empty pairs.
            let junk = self.pick(&[
                "x=%G1%2", "%FF=1", "x=%", "&&&", "=", "=1", "x=%E2%82", "x=a%00b", "%3D=%3D",
                "x=;;;", "+=+",
            ]);
            if !query.is_empty() {
                query.push('&');
            }
            query.push_str(junk);
        }
        if !self.tame && has_param_body && self.chance(0.01) {
            body_params.push(("description".to_owned(), vec![b'd'; OVERSIZED_BODY]));
        }

        let (content_type, body) = match encoding {
            Encoding::QueryOnly => {
                if self.chance(0.2) {
                    (
                        Some("application/x-www-form-urlencoded".to_owned()),
                        Some(self.pick(&[&b""[..], b" \r\n"]).to_vec()),
                    )
                } else {
                    (None, None)
                }
            }
            Encoding::Urlencoded => {
                let mut body = body_params
                    .iter()
                    .map(|(n, v)| {
                        format!(
                            "{}={}",
                            form_encode(n.as_bytes(), plus),
                            form_encode(v, plus)
                        )
                    })
                    .collect::<Vec<_>>()
                    .join(if self.chance(0.1) { "&&" } else { "&" });
                if self.chance(0.1) {
                    body.push('&');
                }
                let ct = self.pick(&[
                    Some("application/x-www-form-urlencoded"),
                    Some("application/x-www-form-urlencoded; charset=UTF-8"),
                    Some("Application/X-WWW-Form-Urlencoded"),
                    None,
                ]);
                (ct.map(str::to_owned), Some(body.into_bytes()))
            }
            Encoding::Multipart => self.multipart(&body_params),
            Encoding::JsonEmpty => {
                let body = self.pick(&["{}", " { } ", "{}\n"]);
                let ct = self.pick(&["application/json", "application/json; charset=utf-8"]);
                (Some(ct.to_owned()), Some(body.as_bytes().to_vec()))
            }
            Encoding::JsonObject => {
                let body = match self.rng.gen_range(0..10) {
                    0 => b"{".to_vec(),
                    1 => b"[]".to_vec(),
                    2 => b"{\"a\":".to_vec(),
                    _ => {
                        let mut object = Map::new();
                        for (n, v) in &body_params {
                            let text = String::from_utf8_lossy(v).into_owned();
                            let value = match text.parse::<i64>() {
                                Ok(number) if self.chance(0.5) => json!(number),
                                _ => json!(text),
                            };
                            object.insert(n.clone(), value);
                        }
                        serde_json::to_vec(&Value::Object(object)).expect("JSON body")
                    }
                };
                (Some("application/json".to_owned()), Some(body))
            }
            Encoding::Garbage => {
                let len = self.rng.gen_range(1..300);
                // No `=`: a garbage body must never carry a parameter value.
                let body: Vec<u8> = (0..len)
                    .map(|_| match self.rng.gen_range(0u8..=255) {
                        b'=' => b'.',
                        b => b,
                    })
                    .collect();
                let ct = self.pick(&[
                    Some("text/plain"),
                    Some("application/octet-stream"),
                    Some("application/json"),
                    Some("application/x-www-form-urlencoded"),
                    Some("multipart/form-data"),
                    Some("multipart/form-data; boundary=xyz"),
                    Some("image/png"),
                    Some(""),
                    Some("x/y; z"),
                    Some("text/html; charset=\u{e9}"),
                    None,
                ]);
                (ct.map(str::to_owned), Some(body))
            }
        };

        let post = matches!(style, Style::PostPath | Style::PostCmd);
        let path = match style {
            Style::PostPath | Style::GetPath => {
                format!("/platform_api/{}", form_encode(method.as_bytes(), false))
            }
            Style::PostCmd | Style::GetCmd => "/platform_api".to_owned(),
        };
        Built {
            post,
            path,
            query,
            content_type,
            authorization,
            body,
        }
    }

    fn multipart(&mut self, params: &[Param]) -> (Option<String>, Option<Vec<u8>>) {
        let boundary = format!("fuzzBoundary{:016x}", self.rng.r#gen::<u64>());
        let mut body = Vec::new();
        for (name, value) in params {
            body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
            body.extend_from_slice(
                format!("Content-Disposition: form-data; name=\"{name}\"").as_bytes(),
            );
            if self.chance(0.1) {
                body.extend_from_slice(b"; filename=\"value.txt\"\r\nContent-Type: text/plain");
            }
            body.extend_from_slice(b"\r\n\r\n");
            body.extend_from_slice(value);
            body.extend_from_slice(b"\r\n");
        }
        let mut content_type = if self.chance(0.2) {
            format!("multipart/form-data; boundary=\"{boundary}\"")
        } else {
            format!("multipart/form-data; boundary={boundary}")
        };
        let roll = if self.tame {
            99
        } else {
            self.rng.gen_range(0..100)
        };
        match roll {
            // Malformed on purpose.
            0..2 => {}
            2..4 => content_type = "multipart/form-data".to_owned(),
            4..6 => {
                body.extend_from_slice(
                    format!("--{boundary}\r\nContent-Disposition: form-data\r\n\r\nx\r\n")
                        .as_bytes(),
                );
                body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
            }
            6..8 => {
                content_type = "multipart/form-data; boundary=other".to_owned();
                body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
            }
            _ => body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes()),
        }
        (Some(content_type), Some(body))
    }

    async fn send_and_check(
        &self,
        built: &Built,
        effective: Option<&str>,
        credentials_valid: bool,
    ) -> (String, Value) {
        let mut url = format!("{}{}", self.server.base, built.path);
        if !built.query.is_empty() {
            url.push('?');
            url.push_str(&built.query);
        }
        let method = if built.post {
            reqwest::Method::POST
        } else {
            reqwest::Method::GET
        };
        let mut request = self.api.client.request(method, &url);
        if let Some(ct) = &built.content_type {
            request = request.header(reqwest::header::CONTENT_TYPE, ct.as_bytes());
        }
        if let Some(auth) = &built.authorization {
            request = request.header(reqwest::header::AUTHORIZATION, auth.as_bytes());
        }
        if let Some(body) = &built.body {
            request = request.body(body.clone());
        }
        let response = match request.send().await {
            Ok(response) => response,
            Err(e) => self.fail(&format!(
                "no HTTP response ({e}); the server may have panicked or hung.\nrequest: {}",
                built.describe()
            )),
        };
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
        let bytes = match response.bytes().await {
            Ok(bytes) => bytes,
            Err(e) => self.fail(&format!(
                "the response body broke off ({e}).\nrequest: {}",
                built.describe()
            )),
        };
        let failure = |what: String| -> ! {
            self.fail(&format!(
                "{what}\nrequest: {}\nresponse: HTTP {status}, Content-Type {content_type:?}, \
                 body: {}",
                built.describe(),
                shorten(&String::from_utf8_lossy(&bytes), 2000)
            ))
        };
        if status >= 500 {
            failure(format!("HTTP {status}: a server fault"));
        }
        if status != 200 {
            failure(format!(
                "HTTP {status}: the spec answers API errors with HTTP 200 and a JSON body"
            ));
        }
        if !content_type
            .as_deref()
            .is_some_and(|ct| ct.starts_with("application/json"))
        {
            failure("the Content-Type is not application/json".to_owned());
        }
        let body: Value = match serde_json::from_slice(&bytes) {
            Ok(Value::Object(object)) => Value::Object(object),
            Ok(_) => failure("the body is JSON but not an object".to_owned()),
            Err(e) => failure(format!("the body is not JSON: {e}")),
        };
        if let Some(error) = body.get("error") {
            let code = error.get("code").and_then(Value::as_i64);
            let msg = error.get("msg").and_then(Value::as_str);
            match (code, msg) {
                (Some(2), _) => failure("internal error (code 2)".to_owned()),
                (Some(code), Some(msg))
                    if API_ERROR_CODES.contains(&code) && !msg.trim().is_empty() =>
                {
                    if body.get("result").is_some() {
                        failure("both `result` and `error`".to_owned());
                    }
                    return (code.to_string(), body);
                }
                _ => failure(
                    "`error` must hold an integer `code` the spec lists and a non-empty `msg`"
                        .to_owned(),
                ),
            }
        }
        if body.get("result").is_none() {
            failure("neither `result` nor `error`".to_owned());
        }
        if !credentials_valid {
            failure("success without valid credentials".to_owned());
        }
        if let Err(what) = self.check_result(effective, &body) {
            failure(format!(
                "the success body is wrong for {effective:?}: {what}"
            ));
        }
        ("ok".to_owned(), body)
    }

    /// The shape of a successful answer, and that it shows nothing of the sentinel's secrets.
    fn check_result(&self, method: Option<&str>, body: &Value) -> Result<(), String> {
        let result = &body["result"];
        let one_item = || -> Result<&Value, String> {
            match result.as_array().map(Vec::as_slice) {
                Some([item]) => Ok(item),
                _ => Err("`result` must be an array of one object".to_owned()),
            }
        };
        let foreign = |id: Option<i64>| -> Result<(), String> {
            match id {
                Some(id) if id > 0 && !self.sentinel.secret_ids.contains(&id) => Ok(()),
                Some(id) if id > 0 => Err(format!("secret {id} is the sentinel's")),
                _ => Err("`secret_id` must be a positive integer".to_owned()),
            }
        };
        let listing = |item_check: &dyn Fn(&Value) -> Result<(), String>| -> Result<(), String> {
            let items = result.as_array().ok_or("`result` must be an array")?;
            for item in items {
                item_check(item)?;
            }
            let count = body["count"].as_u64().ok_or("`count` must be a number")?;
            let total = body["total_count"]
                .as_u64()
                .ok_or("`total_count` must be a number")?;
            if count != items.len() as u64 || total < count {
                return Err(format!(
                    "count {count}, total_count {total}, {} items",
                    items.len()
                ));
            }
            Ok(())
        };
        let full_name = |v: &Value| -> Result<(), String> {
            match v.as_str() {
                Some(name) if name.ends_with(SUFFIX) => Ok(()),
                _ => Err(format!("{v} is not a full application name")),
            }
        };
        match method {
            Some("AddSecret") => foreign(one_item()?["secret_id"].as_i64()),
            Some("GetSecrets") => listing(&|item| {
                foreign(item["secret_id"].as_i64())?;
                if item.get("secret_value").is_some() {
                    return Err("GetSecrets must not show values".to_owned());
                }
                for field in ["secret_name", "created", "modified"] {
                    if !item[field].is_string() {
                        return Err(format!("`{field}` must be a string"));
                    }
                }
                Ok(())
            }),
            Some("GetSecretValue") => {
                let item = one_item()?;
                foreign(item["secret_id"].as_i64())?;
                match item["secret_value"].as_str() {
                    Some(value) if self.sentinel.values.iter().any(|v| v == value) => {
                        Err("a sentinel value came back".to_owned())
                    }
                    Some(_) => Ok(()),
                    None => Err("`secret_value` must be a string".to_owned()),
                }
            }
            Some("SetSecretInfo" | "DelSecret" | "DelApplication") if *result == json!(1) => Ok(()),
            Some("AddApplication") if *result == json!(1) && body["application_id"].is_i64() => {
                full_name(&body["application_name"])
            }
            Some("SetApplicationInfo") if *result == json!(1) => {
                full_name(&body["application_name"])
            }
            Some("GetApplications") => listing(&|item| {
                if !item["application_id"].is_i64() || !item["modified"].is_string() {
                    return Err(format!("{item} lacks `application_id` or `modified`"));
                }
                full_name(&item["application_name"])
            }),
            Some(m) if METHODS.contains(&m) => Err("unexpected `result`".to_owned()),
            _ => Err("a success for an unknown or missing method".to_owned()),
        }
    }

    // ----- the data around the run -----------------------------------------------------------

    async fn sentinel_snapshot(&self) -> Snapshot {
        let app = self.sentinel.id.to_string();
        let application = self
            .api
            .call("GetApplications", &[("application_id", &app)])
            .await;
        let secrets = self
            .api
            .call("GetSecrets", &[("application_id", &app), ("count", "1000")])
            .await;
        let mut values = Vec::new();
        for id in &self.sentinel.secret_ids {
            let value = self
                .api
                .call(
                    "GetSecretValue",
                    &[("application_id", &app), ("secret_id", &id.to_string())],
                )
                .await;
            values.push(value);
        }
        Snapshot(json!({ "application": application, "secrets": secrets, "values": values }))
    }

    async fn check_sentinel(&self, before: &Snapshot, since: usize) {
        let now = self.sentinel_snapshot().await;
        if now != *before {
            self.fail(&format!(
                "the sentinel application changed between iterations {since} and {}, though no \
                 request named it.\nbefore: {:#}\nafter:  {:#}",
                self.iteration, before.0, now.0
            ));
        }
    }

    /// Looks at the playground (recreating it, or refilling its secrets, when the fuzzer took
    /// them away) and at which applications exist.
    async fn refresh(&mut self) {
        let mut playground = None;
        for (id, name) in self.server.applications().await {
            if id == self.sentinel.id {
                continue;
            }
            if name == PLAYGROUND_APP {
                playground = Some(id);
            }
            push_bounded(&mut self.app_ids, id);
            push_bounded(&mut self.app_names, name);
        }
        self.playground = match playground {
            Some(id) => id,
            None => {
                let id = self.server.create_application(PLAYGROUND_APP).await;
                push_bounded(&mut self.app_ids, id);
                id
            }
        };
        let mut secrets = self.server.secrets(self.playground).await;
        if secrets.len() < 3 {
            for _ in secrets.len()..3 {
                self.fresh += 1;
                let name = format!("PLAY_{}", self.fresh);
                self.server
                    .create_secret(self.playground, &name, "playground value\n✓", "refilled")
                    .await;
            }
            secrets = self.server.secrets(self.playground).await;
        }
        for id in std::mem::take(&mut self.secret_ids) {
            if !secrets.iter().any(|(i, _)| *i == id) {
                push_bounded(&mut self.foreign_secret_ids, id);
            }
        }
        for name in std::mem::take(&mut self.secret_names) {
            if !secrets.iter().any(|(_, n)| *n == name) {
                push_bounded(&mut self.foreign_secret_names, name);
            }
        }
        // The sentinel's names stay foreign unless the playground has one of its own.
        self.foreign_secret_names
            .retain(|n| !secrets.iter().any(|(_, own)| own == n));
        for name in &self.sentinel.secret_names {
            if !secrets.iter().any(|(_, own)| own == name) {
                push_bounded(&mut self.foreign_secret_names, name.clone());
            }
        }
        self.seen_secret_ids.extend(
            secrets
                .iter()
                .map(|(i, _)| *i)
                .chain(self.sentinel.secret_ids.iter().copied()),
        );
        self.secret_ids = secrets.iter().map(|(i, _)| *i).collect();
        self.secret_names = secrets.into_iter().map(|(_, n)| n).collect();
        self.dirty = false;
    }
}

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    match std::env::var(name) {
        Ok(text) if !text.trim().is_empty() => text
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("{name}={text:?} is not a valid number")),
        _ => default,
    }
}

async fn run(label: &str, seed: u64, iterations: usize) {
    println!(
        "{label}: seed {seed}, {iterations} iterations (replay: STRONGROOM_FUZZ_SEED={seed} \
         STRONGROOM_FUZZ_ITERATIONS={iterations})"
    );
    let started = Instant::now();
    let (_tmp, server) = crate::support::start_temp().await;
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        // Connections are reused, as real clients do: an early error must not break one.
        .pool_max_idle_per_host(usize::MAX)
        .build()
        .expect("HTTP client");
    let api = Api::legacy_with(&server, client).await;

    let sentinel_id = server.create_application(SENTINEL_APP).await;
    let sentinel_secrets = [
        (
            "DB_PASSWORD",
            "correct horse battery staple",
            "Primary database",
        ),
        (
            "TLS_KEY",
            "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\nsentinelTlsKeyBody==\n-----END PRIVATE KEY-----\n",
            "multi-line value",
        ),
        (
            "GREETING",
            "Grüße, 世界! 🔐 ключ-sentinel",
            "non-ASCII value — описание",
        ),
    ];
    let mut sentinel = Sentinel {
        id: sentinel_id,
        secret_ids: Vec::new(),
        secret_names: Vec::new(),
        values: Vec::new(),
    };
    for (name, value, description) in sentinel_secrets {
        let id = server
            .create_secret(sentinel_id, name, value, description)
            .await;
        sentinel.secret_ids.push(id);
        sentinel.secret_names.push(name.to_owned());
        sentinel.values.push(value.to_owned());
    }
    let playground = server.create_application(PLAYGROUND_APP).await;
    for (name, value, description) in [
        ("PLAY_TOKEN", "token-123", "playground"),
        ("PLAY_MULTI", "a\nb\nc", ""),
        ("PLAY_UNICODE", "значение 🔑", "юникод"),
    ] {
        server
            .create_secret(playground, name, value, description)
            .await;
    }

    let mut fuzz = Fuzz {
        server: &server,
        api,
        rng: StdRng::seed_from_u64(seed),
        seed,
        iteration: 0,
        verbose: env_or("STRONGROOM_FUZZ_VERBOSE", 0u8) != 0,
        sentinel,
        playground,
        app_ids: Vec::new(),
        app_names: Vec::new(),
        secret_ids: Vec::new(),
        secret_names: Vec::new(),
        foreign_secret_ids: Vec::new(),
        foreign_secret_names: Vec::new(),
        fresh: 0,
        dirty: true,
        tame: false,
        seen_secret_ids: BTreeSet::new(),
        outcomes: BTreeMap::new(),
        per_method: BTreeMap::new(),
    };
    fuzz.foreign_secret_ids = fuzz.sentinel.secret_ids.clone();
    fuzz.refresh().await;
    // Timestamps have one-second resolution: let one pass, so that any later write to the
    // sentinel shows in its `modified`.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let before = fuzz.sentinel_snapshot().await;
    let answers = [&before.0["application"], &before.0["secrets"]];
    let values = before.0["values"].as_array().expect("values");
    assert!(
        answers
            .into_iter()
            .chain(values)
            .all(|a| a.get("result").is_some()),
        "the sentinel cannot be read: {:#}",
        before.0
    );
    let setup = started.elapsed();

    let fuzz_started = Instant::now();
    let mut checked_at = 0;
    for iteration in 0..iterations {
        fuzz.iteration = iteration;
        if iteration > 0 && iteration % SENTINEL_CHECK_EVERY == 0 {
            fuzz.check_sentinel(&before, checked_at).await;
            checked_at = iteration;
        }
        if fuzz.dirty {
            fuzz.refresh().await;
        }
        fuzz.step().await;
    }
    let fuzz_time = fuzz_started.elapsed();
    fuzz.iteration = iterations;

    // The process is alive and answers; nothing panicked; no internal error was logged.
    let health = server.get("/healthz").await;
    if health.status() != 200 {
        fuzz.fail(&format!("/healthz answers {}", health.status()));
    }
    let logs = server.logs();
    if logs.contains("panicked") {
        fuzz.fail(&format!("the server log shows a panic:\n{logs}"));
    }
    if logs.contains("Management API request failed") {
        fuzz.fail(&format!("the server log shows an internal error:\n{logs}"));
    }
    fuzz.check_sentinel(&before, checked_at).await;
    // Values never reach the server's own log (spec: "Scenario runtime", last line).
    let logs = server.logs();
    for value in &fuzz.sentinel.values {
        if logs.contains(value.as_str()) {
            fuzz.fail(&format!("a sentinel value is in the server log: {value:?}"));
        }
    }

    let mut histogram = String::new();
    for (outcome, n) in &fuzz.outcomes {
        let label = if outcome == "ok" {
            "success".to_owned()
        } else {
            format!("error {outcome}")
        };
        let _ = write!(histogram, "\n  {label:<10} {n:>5}");
    }
    let mut methods = String::new();
    for (method, (ok, total)) in &fuzz.per_method {
        let _ = write!(methods, "\n  {method:<24} {ok:>4} ok of {total:>4}");
    }
    println!(
        "{label}: seed {seed}: {iterations} requests in {:.1} s (setup {:.1} s)\noutcomes:{histogram}\nper method:{methods}",
        fuzz_time.as_secs_f64(),
        setup.as_secs_f64(),
    );
}

/// A new random sequence each run unless `STRONGROOM_FUZZ_SEED` is set.
#[tokio::test]
async fn random_requests_never_fault_the_server_or_touch_unnamed_data() {
    let seed = env_or("STRONGROOM_FUZZ_SEED", rand::random::<u64>());
    let iterations = env_or("STRONGROOM_FUZZ_ITERATIONS", DEFAULT_ITERATIONS);
    run("random seed", seed, iterations).await;
}

/// One known sequence, so every run covers at least the same requests.
#[tokio::test]
async fn a_fixed_request_sequence_never_faults_the_server_or_touches_unnamed_data() {
    run("fixed seed", FIXED_SEED, FIXED_ITERATIONS).await;
}

// ----- regressions: bugs this fuzz test found, pinned by fixed requests -----

/// Spec ("Transport"): every answer is JSON. `/platform_api/` (an empty method in the path) is
/// `/platform_api` without `cmd`: error 102, not the panel's HTML 404 page.
#[tokio::test]
async fn an_empty_method_in_the_path_is_a_missing_cmd() {
    let (_tmp, server) = crate::support::start_temp().await;
    let client = reqwest::Client::new();
    for request in [
        client.get(format!("{}/platform_api/", server.base)),
        client.post(format!("{}/platform_api/", server.base)),
    ] {
        let response = request.send().await.expect("HTTP response");
        let status = response.status().as_u16();
        let text = response.text().await.expect("body");
        assert_eq!(status, 200, "{}", shorten(&text, 300));
        let body: Value = serde_json::from_str(&text).expect("a JSON body");
        assert_eq!(body["error"]["code"], json!(102), "{body}");
    }
}

/// A substring filter longer than any name can be (`secret_name_part`, and `application_name`
/// of GetApplications) becomes a SQL `LIKE` pattern; past SQLite's 50 000-byte limit the query
/// fails ("LIKE or GLOB pattern too complex") and the API answers code 2. It is bad input, not
/// a server fault: expect error 101 (or simply no match).
#[tokio::test]
async fn overlong_substring_filters_are_not_internal_errors() {
    let (_tmp, server) = crate::support::start_temp().await;
    let api = Api::legacy(&server).await;
    let app = server.create_application("demo").await;
    // The pattern is only evaluated against rows: one secret is enough.
    server.create_secret(app, "A", "v", "").await;
    let app = app.to_string();
    let percent = "%".repeat(25_000); // escaped to `\%` each: a 50 002-byte pattern
    let letters = "a".repeat(50_000); // `%aaa…%`: 50 002 bytes
    for (method, args) in [
        (
            "GetSecrets",
            vec![
                ("application_id", app.as_str()),
                ("secret_name_part", percent.as_str()),
            ],
        ),
        (
            "GetSecrets",
            vec![
                ("application_id", app.as_str()),
                ("secret_name_part", letters.as_str()),
            ],
        ),
        (
            "GetApplications",
            vec![("application_name", letters.as_str())],
        ),
    ] {
        let body = api.call(method, &args).await;
        let ok = body["result"] == json!([]) || body["error"]["code"] == json!(101);
        let filter = args.last().expect("a filter").1;
        assert!(
            ok,
            "{method} with a {}-character filter: {body}",
            filter.len()
        );
    }
}
