//! Command-line flags in two steps, as ripgrep does: [`LowArgs`] is what was typed
//! (strings, in order, no judgement beyond syntax), [`HiArgs`] is the validated
//! command the rest of the program runs (typed values, required flags present,
//! conflicts refused). Every problem is a usage error (exit 2).

mod hiargs;
mod lowargs;

pub use hiargs::{BodyArg, Command, HeaderArg, HiArgs, InspectArgs, CORPUS_ENV};
pub use lowargs::{LowArgs, Mode};

/// The text `--help` prints: of every command, or of one.
pub fn help(topic: Option<Mode>) -> &'static str {
    match topic {
        Some(Mode::Check) => CHECK_HELP,
        Some(Mode::Inspect) => INSPECT_HELP,
        Some(Mode::Conformance) => CONFORMANCE_HELP,
        _ => USAGE,
    }
}

/// `misp-guard --help`.
pub const USAGE: &str = "\
misp-guard: judge MISP sync traffic as the misp-guard proxy does

USAGE:
    misp-guard check --config FILE [--json]
    misp-guard inspect --config FILE --method M --path P --src-ip IP
                       --dst-host H --dst-port N [--scheme https|http]
                       [--header 'K: V']... [--response FILE [--response-header 'K: V']...]
                       [--json] [BODY_FILE|-]
    misp-guard conformance [DIR]
    misp-guard help [COMMAND]       (or COMMAND --help: that command's flags)

COMMANDS:
    check        Load a configuration (either misp-guard format). Silent when it is
                 clean; else on stderr `failed to load config file: FILE:LINE:COL:
                 message (at PATH)` (exit 2), or one line per warning (exit 0):
                 `FILE:LINE:COL: warning: message (at PATH)` for keys no rule reads
                 (ignored, as misp-guard does) and values that can never match (an
                 `ip` that is no address, port 0, a distribution level above 5, an
                 instance no compartment can reach). --json prints one report on
                 stdout: {\"file\",\"ok\",\"errors\":[…],\"warnings\":[…]}, each
                 entry {\"kind\",\"line\",\"column\",\"path\",\"message\"}.
    inspect      Judge one request: request policy, then the request body (BODY_FILE,
                 `-` for stdin, none for an empty body), then the upstream response
                 body given with --response (without it, the request is judged alone).
                 misp-guard's log lines go to stderr; --json prints one decision record
                 on stdout:
                 {\"decision\",\"status\",\"stage\",\"reason\",\"reason_id\",\"message\",
                  \"rule\",\"pointer\",\"logs\"}
    conformance  Run every scenario of the conformance corpus (folders current, legacy,
                 extra) through the same decision path as inspect; prints
                 `FOLDER: N passed, M failed` per folder and a total.
                 DIR defaults to $MISP_GUARD_CONFORMANCE, else ../shared/conformance.

EXIT STATUS:
    0 allow / config loads (with or without warnings) / all scenarios passed
    1 block / some scenario failed
    2 usage, configuration or I/O error
";

/// `misp-guard check --help`.
pub const CHECK_HELP: &str = "\
misp-guard check: load a rules file as the guard would, and report

USAGE:
    misp-guard check --config FILE [--json]

FLAGS:
    --config FILE   the rules file (misp-guard's per-instance or first-release format)
    --json          print one report on stdout instead of lines on stderr:
                    {\"file\",\"ok\",\"errors\":[…],\"warnings\":[…]}, each entry
                    {\"kind\",\"line\",\"column\",\"path\",\"message\"}

OUTPUT:
    Nothing for a clean file. An error: `failed to load config file: FILE:LINE:COL:
    message (at PATH)`. Each warning: `FILE:LINE:COL: warning: message (at PATH)`
    (keys no rule reads, values that can never match).

EXIT STATUS:
    0 the file loads (with or without warnings)
    2 it does not, or a usage error
";

/// `misp-guard inspect --help`.
pub const INSPECT_HELP: &str = "\
misp-guard inspect: judge one request (and its bodies) as the guard at the edge would

USAGE:
    misp-guard inspect --config FILE --method M --path P --src-ip IP
                       --dst-host H --dst-port N [FLAGS] [BODY_FILE|-]

FLAGS:
    --config FILE              the rules file
    --method M                 the request method, as sent
    --path P                   the request target with its query, as sent (never
                               normalised: `//`, dot segments, escapes are judged as is)
    --src-ip IP                the client's address (the MISP that connects)
    --dst-host H               the host the client addressed (Host / server name)
    --dst-port N               the port it addressed: digits, 1-65535
    --scheme https|http        the scheme it used (default: https)
    --header 'K: V'            a request header; repeat for more (Content-Type,
                               Content-Encoding, ...)
    --response FILE|-          the upstream's answer body; pulls are judged on it.
                               Without it the request is judged alone, as the edge
                               does before anything is forwarded
    --response-header 'K: V'   a response header (X-UserOrgUUID, Content-Encoding, ...)
    --json                     print one decision record on stdout
    BODY_FILE|-                the request body (`-`: stdin; none: an empty body)

BODIES:
    Read in 64 KiB pieces, never whole; a body is read only when the verdict depends
    on it (a refused or uninspected call leaves it unread), and not past the body
    bound (256 MiB as sent: refused as body_too_large). At most one of them may be
    stdin.

OUTPUT:
    misp-guard's log lines on stderr (a refusal: `request blocked: [METHOD]PATH -
    message`). --json: {\"decision\",\"status\",\"stage\",\"reason\",\"reason_id\",
    \"message\",\"rule\",\"pointer\",\"logs\"}.

EXIT STATUS:
    0 allowed, 1 refused (403), 2 usage, configuration or I/O error
";

/// `misp-guard conformance --help`.
pub const CONFORMANCE_HELP: &str = "\
misp-guard conformance: run the conformance corpus through inspect's decision path

USAGE:
    misp-guard conformance [DIR]

    DIR holds the folders current, legacy and extra; it defaults to
    $MISP_GUARD_CONFORMANCE, else ../shared/conformance. Prints
    `FOLDER: N passed, M failed` per folder, then a total, and each failure.

EXIT STATUS:
    0 every scenario passed, 1 some failed, 2 the corpus cannot be read
";
